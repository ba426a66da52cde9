// recon_provider_balance over the reconciliation world: at a month end, each provider's balance is the roll-forward
// worked out here in TypeScript from the world's own records (not the view's SQL), and the payouts in transit are
// those that left the provider by then and that no bank line booked by then carries (the world's matches). Until
// 2026-12-07 no report gave either, and a treasurer built them by hand from payout_item (user test, M6).
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { reconWorld, type ReconWorld } from '../../core/scenario/recon-world.js';
import { setReconParams } from '../../puddles/reports.js';
import type { Lake } from '../puddles/lake-fixture.js';
import { landReconLake } from './recon-lake.js';

type R = Record<string, unknown>;

let lake: Lake;
let world: ReconWorld;

beforeAll(async () => {
  world = reconWorld({ seed: 9, donations: 80 });
  lake = await landReconLake({ envelopes: world.envelopes, puddles: ['transactions'], asOf: world.asOf });
}, 360_000);

afterAll(async () => {
  await lake?.close();
});

/** Each record of a contract as it stands: the latest version by updated_at, else occurred_at. */
function records(contract: string, key: string): R[] {
  const byId = new Map<string, R>();
  const at = (r: R) => String(r.updated_at ?? r.occurred_at);
  for (const e of world.envelopes) {
    if (e.contract !== contract) continue;
    const p = e.payload as R;
    const was = byId.get(String(p[key]));
    if (!was || at(p) >= at(was)) byId.set(String(p[key]), p);
  }
  return [...byId.values()];
}

const day = (r: R, field = 'occurred_at') => String(r[field]).slice(0, 10);
const n = (v: unknown) => (typeof v === 'number' ? v : 0);
const TAKES_MONEY = ['needs_response', 'under_review', 'lost', 'appeal_needs_response', 'appeal_under_review', 'open', 'disputed', 'accepted', 'auto_accepted', 'expired'];
const SUCCEEDED = ['succeeded', 'paid', 'submitted_for_settlement', 'settling', 'settled', 'settlement_confirmed'];

/** The roll-forward a treasurer would do by hand, per provider|currency, and the payouts in transit, as of `asOf`. */
function byHand(asOf: string) {
  const rows = new Map<string, { charges: number; fees: number; refunds: number; disputes: number; disputeFees: number; paidOut: number; inTransit: number }>();
  const row = (provider: unknown, currency: unknown) => {
    const k = `${String(provider)}|${String(currency)}`;
    if (!rows.has(k)) rows.set(k, { charges: 0, fees: 0, refunds: 0, disputes: 0, disputeFees: 0, paidOut: 0, inTransit: 0 });
    return rows.get(k)!;
  };
  const items = records('payout_item', 'payout_item_id').filter((i) => day(i) <= asOf);
  for (const p of records('payment', 'payment_id')) {
    if (!SUCCEEDED.includes(String(p.status)) || day(p) > asOf) continue;
    // What the provider settled for it: the payout item listing it by then, else the payment itself.
    const item = items.find((i) => i.payment_id === p.payment_id && n(i.amount_minor) > 0 && (p.payout_id == null || i.payout_id === p.payout_id));
    const r = row(p.provider, item?.currency ?? p.currency);
    r.charges += n(item?.amount_minor ?? p.amount_minor);
    r.fees += item ? n(item.fee_minor) : n(p.fee_minor);
  }
  for (const f of records('refund', 'refund_id')) if (SUCCEEDED.includes(String(f.status)) && day(f) <= asOf) row(f.provider, f.currency).refunds += n(f.amount_minor);
  for (const d of records('dispute', 'dispute_id')) if (TAKES_MONEY.includes(String(d.status)) && day(d) <= asOf) row(d.provider, d.currency).disputes += n(d.amount_minor);
  for (const i of items) if (i.type === 'adjustment' || i.type === 'dispute') row(i.provider, i.currency).disputeFees += n(i.fee_minor);
  const lines = new Map(records('bank_line', 'bank_line_id').map((l) => [String(l.bank_line_id), l]));
  const bankedBy = (payoutId: string) =>
    world.truth.matches.some((m) => m.left_kind === 'payout' && m.left_id === payoutId && m.right_kind === 'bank_line' && day(lines.get(m.right_id)!, 'booking_date') <= asOf);
  const inTransit: string[] = [];
  for (const o of records('payout', 'payout_id')) {
    // A failed payout's money came back to the provider (its reversal item is then not counted either).
    if (day(o) > asOf || o.status === 'failed' || o.status === 'canceled') continue;
    const r = row(o.provider, o.currency);
    r.paidOut += n(o.amount_minor);
    if (!bankedBy(String(o.payout_id))) {
      r.inTransit += n(o.amount_minor);
      inTransit.push(String(o.payout_id));
    }
  }
  const balances = [...rows].map(([k, r]) => {
    const [provider, currency] = k.split('|');
    const balance = r.charges - r.fees - r.refunds - r.disputes - r.disputeFees - r.paidOut;
    return { provider, currency, charges_minor: r.charges, fees_minor: r.fees, refunds_minor: r.refunds, disputes_minor: r.disputes, dispute_fees_minor: r.disputeFees, other_net_minor: 0, paid_out_minor: r.paidOut, balance_minor: balance, in_transit_minor: r.inTransit, not_banked_minor: balance + r.inTransit };
  });
  return { balances: balances.sort((a, b) => `${a.provider}|${a.currency}`.localeCompare(`${b.provider}|${b.currency}`)), inTransit: inTransit.sort() };
}

describe('money at the providers and in transit, over the world', { timeout: 360_000 }, () => {
  it.each(['2026-11-28', '2026-11-30', '2026-12-31'])('as of %s: the roll-forward by hand, and the payouts in transit', async (asOf) => {
    await setReconParams(lake.engine, { as_of: asOf });
    const expected = byHand(asOf);
    const provider = await lake.engine.query(
      `SELECT provider, currency, charges_minor, fees_minor, refunds_minor, disputes_minor, dispute_fees_minor, other_net_minor, paid_out_minor, balance_minor, in_transit_minor, not_banked_minor
       FROM recon_provider_balance WHERE row_kind = 'provider' ORDER BY provider, currency`,
    );
    expect(provider.map((r) => Object.fromEntries(Object.entries(r).map(([k, v]) => [k, typeof v === 'bigint' ? Number(v) : v])))).toEqual(expected.balances);
    const payouts = await lake.engine.query(`SELECT payout_id FROM recon_provider_balance WHERE row_kind = 'payout' ORDER BY payout_id`);
    expect(payouts.map((r) => r.payout_id)).toEqual(expected.inTransit);
    // The world has money at both providers and something in transit on each date.
    expect(expected.balances.map((b) => b.provider)).toEqual(expect.arrayContaining(['braintree', 'stripe']));
    expect(expected.inTransit.length).toBeGreaterThan(0);
  });
});
