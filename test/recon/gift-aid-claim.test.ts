// A month's Gift Aid claim, its adjustments and the flags changed after it, with the queries docs/reconciliation.md
// gives under "Gift Aid", as a Gift Aid officer runs them: landed through the real queue, consumers, Parquet and
// DuckDB. Until 2026-12-07 the docs' recipe was `gift_aid AND paid_at IS NOT NULL`, which listed refunded and
// charged-back gifts at their whole amount and no collection (a Gift Aid officer's user test, H1 and H2).
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { makeEnvelope } from '../../core/envelope.js';
import { DuckDbQueryEngine } from '../../infra/local/duckdb-query-engine.js';
import { setReconParams } from '../../puddles/reports.js';
import type { Lake } from '../puddles/lake-fixture.js';
import { docSql } from '../support/doc-sql.js';
import { landReconLake } from './recon-lake.js';

let lake: Lake;
let seq = 0;
const env = (contract: string, payload: Record<string, unknown>, receivedAt = '2026-10-20T00:00:00.000Z') =>
  makeEnvelope({ contract, version: 1, source: 'test', stream: contract, payload, received_at: receivedAt, delivery_id: `gift-aid-${seq++}` });
const gift = (id: string, extra: Record<string, unknown> = {}, receivedAt?: string) =>
  env('donation', { donation_id: id, occurred_at: '2026-10-10T12:00:00Z', channel: 'online', amount_minor: 5000, currency: 'GBP', gift_aid: true, ...extra }, receivedAt);
const charge = (id: string, donationId: string, amount = 5000, extra: Record<string, unknown> = {}) =>
  env('payment', { payment_id: id, occurred_at: '2026-10-10T12:00:05Z', provider: 'stripe', status: 'succeeded', amount_minor: amount, currency: 'GBP', donation_id: donationId, ...extra });
const refund = (id: string, paymentId: string, amount: number, at: string) =>
  env('refund', { refund_id: id, occurred_at: at, provider: 'stripe', payment_id: paymentId, status: 'succeeded', amount_minor: amount, currency: 'GBP' });
const dispute = (id: string, paymentId: string, status: string, amount: number, at: string, updatedAt?: string) =>
  env('dispute', { dispute_id: id, occurred_at: at, ...(updatedAt ? { updated_at: updatedAt } : {}), provider: 'stripe', payment_id: paymentId, status, amount_minor: amount, currency: 'GBP' });
const LATER = '2026-11-12T10:00:00.000Z';

