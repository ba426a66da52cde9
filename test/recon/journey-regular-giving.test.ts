// Regular against one-off giving on the journey (analyst user test H1): a donation is an instalment of a regular gift
// when it says so itself (donation v3), when its charge does (payment v3: a Braintree subscription) or when its CRM gift
// does (gift v2, NPSP). Landed through the real queue, consumers, Parquet and DuckDB, with v1 and v3 files side by side.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { makeEnvelope } from '../../core/envelope.js';
import { reportSql } from '../../puddles/reports.js';
import type { Lake } from '../puddles/lake-fixture.js';
import { landReconLake } from './recon-lake.js';
import { docSql } from '../support/doc-sql.js';

let lake: Lake;
const env = (contract: string, version: number, payload: Record<string, unknown>) =>
  makeEnvelope({ contract, version, source: 'test', stream: contract, payload, received_at: '2026-11-20T00:00:00.000Z', delivery_id: 'regular' });
const donation = (id: string, amount: number, version = 1, extra: Record<string, unknown> = {}) =>
  env('donation', version, { donation_id: id, occurred_at: '2026-11-18T12:00:00Z', channel: 'online', amount_minor: amount, currency: 'GBP', ...extra });
const charge = (id: string, donationId: string, amount: number, version = 1, extra: Record<string, unknown> = {}) =>
  env('payment', version, {
    payment_id: id, occurred_at: '2026-11-18T12:00:05Z', provider: 'braintree', status: 'settled', amount_minor: amount, currency: 'GBP',
    fee_minor: 0, net_minor: amount, donation_id: donationId, ...extra,
  });

beforeAll(async () => {
  lake = await landReconLake({
    envelopes: [
      // A web form's monthly Direct Debit: the producer names the mandate.
      donation('d_mandate', 1000, 3, { recurring_donation_id: 'DD-0042' }),
      // A Braintree subscription's charge: only the payment says it.
      donation('d_sub', 1500, 3), charge('bt_sub_1', 'd_sub', 1500, 3, { recurring_donation_id: 'sub-7' }),
      // The CRM's recurring donation, through the gift that names the donation.
      donation('d_crm', 2000), env('gift', 2, {
        gift_id: '006A', occurred_at: '2026-11-18T13:00:00Z', amount_minor: 2000, currency: 'GBP', stage: 'Closed Won', is_won: true,
        close_date: '2026-11-18', donation_id: 'd_crm', recurring_donation_id: 'a09RD',
      }),
      // One-off gifts, in v1 and in v3.
      donation('d_once', 5000), charge('bt_once', 'd_once', 5000), donation('d_once_v3', 2500, 3),
      // The donation's own word comes first.
      donation('d_both', 700, 3, { recurring_donation_id: 'DD-0043' }), charge('bt_both', 'd_both', 700, 3, { recurring_donation_id: 'sub-8' }),
      // A Direct Debit bureau's collection: paid by the producer itself, no charge.
      donation('dd_bureau', 900, 3, { status: 'paid', recurring_donation_id: 'DD-0044' }),
      // A subscription's renewal that names no donation.
      env('payment', 3, {
        payment_id: 'bt_renewal', occurred_at: '2026-11-19T12:00:05Z', provider: 'braintree', status: 'settled', amount_minor: 1500, currency: 'GBP',
        recurring_donation_id: 'sub-7',
      }),
      // Pledged and not paid: not money received.
      donation('d_unpaid', 3000),
    ],
    puddles: ['transactions', 'supporters', 'quarantine'],
    asOf: '2026-12-01',
  });
}, 120_000);

afterAll(async () => {
  await lake?.close();
});

describe('regular giving on the journey', () => {
  it('names the regular gift each donation is an instalment of, from the donation, its charge or its CRM gift', async () => {
    expect(await lake.engine.query('SELECT donation_id, recurring_donation_id FROM recon_journey ORDER BY donation_id')).toEqual([
      { donation_id: 'd_both', recurring_donation_id: 'DD-0043' },
      { donation_id: 'd_crm', recurring_donation_id: 'a09RD' },
      { donation_id: 'd_mandate', recurring_donation_id: 'DD-0042' },
      { donation_id: 'd_once', recurring_donation_id: null },
      { donation_id: 'd_once_v3', recurring_donation_id: null },
      { donation_id: 'd_sub', recurring_donation_id: 'sub-7' },
      { donation_id: 'd_unpaid', recurring_donation_id: null },
      { donation_id: 'dd_bureau', recurring_donation_id: 'DD-0044' },
    ]);
    // The v1 and v3 files are one view: the v1 rows read the new column as null.
    expect(await lake.engine.query(`SELECT donation_id, recurring_donation_id FROM donation WHERE donation_id IN ('d_once', 'd_mandate') ORDER BY 1`)).toEqual([
      { donation_id: 'd_mandate', recurring_donation_id: 'DD-0042' },
      { donation_id: 'd_once', recurring_donation_id: null },
    ]);
    expect(await lake.engine.query(`SELECT payment_id, recurring_donation_id FROM payment ORDER BY 1`)).toEqual([
      { payment_id: 'bt_both', recurring_donation_id: 'sub-8' },
      { payment_id: 'bt_once', recurring_donation_id: null },
      { payment_id: 'bt_renewal', recurring_donation_id: 'sub-7' },
      { payment_id: 'bt_sub_1', recurring_donation_id: 'sub-7' },
    ]);
  });

  it("splits the money received into regular and one-off with the query docs/reconciliation.md gives", async () => {
    // The first SQL block of "Regular and one-off giving", as a finance lead copies it.
    const sql = docSql('reconciliation.md', '## Regular and one-off giving');
    expect(await lake.engine.query(sql)).toEqual([
      // d_once (5000) paid by a charge; d_once_v3 and d_unpaid pledged, not received.
      { month: expect.anything(), currency: 'GBP', giving: 'one-off', gifts: 1, received_minor: 5000, plans: 0, first_instalments: 0 },
      // d_sub 1500 and d_both 700 by a charge, dd_bureau 900 collected, bt_renewal 1500 with no donation (sub-7's second
      // instalment); d_mandate (1000) and d_crm (2000) are pledged with no charge: not received.
      { month: expect.anything(), currency: 'GBP', giving: 'regular', gifts: 4, received_minor: 4600, plans: 3, first_instalments: 3 },
    ]);
    // By when received: the bureau's collection at its pledge, the charges five seconds on, the renewal the next day.
    expect(await lake.engine.query(reportSql('regular'))).toMatchObject([
      { donation_id: 'dd_bureau', recurring_donation_id: 'DD-0044', instalment: 1, received_by: 'collection', payment_id: null, stage: 'pledged' },
      { donation_id: 'd_both', giving: 'regular', recurring_donation_id: 'DD-0043', instalment: 1, received_by: 'charge', payment_id: 'bt_both' },
      { donation_id: 'd_once', giving: 'one-off', recurring_donation_id: null, instalment: null, received_by: 'charge', amount_minor: 5000 },
      { donation_id: 'd_sub', giving: 'regular', recurring_donation_id: 'sub-7', instalment: 1, received_by: 'charge', payment_id: 'bt_sub_1' },
      { donation_id: null, giving: 'regular', recurring_donation_id: 'sub-7', instalment: 2, received_by: 'renewal', payment_id: 'bt_renewal', stage: null },
    ]);
    const report = await lake.engine.query(reportSql('journey'));
    expect(report.find((r) => r.donation_id === 'd_sub')).toMatchObject({ recurring_donation_id: 'sub-7' });
  });
});
