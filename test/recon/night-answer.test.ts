// "How much did we raise tonight, and has it reached the bank?": the query docs/going-live.md gives under "The night's
// answer", as a small charity's treasurer runs it the morning after (a newcomer's user test had to write it), landed
// through the real queue, consumers, Parquet and DuckDB.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { makeEnvelope } from '../../core/envelope.js';
import type { Lake } from '../puddles/lake-fixture.js';
import { docSql } from '../support/doc-sql.js';
import { landReconLake } from './recon-lake.js';

let lake: Lake;
let seq = 0;
const env = (contract: string, payload: Record<string, unknown>) =>
  makeEnvelope({ contract, version: 1, source: 'test', stream: contract, payload, received_at: '2026-12-08T09:00:00.000Z', delivery_id: `night-${seq++}` });
// 19:30 in London in December is 19:30 UTC; a gift at 17:59 is before the night, one of another campaign not in it.
const gift = (id: string, amount: number, extra: Record<string, unknown> = {}) =>
  env('donation', { donation_id: id, occurred_at: '2026-12-07T19:30:00Z', channel: 'online', amount_minor: amount, currency: 'GBP', campaign: 'appeal-2026', ...extra });
const charge = (id: string, donationId: string, amount: number, extra: Record<string, unknown> = {}) =>
  env('payment', { payment_id: id, occurred_at: '2026-12-07T19:30:05Z', provider: 'stripe', status: 'succeeded', amount_minor: amount, currency: 'GBP', donation_id: donationId, ...extra });

beforeAll(async () => {
  lake = await landReconLake({
    envelopes: [
      gift('n_paid_1', 2500), charge('ch_paid_1', 'n_paid_1', 2500),
      gift('n_paid_2', 1000), charge('ch_paid_2', 'n_paid_2', 1000),
      gift('n_sms', 500, { channel: 'sms' }),
      gift('n_refunded', 2000), charge('ch_refunded', 'n_refunded', 2000),
      env('refund', { refund_id: 're_n', occurred_at: '2026-12-07T21:00:00Z', provider: 'stripe', payment_id: 'ch_refunded', status: 'succeeded', amount_minor: 2000, currency: 'GBP' }),
      gift('n_before', 9900, { occurred_at: '2026-12-07T17:59:00Z' }), charge('ch_before', 'n_before', 9900),
      gift('n_other', 7700, { campaign: 'other' }), charge('ch_other', 'n_other', 7700),
    ],
    asOf: '2026-12-08',
  });
}, 120_000);

afterAll(async () => {
  await lake?.close();
});

describe("the night's answer (docs/going-live.md)", () => {
  it("sums the night's campaign by stage, in pounds, with what is still held", async () => {
    const rows = await lake.engine.query(docSql('going-live.md', "## The night's answer"));
    expect(rows.map((r) => [r.stage, Number(r.gifts), Number(r.pounds), Number(r.still_held_pounds)])).toEqual([
      ['pledged', 1, 5, 0],
      ['paid', 2, 35, 35],
      ['refunded', 1, 20, 0],
    ]);
  });
});
