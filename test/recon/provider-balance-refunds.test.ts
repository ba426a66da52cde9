// recon_provider_balance and a refund that is still pending at a month end (review L3). Stripe takes a refund's money
// from the balance when it creates the refund (its balance transaction exists from then, and the next payout nets
// it), though an ACH, SEPA or some card refunds stay `pending` for days; Braintree deducts a refund, a credit
// transaction, when it settles, as it disburses a sale. So a pending Stripe refund counts, a pending Braintree one does
// not (recon_providers.refund_taken_when), and a refund that failed never counts, nor the refund_failure item that
// gives its money back. Until 2026-12-07 only a `succeeded` refund counted, and a Stripe balance at a month end was
// too high by every pending refund its payouts had already netted.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import type { QueryEngine } from '../../core/ports.js';
import { DuckDbQueryEngine } from '../../infra/local/duckdb-query-engine.js';
import { setReconParams } from '../../puddles/reports.js';
import type { Lake } from '../puddles/lake-fixture.js';
import { balanceEnvelopes } from './balance-envelopes.js';
import { landReconLake } from './recon-lake.js';

let lake: Lake;
const { env, charge, item, payout } = balanceEnvelopes('balr');
const refund = (id: string, paymentId: string, day: string, amount: number, status: string, provider = 'stripe', updatedAt: string | null = null) =>
  env('refund', { refund_id: id, occurred_at: `${day}T09:00:00Z`, updated_at: updatedAt, provider, payment_id: paymentId, status, amount_minor: amount, currency: 'GBP' });

beforeAll(async () => {
  lake = await landReconLake({
    envelopes: [
      // Stripe: two charges, paid out on 28 and 30 November.
      charge('ch_1', '2026-11-27', 3000, 60), item('po_1', 'ch_1', 'ch_1', '2026-11-27', 'charge', 3000, 60),
      payout('po_1', '2026-11-28', 2940, '2026-11-29', 'paid'),
      charge('ch_2', '2026-11-29', 2000, 50), item('po_2', 'ch_2', 'ch_2', '2026-11-29', 'charge', 2000, 50),
      // A SEPA refund of 10.00 made on 29 November, still pending: Stripe took it then, and po_2 nets it.
      refund('re_pending', 'ch_1', '2026-11-29', 1000, 'pending'), item('po_2', 're_pending', 'ch_1', '2026-11-29', 'refund', -1000, 0),
      // A refund of 5.00 made on 29 November, pending at the month end, that failed on 2 December: po_2 nets it, and
      // po_3 gives its money back (Stripe's refund_failure).
      refund('re_failed', 'ch_2', '2026-11-29', 500, 'pending', 'stripe', '2026-11-29T09:00:00Z'),
      refund('re_failed', 'ch_2', '2026-11-29', 500, 'failed', 'stripe', '2026-12-02T08:00:00Z'),
      item('po_2', 're_failed', 'ch_2', '2026-11-29', 'refund', -500, 0),
      payout('po_2', '2026-11-30', 450, '2026-12-01', 'in_transit'),
      item('po_3', 're_failed_failure', 'ch_2', '2026-12-02', 'refund_failure', 500, 0),
      payout('po_3', '2026-12-02', 500, '2026-12-03', 'in_transit'),
      // The same in euros, as Stripe's list sync lands it: no version says when it changed (updated_at), so each is
      // dated at the refund's creation, and the failure stands as of 30 November too.
      env('payment', { payment_id: 'ch_e', occurred_at: '2026-11-28T10:00:00Z', provider: 'stripe', status: 'succeeded', amount_minor: 1000, currency: 'EUR', fee_minor: 0, net_minor: 1000 }),
      ...['pending', 'failed'].map((status) =>
        env('refund', { refund_id: 're_e', occurred_at: '2026-11-29T09:00:00Z', updated_at: null, provider: 'stripe', payment_id: 'ch_e', status, amount_minor: 400, currency: 'EUR' }),
      ),
      // Braintree: a sale disbursed on 28 November, one not disbursed yet.
      charge('bt_1', '2026-11-27', 4000, null, 'settled', 'braintree'), item('acc:2026-11-28', 'bt_1', 'bt_1', '2026-11-28', 'sale', 4000, 0, 'braintree'),
      payout('acc:2026-11-28', '2026-11-28', 4000, '2026-11-28', 'paid', 'braintree'),
      charge('bt_2', '2026-11-30', 2000, null, 'settled', 'braintree'),
      // A refund submitted for settlement: `succeeded` (as a sale in that status is), in the next disbursement.
      refund('bt_r_submitted', 'bt_1', '2026-11-30', 500, 'submitted_for_settlement', 'braintree'),
      // A refund still settlement_pending: Braintree has taken nothing yet.
      refund('bt_r_pending', 'bt_1', '2026-11-30', 1500, 'settlement_pending', 'braintree'),
    ],
    asOf: '2026-11-30',
  });
}, 120_000);

