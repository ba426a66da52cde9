// The journey's click columns as a digital analyst uses them (user test of 2026-12-07): a web gift that names its click
// and not its call to action is credited to the click's CTA, and a form started or abandoned (stage clicked) has no
// click-to-pledge lag, so an average by CTA is over pledges only. On a small hand-made lake (the real queue,
// consumers, Parquet and DuckDB).
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { makeEnvelope } from '../../core/envelope.js';
import { setReconParams } from '../../puddles/reports.js';
import { createLake, type Lake } from '../puddles/lake-fixture.js';
import { docSql } from '../support/doc-sql.js';

let lake: Lake;
const env = (contract: string, payload: Record<string, unknown>) =>
  makeEnvelope({ contract, version: 1, source: 'test', stream: contract, payload, received_at: '2026-12-07T00:00:00.000Z', delivery_id: 'journey-clicks' });
const click = (id: string, cta: string) => env('click', { click_id: id, occurred_at: '2026-12-06T19:15:00Z', campaign: 'night', cta, channel: 'web' });
const donation = (id: string, clickId: string, o: Record<string, unknown> = {}) =>
  env('donation', { donation_id: id, occurred_at: '2026-12-06T19:16:40Z', channel: 'online', amount_minor: 2500, currency: 'GBP', campaign: 'night', click_id: clickId, ...o });

beforeAll(async () => {
  lake = await createLake();
  await lake.subscribeAll();
  await lake.queue.publish([
    click('c1', 'QR-SEG1'), click('c2', 'QR-SEG2'), click('c3', 'QR-SEG2'), click('c4', 'QR-SEG2'),
    donation('d_own', 'c1', { cta: 'URL-READOUT' }),
    donation('d_from_click', 'c2'),
    donation('d_abandoned', 'c3', { status: 'abandoned' }),
    // An IVR line that took the card itself, and sent no payment.
    env('donation', { donation_id: 'd_ivr', occurred_at: '2026-12-01T19:20:00Z', channel: 'ivr', amount_minor: 1000, currency: 'GBP', status: 'paid' }),
  ]);
  await lake.consumer('transactions').drain();
  await lake.consumer('engagement').drain();
  await setReconParams(lake.engine, { as_of: '2026-12-07' });
}, 60_000);

afterAll(async () => {
  await lake?.close();
});

describe('the journey from the click', () => {
  it("credits a gift to its click's call to action when it names none, and gives no pledge lag to a form never completed", async () => {
    const rows = await lake.engine.query(`SELECT donation_id, cta, stage, CAST(click_to_pledge_s AS INTEGER) AS click_to_pledge_s FROM recon_journey WHERE click_id IS NOT NULL ORDER BY donation_id`);
    expect(rows).toEqual([
      { donation_id: 'd_abandoned', cta: 'QR-SEG2', stage: 'clicked', click_to_pledge_s: null },
      { donation_id: 'd_from_click', cta: 'QR-SEG2', stage: 'pledged', click_to_pledge_s: 100 },
      { donation_id: 'd_own', cta: 'URL-READOUT', stage: 'pledged', click_to_pledge_s: 100 },
    ]);
  });

  it('tells a producer that says paid with no payment what to send (DONATION_NOT_PAID)', async () => {
    const rows = await lake.engine.query(`SELECT object_id, reason FROM recon_breaks WHERE break_type = 'DONATION_NOT_PAID'`);
    expect(rows).toEqual([
      { object_id: 'd_ivr', reason: 'its producer says paid, but no payment names the donation: send the payment it took (a payment, status paid) so the money can be followed to the bank' },
    ]);
  });

  it('reads conversion per call to action with the query docs/reconciliation.md gives', async () => {
    // The SQL block of "Clicks and conversion", as an analyst copies it.
    const sql = docSql('reconciliation.md', '## Clicks and conversion');
    expect(await lake.engine.query(sql)).toEqual([
      // c1: d_own pledged (100 s after its click).
      { cta: 'QR-SEG1', clicks: 1, no_form: 0, abandoned_forms: 0, pledges: 1, paid_kept: 0, pledge_rate_pct: 100, median_click_to_pledge_s: 100 },
      // c2 pledged, c3's form abandoned, c4 never opened a form.
      { cta: 'QR-SEG2', clicks: 3, no_form: 1, abandoned_forms: 1, pledges: 1, paid_kept: 0, pledge_rate_pct: 33.3, median_click_to_pledge_s: 100 },
    ]);
  });
});
