import type Stripe from 'stripe';
import { defineStream, type Page, type StreamContext, type StreamDef } from '../../core/engine/define.js';
import type { Mapped } from '../../core/engine/mapped.js';
import { listAnswer, objectAnswer } from './client.js';
import { listFrom, loadPayoutItemsPosition, rescopePayoutItems, savePayoutItemsPosition, wanted } from './payout-items-position.js';
import { loadLinks, loadPayoutOf, saveLinks, savePayoutOf, type PaymentIntentLink } from './links.js';
import {
  linkFromCheckoutSession, linksFromInvoice, mapCharge, mapCustomer, mapDispute, mapEvent, mapPayout, mapPayoutMember, mapRefund, refId, subscriptionOf,
  type StripeMapOptions,
} from './mappings.js';
import type {
  StripeBalanceTransaction, StripeCharge, StripeCheckoutSession, StripeCustomer, StripeDispute, StripeEvent, StripeInvoice, StripePayout, StripeRefund,
  StripeSubscription,
} from './raw.js';
import { mapSubscription } from './subscription-mapping.js';

type Ctx = StreamContext<Stripe>;
type ListParams = { limit: number; created: { gte: number; lt: number }; starting_after?: string; expand?: string[] };
type Lister = (stripe: Stripe, params: ListParams) => PromiseLike<{ data: unknown[]; has_more: boolean }>;

const DAY = 86_400_000;
const sec = (d: Date) => Math.floor(d.getTime() / 1000);

/**
 * One page of a Stripe list: newest first; the next page starts after the last id (Stripe's cursor).
 * A cursor whose object was deleted since answers 400 resource_missing on `starting_after`: the classifier
 * makes it a CursorGoneError, and the engine reads the window again from its start.
 */
function listPage<R extends { id: string }>(resource: string, list: Lister, expand?: string[]) {
  return async (ctx: Ctx, req: { window: { from: Date; to: Date } | null; token: string | null }): Promise<Page<R>> => {
    const params: ListParams = { limit: 100, created: { gte: sec(req.window!.from), lt: sec(req.window!.to) } };
    if (req.token) params.starting_after = req.token;
    if (expand) params.expand = expand;
    const call = `GET /v1/${resource}`;
    const page = await ctx.call(call, async () => listAnswer<R>(await list(ctx.client, params), call));
    return { records: page.data, next: page.has_more && page.data.length ? page.data[page.data.length - 1]!.id : null };
  };
}

/**
 * One object by id (a webhook's prompt), in the same shape its list gives, so the stream's own mapping
 * reads it: `expand` must match the list's (`data.balance_transaction` there, `balance_transaction` here).
 */
function retrieveOne<R>(resource: string, retrieve: (stripe: Stripe, id: string) => PromiseLike<unknown>) {
  const call = `GET /v1/${resource}/:id`;
  return async (ctx: Ctx, id: string): Promise<R | null> => ctx.call(call, async () => objectAnswer<R>(await retrieve(ctx.client, id), call));
}

/**
 * How far behind its bookmark an object stream starts an incremental read (STRIPE_LOOKBACK_SECONDS). Lists
 * are by `created`, which Stripe stamps as a request starts: an object whose request was still running when
 * a window was read (a charge waiting on 3-D Secure or the card network; Stripe's SDK waits 80 s) becomes
 * listable after the window closed over its time, and the list itself can lag a little. The lookback covers
 * that, and nothing else: later changes to an object come from the events stream, and unsettled objects are
 * revisited (`revisit`). It was an hour, read again every run (60 s on the hub): ~40 times the calls of the
 * new objects, which an appeal night's volume cannot fit in Stripe's rate limit.
 */
export const STRIPE_LOOKBACK_MS = 5 * 60_000;

/**
 * How long a window grows to where the one before fitted in a page (core/engine/window-plan.ts): lists page by
 * cursor within any range, so a long window costs only its pages, and a quiet year's backfill (fixed weeks: 53
 * list calls a stream, however empty) takes about 9 windows a stream.
 */
