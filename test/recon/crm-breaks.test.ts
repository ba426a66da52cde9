// The CRM side of reconciliation on a small hand-made lake: CRM gift payments join provider payments by the
// processor's id (the charge's or, for Stripe, its payment intent's), and each CRM break opens on its case and
// on no control. Landed through the real queue, consumers, Parquet and DuckDB.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { makeEnvelope } from '../../core/envelope.js';
import { setReconParams } from '../../puddles/reports.js';
import type { Lake } from '../puddles/lake-fixture.js';
import { landReconLake } from './recon-lake.js';

let lake: Lake;
const CRM = ['GIFT_MISSING', 'GIFT_AMOUNT_DIFFERS', 'GIFT_NOT_PAID', 'GATEWAY_ID_REUSED', 'CRM_REFUND_MISSING'];
const DAY1 = '2026-12-01T10:00:00.000Z';

const env = (contract: string, version: number, payload: Record<string, unknown>) =>
  makeEnvelope({ contract, version, source: 'test', stream: contract, payload, received_at: '2027-01-19T00:00:00.000Z', delivery_id: 'crm-test' });
const pay = (id: string, amount: number, o: Record<string, unknown> = {}) =>
  env('payment', 2, { payment_id: id, occurred_at: DAY1, provider: 'stripe', status: 'succeeded', amount_minor: amount, currency: 'GBP', ...o });
const gift = (id: string, amount: number, o: Record<string, unknown> = {}) =>
  env('gift', 2, { gift_id: id, occurred_at: DAY1, amount_minor: amount, currency: 'GBP', stage: 'Closed Won', is_won: true, close_date: '2026-12-01', ...o });
const gp = (id: string, giftId: string, amount: number, ref: string | null, o: Record<string, unknown> = {}) =>
  env('gift_payment', 1, { gift_payment_id: id, occurred_at: DAY1, gift_id: giftId, amount_minor: amount, currency: 'GBP', paid: true, written_off: false, payment_date: '2026-12-01', payment_ref: ref, ...o });

beforeAll(async () => {
  const envelopes = [
    env('donation', 1, { donation_id: 'don_a', occurred_at: DAY1, channel: 'online', amount_minor: 2500, currency: 'GBP' }),
    env('donation', 1, { donation_id: 'don_c', occurred_at: DAY1, channel: 'online', amount_minor: 3000, currency: 'GBP' }),
    // a CRM payment that stored the payment intent, not the charge: joins, no break; refunded at Stripe only
    pay('ch_a', 2500, { payment_intent_id: 'pi_a', donation_id: 'don_a' }),
    pay('ch_a0', 2500, { payment_intent_id: 'pi_a', status: 'failed', occurred_at: '2026-12-01T09:59:00.000Z' }),
    gift('006a', 2500), gp('a01a', '006a', 2500, 'pi_a'),
    env('refund', 1, { refund_id: 're_a', occurred_at: '2026-12-05T10:00:00.000Z', provider: 'stripe', payment_id: 'ch_a', status: 'succeeded', amount_minor: 2500, currency: 'GBP' }),
    // recorded for 12.00, taken 10.00; refunded at Stripe and in the CRM
    pay('ch_b', 1000), gift('006b', 1200), gp('a01b', '006b', 1200, 'ch_b'), gp('a01b_r', '006b', -1200, 'ch_b', { original_payment_id: 'a01b' }),
    env('refund', 1, { refund_id: 're_b', occurred_at: '2026-12-05T10:00:00.000Z', provider: 'stripe', payment_id: 'ch_b', status: 'succeeded', amount_minor: 1000, currency: 'GBP' }),
    // no CRM record (a deleted one does not count); a recent one inside the grace; a failed one
    pay('ch_c', 3000, { donation_id: 'don_c' }), gift('006c', 3000, { deleted: true }), gp('a01c', '006c', 3000, 'ch_c', { deleted: true }),
    pay('ch_d', 500, { occurred_at: '2027-01-18T10:00:00.000Z' }),
    // a gift deleted in the CRM whose payment record was not (Salesforce deletes them together; an org that kept
    // one, or a sandbox, does not): its payment does not count either, so no GIFT_AMOUNT_DIFFERS, and GIFT_MISSING
    pay('ch_dg', 900), gift('006dg', 800, { deleted: true }), gp('a01dg', '006dg', 800, 'ch_dg'),
    pay('ch_e', 900, { status: 'failed' }),
    // won but unpaid; a pledge that is not won; a cheque paid in the CRM with no provider payment
    gift('006f', 4000), gp('a01f', '006f', 4000, null, { paid: false }),
    gift('006g', 5000, { stage: 'Pledged', is_won: false }),
    gift('006k', 6000), gp('a01k', '006k', 6000, 'CHQ-100234', { method: 'Check' }),
    // one gateway id on two CRM payments of two gifts; the payment is a donation's, whose journey names the break
    env('donation', 1, { donation_id: 'don_h', occurred_at: DAY1, channel: 'online', amount_minor: 700, currency: 'GBP' }),
    pay('ch_h', 700, { donation_id: 'don_h' }), gift('006h1', 700), gp('a01h1', '006h1', 700, 'ch_h'),
    gift('006h2', 700, { occurred_at: '2026-12-02T10:00:00.000Z' }), gp('a01h2', '006h2', 700, 'ch_h', { occurred_at: '2026-12-02T10:00:00.000Z' }),
  ];
  lake = await landReconLake({ envelopes, puddles: ['transactions', 'engagement', 'supporters'], asOf: '2027-01-20' });
}, 60_000);