beforeAll(async () => {
  lake = await landReconLake({
    envelopes: [
      gift('g_full'), charge('ch_full', 'g_full'), refund('re_full', 'ch_full', 5000, '2026-11-15T10:00:00Z'),
      gift('g_part', { amount_minor: 10000 }), charge('ch_part', 'g_part', 10000), refund('re_part', 'ch_part', 4000, '2026-11-16T10:00:00Z'),
      gift('g_lost', { amount_minor: 4000 }), charge('ch_lost', 'g_lost', 4000), dispute('dp_lost', 'ch_lost', 'lost', 4000, '2026-11-10T10:00:00Z', '2026-12-05T10:00:00Z'),
      gift('g_won', { amount_minor: 3000 }), charge('ch_won', 'g_won', 3000), dispute('dp_won', 'ch_won', 'won', 3000, '2026-11-11T10:00:00Z'),
      // Charged twice, the second charge given back: the gift stands whole, and its refund adjusts nothing.
      gift('g_dup', { amount_minor: 2000 }), charge('ch_dup_a', 'g_dup', 2000), charge('ch_dup_b', 'g_dup', 2000, { occurred_at: '2026-10-10T12:01:00Z' }),
      refund('re_dup', 'ch_dup_b', 2000, '2026-11-03T10:00:00Z'),
      gift('g_short', { amount_minor: 2500 }), charge('ch_short', 'g_short', 1500),
      gift('g_split', { amount_minor: 10000 }), charge('ch_split_1', 'g_split', 6000), charge('ch_split_2', 'g_split', 4000, { occurred_at: '2026-10-11T09:00:00Z' }),
      // Collected by their producers: a Direct Debit bureau and an SMS network, with no payment of their own.
      gift('g_dd', { amount_minor: 500, status: 'paid', occurred_at: '2026-10-01T06:00:00Z' }),
      gift('g_sms', { amount_minor: 500, status: 'paid', channel: 'sms' }),
      gift('g_eur', { amount_minor: 20000, currency: 'EUR' }), charge('ch_eur', 'g_eur', 20000, { currency: 'EUR' }),
      gift('g_mismatch', { amount_minor: 1000 }), charge('ch_mismatch', 'g_mismatch', 1000, { currency: 'EUR' }),
      gift('g_unpaid'),
      gift('g_failed'), charge('ch_failed', 'g_failed', 5000, { status: 'failed' }),
      gift('g_no', { gift_aid: false }), charge('ch_no', 'g_no'),
      // 00:30 on 1 October in London is 23:30 on 30 September in UTC; 00:30 on 1 November is 00:30 UTC.
      gift('g_bst', { occurred_at: '2026-09-30T23:29:00Z' }), charge('ch_bst', 'g_bst', 5000, { occurred_at: '2026-09-30T23:30:05Z' }),
      gift('g_nov', { occurred_at: '2026-10-31T23:59:00Z' }), charge('ch_nov', 'g_nov', 5000, { occurred_at: '2026-11-01T00:30:05Z' }),
      // Flags changed later, learnt in November: withdrawn, declared late, and left out of a correction.
      gift('g_flip'), charge('ch_flip', 'g_flip'), gift('g_flip', { gift_aid: false, updated_at: LATER }, LATER),
      gift('g_late', { gift_aid: false }), charge('ch_late', 'g_late'), gift('g_late', { gift_aid: true, updated_at: LATER }, LATER),
      // Withdrawn while its money was still held (a CANCELLED_BUT_PAID break to come), then refunded in November:
      // before October's end, so never claimed and its refund adjusts nothing (a treasurer's user test, H1); or after
      // it, so claimed in October and adjusted in November.
      gift('g_withdrawn'), charge('ch_withdrawn', 'g_withdrawn'), gift('g_withdrawn', { status: 'cancelled', updated_at: '2026-10-25T10:00:00Z' }, '2026-10-25T10:00:01.000Z'),
      refund('re_withdrawn', 'ch_withdrawn', 5000, '2026-11-05T10:00:00Z'),
      // Withdrawn in October and sent again in November, still withdrawn: its latest version is November's, but it was
      // withdrawn when October's claim was made (the diff review's case).
      gift('g_resent'), charge('ch_resent', 'g_resent'), gift('g_resent', { status: 'cancelled', updated_at: '2026-10-26T10:00:00Z' }, '2026-10-26T10:00:01.000Z'),
      gift('g_resent', { status: 'cancelled', updated_at: '2026-11-05T09:00:00Z', campaign: 'resent' }, '2026-11-05T09:00:01.000Z'),
      refund('re_resent', 'ch_resent', 5000, '2026-11-05T10:00:00Z'),
      gift('g_cancel_late'), charge('ch_cancel_late', 'g_cancel_late'), gift('g_cancel_late', { status: 'cancelled', updated_at: '2026-11-04T10:00:00Z' }, '2026-11-04T10:00:01.000Z'),
      refund('re_cancel_late', 'ch_cancel_late', 5000, '2026-11-06T10:00:00Z'),
      gift('g_dropped'), charge('ch_dropped', 'g_dropped'), 
      env('donation', { donation_id: 'g_dropped', occurred_at: '2026-10-10T12:00:00Z', channel: 'online', amount_minor: 5000, currency: 'GBP', status: 'paid', updated_at: LATER }, LATER),
    ],
    asOf: '2026-12-01',
  });
}, 120_000);

afterAll(async () => {
  await lake?.close();
});

