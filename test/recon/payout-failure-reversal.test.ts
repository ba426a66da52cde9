// A failed Stripe payout's money comes back as a `payout_failure` balance transaction listed under a later
// payout, its source the failed payout (po_...). The mapping carries that payout as the item's payment_id, and
// PAYOUT_FAILED closes on the reversal of that payout only: two payouts of one amount that both failed no longer
// close together on one reversal (until 2026-12-03 the reversal named no payout, and closed every failed payout of
// its provider, currency and amount). Mapped by the real Stripe mapping, landed through the real queue,
// consumers, Parquet and DuckDB.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { mapPayoutMember } from '../../connectors/stripe/mappings.js';
import type { StripeBalanceTransaction } from '../../connectors/stripe/raw.js';
import { makeEnvelope } from '../../core/envelope.js';
import type { Lake } from '../puddles/lake-fixture.js';
import { landReconLake } from './recon-lake.js';

let lake: Lake;
const env = (contract: string, payload: Record<string, unknown>) =>
  makeEnvelope({ contract, version: 1, source: 'test', stream: contract, payload, received_at: '2026-11-30T00:00:00.000Z', delivery_id: 'payout-failure' });
const payout = (id: string, status: string, day: string, amount: number) =>
  env('payout', { payout_id: id, occurred_at: `${day}T00:00:00Z`, provider: 'stripe', status, amount_minor: amount, currency: 'EUR', arrival_date: day });
const bt = (id: string, type: string, amount: number, source: string): StripeBalanceTransaction =>
  ({ id, object: 'balance_transaction', amount, available_on: 1763856000, created: 1763856000, currency: 'eur', fee: 0, net: amount, source, status: 'available', type }) as unknown as StripeBalanceTransaction;
const member = (t: StripeBalanceTransaction, payoutId: string) => {
  const [m] = mapPayoutMember(t, payoutId);
  return env('payout_item', m!.payload);
};

beforeAll(async () => {
  const envelopes = [
    // Two payouts of 491.08 EUR, both failed, their items made of one charge each.
    payout('po_A', 'failed', '2026-11-10', 49108), member(bt('txn_a', 'charge', 49108, 'ch_a'), 'po_A'),
    payout('po_B', 'failed', '2026-11-11', 49108), member(bt('txn_b', 'charge', 49108, 'ch_b'), 'po_B'),
    // A later payout gives back po_B's money only.
    payout('po_C', 'paid', '2026-11-13', 49108), member(bt('txn_back', 'payout_failure', 49108, 'po_B'), 'po_C'),
  ];
  lake = await landReconLake({ envelopes, asOf: '2026-12-20' });
}, 120_000);

afterAll(async () => {
  await lake?.close();
});

describe('a failed payout and its reversal', () => {
  it('the reversal lands naming the payout it gives back', async () => {
    expect(await lake.engine.query("SELECT payout_id, payment_id, type FROM payout_item WHERE type = 'payout_failure'")).toEqual([
      { payout_id: 'po_C', payment_id: 'po_B', type: 'payout_failure' },
    ]);
  });

  it('closes PAYOUT_FAILED for that payout only: the other failed payout of the same amount stays open', async () => {
    const rows = await lake.engine.query("SELECT object_id FROM recon_breaks WHERE break_type = 'PAYOUT_FAILED' ORDER BY object_id");
    expect(rows).toEqual([{ object_id: 'po_A' }]);
  });
});
