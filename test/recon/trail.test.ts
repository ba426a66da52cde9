// An auditor's sample: one donation's whole trail (click -> donation -> payment -> payout -> bank line), each step
// with its evidence: the envelope as received, when, from which source and stream, and which version stands and
// why (recon_trail). Over the recon world, plus a split payment, landed through the real queue, consumers, Parquet
// and DuckDB: a refunded donation, a split payment, a failed payout and a corrected donation.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { makeEnvelope } from '../../core/envelope.js';
import { reconWorld } from '../../core/scenario/recon-world.js';
import { PUDDLES } from '../../puddles/definitions.js';
import type { Lake } from '../puddles/lake-fixture.js';
import { landReconLake } from './recon-lake.js';

const world = reconWorld({ seed: 9, donations: 60 });
const env = (contract: string, payload: Record<string, unknown>) =>
  makeEnvelope({ contract, version: 1, source: 'test', stream: contract, payload, received_at: '2026-11-20T00:00:00.000Z', delivery_id: 'split' });
const split = [
  env('donation', { donation_id: 'd_split', occurred_at: '2026-11-18T12:00:00Z', channel: 'online', amount_minor: 10000, currency: 'GBP' }),
  // A donation naming a click that never arrived (the page's beacon lost).
  env('donation', { donation_id: 'd_noclick', occurred_at: '2026-11-18T12:00:00Z', channel: 'online', amount_minor: 500, currency: 'GBP', click_id: 'clk_never' }),
  ...[['ch_s1', 6000], ['ch_s2', 4000]].map(([id, amount], i) =>
    env('payment', { payment_id: id, occurred_at: `2026-11-18T12:00:0${i}Z`, provider: 'stripe', status: 'succeeded', amount_minor: amount, currency: 'GBP', donation_id: 'd_split' }),
  ),
];

interface Step {
  step: number;
  object_kind: string;
  object_id: string;
  linked_by: string;
  envelope_id: string;
  source: string;
  stream: string | null;
  received_at: string;
  fate: string;
  standing_id: string | null;
  why: string;
  envelope: string;
}

let lake: Lake;
const trail = async (donationId: string) =>
  (await lake.engine.query(`SELECT * FROM recon_trail WHERE donation_id = '${donationId}' ORDER BY step, object_id, received_at`)) as unknown as Step[];

beforeAll(async () => {
  lake = await landReconLake({ envelopes: [...world.envelopes, ...split], puddles: PUDDLES.map((p) => p.name), asOf: world.asOf });
}, 180_000);
afterAll(() => lake?.close());

