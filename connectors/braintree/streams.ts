import type braintree from 'braintree';
import { defineStream, type StreamDef, type Window } from '../../core/engine/define.js';
import type { Mapped } from '../../core/engine/mapped.js';
import { RecordError } from '../../core/errors.js';
import { toMinorUnits } from '../../core/money.js';
import type { BraintreeMappingSettings } from './config.js';
import { disbursementDateOf, mapDispute, mapTransaction, payoutFromItems, payoutIdOf, PROVIDER, toDate, toIsoTime, type BraintreeMapOptions } from './mappings.js';
import type { BraintreeDispute, BraintreeTransaction } from './raw.js';
import { subscriptionStreams } from './subscription-streams.js';
import { allDisputes, allTransactions, dateRange, disputePager, settlementSummary, timeRange, transactionPager } from './search.js';

type G = braintree.BraintreeGateway;
const DAY = 86_400_000;
const createdAt = (t: BraintreeTransaction) => new Date(toIsoTime(t.createdAt) ?? 0);

/**
 * The searchable times of the status changes that end a transaction without settling it: a void (a sale
 * still in the batch is voided, not refunded), an expired authorization, a failure, an ACH return.
 */
export const STATUS_CHANGE_CRITERIA = ['voided_at', 'authorization_expired_at', 'failed_at', 'ach_return_responses_created_at'] as const;
const STATUS_CHANGES = new Set(['voided', 'authorization_expired', 'failed']);
/** When the transaction last changed to one of STATUS_CHANGES (an ACH return has no status event: updated_at). */
const statusChangedAt = (t: BraintreeTransaction) => {
  const events = (Array.isArray(t.statusHistory) ? t.statusHistory : []).filter((e) => STATUS_CHANGES.has(String(e?.status)));
  return new Date(toIsoTime(events.at(-1)?.timestamp) ?? toIsoTime(t.updatedAt) ?? 0);
};

