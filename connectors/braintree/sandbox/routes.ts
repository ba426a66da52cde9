import { SEARCH_INVALID, notFound, tooManyResults, validationFailed } from './api-errors.js';
import { searchDisputes } from './dispute-search.js';
import type { Ledger } from './ledger.js';
import { disputeXml, transactionXml } from './objects-xml.js';
import { SearchCriteriaError } from './search-criteria.js';
import { searchSubscriptions } from './subscription-search.js';
import { cancelSubscription, subscriptionXml } from './subscriptions.js';
import { batchSummary } from './settlement.js';
import { searchTransactions } from './transaction-search.js';
import { canVoid, voidSale } from './void.js';
import { array, collectionDocument, document } from './xml.js';

export interface RouteContext {
  ledger: Ledger;
  pageSize: number;
  disputePageSize: number;
  maxSearchResults: number;
  onTooManyResults: 'error' | 'truncate';
  /** Custom field names the merchant has defined (settlement summaries may group by them). */
  customFields: ReadonlySet<string>;
  /** The sandbox clock in ms, for changes made through the API (a void). */
  now: () => number;
}

/** One request under /merchants/{id}: the XML answer, null for an unknown route, or a thrown BraintreeApiError. */
export function route(ctx: RouteContext, method: string, path: string, query: URLSearchParams, body: unknown): string | null {
  const parts = path.split('/').filter(Boolean);
  const [resource, action, extra] = parts;
  if (method === 'PUT' && resource === 'transactions' && action && extra === 'void' && parts.length === 3) return voidTransaction(ctx, action);
  if (method === 'PUT' && resource === 'subscriptions' && action && extra === 'cancel' && parts.length === 3) return cancel(ctx, action);
  if (extra !== undefined) return null;
  if (method === 'POST' && resource === 'transactions' && action === 'advanced_search_ids') return searchIds(ctx, capped(ctx, () => searchTransactions(ctx.ledger, criteria(body))));
  if (method === 'POST' && resource === 'transactions' && action === 'advanced_search') return searchPage(ctx, body);
  if (method === 'POST' && resource === 'subscriptions' && action === 'advanced_search_ids') return searchIds(ctx, capped(ctx, () => searchSubscriptions(ctx.ledger, criteria(body))));
  if (method === 'POST' && resource === 'subscriptions' && action === 'advanced_search') {
    const subs = searching(() => searchSubscriptions(ctx.ledger, criteria(body)));
    const header = { current_page_number: 1, page_size: ctx.pageSize, total_items: subs.length };
    return collectionDocument('subscriptions', header, 'subscription', subs.map((s) => subscriptionXml(s, ctx.ledger)));
  }
  if (method === 'GET' && resource === 'subscriptions' && action) {
    const sub = ctx.ledger.subscriptionsById.get(decodeURIComponent(action));
    if (!sub) throw notFound();
    return document('subscription', subscriptionXml(sub, ctx.ledger));
  }
  if (method === 'GET' && resource === 'transactions' && action) {
    const tx = ctx.ledger.byId.get(decodeURIComponent(action));
    if (!tx) throw notFound();
    return document('transaction', transactionXml(tx, ctx.ledger));
  }
  if (method === 'POST' && resource === 'settlement_batch_summary' && !action) return settlementSummary(ctx, body);
  if (method === 'POST' && resource === 'disputes' && action === 'advanced_search') return disputePage(ctx, body, query);
  if (method === 'GET' && resource === 'disputes' && action) {
    const dispute = ctx.ledger.disputesById.get(decodeURIComponent(action));
    if (!dispute) throw notFound();
    return document('dispute', disputeXml(dispute));
  }
  return null;
}

/** `gateway.transaction.void(id)`: the voided transaction, or the gateway's 91504 when it cannot be voided. */
function voidTransaction(ctx: RouteContext, id: string): string {
  const tx = ctx.ledger.byId.get(decodeURIComponent(id));
  if (!tx) throw notFound();
  if (!canVoid(tx)) {
    const message = 'Transaction can only be voided if status is authorized, submitted_for_settlement, or - for PayPal - settlement_pending.';
    throw validationFailed('transaction', [{ attribute: 'base', code: '91504', message }]);
  }
  return document('transaction', transactionXml(voidSale(ctx.ledger, tx, ctx.now()), ctx.ledger));
}

function criteria(body: unknown): unknown {
  return typeof body === 'object' && body !== null ? (body as { search?: unknown }).search : undefined;
}

/** Search errors become the gateway's 422 under `search`. */
function searching<T>(run: () => T): T {
  try {
    return run();
  } catch (err) {
    if (err instanceof SearchCriteriaError) throw validationFailed('search', [{ attribute: err.attribute, code: SEARCH_INVALID, message: err.message }]);
    throw err;
  }
}

