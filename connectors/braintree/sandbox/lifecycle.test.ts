import type braintree from 'braintree';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startBraintreeSandbox } from './start-braintree-sandbox.js';
import { movableClock, sandboxGateway, searchDisputes, searchTransactions } from './test-gateway.js';
import type { BraintreeSandbox } from './types.js';

const NIGHT = { from: new Date('2026-11-27T00:00:00Z'), to: new Date('2026-11-28T00:00:00Z') };

describe('braintree sandbox: settlement, disbursement, refunds and disputes as the clock moves', () => {
  const clock = movableClock(new Date('2026-11-27T23:30:00Z'));
  let sandbox: BraintreeSandbox;
  let gateway: braintree.BraintreeGateway;
  const night = () => searchTransactions(gateway, (s) => s.createdAt().between(NIGHT.from, NIGHT.to));
  const updatedBeforeDisbursement = new Map<string, string>();

  beforeAll(async () => {
    sandbox = await startBraintreeSandbox({ scenario: { seed: 21, donations: 300 }, now: clock.now, pageSize: 20 });
    gateway = sandboxGateway(sandbox);
  });
  afterAll(() => sandbox.close());

  it('holds the night\'s sales as submitted_for_settlement (or declined) before the batch runs', async () => {
    const txs = await night();
    expect(txs.length).toBeGreaterThan(30);
    expect(new Set(txs.map((t) => t.status))).toEqual(new Set(['submitted_for_settlement', 'processor_declined']));
    expect(txs.every((t) => t.settlementBatchId === null && t.updatedAt === t.createdAt)).toBe(true);
    expect(sandbox.data.disbursements).toEqual([]);
  });

  it('settles them at 02:00 UTC the next day once the clock passes it, bumping updated_at', async () => {
    clock.set(new Date('2026-11-28T03:00:00Z'));
    const settled = await searchTransactions(gateway, (s) => s.settledAt().between(new Date('2026-11-28T00:00:00Z'), new Date('2026-11-28T23:59:59Z')));
    const approved = (await night()).filter((t) => t.status !== 'processor_declined');
    expect(settled.map((t) => t.id).sort()).toEqual(approved.map((t) => t.id).sort());
    for (const t of settled) {
      expect(t.status).toBe('settled');
      expect(t.settlementBatchId).toBe('2026-11-28_puddle_gbp');
      expect(t.updatedAt).toBe('2026-11-28T02:00:00Z');
      expect(t.statusHistory!.at(-1)).toMatchObject({ status: 'settled', timestamp: '2026-11-28T02:00:00Z' });
      expect(t.disbursementDetails?.disbursementDate).toBeNull();
      updatedBeforeDisbursement.set(t.id, t.updatedAt);
    }
    expect(sandbox.data.settlementBatches).toEqual([expect.objectContaining({ id: '2026-11-28_puddle_gbp', settlement_date: '2026-11-28' })]);
  });

  it('sums the settlement batch summary by card type and kind', async () => {
    const result = await gateway.settlementBatchSummary.generate({ settlementDate: '2026-11-28' });
    const records = (result as unknown as { settlementBatchSummary: { records: { cardType: string; count: string; kind: string; amountSettled: string; merchantAccountId: string }[] } })
      .settlementBatchSummary.records;
    const settled = sandbox.data.transactions.filter((t) => t.settlement_batch_id === '2026-11-28_puddle_gbp');
    expect(records.reduce((n, r) => n + Number(r.count), 0)).toBe(settled.length);
    for (const r of records) {
      const group = settled.filter((t) => t.card_type === r.cardType && t.type === r.kind);
      const minor = group.reduce((sum, t) => sum + t.amount_minor, 0);
      expect(r.merchantAccountId).toBe('puddle_gbp');
      expect(r.amountSettled).toBe((minor / 100).toFixed(2));
      expect(Number(r.count)).toBe(group.length);
    }
    const byDonation = await gateway.settlementBatchSummary.generate({ settlementDate: '2026-11-28', groupByCustomField: 'donation_id' });
    const rows = (byDonation as unknown as { settlementBatchSummary: { records: Record<string, string>[] } }).settlementBatchSummary.records;
    expect(rows).toHaveLength(settled.length);
    expect(rows.every((r) => typeof r.donation_id === 'string' && r.donation_id.startsWith('don_'))).toBe(true);
    const empty = (await gateway.settlementBatchSummary.generate({ settlementDate: '2026-12-25' })) as unknown as { success: boolean; settlementBatchSummary: { records: unknown[] } };
    expect(empty).toMatchObject({ success: true, settlementBatchSummary: { records: [] } });
  });

  it('refuses an invalid settlement date with the gateway\'s 82302', async () => {
    const result = (await gateway.settlementBatchSummary.generate({ settlementDate: '2026-13-45' })) as unknown as {
      success: boolean;
      errors: { deepErrors(): { code: string; attribute: string }[] };
    };
    expect(result.success).toBe(false);
    expect(result.errors.deepErrors()).toEqual([expect.objectContaining({ code: '82302', attribute: 'settlement_date' })]);
  });

  it('disburses two days after settlement without touching updated_at, findable by disbursement_date', async () => {
    clock.set(new Date('2026-11-30T06:00:00Z'));
    const disbursed = await searchTransactions(gateway, (s) => s.disbursementDate().between('2026-11-30', '2026-11-30'));
    expect(disbursed.map((t) => t.id).sort()).toEqual([...updatedBeforeDisbursement.keys()].sort());
    for (const t of disbursed) {
      expect(t.updatedAt).toBe(updatedBeforeDisbursement.get(t.id));
      expect(t.disbursementDetails).toMatchObject({
        disbursementDate: '2026-11-30',
        settlementAmount: t.amount,
        settlementCurrencyIsoCode: 'GBP',
        settlementCurrencyExchangeRate: '1',
        fundsHeld: false,
        success: true,
      });
      // The SDK's own check (missing from the typings).
      expect((t as unknown as { isDisbursed(): boolean }).isDisbursed()).toBe(true);
    }
    const [disbursement] = sandbox.data.disbursements;
    const total = sandbox.data.transactions.filter((t) => updatedBeforeDisbursement.has(t.id)).reduce((sum, t) => sum + t.amount_minor, 0);
    expect(sandbox.data.disbursements).toHaveLength(1);
    expect(disbursement).toMatchObject({ merchant_account_id: 'puddle_gbp', disbursement_date: '2026-11-30', amount_minor: total, disbursement_type: 'credit' });
    expect(sandbox.bankLines).toEqual([
      expect.objectContaining({ amount_minor: total, currency: 'GBP', reference: 'BRAINTREE 2026-11-30', booking_date: '2026-11-30', account: 'charity-current' }),
    ]);
  });

  it('refunds a settled sale as a credit transaction linked both ways', async () => {
    const sale = sandbox.data.transactions.find((t) => t.type === 'sale' && t.status === 'settled' && t.amount_minor >= 1000)!;
    const credit = sandbox.refund(sale.id, 500);
    expect(credit).toMatchObject({ type: 'credit', status: 'submitted_for_settlement', amount: '5.00', refunded_transaction_id: sale.id, order_id: sale.order_id });
    const original = await gateway.transaction.find(sale.id);
    expect(original.refundIds).toEqual([credit.id]);
    expect(original.updatedAt).toBe('2026-11-30T06:00:00Z');
    const refunds = await searchTransactions(gateway, (s) => s.refund().is(true));
    expect(refunds.map((t) => t.id)).toEqual([credit.id]);
    expect(refunds[0]!.refundedTransactionId).toBe(sale.id);
    expect(() => sandbox.refund(sale.id, sale.amount_minor)).toThrow(/exceeds/);
  });

  it('opens a dispute findable by received and effective date; the sale keeps its updated_at', async () => {
    const sale = sandbox.data.transactions.find((t) => t.type === 'sale' && t.status === 'settled' && t.refund_ids.length === 0)!;
    const before = sale.updated_at;
    const dispute = sandbox.openDispute(sale.id);
    expect(dispute).toMatchObject({ status: 'open', kind: 'chargeback', amount_disputed: sale.amount, received_date: '2026-11-30' });
    const byReceived = await searchDisputes(gateway, (s) => s.receivedDate().between('2026-11-30', '2026-11-30'));
    const byEffective = await searchDisputes(gateway, (s) => s.effectiveDate().between('2026-11-29', '2026-12-01'));
    const none = await searchDisputes(gateway, (s) => s.receivedDate().between('2026-11-01', '2026-11-29'));
    expect(byReceived.map((d) => d.id)).toEqual([dispute.id]);
    expect(byEffective.map((d) => d.id)).toEqual([dispute.id]);
    expect(none).toEqual([]);
    expect(byReceived[0]).toMatchObject({ amount: sale.amount, status: 'open', reason: 'fraud', transaction: { id: sale.id } });
    const tx = await gateway.transaction.find(sale.id);
    expect(tx.updatedAt).toBe(before);
    expect(tx.disputes!.map((d) => d.id)).toEqual([dispute.id]);
    const byDisputeDate = await searchTransactions(gateway, (s) => s.disputeDate().between('2026-11-30', '2026-11-30'));
    expect(byDisputeDate.map((t) => t.id)).toEqual([sale.id]);
  });

  it('nets the refund and the chargeback in the next disbursement (a debit) and its bank line', () => {
    const made = sandbox.disburse(new Date('2026-12-03T00:00:00Z'));
    const credit = sandbox.data.transactions.find((t) => t.type === 'credit')!;
    const dispute = sandbox.data.disputes[0]!;
    // Both the credit (settled 12-01 02:00) and the chargeback (effective 11-30) go out on 12-02 or 12-03.
    const net = made.reduce((sum, d) => sum + d.amount_minor, 0);
    expect(net).toBe(-(credit.amount_minor + dispute.amount_minor));
    expect(made.every((d) => d.disbursement_type === 'debit')).toBe(true);
    expect(dispute.status_history[0]!.disbursement_date).not.toBeNull();
    expect(credit.disbursement_details?.disbursement_date).toBe('2026-12-03');
    expect(sandbox.bankLines.slice(1).reduce((sum, l) => sum + l.amount_minor, 0)).toBe(net);
    const keys = sandbox.data.disbursements.map((d) => `${d.merchant_account_id}|${d.disbursement_date}`);
    expect(new Set(keys).size).toBe(keys.length);
  });
});
