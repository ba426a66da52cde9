// `puddle report balance` (recon_provider_balance): at a month end, the money still at each provider and the payouts
// on their way to the bank. A payout made on 30 November that arrives on 1 December is in transit as of the 30th (until
// 2026-12-07 `report payouts --as-of 2026-11-30` showed it `paid`, and nothing said where its money was), and no
// longer once its bank line is booked; a refund no payout has taken back yet lowers the balance; a failed payout's
// money is back at the provider; Braintree sends no fee per charge, so its balance is gross (a treasurer's user test, M6).
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { makeEnvelope } from '../../core/envelope.js';
import { reportWithUnitsSql } from '../../puddles/report-units.js';
import { setReconParams } from '../../puddles/reports.js';
import type { Lake } from '../puddles/lake-fixture.js';
import { docSql } from '../support/doc-sql.js';
import { landReconLake } from './recon-lake.js';

let lake: Lake;
let seq = 0;
const env = (contract: string, payload: Record<string, unknown>) =>
  makeEnvelope({ contract, version: 1, source: 'test', stream: contract, payload, received_at: '2026-12-20T00:00:00.000Z', delivery_id: `bal-${seq++}` });
const charge = (id: string, at: string, amount: number, fee: number | null, provider = 'stripe', status = 'succeeded') =>
  env('payment', { payment_id: id, occurred_at: at, provider, status, amount_minor: amount, currency: 'GBP', ...(fee === null ? {} : { fee_minor: fee, net_minor: amount - fee }) });
const payout = (id: string, at: string, amount: number, arrival: string, status = 'paid') =>
  env('payout', { payout_id: id, occurred_at: at, provider: 'stripe', status, amount_minor: amount, currency: 'GBP', arrival_date: arrival, bank_reference: `STRIPE ${id.toUpperCase()}` });
const item = (payoutId: string, paymentId: string, at: string, amount: number, fee: number) =>
  env('payout_item', { payout_item_id: `${payoutId}:${paymentId}`, occurred_at: at, provider: 'stripe', payout_id: payoutId, payment_id: paymentId, type: 'charge', amount_minor: amount, fee_minor: fee, net_minor: amount - fee, currency: 'GBP' });

beforeAll(async () => {
  lake = await landReconLake({
    envelopes: [
      // Paid out on the 30th, arriving on 1 December, booked that day.
      charge('ch_a', '2026-11-29T10:00:00Z', 3000, 65), item('po_a', 'ch_a', '2026-11-29T10:00:00Z', 3000, 65),
      payout('po_a', '2026-11-30T00:00:00Z', 2935, '2026-12-01'),
      env('bank_line', { bank_line_id: 'bl_a', occurred_at: '2026-12-01T00:00:00Z', account: 'acc', amount_minor: 2935, currency: 'GBP', reference: 'STRIPE PO_A', booking_date: '2026-12-01' }),
      // A payout that failed: its money is back at Stripe, not paid out.
      charge('ch_b', '2026-11-28T10:00:00Z', 1000, 35), item('po_b', 'ch_b', '2026-11-28T10:00:00Z', 1000, 35),
      payout('po_b', '2026-11-29T00:00:00Z', 965, '2026-11-30', 'failed'),
      // On 3 December a later payout carries po_b's money back (Stripe's payout_failure item names it).
      env('payout_item', { payout_item_id: 'po_c:po_b', occurred_at: '2026-12-03T00:00:00Z', provider: 'stripe', payout_id: 'po_c', payment_id: 'po_b', type: 'payout_failure', amount_minor: 965, fee_minor: 0, net_minor: 965, currency: 'GBP' }),
      payout('po_c', '2026-12-03T00:00:00Z', 965, '2026-12-04'),
      // A declined card moves nothing.
      charge('ch_declined', '2026-11-29T11:00:00Z', 5000, null, 'stripe', 'failed'),
      // Refunded on 2 December; no payout has taken it back.
      env('refund', { refund_id: 're_a', occurred_at: '2026-12-02T09:00:00Z', provider: 'stripe', payment_id: 'ch_a', status: 'succeeded', amount_minor: 1000, currency: 'GBP' }),
      // A Braintree sale, not disbursed yet, with no fee of its own.
      charge('bt_1', '2026-11-29T12:00:00Z', 2000, null, 'braintree', 'settled'),
    ],
    asOf: '2026-11-30',
  });
}, 120_000);

afterAll(async () => {
  await lake?.close();
});

