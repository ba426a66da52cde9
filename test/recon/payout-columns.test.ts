// The payouts report's columns add up: gross + refunds + disputes + other - fees = net, each column one thing,
// over a Stripe payout with charge, refund and dispute items that carry fees (a dispute's 15.00 fee was once in
// both its net and the fees, so counted twice). Landed through the real queue, consumers, Parquet and DuckDB.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { makeEnvelope } from '../../core/envelope.js';
import type { Lake } from '../puddles/lake-fixture.js';
import { landReconLake } from './recon-lake.js';

let lake: Lake;
const env = (contract: string, payload: Record<string, unknown>) =>
  makeEnvelope({ contract, version: 1, source: 'test', stream: contract, payload, received_at: '2026-11-30T00:00:00.000Z', delivery_id: 'payout-columns' });
const item = (itemId: string, type: string, amount: number, fee: number | null, net: number | null, provider = 'stripe') =>
  env('payout_item', { payout_item_id: itemId, occurred_at: '2026-11-28T10:00:00Z', provider, payout_id: provider === 'stripe' ? 'po_S' : 'po_T', type, amount_minor: amount, fee_minor: fee, net_minor: net, currency: 'GBP' });
const payout = (id: string, amount: number, provider: string) =>
  env('payout', { payout_id: id, occurred_at: '2026-11-29T00:00:00Z', provider, status: 'paid', amount_minor: amount, currency: 'GBP', arrival_date: '2026-11-30', bank_reference: id.toUpperCase() });

beforeAll(async () => {
  const envelopes = [
    item('txn_c1', 'charge', 10000, 170, 9830),
    item('txn_c2', 'charge', 5000, 95, 4905),
    item('txn_r1', 'refund', -2000, 0, -2000),
    // Stripe's dispute adjustment: the disputed 30.00 and the 15.00 dispute fee, 45.00 out of the payout.
    item('txn_d1', 'adjustment', -3000, 1500, -4500),
    item('txn_o1', 'stripe_fee', -250, 0, -250),
    payout('po_S', 8235 - 250, 'stripe'),
    // Braintree items carry no fee: net is the amount.
    item('bt_1', 'sale', 4000, null, null, 'braintree'), item('bt_2', 'credit', -1000, null, null, 'braintree'),
    payout('po_T', 3000, 'braintree'),
  ];
  lake = await landReconLake({ envelopes, asOf: '2026-12-01' });
}, 120_000);

afterAll(async () => {
  await lake?.close();
});

const COLUMNS = 'payout_id, gross_minor, fees_minor, refunds_minor, disputes_minor, other_minor, net_minor, payout_minus_items_minor';

describe('the payouts report', () => {
  it('gives gross, fees, refunds, disputes and other each once, adding up to net', async () => {
    const heads = await lake.engine.query(`SELECT ${COLUMNS} FROM recon_payout WHERE row_kind = 'payout' ORDER BY payout_id`);
    expect(heads).toEqual([
      { payout_id: 'po_S', gross_minor: 15000, fees_minor: 1765, refunds_minor: -2000, disputes_minor: -3000, other_minor: -250, net_minor: 7985, payout_minus_items_minor: 0 },
      { payout_id: 'po_T', gross_minor: 4000, fees_minor: 0, refunds_minor: -1000, disputes_minor: 0, other_minor: 0, net_minor: 3000, payout_minus_items_minor: 0 },
    ]);
    const rows = await lake.engine.query(`SELECT row_kind, payout_item_id, ${COLUMNS} FROM recon_payout`);
    for (const r of rows) {
      const n = (k: string) => r[k] as number;
      expect(n('gross_minor') + n('refunds_minor') + n('disputes_minor') + n('other_minor') - n('fees_minor'), `${String(r.row_kind)} ${String(r.payout_item_id)}`).toBe(n('net_minor'));
    }
    const [dispute] = await lake.engine.query(`SELECT ${COLUMNS} FROM recon_payout WHERE payout_item_id = 'txn_d1'`);
    expect(dispute).toMatchObject({ fees_minor: 1500, disputes_minor: -3000, net_minor: -4500 });
  });
});