afterAll(async () => {
  await lake?.close();
});

const COLUMNS =
  'provider, currency, charges_minor, fees_minor, refunds_minor, refund_fees_minor, disputes_minor, dispute_fees_minor, other_net_minor, paid_out_minor, balance_minor';
const num = (r: Record<string, unknown>) => Object.fromEntries(Object.entries(r).map(([k, v]) => [k, typeof v === 'bigint' ? Number(v) : v]));

async function providerRows(engine: QueryEngine, asOf: string) {
  await setReconParams(engine, { as_of: asOf });
  return (await engine.query(`SELECT ${COLUMNS} FROM recon_provider_balance WHERE row_kind = 'provider' ORDER BY provider, currency`)).map(num);
}

/** As `puddle report balance --as-of` reads it: each record as it stood at the end of the date. */
async function rewound(asOf: string) {
  const engine = new DuckDbQueryEngine({ catalog: lake.catalog, store: lake.store, asOf });
  try {
    return await providerRows(engine, asOf);
  } finally {
    await engine.close();
  }
}

const none = { refund_fees_minor: 0, disputes_minor: 0, dispute_fees_minor: 0, other_net_minor: 0 };

describe('money at the providers: refunds still pending at a month end', () => {
  it('says in recon_providers when each provider takes a refund', async () => {
    const rows = await lake.engine.query(`SELECT provider, refund_taken_when FROM recon_providers WHERE provider IN ('stripe', 'braintree') ORDER BY provider`);
    expect(rows).toEqual([
      { provider: 'braintree', refund_taken_when: 'succeeded' },
      { provider: 'stripe', refund_taken_when: 'created' },
    ]);
  });

  it('as of 30 November: the pending Stripe refunds count, the pending Braintree one does not', async () => {
    expect(await rewound('2026-11-30')).toEqual([
      // 40.00 + 20.00 sold, 5.00 refunded (submitted for settlement), 40.00 disbursed; the 15.00 settlement_pending not.
      { ...none, provider: 'braintree', currency: 'GBP', charges_minor: 6000, fees_minor: 0, refunds_minor: 500, paid_out_minor: 4000, balance_minor: 1500 },
      // Pending at the month end, so taken then; but the lake dates its failure at its creation: counted as never taken.
      { ...none, provider: 'stripe', currency: 'EUR', charges_minor: 1000, fees_minor: 0, refunds_minor: 0, paid_out_minor: 0, balance_minor: 1000 },
      // 30.00 + 20.00 charged, 1.10 in fees, 10.00 + 5.00 refunded (both pending, both netted by po_2), 29.40 + 4.50
      // paid out: nothing left at Stripe. Counting only succeeded refunds left 15.00 there.
      { ...none, provider: 'stripe', currency: 'GBP', charges_minor: 5000, fees_minor: 110, refunds_minor: 1500, paid_out_minor: 3390, balance_minor: 0 },
    ]);
  });

  it('as of 2 December: the refund that failed no longer counts, nor the refund_failure item that gave it back', async () => {
    expect((await rewound('2026-12-02')).find((r) => r.provider === 'stripe' && r.currency === 'GBP')).toEqual({
      ...none,
      provider: 'stripe',
      currency: 'GBP',
      charges_minor: 5000,
      fees_minor: 110,
      refunds_minor: 1000,
      paid_out_minor: 3890,
      balance_minor: 0,
    });
  });

  it("read live, a refund's status is today's: one pending at the month end that failed since counts as never taken", async () => {
    // recon_params set by hand (the dashboard, a recon view read live) rewinds nothing; `report balance --as-of` does.
    expect((await providerRows(lake.engine, '2026-11-30')).find((r) => r.provider === 'stripe' && r.currency === 'GBP')).toMatchObject({ refunds_minor: 1000, balance_minor: 500 });
  });
});
