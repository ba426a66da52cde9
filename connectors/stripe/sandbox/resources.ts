import { expandObject } from './expand.js';
import type { Ledger } from './ledger.js';
import { listPage } from './list-page.js';
import { intParam, listParam, rangeParam, rejectUnknown, stringParam, type Params } from './query-params.js';
import { SortedCollection } from './sorted-collection.js';
import { invalidParam, noSuch } from './stripe-errors.js';
import { DAY } from './stripe-objects.js';
import type { SandboxEvent, SandboxInvoice, SandboxPayout, SandboxSubscriptionObject, StripeObject } from './types.js';

/** Stripe keeps events for 30 days; older ones are gone from the API. */
const EVENT_RETENTION = 30 * DAY;

export interface ResourceContext {
  ledger: Ledger;
  now: number;
  eventLagSeconds: number;
}

interface Selection {
  collection?: SortedCollection<StripeObject>;
  matches?: (obj: StripeObject) => boolean;
  created?: { min: number; max: number };
  /** Adds what only this kind of query shows (the payout id on `?payout=` rows). */
  decorate?: (obj: StripeObject) => StripeObject;
}

interface Resource {
  path: string;
  kind: string;
  collection: (ledger: Ledger) => SortedCollection<StripeObject>;
  /** Plain equality filters: `?customer=cus_...` keeps objects whose field equals the value. */
  equals: string[];
  /** Filters that need more than equality. */
  special?: { params: string[]; select: (params: Params, ctx: ResourceContext) => Selection };
  /** Objects that exist but the API no longer (or not yet) shows. */
  visible?: (obj: StripeObject, ctx: ResourceContext) => boolean;
  /** Includable fields: in an answer only when `expand[]` names them (an invoice's `payments`), made on demand. */
  includable?: Record<string, (obj: StripeObject, ledger: Ledger) => unknown>;
}

const asObjects = <T extends StripeObject>(c: SortedCollection<T>) => c as unknown as SortedCollection<StripeObject>;

const RESOURCES: Resource[] = [
  { path: 'charges', kind: 'charge', collection: (l) => asObjects(l.charges), equals: ['customer', 'payment_intent'] },
  { path: 'payment_intents', kind: 'payment_intent', collection: (l) => asObjects(l.paymentIntents), equals: ['customer'] },
  { path: 'refunds', kind: 'refund', collection: (l) => asObjects(l.refunds), equals: ['charge', 'payment_intent'] },
  { path: 'disputes', kind: 'dispute', collection: (l) => asObjects(l.disputes), equals: ['charge', 'payment_intent'] },
  { path: 'customers', kind: 'customer', collection: (l) => asObjects(l.customers), equals: ['email'] },
  { path: 'checkout/sessions', kind: 'checkout session', collection: (l) => asObjects(l.checkoutSessions), equals: ['customer', 'payment_intent', 'status'] },
  {
    path: 'invoices',
    kind: 'invoice',
    collection: (l) => asObjects(l.invoices),
    equals: ['customer', 'status', 'collection_method'],
    special: {
      params: ['subscription'],
      select: (params) => {
        const subscription = stringParam(params, 'subscription');
        if (subscription === undefined) return {};
        return { matches: (inv) => (inv as SandboxInvoice).parent.subscription_details.subscription === subscription };
      },
    },
    includable: {
      // Stripe's includable list holds "the first handful" of an invoice's payments; the sandbox's have one each.
      payments: (inv, ledger) => {
        const data = ledger.invoicePayments.get(inv.id) ?? [];
        return { object: 'list', data, has_more: false, url: `/v1/invoice_payments?invoice=${inv.id}` };
      },
    },
  },
  {
    path: 'subscriptions',
    kind: 'subscription',
    collection: (l) => asObjects(l.subscriptions),
    equals: ['customer', 'collection_method'],
    special: { params: ['status'], select: (params) => ({ matches: subscriptionStatus(stringParam(params, 'status')) }) },
  },
  {
    path: 'payouts',
    kind: 'payout',
    collection: (l) => asObjects(l.payouts),
    equals: ['status'],
    special: {
      params: ['arrival_date'],
      select: (params) => {
        const arrival = rangeParam(params, 'arrival_date');
        if (!arrival) return {};
        return { matches: (p) => (p as SandboxPayout).arrival_date >= arrival.min && (p as SandboxPayout).arrival_date <= arrival.max };
      },
    },
  },
  {
    path: 'balance_transactions',
    kind: 'balance transaction',
    collection: (l) => asObjects(l.balanceTransactions),
    equals: ['type', 'currency'],
    special: {
      params: ['payout', 'source'],
      select: (params, { ledger }) => {
        const payout = stringParam(params, 'payout');
        const source = stringParam(params, 'source');
        const sel: Selection = {};
        if (payout !== undefined) {
          // Only on this query does Stripe say which payout a row went out in.
          const members = ledger.payoutMembers.get(payout);
          if (!members && !ledger.payouts.get(payout)) throw noSuch('payout', payout, 'payout');
          sel.collection = members ? asObjects(members) : new SortedCollection<StripeObject>();
          sel.decorate = (bt) => ({ ...bt, payout });
        }
        if (source !== undefined) {
          const ids = new Set((ledger.balanceTransactionsBySource.get(source) ?? []).map((bt) => bt.id));
          sel.matches = (bt) => ids.has(bt.id);
        }
        return sel;
      },
    },
  },
  {
    path: 'events',
    kind: 'event',
    collection: (l) => asObjects(l.events),
    equals: [],
    special: {
      params: ['type', 'types'],
      select: (params, ctx) => {
        const type = stringParam(params, 'type');
        const types = listParam(params, 'types');
        if (type !== undefined && types.length) throw invalidParam('types', 'You may only specify one of these parameters: type, types.');
        const wanted = type !== undefined ? [type] : types;
        const sel: Selection = { created: { min: ctx.now - EVENT_RETENTION, max: ctx.now - ctx.eventLagSeconds } };
        const sameType = wanted.length === 1 ? ctx.ledger.eventsByType.get(wanted[0]!) : undefined;
        const cursor = stringParam(params, 'starting_after') ?? stringParam(params, 'ending_before');
        // The per-type index is a shortcut only; a cursor from another type still pages the full log.
        if (sameType && (cursor === undefined || sameType.get(cursor))) sel.collection = asObjects(sameType);
        else if (wanted.length) sel.matches = typeMatcher(wanted);
        return sel;
      },
    },
    visible: (e, ctx) => e.created >= ctx.now - EVENT_RETENTION && e.created <= ctx.now - ctx.eventLagSeconds,
  },
];