const journey = async (ids: string[]) =>
  lake.engine.query(`SELECT donation_id, kept_minor, received_at::VARCHAR AS received_at FROM recon_journey WHERE donation_id IN (${ids.map((i) => `'${i}'`).join(',')}) ORDER BY donation_id`);

describe('Gift Aid: what the charity received and still holds', () => {
  it('gives each donation received_at and kept_minor: refunds, disputes that take money, duplicates, short charges, splits, collections', async () => {
    expect(await journey(['g_full', 'g_part', 'g_lost', 'g_won', 'g_dup', 'g_short', 'g_split', 'g_dd', 'g_sms', 'g_eur', 'g_mismatch', 'g_unpaid', 'g_failed'])).toEqual([
      { donation_id: 'g_dd', kept_minor: 500, received_at: '2026-10-01 06:00:00' },
      { donation_id: 'g_dup', kept_minor: 2000, received_at: '2026-10-10 12:00:05' },
      { donation_id: 'g_eur', kept_minor: 20000, received_at: '2026-10-10 12:00:05' },
      { donation_id: 'g_failed', kept_minor: 0, received_at: null },
      { donation_id: 'g_full', kept_minor: 0, received_at: '2026-10-10 12:00:05' },
      { donation_id: 'g_lost', kept_minor: 0, received_at: '2026-10-10 12:00:05' },
      // Its charge is in euros: what it holds of a pound gift is not a sum to make.
      { donation_id: 'g_mismatch', kept_minor: null, received_at: '2026-10-10 12:00:05' },
      { donation_id: 'g_part', kept_minor: 6000, received_at: '2026-10-10 12:00:05' },
      { donation_id: 'g_short', kept_minor: 1500, received_at: '2026-10-10 12:00:05' },
      { donation_id: 'g_sms', kept_minor: 500, received_at: '2026-10-10 12:00:00' },
      // Paid in full by its second part.
      { donation_id: 'g_split', kept_minor: 10000, received_at: '2026-10-11 09:00:00' },
      { donation_id: 'g_unpaid', kept_minor: 0, received_at: null },
      { donation_id: 'g_won', kept_minor: 3000, received_at: '2026-10-10 12:00:05' },
    ]);
    // recon_regular reads the same received_at: the collections are money received there too.
    expect(await lake.engine.query(`SELECT donation_id, received_by FROM recon_regular WHERE donation_id IN ('g_dd', 'g_sms', 'g_full') ORDER BY 1`)).toEqual([
      { donation_id: 'g_dd', received_by: 'collection' },
      { donation_id: 'g_full', received_by: 'charge' },
      { donation_id: 'g_sms', received_by: 'collection' },
    ]);
  });

  /** The docs' query, run as of a day (`puddle query --as-of`), as a map of donation id to what it gives. */
  // As `puddle query --as-of` reads the lake: each record's versions changed by the end of the day, and the recon
  // parameters' as_of. Until 2026-12-07 these tests read every version with only as_of moved, so a flag or status
  // changed later counted at the month's end too (the diff review).
  const asOf = async (day: string, heading: string) => {
    const engine = new DuckDbQueryEngine({ catalog: lake.catalog, store: lake.store, asOf: day });
    try {
      await setReconParams(engine, { as_of: day });
      return await engine.query(docSql('reconciliation.md', heading));
    } finally {
      await engine.close();
    }
  };

  it("lists October's claim with the docs' query, as of the month's end: UK month, pounds, at what was held then", async () => {
    const claim = await asOf('2026-10-31', "### The month's claim");
    expect(claim.map((r) => [r.donation_id, r.claim_minor])).toEqual([
      ['g_bst', 5000], // 1 October in London
      ['g_dd', 500],
      ['g_cancel_late', 5000], // withdrawn on 4 November
      ['g_dropped', 5000], // its flag left out of a correction in November: "flags changed after a claim"
      ['g_dup', 2000],
      ['g_flip', 5000], // its declaration withdrawn in November: the same
      ['g_full', 5000], // refunded on 15 November: November's adjustment
      ['g_lost', 4000], // charged back on 10 November
      ['g_part', 10000], // £40 of it refunded on 16 November
      ['g_short', 1500],
      ['g_sms', 500],
      ['g_won', 3000],
      ['g_split', 10000],
    ]);
    // Not claimed: the gift withdrawn in October, not pounds, not received, not declared by then (g_late: in November), November's.
    const listed = new Set(claim.map((r) => r.donation_id));
    for (const id of ['g_late', 'g_withdrawn', 'g_resent', 'g_eur', 'g_mismatch', 'g_unpaid', 'g_failed', 'g_no', 'g_nov']) expect(listed.has(id)).toBe(false);
  });

  it("lists what was given back in November on gifts received before it, once each, leaving a duplicate charge's refund out", async () => {
    const adjust = await asOf('2026-11-30', "### The month's adjustments");
    expect(adjust.map((r) => [r.donation_id, r.kind, r.id, r.given_back_minor, r.kept_minor, r.status])).toEqual([
      ['g_cancel_late', 'refund', 're_cancel_late', 5000, 0, 'cancelled'],
      ['g_lost', 'dispute', 'dp_lost', 4000, 0, null],
      ['g_full', 'refund', 're_full', 5000, 0, null],
      ['g_part', 'refund', 're_part', 4000, 6000, null],
    ]);
    // g_withdrawn's and g_resent's refunds are not listed: both were withdrawn before October's claim, which left them out.
    // The chargeback's status moved on in December: it is not given back a second time then (the security review's
    // double count, when a dispute was dated by its last change).
    await setReconParams(lake.engine, { as_of: '2026-12-31' });
    const decemberSql = docSql('reconciliation.md', "### The month's adjustments").replaceAll('2026-12-01', '2027-01-01').replaceAll('2026-11-30', '2026-12-31').replaceAll('2026-11-01', '2026-12-01');
    const december = (await lake.engine.query(decemberSql)).map((r) => r.id);
    await setReconParams(lake.engine, { as_of: '2026-12-01' });
    expect(decemberSql).toContain("BETWEEN DATE '2026-12-01' AND DATE '2026-12-31'");
    expect(december).toEqual([]);
    // October's claim less November's adjustments is what each gift holds at November's end: each counted once.
    const claimed = new Map((await asOf('2026-10-31', "### The month's claim")).map((r) => [r.donation_id as string, Number(r.claim_minor)]));
    const heldNow = new Map((await asOf('2026-11-30', "### The month's claim")).map((r) => [r.donation_id as string, Number(r.claim_minor)]));
    for (const [id, amount] of claimed) {
      // Their flags changed, not their money: "Gift Aid flags changed after a claim" lists them.
      if (id === 'g_flip' || id === 'g_dropped') continue;
      const back = adjust.filter((r) => r.donation_id === id).reduce((sum, r) => sum + Number(r.given_back_minor), 0);
      expect(amount - back, id).toBe(heldNow.get(id) ?? 0);
    }
  });

  it('lists the flags changed in November: withdrawn, declared late, and left out of a correction', async () => {
    const changed = await lake.engine.query(docSql('reconciliation.md', '### Gift Aid flags changed after a claim'));
    expect(changed.map((r) => [r.donation_id, r.gift_aid_before, r.gift_aid])).toEqual([
      ['g_dropped', true, null],
      ['g_flip', true, false],
      ['g_late', false, true],
    ]);
  });

  it('gives the claim again as it stood on an earlier day (--as-of): before the refunds and the chargeback', async () => {
    const byId = Object.fromEntries((await asOf('2026-11-01', "### The month's claim")).map((r) => [r.donation_id, r.claim_minor]));
    expect(byId).toMatchObject({ g_full: 5000, g_lost: 4000, g_part: 10000, g_dup: 2000 });
    const today = Object.fromEntries((await asOf('2026-12-01', "### The month's claim")).map((r) => [r.donation_id, r.claim_minor]));
    expect(today).toMatchObject({ g_part: 6000, g_dup: 2000 });
    expect(today.g_full).toBeUndefined();
  });
});