afterAll(async () => {
  await lake?.close();
});

describe('CRM reconciliation', () => {
  it('joins CRM gift payments to payments by charge id or by payment intent (the succeeded charge)', async () => {
    const rows = await lake.engine.query(`SELECT left_id, right_id, rule, amount_diff_minor, reason FROM recon_matches WHERE left_kind = 'gift_payment' ORDER BY left_id`);
    expect(rows.map((r) => [r.left_id, r.right_id, r.rule, r.amount_diff_minor])).toEqual([
      ['a01a', 'ch_a', 'gift_payment.payment_ref', 0],
      ['a01b', 'ch_b', 'gift_payment.payment_ref', -200],
      ['a01h1', 'ch_h', 'gift_payment.payment_ref', 0],
      ['a01h2', 'ch_h', 'gift_payment.payment_ref', 0],
    ]);
    expect(rows[0]!.reason).toMatch(/by its payment intent/);
  });

  it('opens each CRM break on its case and on no control', async () => {
    const rows = await lake.engine.query(`SELECT break_type, object_kind, object_id, amount_minor, related_ids FROM recon_breaks WHERE break_type IN (${CRM.map((t) => `'${t}'`).join(', ')}) ORDER BY break_type, object_id`);
    expect(rows).toEqual([
      { break_type: 'CRM_REFUND_MISSING', object_kind: 'refund', object_id: 're_a', amount_minor: -2500, related_ids: '006a' },
      { break_type: 'GATEWAY_ID_REUSED', object_kind: 'gift_payment', object_id: 'a01h2', amount_minor: 700, related_ids: 'a01h1' },
      { break_type: 'GIFT_AMOUNT_DIFFERS', object_kind: 'gift_payment', object_id: 'a01b', amount_minor: -200, related_ids: '006b' },
      { break_type: 'GIFT_MISSING', object_kind: 'payment', object_id: 'ch_c', amount_minor: 3000, related_ids: null },
      { break_type: 'GIFT_MISSING', object_kind: 'payment', object_id: 'ch_dg', amount_minor: 900, related_ids: null },
      { break_type: 'GIFT_NOT_PAID', object_kind: 'gift', object_id: '006f', amount_minor: 4000, related_ids: null },
    ]);
  });

  it('opens them only once their grace has passed', async () => {
    try {
      await setReconParams(lake.engine, { as_of: '2026-12-08' });
      const rows = await lake.engine.query(`SELECT break_type FROM recon_breaks WHERE break_type IN (${CRM.map((t) => `'${t}'`).join(', ')}) ORDER BY 1`);
      // 7 days: GIFT_MISSING, GIFT_NOT_PAID and CRM_REFUND_MISSING still wait; the others have no grace
      expect(rows.map((r) => r.break_type)).toEqual(['GATEWAY_ID_REUSED', 'GIFT_AMOUNT_DIFFERS']);
    } finally {
      await setReconParams(lake.engine, { as_of: '2027-01-20' });
    }
  });

  it('shows the CRM gift on the journey, and the CRM breaks among the open ones', async () => {
    const rows = await lake.engine.query(`SELECT donation_id, gift_id, gift_stage, paid_to_gift_s, open_breaks FROM recon_journey ORDER BY donation_id`);
    expect(rows[0]).toMatchObject({ donation_id: 'don_a', gift_id: '006a', gift_stage: 'Closed Won', paid_to_gift_s: 0 });
    expect(rows[0]!.open_breaks).toContain('CRM_REFUND_MISSING');
    expect(rows[1]).toMatchObject({ donation_id: 'don_c', gift_id: null, gift_stage: null });
    expect(rows[1]!.open_breaks).toContain('GIFT_MISSING');
  });

  it("lists on each donation's journey every break type open on it, whichever (a fixed list left some out)", async () => {
    const breaks = await lake.engine.query(`SELECT DISTINCT donation_id, break_type FROM recon_breaks WHERE donation_id IS NOT NULL ORDER BY 1, 2`);
    const expected = new Map<string, string[]>();
    for (const b of breaks) expected.set(String(b.donation_id), [...(expected.get(String(b.donation_id)) ?? []), String(b.break_type)]);
    expect(expected.get('don_h')).toContain('GATEWAY_ID_REUSED');
    const journey = await lake.engine.query(`SELECT donation_id, open_breaks FROM recon_journey WHERE open_breaks <> '' ORDER BY donation_id`);
    expect(Object.fromEntries(journey.map((r) => [r.donation_id, r.open_breaks]))).toEqual(Object.fromEntries([...expected].map(([d, types]) => [d, types.join(',')])));
  });
});
