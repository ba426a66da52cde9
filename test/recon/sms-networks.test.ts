// A finance lead after a text-to-donate appeal holds the aggregator's monthly remittance, broken down by mobile
// network, and the month is short. Until 2026-12-03 SMS_PLEDGE_UNCOLLECTED compared the month as a whole, so
// nothing in Puddle said which network had not paid, though donation v2 names the network of each gift. Now
// `puddle report sms` (recon_sms) gives each month's pledges per network, and the remittances per network where
// each names one; the break's reason names the networks short, or each network's pledges to hold against the
// aggregator's statement. A month of v1 donations (no network) reads as before.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { makeEnvelope, type Envelope } from '../../core/envelope.js';
import type { Lake } from '../puddles/lake-fixture.js';
import { runPuddle } from '../support/run-cli.js';
import { landReconLake } from './recon-lake.js';

const AS_OF = '2027-01-20';
let seq = 0;
const env = (contract: string, version: number, payload: Record<string, unknown>): Envelope =>
  makeEnvelope({ contract, version, source: 'test', stream: contract, payload, received_at: '2027-01-19T08:00:00.000Z', delivery_id: `sms-net-${++seq}` });
const text = (day: string, amount_minor: number, sms_network?: string, status = 'paid') =>
  env('donation', sms_network === undefined ? 1 : 2, {
    donation_id: `sms_${++seq}`, occurred_at: `${day}T19:30:00.000Z`, channel: 'sms', amount_minor, currency: 'GBP', status,
    payment_provider: 'donr', cta: 'TEXT GIVE', ...(sms_network === undefined ? {} : { sms_network }),
  });
const remittance = (day: string, amount_minor: number, reference: string) =>
  env('bank_line', 2, {
    bank_line_id: `bl_${++seq}`, occurred_at: `${day}T00:00:00.000Z`, account: 'GB29NWBK60161331926819', amount_minor, currency: 'GBP',
    reference, description: 'DONR LTD', counterparty: 'DONR LTD', booking_date: day, status: 'booked', source_format: 'camt.053',
  });

let lake: Lake;
beforeAll(async () => {
  lake = await landReconLake({
    asOf: AS_OF,
    envelopes: [
      // September: v1 donations, no network; half remitted.
      text('2026-09-12', 500),
      text('2026-09-13', 500),
      remittance('2026-10-14', 500, 'DONR SMS 2026-09'),
      // October: each network's money is a credit of its own naming it. EE and O2 paid; Vodafone did not.
      text('2026-10-02', 500, 'EE'),
      text('2026-10-03', 500, 'EE'),
      text('2026-10-04', 500, 'ee'),
      text('2026-10-05', 1000, 'O2'),
      text('2026-10-06', 1000, 'O2'),
      text('2026-10-07', 500, 'Vodafone'),
      text('2026-10-08', 500, 'Vodafone'),
      text('2026-10-09', 500, 'Vodafone', 'failed'),
      remittance('2026-12-14', 1500, 'DONR 2026-10 EE'),
      // "FEES" holds EE, but not as a word: this credit names O2 alone.
      remittance('2026-12-15', 2000, 'DONR 2026-10 O2 NET OF FEES'),
      // November: one credit for the month, naming no network.
      text('2026-11-02', 1000, 'EE'),
      text('2026-11-03', 1000, 'EE'),
      text('2026-11-04', 1500, 'Three'),
      text('2026-11-05', 1000, 'Vodafone'),
      remittance('2027-01-14', 3000, 'DONR SMS 2026-11'),
    ],
  });
}, 120_000);
afterAll(async () => lake?.close());

describe('an SMS month traced to the network that did not pay', { timeout: 240_000 }, () => {
  const json = async (args: string[]) => {
    const r = await runPuddle([...args, '--as-of', AS_OF, '--format', 'json'], { PUDDLE_HOME: lake.dir });
    expect(r.code, r.stderr).toBe(0);
    return JSON.parse(r.stdout) as Record<string, unknown>[];
  };

  it('reports each month per network: remitted and short where the remittances name networks, pledges alone where they do not', async () => {
    const rows = await json(['report', 'sms']);
    const pick = (r: Record<string, unknown>) => [r.period, r.sms_network, r.pledges, r.pledged_minor, r.remitted_minor, r.short_minor, r.traced, r.month_short_minor];
    expect(rows.map(pick)).toEqual([
      ['2026-09', null, 2, 1000, null, null, false, 500],
      ['2026-10', 'EE', 3, 1500, 1500, 0, true, 1000],
      ['2026-10', 'O2', 2, 2000, 2000, 0, true, 1000],
      ['2026-10', 'Vodafone', 2, 1000, 0, 1000, true, 1000],
      ['2026-11', 'EE', 2, 2000, null, null, false, 1500],
      ['2026-11', 'Three', 1, 1500, null, null, false, 1500],
      ['2026-11', 'Vodafone', 1, 1000, null, null, false, 1500],
    ]);
    // A report gives each amount in units beside the minor units.
    expect(rows[3]).toMatchObject({ month_end: '2026-10-31', currency: 'GBP', short_minor: 1000, short: '10.00', month_remitted_minor: 3500, month_remittances: 2 });
  });

  it('names the networks short in the break, or their pledges; a month of v1 donations reads as before', async () => {
    const breaks = (await json(['report', 'breaks'])).filter((b) => b.break_type === 'SMS_PLEDGE_UNCOLLECTED');
    expect(breaks.map((b) => [b.object_id, b.amount_minor, b.reason])).toEqual([
      ['2026-09 GBP', 500, '2 SMS pledges for 10.00 GBP; the aggregators remitted 5.00 GBP in 1 payment(s)'],
      ['2026-10 GBP', 1000, '7 SMS pledges for 45.00 GBP; the aggregators remitted 35.00 GBP in 2 payment(s); short by network (GBP): Vodafone 10.00'],
      [
        '2026-11 GBP',
        1500,
        "4 SMS pledges for 45.00 GBP; the aggregators remitted 30.00 GBP in 1 payment(s); pledged by network (GBP): EE 20.00, Three 15.00, Vodafone 10.00, against the aggregator's statement (the remittances name no one network each)",
      ],
    ]);
  });
});
