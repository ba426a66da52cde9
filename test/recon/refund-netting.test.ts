// REFUND_NOT_NETTED on a small hand-made lake: every refund and every dispute that took money is netted on its
// own, by the payout item that names it, else by a payout item of its payment for minus its amount (one item
// each), so one netted refund no longer hides the others of the same payment. Landed through the real queue,
// consumers, Parquet and DuckDB.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { mapDispute } from '../../connectors/braintree/mappings.js';
import { makeEnvelope } from '../../core/envelope.js';
import { setReconParams } from '../../puddles/reports.js';
import { createLake, type Lake } from '../puddles/lake-fixture.js';

let lake: Lake;
const env = (contract: string, payload: Record<string, unknown>) =>
  makeEnvelope({ contract, version: 1, source: 'test', stream: contract, payload, received_at: '2026-11-20T00:00:00.000Z', delivery_id: 'refund-netting' });
const pay = (id: string, amount: number, currency = 'GBP') =>
  env('payment', { payment_id: id, occurred_at: '2026-11-10T12:00:05Z', provider: 'stripe', status: 'succeeded', amount_minor: amount, currency, available_on: '2026-11-10T12:00:00Z' });
const refund = (id: string, paymentId: string, amount: number, day: string, currency = 'GBP') =>
  env('refund', { refund_id: id, occurred_at: `${day}T10:00:00Z`, provider: 'stripe', payment_id: paymentId, status: 'succeeded', amount_minor: amount, currency });
const dispute = (id: string, paymentId: string, amount: number, status: string) =>
  env('dispute', { dispute_id: id, occurred_at: '2026-11-14T10:00:00Z', provider: 'stripe', payment_id: paymentId, status, amount_minor: amount, currency: 'GBP' });
const item = (payoutId: string, itemId: string, paymentId: string | null, type: string, amount: number, currency = 'GBP') =>
  env('payout_item', { payout_item_id: `${payoutId}:${itemId}`, occurred_at: '2026-11-15T10:00:00Z', provider: 'stripe', payout_id: payoutId, payment_id: paymentId, type, amount_minor: amount, net_minor: amount, fee_minor: 0, currency });

beforeAll(async () => {
  lake = await createLake();
  await lake.subscribeAll();
  await lake.queue.publish([
    // The tester's payment: 50.00, refunds of 10.00 and 15.00 and a lost dispute of 25.00; a payout item
    // naming the first refund takes back 10.00 only.
    pay('ch_h', 5000),
    refund('re_h1', 'ch_h', 1000, '2026-11-12'), refund('re_h2', 'ch_h', 1500, '2026-11-13'), dispute('dp_h', 'ch_h', 2500, 'lost'),
    item('po_I', 're_h1', 'ch_h', 'refund', -1000),
    // Two refunds of one amount, two items of that amount naming neither (Stripe's are balance transactions):
    // one each, so both are netted.
    pay('ch_k', 3000), refund('re_k1', 'ch_k', 1000, '2026-11-12'), refund('re_k2', 'ch_k', 1000, '2026-11-13'),
    item('po_J', 'txn_k1', 'ch_k', 'refund', -1000), item('po_K', 'txn_k2', 'ch_k', 'refund', -1000),
    // A euro gift refunded: the item takes it back in pounds, for another amount.
    pay('ch_e', 2000, 'EUR'), refund('re_e', 'ch_e', 2000, '2026-11-12', 'EUR'), item('po_J', 'txn_e', 'ch_e', 'refund', -1720),
    // A chargeback as Stripe lists it (an adjustment naming no payment); a won dispute; an inquiry.
    pay('ch_d', 3000), dispute('dp_d', 'ch_d', 3000, 'lost'), item('po_K', 'txn_d', null, 'adjustment', -3000),
    pay('ch_w', 800), dispute('dp_w', 'ch_w', 800, 'won'), dispute('dp_q', 'ch_w', 800, 'warning_closed'),
    // A Braintree chargeback, lost, mapped by the connector: its disbursement's item names it, so it is netted
    // (until 2026-12-03 Braintree disputes gave no item and each stayed here).
    env('payment', { payment_id: 'bt_p', occurred_at: '2026-11-10T12:00:05Z', provider: 'braintree', status: 'settled', amount_minor: 1200, currency: 'GBP' }),
    ...mapDispute({
      id: 'bt_d', amountDisputed: '12.00', currencyIsoCode: 'GBP', status: 'lost', receivedDate: '2026-11-13', merchantAccountId: 'charity_gbp', transaction: { id: 'bt_p' },
      statusHistory: [
        { status: 'open', timestamp: '2026-11-13T09:00:00Z', effectiveDate: '2026-11-13', disbursementDate: '2026-11-15' },
        { status: 'lost', timestamp: '2026-11-30T09:00:00Z', effectiveDate: '2026-11-30' },
      ],
    }).map((m) => env(m.contract, m.payload)),
    env('payout', { payout_id: 'charity_gbp:2026-11-15', occurred_at: '2026-11-15T00:00:00Z', provider: 'braintree', status: 'paid', amount_minor: -1200, currency: 'GBP', arrival_date: '2026-11-15' }),
    env('payout', { payout_id: 'po_I', occurred_at: '2026-11-15T10:00:00Z', provider: 'stripe', status: 'paid', amount_minor: -1000, currency: 'GBP', arrival_date: '2026-11-16' }),
    env('payout', { payout_id: 'po_J', occurred_at: '2026-11-15T10:00:00Z', provider: 'stripe', status: 'paid', amount_minor: -2720, currency: 'GBP', arrival_date: '2026-11-16' }),
    env('payout', { payout_id: 'po_K', occurred_at: '2026-11-15T10:00:00Z', provider: 'stripe', status: 'paid', amount_minor: -4000, currency: 'GBP', arrival_date: '2026-11-16' }),
  ]);
  await lake.consumer('transactions').drain();
  await setReconParams(lake.engine, { as_of: '2026-12-20' });
}, 60_000);

afterAll(async () => {
  await lake?.close();
});

describe('refunds and disputes netted one by one', () => {
  it('finds each refund or dispute no payout item takes back, beside one that is', async () => {
    const rows = await lake.engine.query(`SELECT object_kind, object_id, amount_minor, payment_id, reason FROM recon_breaks WHERE break_type = 'REFUND_NOT_NETTED' ORDER BY object_id`);
    expect(rows).toEqual([
      { object_kind: 'dispute', object_id: 'dp_h', amount_minor: -2500, payment_id: 'ch_h', reason: 'dispute lost; no payout takes it back 10 days on' },
      { object_kind: 'refund', object_id: 're_h2', amount_minor: -1500, payment_id: 'ch_h', reason: 'refund succeeded; no payout takes it back 10 days on' },
    ]);
    // The Braintree disbursement that withdrew the chargeback adds up to its item.
    expect(await lake.engine.query(`SELECT break_type FROM recon_breaks WHERE payout_id = 'charity_gbp:2026-11-15' AND break_type = 'PAYOUT_ITEMS_MISMATCH'`)).toEqual([]);
  });

  it('lets one item take back one refund only', async () => {
    await lake.queue.publish([refund('re_k3', 'ch_k', 1000, '2026-11-14')]);
    await lake.consumer('transactions').drain();
    const rows = await lake.engine.query(`SELECT object_id FROM recon_breaks WHERE break_type = 'REFUND_NOT_NETTED' AND payment_id = 'ch_k'`);
    expect(rows).toEqual([{ object_id: 're_k3' }]);
  });
});
