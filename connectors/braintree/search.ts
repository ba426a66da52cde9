import type braintree from 'braintree';
import type { Page, StreamContext, Window } from '../../core/engine/define.js';
import { RetriableError, WindowTooLargeError } from '../../core/errors.js';
import { checkApiError } from './client.js';
import type { BraintreeDispute, BraintreeTransaction } from './raw.js';

type Ctx = StreamContext<braintree.BraintreeGateway>;
type Criteria = Record<string, unknown>;
// The SDK's own HTTP client: its auth, headers and XML parsing, one request at a time, so that each
// request goes through the engine's budget and retries (the SDK's search stream would hide them).
type SdkHttp = { post(url: string, body: unknown): Promise<Record<string, unknown>> };
const http = (g: braintree.BraintreeGateway) => (g as unknown as { http: SdkHttp }).http;
const merchantPath = (g: braintree.BraintreeGateway) => (g as unknown as { config: { baseMerchantPath(): string } }).config.baseMerchantPath();

/** The gateway returns at most this many ids for one search, silently dropping the rest. */
export const MAX_SEARCH_RESULTS = 50_000;

/**
 * The answer must be the gateway's document for this call. A 200 that is not XML (a proxy's or a
 * firewall's HTML page) reaches us from the SDK as a bare string: read as "nothing found", it would move
 * the bookmark past a window that was never read.
 */
function gatewayAnswer(res: unknown, root: string, what: string): Record<string, unknown> {
  // A 422 first: the gateway's own refusal (too many results: split the window) says more than its shape.
  if (res !== null && typeof res === 'object') checkApiError(res as { apiErrorResponse?: never }, what);
  if (res === null || typeof res !== 'object' || !(root in res)) {
    throw new RetriableError(`braintree: the answer to ${what} is not a gateway ${root} document`);
  }
  return res as Record<string, unknown>;
}

const list = <T>(v: unknown): T[] => (v === undefined || v === null || v === '' ? [] : Array.isArray(v) ? (v as T[]) : [v as T]);

/** Range criteria for a half-open window: Braintree ranges are inclusive, to the second. */
export function timeRange(w: Window): { min: string; max: string } {
  const from = Math.floor(w.from.getTime() / 1000) * 1000;
  const to = Math.floor(w.to.getTime() / 1000) * 1000;
  return { min: new Date(from).toISOString(), max: new Date(to - 1).toISOString() };
}

/** Date criteria (disbursement, effective, settlement dates): every date the window touches. */
export function dateRange(w: Window): { min: string; max: string } {
  return { min: w.from.toISOString().slice(0, 10), max: new Date(w.to.getTime() - 1).toISOString().slice(0, 10) };
}

/** A resource searched in two steps (ids, then pages of records by id): where, and how its page answers. */
export interface IdSearch {
  /** The path under the merchant: `transactions`, `subscriptions`. */
  path: string;
  /** The page's root element and its items' (camelCased by the SDK). */
  root: string;
  item: string;
}

export const TRANSACTION_SEARCH: IdSearch = { path: 'transactions', root: 'creditCardTransactions', item: 'transaction' };
export const SUBSCRIPTION_SEARCH: IdSearch = { path: 'subscriptions', root: 'subscriptions', item: 'subscription' };

/** The first step: every id the search matches (the gateway's cap reached: split the window), and the page size. */
export async function searchIds(ctx: Ctx, criteria: Criteria, what: string, r: IdSearch = TRANSACTION_SEARCH): Promise<{ ids: string[]; pageSize: number }> {
  const g = ctx.client;
  // Checked inside the call, so that an answer that is not the gateway's is retried like a 5xx.
  const res = await ctx.call(`${r.path}/advanced_search_ids ${what}`, async () =>
    gatewayAnswer(await http(g).post(`${merchantPath(g)}/${r.path}/advanced_search_ids`, { search: criteria }), 'searchResults', `${r.item} search ${what}`),
  );
  const results = (res.searchResults ?? {}) as { ids?: unknown; pageSize?: number };
  const ids = list<string>(Array.isArray(results.ids) ? results.ids : (results.ids as { item?: unknown } | undefined)?.item);
  // The cap is silent: exactly the cap means there may be more. Split rather than lose any.
  if (ids.length >= MAX_SEARCH_RESULTS) throw new WindowTooLargeError(`braintree: ${what} reached the ${MAX_SEARCH_RESULTS}-result cap`);
  return { ids, pageSize: Math.max(1, Number(results.pageSize ?? 50)) };
}

/** The second step: the records of up to a page of ids, with the same criteria (one no longer matching is left out). */
export async function recordsByIds<T>(ctx: Ctx, criteria: Criteria, ids: string[], what: string, r: IdSearch = TRANSACTION_SEARCH): Promise<T[]> {
  const g = ctx.client;
  const res = await ctx.call(`${r.path}/advanced_search ${what}`, async () =>
    gatewayAnswer(await http(g).post(`${merchantPath(g)}/${r.path}/advanced_search`, { search: { ...criteria, ids } }), r.root, `${r.item} search ${what}`),
  );
  const found = list<T>((res[r.root] as Record<string, unknown> | undefined)?.[r.item]);
  if (found.length < ids.length) ctx.log(`fewer ${r.path} than ids asked for`, { search: what, asked: ids.length, found: found.length });
  return found;
}