const LIST_PARAMS = ['limit', 'starting_after', 'ending_before', 'expand', 'created'];

/** Route `/v1/...` GETs; null when no resource matches (the caller answers 404). */
export function handleGet(path: string, params: Params, ctx: ResourceContext): unknown | null {
  const rest = path.slice('/v1/'.length);
  for (const r of RESOURCES) {
    if (rest === r.path) return list(r, params, ctx);
    if (rest.startsWith(`${r.path}/`) && !rest.slice(r.path.length + 1).includes('/')) return retrieve(r, rest.slice(r.path.length + 1), params, ctx);
  }
  return null;
}

function list(r: Resource, params: Params, ctx: ResourceContext): unknown {
  rejectUnknown(params, new Set([...LIST_PARAMS, ...r.equals, ...(r.special?.params ?? [])]));
  const limit = intParam(params, 'limit') ?? 10;
  if (limit < 1 || limit > 100) throw invalidParam('limit', `Invalid limit: must be between 1 and 100; you passed ${limit}.`);
  const startingAfter = stringParam(params, 'starting_after');
  const endingBefore = stringParam(params, 'ending_before');
  if (startingAfter !== undefined && endingBefore !== undefined) {
    throw invalidParam('ending_before', 'You may only specify one of these parameters: ending_before, starting_after.');
  }
  const expand = listParam(params, 'expand').map((p) => {
    if (!p.startsWith('data.')) throw invalidParam('expand', `This property cannot be expanded (${p}).`);
    return p.slice('data.'.length);
  });

  const sel = r.special?.select(params, ctx) ?? {};
  const created = rangeParam(params, 'created') ?? { min: -Infinity, max: Infinity };
  if (sel.created) {
    created.min = Math.max(created.min, sel.created.min);
    created.max = Math.min(created.max, sel.created.max);
  }
  const equals = r.equals.flatMap((field) => {
    const v = stringParam(params, field);
    return v === undefined ? [] : [[field, v] as const];
  });
  const matches =
    equals.length || sel.matches
      ? (obj: StripeObject) => equals.every(([f, v]) => obj[f] === v) && (!sel.matches || sel.matches(obj))
      : undefined;

  const page = listPage(sel.collection ?? r.collection(ctx.ledger), {
    limit,
    startingAfter,
    endingBefore,
    created,
    matches,
    kind: r.kind,
  });
  const lookup = (id: string) => ctx.ledger.byId.get(id);
  const show = (obj: StripeObject) => {
    const shown = sel.decorate ? sel.decorate(obj) : obj;
    return expand.length ? expandWith(r, shown, expand, ctx.ledger, 'expand', lookup) : shown;
  };
  // Events change after the fact (pending_webhooks) and decorated rows depend on the query: not cached.
  if (sel.decorate || r.path === 'events') return { object: 'list', url: `/v1/${r.path}`, has_more: page.hasMore, data: page.data.map(show) };
  const spec = expand.join(',');
  const items = page.data.map((obj) => ctx.ledger.serialized(obj, spec, () => JSON.stringify(show(obj))));
  return new JsonText(`{"object":"list","url":${JSON.stringify(`/v1/${r.path}`)},"has_more":${page.hasMore},"data":[${items.join(',')}]}`);
}