const MAX_WINDOW_MS = 64 * DAY;
/** The longest from a charge to the payout it goes out in: availability (up to 14 days) and a monthly schedule. */
const PAYOUT_AFTER_CHARGE_MS = 45 * DAY;
const objectWindows = (lookbackMs: number) => ({ sizeMs: 7 * DAY, maxSizeMs: MAX_WINDOW_MS, lookbackMs, lagMs: 5_000 });
const created = (r: { created: number }) => new Date(r.created * 1000);

type ChargeLinkMaps = { intents: Map<string, PaymentIntentLink>; payouts: Map<string, string> };

/** What a charge does not carry itself: its click and donation (from checkout), its subscription (from its invoice) and its payout. */
async function chargeLinks(ctx: Ctx, charges: StripeCharge[]): Promise<ChargeLinkMaps> {
  return {
    intents: await loadLinks(ctx.state, charges.map((c) => refId(c.payment_intent))),
    payouts: await loadPayoutOf(ctx.state, charges.map((c) => c.id)),
  };
}

export function stripeStreams(opts: StripeMapOptions, lookbackMs = STRIPE_LOOKBACK_MS): StreamDef<Stripe, never>[] {
  const OBJECT_WINDOWS = objectWindows(lookbackMs);
  const chargeToPayment = (r: StripeCharge, links: ChargeLinkMaps): Mapped[] => {
    const link = links.intents.get(refId(r.payment_intent) ?? '');
    const withDonation = link?.donation_id && !r.metadata?.[opts.donationIdKey] ? { ...r, metadata: { ...r.metadata, [opts.donationIdKey]: link.donation_id } } : r;
    return mapCharge(withDonation, opts, {
      clickId: link?.click_id ?? null,
      payoutId: links.payouts.get(r.id) ?? null,
      recurringDonationId: link?.recurring_donation_id ?? null,
    });
  };

  const customers = defineStream<Stripe, StripeCustomer>({
    name: 'customers', contract: 'supporter', primaryKey: (r) => r.id, cursor: (r) => created(r as { created: number }),
    windows: OBJECT_WINDOWS,
    fetchPage: listPage('customers', (s, p) => s.customers.list(p)),
    fetchById: retrieveOne('customers', (s, id) => s.customers.retrieve(id)),
    toContract: (r) => mapCustomer(r),
  });

  const checkoutSessions = defineStream<Stripe, StripeCheckoutSession & { created: number }>({
    name: 'checkout_sessions', contract: 'payment', primaryKey: (r) => r.id, cursor: created, windows: OBJECT_WINDOWS,
    fetchPage: listPage('checkout/sessions', (s, p) => s.checkout.sessions.list(p)),
    fetchById: retrieveOne('checkout/sessions', (s, id) => s.checkout.sessions.retrieve(id)),
    // Sessions feed no contract of their own: they link click -> payment intent for the charges.
    prepare: (ctx, records) => saveLinks(ctx.state, records.flatMap((r) => linkFromCheckoutSession(r, opts) ?? [])),
    toContract: () => [],
  });

  const paymentIntents = defineStream<Stripe, { id: string; created: number; metadata?: Record<string, string> | null }>({
    name: 'payment_intents', contract: 'payment', primaryKey: (r) => r.id, cursor: created, windows: OBJECT_WINDOWS,
    fetchPage: listPage('payment_intents', (s, p) => s.paymentIntents.list(p)),
    fetchById: retrieveOne('payment_intents', (s, id) => s.paymentIntents.retrieve(id)),
    // Forms that pass payment_intent_data.metadata leave the donation id here, not on the charge.
    prepare: (ctx, records) =>
      saveLinks(ctx.state, records.map((r) => ({ payment_intent: r.id, click_id: r.metadata?.click_id || null, donation_id: r.metadata?.[opts.donationIdKey] || null }))),
    toContract: () => [],
  });

  const invoices = defineStream<Stripe, StripeInvoice>({
    name: 'invoices', contract: 'payment', primaryKey: (r) => r.id, cursor: created, windows: OBJECT_WINDOWS,
    // `payments` is includable: without the expand the answer has no payments, and so no payment intents.
    fetchPage: listPage('invoices', (s, p) => s.invoices.list(p), ['data.payments']),
    fetchById: retrieveOne('invoices', (s, id) => s.invoices.retrieve(id, { expand: ['payments'] })),
    // Invoices feed no contract of their own: a subscription's links its payment intents -> subscription for the
    // charges (which run after), as payment v3's recurring_donation_id.
    prepare: (ctx, records) => saveLinks(ctx.state, records.flatMap((r) => linksFromInvoice(r))),
    toContract: () => [],
    // A renewal's invoice is made as a draft an hour before it is finalized, and only finalizing gives it its
    // payment (the payment intent; retries of a declined one reuse it), so a subscription's draft is read again
    // until then. Other drafts (an invoice made by hand) may stay drafts for good and link nothing.
    revisit: (r) => r.status === 'draft' && subscriptionOf(r) !== null,
  });

  const subscriptions = defineStream<Stripe, StripeSubscription>({
    name: 'subscriptions', contract: 'recurring_donation', primaryKey: (r) => r.id, cursor: created, windows: OBJECT_WINDOWS,
    // Without `status` Stripe lists only subscriptions not canceled (API reference, "List subscriptions"): a plan
    // canceled before its first read would never be read, nor one a --full or --from reads again.
    fetchPage: listPage('subscriptions', (s, p) => s.subscriptions.list({ ...p, status: 'all' })),
    fetchById: retrieveOne('subscriptions', (s, id) => s.subscriptions.retrieve(id)),
    // Listed by `created`: a later cancellation (the supporter in the customer portal, or Stripe after the last
    // failed retry) comes by customer.subscription.updated/deleted, through the events stream or the webhook.
    toContract: (r) => mapSubscription(r),
  });

  const charges = defineStream<Stripe, StripeCharge>({
    name: 'charges', contract: 'payment', primaryKey: (r) => r.id, cursor: created, windows: OBJECT_WINDOWS,
    fetchPage: listPage('charges', (s, p) => s.charges.list(p), ['data.balance_transaction']),
    // A webhook's charge snapshot has no fee, net or payout: the re-read expands its balance transaction.
    fetchById: retrieveOne('charges', (s, id) => s.charges.retrieve(id, { expand: ['balance_transaction'] })),
    prepare: (ctx, records) => chargeLinks(ctx, records),
    toContract: (r, links) => chargeToPayment(r, links as ChargeLinkMaps),
    // A charge is read again while it is `pending` (a bank debit not yet cleared: Bacs, SEPA, ACH), not while
    // its balance transaction is: that status says only whether the net is in the available balance yet, and
    // fee, net and available_on are set when the balance transaction is made (Stripe's API reference), so a
    // re-read changes nothing the payment contract holds. Until 2026-12-05 it was, and every charge of the
    // last 2-7 days was listed and published again by every run (about 7 copies of each in raw after 25
    // minutes of the sandbox at 0.5 charges a second).
    revisit: (r) => r.status === 'pending',
  });

  const refunds = defineStream<Stripe, StripeRefund>({
    name: 'refunds', contract: 'refund', primaryKey: (r) => r.id, cursor: created, windows: OBJECT_WINDOWS,
    fetchPage: listPage('refunds', (s, p) => s.refunds.list(p)),
    fetchById: retrieveOne('refunds', (s, id) => s.refunds.retrieve(id)),
    toContract: (r) => mapRefund(r),
    revisit: (r) => r.status === 'pending' || r.status === 'requires_action',
  });

  const disputes = defineStream<Stripe, StripeDispute>({
    name: 'disputes', contract: 'dispute', primaryKey: (r) => r.id, cursor: created, windows: OBJECT_WINDOWS,
    fetchPage: listPage('disputes', (s, p) => s.disputes.list(p)),
    fetchById: retrieveOne('disputes', (s, id) => s.disputes.retrieve(id)),
    toContract: (r) => mapDispute(r),
    revisit: (r) => !['won', 'lost'].includes(r.status),
  });

  const payouts = defineStream<Stripe, StripePayout>({
    name: 'payouts', contract: 'payout', primaryKey: (r) => r.id, cursor: created, windows: OBJECT_WINDOWS,
    fetchPage: listPage('payouts', (s, p) => s.payouts.list(p)),
    fetchById: retrieveOne('payouts', (s, id) => s.payouts.retrieve(id)),
    toContract: (r) => mapPayout(r),
    revisit: (r) => !['paid', 'failed', 'canceled'].includes(r.status),
  });

  const payoutItems = payoutItemsStream(chargeToPayment);

  const events = defineStream<Stripe, StripeEvent>({
    name: 'events', contract: 'payment', primaryKey: (r) => r.id, cursor: created,
    // The events API is eventually consistent: read about a minute behind now.
    windows: { sizeMs: DAY, maxSizeMs: MAX_WINDOW_MS, lookbackMs: 5 * 60_000, lagMs: 60_000 },
    // Stripe keeps events for 30 days: a first read, and a --full, starts a day inside that, for margin (the object streams
    // backfill everything older). A bookmark older than that means changes were missed, so the object streams
    // re-read every window since it (by creation time), each in its own run, and events restart inside.
    horizon: {
      keptMs: 30 * DAY,
      marginMs: DAY,
      reread: [customers, checkoutSessions, paymentIntents, invoices, subscriptions, charges, refunds, disputes, payouts].map((s) => s.name),
    },
    fetchPage: listPage('events', (s, p) => s.events.list(p)),
    prepare: (ctx, records) => saveLinks(ctx.state, records.flatMap((e) => mapEvent(e, opts).checkoutLink ?? [])),
    // Charge snapshots map to nothing (see mapEvent); the others are versions as of their event.
    toContract: (e): Mapped[] => mapEvent(e, opts).mapped,
  });

  // Streams run in this order (a sync's and a webhook batch's re-reads alike): the link streams before charges.
  return [customers, checkoutSessions, paymentIntents, invoices, subscriptions, charges, refunds, disputes, payouts, payoutItems, events];
}

