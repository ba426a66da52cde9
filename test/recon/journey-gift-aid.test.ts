// The donation's Gift Aid flag on the journey view and report, so finance can list Gift Aid-eligible gifts:
// landed through the real queue, consumers, Parquet and DuckDB.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { makeEnvelope } from '../../core/envelope.js';
import { reportSql } from '../../puddles/reports.js';
import type { Lake } from '../puddles/lake-fixture.js';
import { landReconLake } from './recon-lake.js';

let lake: Lake;
const env = (contract: string, payload: Record<string, unknown>) =>
  makeEnvelope({ contract, version: 1, source: 'test', stream: contract, payload, received_at: '2026-11-20T00:00:00.000Z', delivery_id: 'gift-aid' });
const donation = (id: string, giftAid: boolean | undefined) =>
  env('donation', { donation_id: id, occurred_at: '2026-11-18T12:00:00Z', channel: 'online', amount_minor: 2500, currency: 'GBP', ...(giftAid === undefined ? {} : { gift_aid: giftAid }) });
const charge = (id: string, donationId: string) =>
  env('payment', { payment_id: id, occurred_at: '2026-11-18T12:00:05Z', provider: 'stripe', status: 'succeeded', amount_minor: 2500, currency: 'GBP', fee_minor: 0, net_minor: 2500, donation_id: donationId });

beforeAll(async () => {
  lake = await landReconLake({
    envelopes: [
      donation('d_yes', true), donation('d_no', false), donation('d_unsaid', undefined), donation('d_unpaid', true),
      charge('ch_yes', 'd_yes'), charge('ch_no', 'd_no'), charge('ch_unsaid', 'd_unsaid'),
    ],
    asOf: '2026-12-01',
  });
}, 120_000);

afterAll(async () => {
  await lake?.close();
});

describe('Gift Aid on the journey', () => {
  it('carries each donation\'s gift_aid flag, in the view and the journey report', async () => {
    expect(await lake.engine.query('SELECT donation_id, gift_aid, stage FROM recon_journey ORDER BY donation_id')).toEqual([
      { donation_id: 'd_no', gift_aid: false, stage: 'paid' },
      { donation_id: 'd_unpaid', gift_aid: true, stage: 'pledged' },
      { donation_id: 'd_unsaid', gift_aid: null, stage: 'paid' },
      { donation_id: 'd_yes', gift_aid: true, stage: 'paid' },
    ]);
    const report = await lake.engine.query(reportSql('journey'));
    expect(report.map((r) => [r.donation_id, r.gift_aid])).toEqual([['d_no', false], ['d_unpaid', true], ['d_unsaid', null], ['d_yes', true]]);
    // What finance asks: the Gift Aid gifts that were paid.
    const eligible = await lake.engine.query(`SELECT donation_id FROM recon_journey WHERE gift_aid AND paid_at IS NOT NULL`);
    expect(eligible).toEqual([{ donation_id: 'd_yes' }]);
  });
});