export function braintreeStreams(config: BraintreeMappingSettings): StreamDef<G, never>[] {
  const opts: BraintreeMapOptions = config.donationIdField ? { donationIdField: config.donationIdField } : {};

  // New transactions (sales and refund credits), by creation time.
  const transactions = defineStream<G, BraintreeTransaction>({
    name: 'transactions', contract: 'payment', primaryKey: (t) => t.id!, cursor: createdAt,
    windows: { sizeMs: DAY, lookbackMs: 60 * 60_000, lagMs: 60_000 },
    fetchPage: transactionPager((w) => ({ created_at: timeRange(w) }), 'by created_at'),
    // A webhook's prompt: the SDK's own find, one request through the engine's budget and retries.
    fetchById: async (ctx, id) => (await ctx.call('transaction.find', () => ctx.client.transaction.find(id))) as unknown as BraintreeTransaction,
    toContract: (t) => mapTransaction(t, opts),
  });

  // Changes after creation: a transaction's updated_at is not searchable, but each status change has
  // its own searchable time. Settlement is the one that moves money (and sets settlement_batch_id).
  const settlements = defineStream<G, BraintreeTransaction>({
    name: 'settlements', contract: 'payment', primaryKey: (t) => t.id!,
    cursor: (t) => new Date(toIsoTime(t.statusHistory?.find((e) => e?.status === 'settled')?.timestamp) ?? toIsoTime(t.updatedAt) ?? 0),
    windows: { sizeMs: DAY, lookbackMs: 60 * 60_000, lagMs: 60_000 },
    fetchPage: transactionPager((w) => ({ settled_at: timeRange(w) }), 'by settled_at'),
    toContract: (t) => mapTransaction(t, opts),
  });

  // The other status changes after creation: without them a voided, expired or failed transaction would
  // stay submitted_for_settlement or authorized in the lake forever. One search per criterion, merged by id.
  const statusChanges = defineStream<G, BraintreeTransaction>({
    name: 'status_changes', contract: 'payment', primaryKey: (t) => t.id!,
    cursor: statusChangedAt,
    windows: { sizeMs: DAY, lookbackMs: 60 * 60_000, lagMs: 60_000 },
    async fetchPage(ctx, req) {
      const byId = new Map<string, BraintreeTransaction>();
      for (const field of STATUS_CHANGE_CRITERIA) {
        for (const tx of await allTransactions(ctx, { [field]: timeRange(req.window!) }, `by ${field}`)) byId.set(tx.id!, tx);
      }
      return { records: [...byId.values()], next: null };
    },
    toContract: (t) => mapTransaction(t, opts),
  });

  // Disbursement does not change updated_at or any status: sweep by disbursement date, a few days
  // back each run. A window's page is the whole day(s), so each day's payout is summed from all its items:
  // the transactions disbursed that day and the disputes whose chargeback (or win) the day's disbursement
  // withdrew (or returned), searched by the same disbursement date.
  type Swept = { tx: BraintreeTransaction } | { dispute: BraintreeDispute } | { payout: Mapped };
  const disbursements = defineStream<G, Swept>({
    name: 'disbursements', contract: 'payout_item',
    // Kinds prefixed: a dispute's id and a transaction's come from one alphabet.
    primaryKey: (s) => ('tx' in s ? s.tx.id! : 'dispute' in s ? `dispute:${s.dispute.id}` : String(s.payout.payload.payout_id)),
    cursor: (s) => ('tx' in s ? createdAt(s.tx) : 'dispute' in s ? new Date(toIsoTime(s.dispute.receivedDate) ?? 0) : new Date(String(s.payout.payload.occurred_at))),
    windows: { sizeMs: DAY, lookbackMs: 3 * DAY, lagMs: 0, alignMs: DAY },
    async fetchPage(ctx, req) {
      const w = req.window!;
      const txs = await allTransactions(ctx, { disbursement_date: dateRange(w) }, 'by disbursement_date');
      const disputed = await allDisputes(ctx, w, (x) => ({ disbursement_date: dateRange(x) }));
      // A transaction or dispute the mapping refuses goes to quarantine (through toContract below) and its
      // day's payout is withheld, since a sum without it would be wrong; it must never fail the page, or the
      // bookmark would stop here and no later day's payout would land.
      const items: Mapped[] = [];
      const incomplete = new Set<string>();
      for (const tx of txs) {
        try {
          items.push(...mapTransaction(tx, opts).filter((m) => m.contract === 'payout_item'));
        } catch {
          incomplete.add(String(payoutIdOf(tx.merchantAccountId, disbursementDateOf(tx))));
        }
      }
      // A dispute found by one of its days also moved money on another (withdrawn on one day, won back weeks
      // later): only this window's days are summed here, or the other day's payout would be summed again from
      // that one item.
      const { min, max } = dateRange(w);
      const inWindow = (m: Mapped) => m.contract === 'payout_item' && String(m.payload.occurred_at).slice(0, 10) >= min && String(m.payload.occurred_at).slice(0, 10) <= max;
      for (const d of disputed) {
        try {
          items.push(...mapDispute(d).filter(inWindow));
        } catch {
          for (const e of d.statusHistory ?? []) incomplete.add(String(payoutIdOf(d.merchantAccountId, toDate(e?.disbursementDate))));
        }
      }
      const days = new Set(items.map((m) => `${m.payload.payout_id}`));
      const payouts = [...days].flatMap((id) => {
        const [account, date] = [id.slice(0, id.lastIndexOf(':')), id.slice(id.lastIndexOf(':') + 1)];
        try {
          if (!incomplete.has(id)) return payoutFromItems(account, date, items);
        } catch {
          // an item without an amount: withheld like the above
        }
        ctx.log('payout withheld: a transaction of that day is in quarantine', { payout_id: id });
        return [];
      });
      return { records: [...txs.map((tx) => ({ tx })), ...disputed.map((dispute) => ({ dispute })), ...payouts.map((payout) => ({ payout }))], next: null };
    },
    toContract: (s) => ('tx' in s ? mapTransaction(s.tx, opts) : 'dispute' in s ? mapDispute(s.dispute) : [s.payout]),
    // A day's payout is summed from the whole page: one transaction mapped again alone cannot bring it back.
    remapsAlone: false,
  });

  // Disputes by effective date (not received date): a dispute's changes move its effective date.
  const disputes = defineStream<G, BraintreeDispute>({
    name: 'disputes', contract: 'dispute', primaryKey: (d) => d.id!,
    cursor: (d) => new Date(toIsoTime(d.receivedDate) ?? 0),
    windows: { sizeMs: 7 * DAY, lookbackMs: 3 * DAY, lagMs: 0, alignMs: DAY },
    fetchPage: disputePager((w: Window) => ({ effective_date: dateRange(w) })),
    fetchById: async (ctx, id) => (await ctx.call('dispute.find', () => ctx.client.dispute.find(id))) as unknown as BraintreeDispute,
    toContract: (d) => mapDispute(d),
  });

  // Settlement batch summaries per settlement date: the gateway's own control totals.
  type SummaryRecord = { date: string; cardType?: string; count?: string | number; merchantAccountId?: string; kind?: string; amountSettled?: string };
  const settlementSummaries = defineStream<G, SummaryRecord>({
    name: 'settlement_summaries', contract: 'settlement_summary',
    primaryKey: (r) => `${r.date}:${r.merchantAccountId}:${r.cardType}:${r.kind}`,
    cursor: (r) => new Date(`${r.date}T00:00:00Z`),
    windows: { sizeMs: DAY, lookbackMs: 2 * DAY, lagMs: 0, alignMs: DAY },
    async fetchPage(ctx, req) {
      const { min, max } = dateRange(req.window!);
      const records: SummaryRecord[] = [];
      for (let d = min; d <= max; d = new Date(Date.parse(`${d}T00:00:00Z`) + DAY).toISOString().slice(0, 10)) {
        const date = d;
        for (const r of await settlementSummary<SummaryRecord>(ctx, date)) records.push({ ...r, date });
      }
      return { records, next: null };
    },
    toContract: (r) => {
      const account = r.merchantAccountId ?? 'unknown';
      // Summaries carry no currency. With accounts listed, an unlisted one is not guessed (a JPY account
      // read as GBP would be 100x off): it goes to quarantine. With none listed, there is one currency.
      const listed = Object.keys(config.accountCurrencies).length > 0;
      const currency = config.accountCurrencies[account] ?? (listed ? null : config.defaultCurrency);
      if (currency === null) throw new RecordError(`merchant account ${account} is not in BRAINTREE_ACCOUNT_CURRENCIES: its currency is unknown`);
      return [
        {
          contract: 'settlement_summary', version: 1,
          payload: {
            settlement_summary_id: `${r.date}:${account}:${r.cardType}:${r.kind}`,
            occurred_at: `${r.date}T00:00:00.000Z`,
            updated_at: null,
            provider: PROVIDER,
            settlement_date: r.date,
            merchant_account: account,
            card_type: r.cardType ?? 'unknown',
            kind: r.kind ?? 'unknown',
            count: Number(r.count ?? 0),
            amount_minor: toMinorUnits(String(r.amountSettled ?? '0'), currency),
            currency,
          },
        },
      ];
    },
  });

  return [transactions, settlements, statusChanges, disbursements, disputes, settlementSummaries, ...subscriptionStreams()];
}
