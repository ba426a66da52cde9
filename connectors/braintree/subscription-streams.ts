import type braintree from 'braintree';
import { defineStream, type StreamContext } from '../../core/engine/define.js';
import { toIsoTime } from './mappings.js';
import type { BraintreeSubscription } from './raw.js';
import { idsPager, recordsByIds, searchIds, SUBSCRIPTION_SEARCH, timeRange } from './search.js';
import { ENDED_STATUSES, mapSubscription, SUBSCRIPTION_STATUSES } from './subscription-mapping.js';

// How the regular gifts Braintree holds stay current. Its subscription search has no updated_at criterion (the SDK's
// SubscriptionSearch: created_at, status, plan, price, next billing date, ...), and a status change moves no time
// that can be searched. So two streams:
//   subscriptions          by created_at windows, like transactions: every subscription once, whatever its status
//                          (a search without `status` matches all five), so a backfill (--from, --full) reads the
//                          cancelled and expired ones of its range too.
//   subscription_statuses  the status changes after that: each run searches the ids of the subscriptions not yet
//                          ended (Active, Past Due, Pending: three id-only searches, no records), compares them
//                          with the ids and statuses the last run found, and reads by id only those that changed
//                          (ended: left the set; Active <-> Past Due) and the ended ones created since the last
//                          run less a day (ended before any run saw them open). Canceled and Expired are final,
//                          so only the open book is kept in state: a run's cost is its three id lists plus a page
//                          of 50 for each 50 changes, never every subscription.
// A webhook (subscription_canceled, _expired, _went_past_due, _went_active, _charged_*) has the subscription read
// again by id at once (webhook.ts); the sweep is what keeps the lake right without webhooks, or after a lost one.

type G = braintree.BraintreeGateway;
type Ctx = StreamContext<G>;
const DAY = 86_400_000;
const OPEN_STATUSES = Object.keys(SUBSCRIPTION_STATUSES).filter((s) => !ENDED_STATUSES.includes(s));
/** Ids a state chunk holds (state stores keep one value small: DynamoDB's item is at most 400 KB). */
const CHUNK = 2000;
const headerKey = 'braintree:open_subscriptions';
const chunkKey = (n: number) => `braintree:open_subscriptions:${n}`;
interface OpenHeader {
  at: string;
  chunks: number;
}

async function loadOpen(ctx: Ctx): Promise<{ at: string; open: Map<string, string> } | null> {
  const header = await ctx.state.get<OpenHeader>(headerKey);
  if (!header) return null;
  const chunks = await ctx.state.getMany<[string, string][]>(Array.from({ length: header.chunks }, (_, n) => chunkKey(n)));
  return { at: header.at, open: new Map([...chunks.values()].flat()) };
}

/** Saved after the changes are on the queue: a run that dies before reads them again, never skips them. */
async function saveOpen(ctx: Ctx, at: string, open: Map<string, string>): Promise<void> {
  const entries = [...open.entries()];
  const chunks = Math.ceil(entries.length / CHUNK);
  for (let n = 0; n < chunks; n++) await ctx.state.set(chunkKey(n), entries.slice(n * CHUNK, (n + 1) * CHUNK));
  await ctx.state.set(headerKey, { at, chunks } satisfies OpenHeader);
}

export function subscriptionStreams() {
  const subscriptions = defineStream<G, BraintreeSubscription>({
    name: 'subscriptions', contract: 'recurring_donation', primaryKey: (s) => s.id,
    cursor: (s) => new Date(toIsoTime(s.createdAt) ?? 0),
    windows: { sizeMs: 7 * DAY, lookbackMs: 60 * 60_000, lagMs: 60_000 },
    fetchPage: idsPager<BraintreeSubscription>((w) => ({ created_at: timeRange(w) }), 'by created_at', SUBSCRIPTION_SEARCH),
    // A webhook's prompt: the SDK's own find (GET subscriptions/{id}), through the engine's budget and retries.
    fetchById: async (ctx, id) => (await ctx.call('subscription.find', () => ctx.client.subscription.find(id))) as unknown as BraintreeSubscription,
    toContract: (s) => mapSubscription(s),
  });

  const subscriptionStatuses = defineStream<G, BraintreeSubscription>({
    name: 'subscription_statuses', contract: 'recurring_donation', primaryKey: (s) => s.id,
    async read(ctx, emit) {
      const now = ctx.clock.now();
      const saved = await loadOpen(ctx);
      const open = new Map<string, string>();
      let pageSize = 50;
      for (const status of OPEN_STATUSES) {
        const found = await searchIds(ctx, { status: [status] }, `by status ${status}`, SUBSCRIPTION_SEARCH);
        pageSize = found.pageSize;
        for (const id of found.ids) open.set(id, status);
      }
      const changed = new Set<string>();
      if (saved) {
        for (const [id, status] of saved.open) if (open.get(id) !== status) changed.add(id);
        for (const id of open.keys()) if (!saved.open.has(id)) changed.add(id);
      }
      // Ended before any run saw it open (made and cancelled between two runs, or since the subscriptions stream read it).
      const since = new Date((saved ? Date.parse(saved.at) : now.getTime()) - DAY);
      const ended = await searchIds(ctx, { status: ENDED_STATUSES, created_at: { min: since.toISOString() } }, 'ended lately', SUBSCRIPTION_SEARCH);
      for (const id of ended.ids) changed.add(id);
      const ids = [...changed];
      for (let i = 0; i < ids.length; i += pageSize) {
        await emit(await recordsByIds<BraintreeSubscription>(ctx, {}, ids.slice(i, i + pageSize), 'whose status changed', SUBSCRIPTION_SEARCH));
      }
      await saveOpen(ctx, now.toISOString(), open);
    },
    toContract: (s) => mapSubscription(s),
  });

  return [subscriptions, subscriptionStatuses];
}