/** What a search matched, capped as the gateway caps it. */
function capped<T>(ctx: RouteContext, search: () => T[]): T[] {
  const all = searching(search);
  if (all.length <= ctx.maxSearchResults) return all;
  if (ctx.onTooManyResults === 'error') throw tooManyResults(all.length, ctx.maxSearchResults);
  return all.slice(0, ctx.maxSearchResults);
}

/** The first step of a search (transactions or subscriptions): the ids and the page size. */
function searchIds(ctx: RouteContext, matched: readonly { id: string }[]): string {
  return document('search_results', { page_size: ctx.pageSize, ids: array('item', matched.map((t) => t.id)) });
}

/** `gateway.subscription.cancel(id)`: the cancelled subscription, or the gateway's 81905 when it has ended. */
function cancel(ctx: RouteContext, id: string): string {
  const sub = ctx.ledger.subscriptionsById.get(decodeURIComponent(id));
  if (!sub) throw notFound();
  if (sub.status === 'Canceled' || sub.status === 'Expired') {
    throw validationFailed('subscription', [{ attribute: 'status', code: '81905', message: 'Subscription has already been canceled.' }]);
  }
  return document('subscription', subscriptionXml(cancelSubscription(ctx.ledger, sub, ctx.now(), 'api'), ctx.ledger));
}

/**
 * The second step: the SDK sends the same criteria plus up to page-size `ids`. A transaction that no
 * longer matches (it settled in between, say) is left out, as on the gateway.
 */
function searchPage(ctx: RouteContext, body: unknown): string {
  const found = searching(() => searchTransactions(ctx.ledger, criteria(body)));
  return collectionDocument(
    'credit_card_transactions',
    { current_page_number: 1, page_size: ctx.pageSize, total_items: found.length },
    'transaction',
    found.map((t) => transactionXml(t, ctx.ledger)),
  );
}

function disputePage(ctx: RouteContext, body: unknown, query: URLSearchParams): string {
  const found = searching(() => searchDisputes(ctx.ledger, criteria(body)));
  const requested = Number(query.get('page') ?? '1');
  const page = Number.isInteger(requested) && requested >= 1 ? requested : 1;
  const size = ctx.disputePageSize;
  const items = found.slice((page - 1) * size, page * size);
  return collectionDocument(
    'disputes',
    { current_page_number: page, page_size: size, total_items: found.length },
    'dispute',
    items.map(disputeXml),
  );
}

function settlementSummary(ctx: RouteContext, body: unknown): string {
  const params = (typeof body === 'object' && body !== null ? (body as { settlement_batch_summary?: unknown }).settlement_batch_summary : undefined) ?? {};
  const { settlement_date: day, group_by_custom_field: field } = params as { settlement_date?: unknown; group_by_custom_field?: unknown };
  // Codes 82301-82303 are the gateway's own (validation_error_codes.js, SettlementBatchSummary).
  if (day === undefined || day === null || day === '') {
    throw validationFailed('settlement_batch_summary', [{ attribute: 'settlement_date', code: '82301', message: 'Settlement Date is required' }]);
  }
  const date = typeof day === 'string' ? normaliseDate(day) : null;
  if (!date) throw validationFailed('settlement_batch_summary', [{ attribute: 'settlement_date', code: '82302', message: 'Settlement Date is invalid' }]);
  if (field !== undefined && (typeof field !== 'string' || !ctx.customFields.has(field))) {
    throw validationFailed('settlement_batch_summary', [{ attribute: 'group_by_custom_field', code: '82303', message: 'Custom Field is invalid' }]);
  }
  const records = batchSummary(ctx.ledger, date, field as string | undefined);
  return document('settlement_batch_summary', { records: array('record', records) });
}

/** "2026-11-28" or "11/28/2026" (both accepted by the gateway) -> ISO date. */
function normaliseDate(text: string): string | null {
  const iso = /^(\d{4})-(\d{2})-(\d{2})$/.exec(text);
  const us = /^(\d{1,2})\/(\d{1,2})\/(\d{4})$/.exec(text);
  const [y, m, d] = iso ? [iso[1], iso[2], iso[3]] : us ? [us[3], us[1], us[2]] : [];
  if (!y || !m || !d) return null;
  const ms = Date.UTC(Number(y), Number(m) - 1, Number(d));
  const out = new Date(ms).toISOString().slice(0, 10);
  return out === `${y}-${m.padStart(2, '0')}-${d.padStart(2, '0')}` ? out : null;
}