describe('recon_trail: one donation, every step and its evidence', { timeout: 120_000 }, () => {
  it('follows a refunded donation from its click to the bank line, each step with the envelope as received', async () => {
    const [j] = await lake.engine.query(`SELECT donation_id, click_id, payment_id, payout_id, bank_line_id FROM recon_journey WHERE stage = 'refunded' AND click_id IS NOT NULL AND bank_line_id IS NOT NULL ORDER BY donation_id LIMIT 1`);
    const steps = await trail(String(j!.donation_id));
    const of = (kind: string) => steps.filter((s) => s.object_kind === kind).map((s) => s.object_id);
    expect(of('click')).toEqual([j!.click_id]);
    expect(of('donation')).toEqual([j!.donation_id]);
    expect(of('payment')).toEqual([j!.payment_id]);
    expect(of('refund')).toHaveLength(1);
    // The payout that carried the charge, and the later one that netted its refund, each with its bank line.
    expect(of('payout')).toContain(j!.payout_id);
    expect(of('bank_line')).toContain(j!.bank_line_id);
    const line = steps.find((s) => s.object_kind === 'bank_line' && s.object_id === j!.bank_line_id)!;
    expect(line.linked_by).toMatch(/\(matched\)$/);
    for (const s of steps) {
      const received = JSON.parse(s.envelope) as { id: string; key: string; contract: string; source: string; received_at: string };
      expect(received).toMatchObject({ id: s.envelope_id, key: s.object_id, contract: s.object_kind, source: s.source });
      expect(new Date(received.received_at).getTime()).toBe(new Date(s.received_at).getTime());
      expect(s.fate).toBe('current');
      expect(s.standing_id).toBe(s.envelope_id);
    }
  });

  it("ends every payout on a trail at its matched bank lines, a later payout's that netted a refund too", async () => {
    // Trails with two payouts (the charge's, and the refund's netted in a later one), and each payout's lines.
    const rows = await lake.engine.query(`
      WITH t AS (SELECT donation_id, object_kind, object_id FROM recon_trail),
      p AS (SELECT DISTINCT donation_id, object_id AS payout_id FROM t WHERE object_kind = 'payout'),
      want AS (SELECT DISTINCT p.donation_id, c.bank_line_id FROM p JOIN recon_bank_candidates c ON c.payout_id = p.payout_id WHERE c.outcome IN ('matched', 'reversed')),
      got AS (SELECT DISTINCT donation_id, object_id AS bank_line_id FROM t WHERE object_kind = 'bank_line')
      SELECT (SELECT count(*) FROM want) AS wanted,
        (SELECT count(*) FROM (SELECT * FROM want EXCEPT SELECT * FROM got)) AS missing,
        (SELECT count(*) FROM (SELECT * FROM got EXCEPT SELECT * FROM want)) AS extra,
        (SELECT count(*) FROM (SELECT donation_id FROM want GROUP BY donation_id HAVING count(*) > 1)) AS two_lines`);
    const r = rows[0]!;
    expect(Number(r.two_lines)).toBeGreaterThan(0);
    expect(Number(r.missing)).toBe(0);
    expect(Number(r.extra)).toBe(0);
  });

  it('says a click the donation names but that never arrived is missing, not evidence', async () => {
    const steps = await trail('d_noclick');
    const click = steps.filter((s) => s.object_kind === 'click');
    expect(click).toHaveLength(1);
    expect(click[0]).toMatchObject({ object_id: 'clk_never', fate: 'missing', envelope_id: null, envelope: null });
    expect(click[0]!.why).toMatch(/^never received/);
    expect(steps.filter((s) => s.object_kind !== 'click').every((s) => s.fate !== 'missing')).toBe(true);
  });

  it('lists every part of a split payment', async () => {
    const steps = await trail('d_split');
    expect(steps.filter((s) => s.object_kind === 'payment').map((s) => s.object_id)).toEqual(['ch_s1', 'ch_s2']);
  });

  it('shows a failed payout on the trail of the donations it carried', async () => {
    const [failed] = await lake.engine.query(`SELECT payout_id FROM payout WHERE status = 'failed' ORDER BY payout_id LIMIT 1`);
    const [d] = await lake.engine.query(`SELECT donation_id FROM recon_trail WHERE object_kind = 'payout' AND object_id = '${String(failed!.payout_id)}' LIMIT 1`);
    const steps = await trail(String(d!.donation_id));
    expect(steps.some((s) => s.object_kind === 'payout_item')).toBe(true);
    expect(steps.filter((s) => s.object_kind === 'payout').map((s) => s.object_id)).toContain(failed!.payout_id);
  });

  it('says which version of a corrected donation stands, and which it replaced', async () => {
    const [c] = await lake.engine.query(`SELECT key FROM raw WHERE contract = 'donation' GROUP BY key HAVING count(DISTINCT id) > 1 ORDER BY key LIMIT 1`);
    const versions = (await trail(String(c!.key))).filter((s) => s.object_kind === 'donation');
    expect(versions.map((v) => v.fate).sort()).toEqual(['current', 'superseded']);
    const current = versions.find((v) => v.fate === 'current')!;
    const old = versions.find((v) => v.fate === 'superseded')!;
    expect(old.standing_id).toBe(current.envelope_id);
    expect(old.why).toContain(current.envelope_id);
    const [stands] = await lake.engine.query(`SELECT _id FROM donation WHERE donation_id = '${String(c!.key)}'`);
    expect(stands!._id).toBe(current.envelope_id);
  });
});