/**
 * Paging for the two-step transaction search: the first page of a window searches ids (one call),
 * every page fetches up to page-size transactions by id; the page token is the offset into the ids.
 * The ids of the window in progress are kept in memory; a run that resumes mid-window searches
 * them again (a closed time window's ids do not change).
 */
export function transactionPager(criteriaFor: (w: Window) => Criteria, what: string) {
  return idsPager<BraintreeTransaction>(criteriaFor, what, TRANSACTION_SEARCH);
}

/** The same paging for any resource searched in two steps (subscriptions too). */
export function idsPager<T>(criteriaFor: (w: Window) => Criteria, what: string, r: IdSearch) {
  const cache = new Map<string, { ids: string[]; pageSize: number }>();
  return async (ctx: Ctx, req: { window: Window | null; token: string | null }): Promise<Page<T>> => {
    const w = req.window!;
    const key = `${w.from.toISOString()}|${w.to.toISOString()}`;
    const criteria = criteriaFor(w);
    let found = cache.get(key);
    if (!found) {
      found = await searchIds(ctx, criteria, what, r);
      cache.set(key, found);
    }
    const offset = req.token === null ? 0 : Number(req.token);
    const ids = found.ids.slice(offset, offset + found.pageSize);
    const records = ids.length ? await recordsByIds<T>(ctx, criteria, ids, what, r) : [];
    const end = offset + ids.length;
    if (end >= found.ids.length) cache.delete(key);
    return { records, next: end < found.ids.length ? String(end) : null };
  };
}

/** Every transaction a window's search finds, all pages in one go (for sweeps that aggregate a day). */
export async function allTransactions(ctx: Ctx, criteria: Criteria, what: string): Promise<BraintreeTransaction[]> {
  const { ids, pageSize } = await searchIds(ctx, criteria, what);
  const out: BraintreeTransaction[] = [];
  for (let i = 0; i < ids.length; i += pageSize) out.push(...(await recordsByIds<BraintreeTransaction>(ctx, criteria, ids.slice(i, i + pageSize), what)));
  return out;
}

/** Disputes are searched by page number (`/disputes/advanced_search?page=N`), not by ids. */
export function disputePager(criteriaFor: (w: Window) => Criteria) {
  return async (ctx: Ctx, req: { window: Window | null; token: string | null }): Promise<Page<BraintreeDispute>> => {
    const g = ctx.client;
    const page = req.token === null ? 1 : Number(req.token);
    const res = await ctx.call('disputes/advanced_search', async () =>
      gatewayAnswer(await http(g).post(`${merchantPath(g)}/disputes/advanced_search?page=${page}`, { search: criteriaFor(req.window!) }), 'disputes', 'dispute search'),
    );
    const d = (res.disputes ?? {}) as { totalItems?: number; pageSize?: number; dispute?: unknown };
    const records = list<BraintreeDispute>(d.dispute).filter((x) => x !== null);
    const total = Number(d.totalItems ?? 0);
    const size = Math.max(1, Number(d.pageSize ?? (records.length || 1)));
    return { records, next: page * size < total ? String(page + 1) : null };
  };
}

/** Every dispute a window's search finds, all pages in one go (for the disbursement sweep, which sums a day). */
export async function allDisputes(ctx: Ctx, window: Window, criteriaFor: (w: Window) => Criteria): Promise<BraintreeDispute[]> {
  const page = disputePager(criteriaFor);
  const out: BraintreeDispute[] = [];
  let token: string | null = null;
  do {
    const got: Page<BraintreeDispute> = await page(ctx, { window, token });
    out.push(...got.records);
    token = got.next;
  } while (token !== null);
  return out;
}

/**
 * One settlement date's batch summary records. Through the SDK's HTTP as the searches are, not its
 * `settlementBatchSummary.generate`: that sets `success` on whatever the answer parsed to, so a 200 that is not
 * the gateway's document (a proxy's page) failed the run with a TypeError quoting the page (which may name a
 * supporter), never retried. Here it is retried, then fails saying what it was not.
 */
export async function settlementSummary<R>(ctx: Ctx, date: string): Promise<R[]> {
  const g = ctx.client;
  const what = `settlement batch summary for ${date}`;
  const res = await ctx.call('settlement_batch_summary', async () =>
    gatewayAnswer(await http(g).post(`${merchantPath(g)}/settlement_batch_summary`, { settlementBatchSummary: { settlementDate: date } }), 'settlementBatchSummary', what),
  );
  const summary = res.settlementBatchSummary as { records?: unknown } | null;
  const records = summary !== null && typeof summary === 'object' ? summary.records : undefined;
  return list<R>(Array.isArray(records) ? records : (records as { record?: unknown } | undefined)?.record);
}