/** A body already serialised (the server sends it as it is). */
export class JsonText {
  constructor(readonly text: string) {}
}

function retrieve(r: Resource, id: string, params: Params, ctx: ResourceContext): unknown {
  rejectUnknown(params, new Set(['expand']));
  const obj = r.collection(ctx.ledger).get(decodeURIComponent(id));
  if (!obj || (r.visible && !r.visible(obj, ctx))) throw noSuch(r.kind, id);
  const expand = listParam(params, 'expand');
  return expand.length ? expandWith(r, obj, expand, ctx.ledger, 'expand', (x) => ctx.ledger.byId.get(x)) : obj;
}

/** `expand[]` on one object: includable fields first (added), then the id fields (expandObject). */
function expandWith(r: Resource, obj: StripeObject, paths: string[], ledger: Ledger, param: string, lookup: (id: string) => StripeObject | undefined): StripeObject {
  const included = paths.filter((p) => r.includable?.[p]);
  const rest = paths.filter((p) => !r.includable?.[p]);
  // Expanding inside an included list (`payments.data.payment.payment_intent`) is not modelled.
  const nested = rest.find((p) => r.includable?.[p.split('.')[0]!]);
  if (nested) throw invalidParam(param, `This property cannot be expanded (${nested}).`);
  const withIncluded = included.length ? { ...obj, ...Object.fromEntries(included.map((f) => [f, r.includable![f]!(obj, ledger)])) } : obj;
  return rest.length ? expandObject(withIncluded, rest, lookup, param) : withIncluded;
}

const SUBSCRIPTION_STATUSES = ['active', 'canceled', 'incomplete', 'incomplete_expired', 'past_due', 'paused', 'trialing', 'unpaid'];
const ENDED = ['canceled', 'incomplete_expired'];

/**
 * Stripe's list leaves canceled subscriptions out unless `status` is `canceled`, `ended` (canceled and
 * incomplete_expired) or `all` (API reference, "List subscriptions"; since API 2016-07-06).
 */
function subscriptionStatus(status: string | undefined): (obj: StripeObject) => boolean {
  const of = (obj: StripeObject) => (obj as SandboxSubscriptionObject).status;
  if (status === undefined) return (obj) => of(obj) !== 'canceled';
  if (status === 'all') return () => true;
  if (status === 'ended') return (obj) => ENDED.includes(of(obj));
  if (!SUBSCRIPTION_STATUSES.includes(status)) {
    throw invalidParam('status', `Invalid status: must be one of ${[...SUBSCRIPTION_STATUSES, 'ended', 'all'].join(', ')}`);
  }
  return (obj) => of(obj) === status;
}

/** `type` accepts Stripe's wildcard form, e.g. `charge.*` or `charge.dispute.*`. */
function typeMatcher(wanted: string[]): (e: StripeObject) => boolean {
  const exact = new Set(wanted.filter((t) => !t.endsWith('*')));
  const prefixes = wanted.filter((t) => t.endsWith('*')).map((t) => t.slice(0, -1));
  return (e) => {
    const t = (e as SandboxEvent).type;
    return exact.has(t) || prefixes.some((p) => t.startsWith(p));
  };
}