/**
 * Payout membership (`GET /v1/balance_transactions?payout=po_...`): nested paging (payouts, then each
 * payout's members), so it uses the escape hatch and keeps its own position: the payouts already read
 * (payout-items-position.ts; `--full` and `--from` reach it through `ctx.range`, under the stream's lease).
 * Membership of an automatic payout is fixed when it is created, so each payout is read once.
 */
function payoutItemsStream(chargeToPayment: (c: StripeCharge, links: ChargeLinkMaps) => Mapped[]) {
  type Member = { payoutId: string; bt: StripeBalanceTransaction };
  const chargeOf = (m: Member) => (typeof m.bt.source === 'object' && m.bt.source?.object === 'charge' ? (m.bt.source as unknown as StripeCharge) : null);
  return defineStream<Stripe, Member>({
    name: 'payout_items', contract: 'payout_item', primaryKey: (m) => `${m.payoutId}:${m.bt.id}`,
    // A charge is paid out once its balance is available (days on) at the next payout of the schedule (a
    // month on at most): `--from`/`--to` select payouts by creation, so a charge of day D is read in that span.
    surfacesWithinMs: PAYOUT_AFTER_CHARGE_MS,
    async read(ctx, emit) {
      // First run: every payout since the start date. Later: the last two weeks (a payout is listed
      // again until it is two weeks old, and `done` keeps each payout's members from being read twice),
      // and the older payouts a --full or --from asked for (`rescan`), until a run has read them.
      // A --from run (not --full) reads the payouts created in its range and no others, as the docs say: until
      // 2026-12-07 its first run on a home also read every payout since the start date (a year of members, against
      // the request budget, for a one-day backfill) and moved the stream's cursor to now (a data engineer's user test).
      const rangeOnly = ctx.range.from !== undefined && !ctx.range.full;
      const { bookmark, position: bm } = await loadPayoutItemsPosition(ctx.state);
      const since = rangeOnly ? Number.POSITIVE_INFINITY : (bm.since ?? sec(ctx.startDate));
      // Every payout created before this is listed below: once all are read, the cursor moves here.
      const listedAt = ctx.clock.now();
      const save = (complete = false) => savePayoutItemsPosition(ctx.state, bookmark, bm, complete ? listedAt : undefined);
      // Kept at once, so that a run stopped before its first payout still leaves the rescan to the next.
      if (rescopePayoutItems(bm, ctx.range, ctx.startDate)) await save();
      const pending: StripePayout[] = [];
      let after: string | undefined;
      for (;;) {
        const page = await ctx.call('GET /v1/payouts', async () =>
          listAnswer<StripePayout>(await ctx.client.payouts.list({ limit: 100, created: { gte: listFrom(bm, since) }, ...(after ? { starting_after: after } : {}) }), 'GET /v1/payouts'),
        );
        for (const p of page.data) if (wanted(bm, since, p) && p.status !== 'failed' && p.status !== 'canceled') pending.push(p);
        if (!page.has_more || !page.data.length) break;
        after = page.data[page.data.length - 1]!.id;
      }
      // Stripe lists newest first: read the oldest payout first, so `done` grows in time order.
      for (const payout of pending.reverse()) {
        // The run's time box is over (Ctrl-C): the payouts read so far are saved; the next run goes on.
        if (ctx.stopping()) return;
        let token: string | undefined;
        for (;;) {
          const page = await ctx.call('GET /v1/balance_transactions', async () =>
            // The source charge comes along, so its payment can be re-emitted with the payout it went out in.
            listAnswer<StripeBalanceTransaction>(
              await ctx.client.balanceTransactions.list({ payout: payout.id, limit: 100, expand: ['data.source'], ...(token ? { starting_after: token } : {}) }),
              'GET /v1/balance_transactions',
            ),
          );
          const members = page.data.map((bt) => ({ payoutId: payout.id, bt }));
          await emit(members);
          if (!page.has_more || !page.data.length) break;
          token = page.data[page.data.length - 1]!.id;
        }
        // Stripe lists a payout's members completely only once its reconciliation has completed
        // (payout.reconciliation_completed): until then, read them again next run.
        const status = (payout as { reconciliation_status?: string }).reconciliation_status;
        if (status === undefined || status === 'completed' || status === 'not_applicable') bm.done[payout.id] = payout.created;
        await save();
      }
      bm.rescan = null;
      // Its range read: the stream's own position (since, and the cursor of its last complete listing) stays.
      if (rangeOnly) return save();
      bm.since = Math.max(since, sec(ctx.clock.now()) - 14 * 86_400);
      for (const [id, t] of Object.entries(bm.done)) if (t < bm.since) delete bm.done[id];
      await save(true);
    },
    async prepare(ctx, members) {
      const charges = members.flatMap((m) => chargeOf(m) ?? []);
      await savePayoutOf(ctx.state, members.flatMap((m) => (chargeOf(m) ? [{ chargeId: chargeOf(m)!.id, payoutId: m.payoutId }] : [])));
      return chargeLinks(ctx, charges);
    },
    toContract: (m, links) => {
      const charge = chargeOf(m);
      // The member row is the charge's own balance transaction: with it the payment keeps fee and net.
      const payment = charge ? chargeToPayment({ ...charge, balance_transaction: { ...m.bt, source: charge.id } }, links as ChargeLinkMaps) : [];
      return [...mapPayoutMember(m.bt, m.payoutId), ...payment];
    },
  });
}
