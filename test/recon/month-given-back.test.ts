// The money given back in a month, every gift's, with the query docs/reconciliation.md gives under "Refunds and
// chargebacks in a month": a December refund of a November gift showed in no December report (a treasurer's user
// test, M4). Landed through the real queue, consumers, Parquet and DuckDB.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { makeEnvelope } from '../../core/envelope.js';
import type { Lake } from '../puddles/lake-fixture.js';
import { docSql } from '../support/doc-sql.js';
import { landReconLake } from './recon-lake.js';

let lake: Lake;
let seq = 0;
const env = (contract: string, payload: Record<string, unknown>) =>
  makeEnvelope({ contract, version: 1, source: 'test', stream: contract, payload, received_at: '2026-12-20T00:00:00.000Z', delivery_id: `back-${seq++}` });
const gift = (id: string, amount = 3000) =>
  env('donation', { donation_id: id, occurred_at: '2026-11-20T12:00:00Z', channel: 'online', amount_minor: amount, currency: 'GBP' });
const charge = (id: string, donationId: string | null, amount = 3000, provider = 'stripe', at = '2026-11-20T12:00:05Z') =>
  env('payment', { payment_id: id, occurred_at: at, provider, status: 'succeeded', amount_minor: amount, currency: 'GBP', ...(donationId ? { donation_id: donationId } : {}) });
const refund = (id: string, paymentId: string, amount: number, at: string, status = 'succeeded') =>
  env('refund', { refund_id: id, occurred_at: at, provider: 'stripe', payment_id: paymentId, status, amount_minor: amount, currency: 'GBP' });
const dispute = (id: string, paymentId: string, status: string, at: string) =>
  env('dispute', { dispute_id: id, occurred_at: at, provider: 'stripe', payment_id: paymentId, status, amount_minor: 3000, currency: 'GBP' });

beforeAll(async () => {
  lake = await landReconLake({
    envelopes: [
      gift('g_ref'), charge('ch_ref', 'g_ref'), refund('re_ref', 'ch_ref', 1000, '2026-12-03T10:00:00Z'),
      gift('g_lost'), charge('ch_lost', 'g_lost'), dispute('dp_lost', 'ch_lost', 'lost', '2026-12-02T10:00:00Z'),
      gift('g_won'), charge('ch_won', 'g_won'), dispute('dp_won', 'ch_won', 'won', '2026-12-04T10:00:00Z'),
      gift('g_failed'), charge('ch_failed', 'g_failed'), refund('re_failed', 'ch_failed', 3000, '2026-12-05T10:00:00Z', 'failed'),
      gift('g_dup'), charge('ch_dup_a', 'g_dup'), charge('ch_dup_b', 'g_dup', 3000, 'stripe', '2026-11-20T12:01:00Z'),
      refund('re_dup', 'ch_dup_b', 3000, '2026-12-06T10:00:00Z'),
      charge('ch_orphan', null, 1500), refund('re_orphan', 'ch_orphan', 1500, '2026-12-07T10:00:00Z'),
      gift('g_nov'), charge('ch_nov', 'g_nov'), refund('re_nov', 'ch_nov', 3000, '2026-11-25T10:00:00Z'),
    ],
    asOf: '2026-12-31',
  });
}, 120_000);

afterAll(async () => {
  await lake?.close();
});

describe('refunds and chargebacks in a month', () => {
  it("lists December's, every gift's, by the day the money went: a lost dispute, refunds, a duplicate's, an orphan's", async () => {
    const rows = await lake.engine.query(docSql('reconciliation.md', '### Refunds and chargebacks in a month'));
    expect(rows.map((r) => [String(r.given_back_on), r.kind, r.id, r.amount_minor, r.donation_id, r.received_on === null ? null : String(r.received_on), r.kept_minor])).toEqual([
      ['2026-12-02', 'dispute', 'dp_lost', 3000, 'g_lost', '2026-11-20', 0],
      ['2026-12-03', 'refund', 're_ref', 1000, 'g_ref', '2026-11-20', 2000],
      ['2026-12-06', 'refund', 're_dup', 3000, 'g_dup', '2026-11-20', 3000],
      ['2026-12-07', 'refund', 're_orphan', 1500, null, null, null],
    ]);
    // Not listed: a dispute won back, a refund that failed, November's refund.
    expect(rows.map((r) => r.id)).not.toContain('dp_won');
  });
});