const COLUMNS = 'row_kind, provider, payout_id, status, arrival_date, days_to_arrival, charge_count, charges_without_fee, charges_minor, fees_minor, refunds_minor, paid_out_minor, balance_minor, in_transit_payouts, in_transit_minor, not_banked_minor, payout_amount_minor';
async function balance(asOf: string) {
  await setReconParams(lake.engine, { as_of: asOf });
  const rows = await lake.engine.query(`SELECT ${COLUMNS} FROM recon_provider_balance ORDER BY provider, row_kind DESC, payout_id`);
  return rows.map((r): Record<string, unknown> => ({ ...r, arrival_date: r.arrival_date === null ? null : String(r.arrival_date) }));
}

describe('money at the providers and in transit', () => {
  it('as of 30 November: the payout arriving on 1 December is in transit, the failed one is back at Stripe', async () => {
    expect(await balance('2026-11-30')).toEqual([
      { row_kind: 'provider', provider: 'braintree', payout_id: null, status: null, arrival_date: null, days_to_arrival: null, charge_count: 1, charges_without_fee: 1, charges_minor: 2000, fees_minor: 0, refunds_minor: 0, paid_out_minor: 0, balance_minor: 2000, in_transit_payouts: 0, in_transit_minor: 0, not_banked_minor: 2000, payout_amount_minor: null },
      // 3000 + 1000 charged, 100 in fees, 2935 paid out: 965 (po_b's money) still at Stripe, 2935 on its way.
      { row_kind: 'provider', provider: 'stripe', payout_id: null, status: null, arrival_date: null, days_to_arrival: null, charge_count: 2, charges_without_fee: 0, charges_minor: 4000, fees_minor: 100, refunds_minor: 0, paid_out_minor: 2935, balance_minor: 965, in_transit_payouts: 1, in_transit_minor: 2935, not_banked_minor: 3900, payout_amount_minor: null },
      { row_kind: 'payout', provider: 'stripe', payout_id: 'po_a', status: 'paid', arrival_date: '2026-12-01', days_to_arrival: 1, charge_count: null, charges_without_fee: null, charges_minor: null, fees_minor: null, refunds_minor: null, paid_out_minor: null, balance_minor: null, in_transit_payouts: null, in_transit_minor: null, not_banked_minor: null, payout_amount_minor: 2935 },
    ]);
  });

  it('as of 1 December: the payout is booked, so nothing is in transit', async () => {
    const rows = await balance('2026-12-01');
    expect(rows.filter((r) => r.row_kind === 'payout')).toEqual([]);
    expect(rows.find((r) => r.provider === 'stripe')).toMatchObject({ balance_minor: 965, in_transit_payouts: 0, in_transit_minor: 0, not_banked_minor: 965 });
  });

  it('as of 2 December: the refund no payout has taken back lowers the balance', async () => {
    const rows = await balance('2026-12-02');
    expect(rows.find((r) => r.provider === 'stripe')).toMatchObject({ refunds_minor: 1000, balance_minor: -35, in_transit_minor: 0, not_banked_minor: -35 });
  });

  it('is `puddle report balance`, each amount in units beside its minor units', async () => {
    await setReconParams(lake.engine, { as_of: '2026-11-30' });
    const rows = await lake.engine.query(await reportWithUnitsSql(lake.engine, 'balance', {}, { asText: true }));
    expect(rows.map((r) => [r.row_kind, r.provider, r.payout_id, r.balance, r.in_transit, r.not_banked, r.payout_amount])).toEqual([
      ['provider', 'braintree', null, '20.00', '0.00', '20.00', null],
      ['provider', 'stripe', null, '9.65', '29.35', '39.00', null],
      ['payout', 'stripe', 'po_a', null, null, null, '29.35'],
    ]);
  });

  it("lists the charges still at the provider with the docs' query", async () => {
    const sql = docSql('reconciliation.md', '### Month end: money at the providers and in transit');
    const held = async (asOf: string) => {
      await setReconParams(lake.engine, { as_of: asOf });
      return (await lake.engine.query(sql)).map((r) => [r.provider, r.payment_id, String(r.charged_on), r.payout_id, r.payout_status]);
    };
    // As of the 29th po_a was not made yet; its charge was still at Stripe.
    expect(await held('2026-11-29')).toEqual([
      ['braintree', 'bt_1', '2026-11-29', null, null],
      ['stripe', 'ch_b', '2026-11-28', 'po_b', 'failed'],
      ['stripe', 'ch_a', '2026-11-29', null, null],
    ]);
    expect(await held('2026-11-30')).toEqual([
      ['braintree', 'bt_1', '2026-11-29', null, null],
      ['stripe', 'ch_b', '2026-11-28', 'po_b', 'failed'],
    ]);
    // Once po_c has carried po_b's money (its PAYOUT_FAILED break closes), ch_b is no longer at Stripe.
    expect(await held('2026-12-03')).toEqual([['braintree', 'bt_1', '2026-11-29', null, null]]);
  });
});
