// The reconciliation world's CRM side through the real path: the Salesforce sandbox seeded with the world's
// gifts and gift payments, synced by the connector (jsforce), landed, reads back as the very payloads the world
// hands the recon tests directly, so the demo (which takes the sandbox path) and the tests check one world.
import { describe, expect, it } from 'vitest';
import { DEMO_MAX_AHEAD_MS } from '../core/contracts/time-bounds.js';
import { reconWorld } from '../core/scenario/recon-world.js';
import { salesforceHarness } from './support/salesforce-harness.js';

const GIFT = ['gift_id', 'occurred_at', 'amount_minor', 'currency', 'stage', 'close_date', 'deleted', 'is_won', 'donation_id'];
const PAYMENT = ['gift_payment_id', 'occurred_at', 'gift_id', 'amount_minor', 'currency', 'paid', 'written_off', 'payment_date', 'scheduled_date', 'method', 'payment_ref', 'original_payment_id', 'deleted'];

const pick = (r: Record<string, unknown>, cols: string[]) =>
  Object.fromEntries(cols.map((c) => [c, c === 'occurred_at' && r[c] ? new Date(r[c] as string).toISOString() : (r[c] ?? null)]));

// The world is a fixed calendar to 2027-01-20, synced by a sandbox at 2026-11-29: as `puddle demo` does, this takes
// its later days (a hub taking real data quarantines a record dated more than a day ahead), by its runtime's setting.

describe('the reconciliation world in the Salesforce sandbox', () => {
  it('syncs back to the payloads the world gives the recon tests', async () => {
    const world = reconWorld({ seed: 9, donations: 120 });
    const h = await salesforceHarness({ crm: world.crm, multiCurrency: true });
    h.engineRuntime.maxAheadMs = DEMO_MAX_AHEAD_MS;
    try {
      const runs = await h.sync({ streams: ['gifts', 'gift_payments'] });
      expect(runs.map((r) => r.outcome)).toEqual(['succeeded', 'succeeded']);
      await h.land();
      const gifts = await h.q(`SELECT ${GIFT.join(', ')} FROM gift ORDER BY gift_id`);
      expect(gifts.map((g) => pick(g, GIFT))).toEqual(world.crm.gifts.map((g) => pick(g, GIFT)).sort((a, b) => String(a.gift_id).localeCompare(String(b.gift_id))));
      const payments = await h.q(`SELECT ${PAYMENT.join(', ')} FROM gift_payment ORDER BY gift_payment_id`);
      expect(payments.map((p) => pick(p, PAYMENT))).toEqual(world.crm.giftPayments.map((p) => pick(p, PAYMENT)).sort((a, b) => String(a.gift_payment_id).localeCompare(String(b.gift_payment_id))));
      // one of them is in EUR (a multi-currency org), and Stripe payments are named by charge and by intent
      expect(payments.some((p) => p.currency === 'EUR')).toBe(true);
      expect(new Set(payments.map((p) => String(p.payment_ref).slice(0, 3)))).toEqual(new Set(['ch_', 'pi_', 'bt_', 'CHQ', 'nul']));
    } finally {
      await h.close();
    }
  });
});
