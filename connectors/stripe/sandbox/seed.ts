import { appealNight, type Scenario, type ScenarioOptions } from '../../../core/scenario/appeal-night.js';
import { addBareCharge, addDonation, type StripeDonation } from './donation-flow.js';
import { SandboxRandom, seedFromText } from './ids.js';
import { openDispute, refundCharge } from './late-changes.js';
import { Ledger } from './ledger.js';
import { runPayouts } from './payout-run.js';
import { DAY } from './stripe-objects.js';

const REFUND_RATE = 0.02;
const DISPUTE_RATE = 0.005;
const SYNTHETIC_DAYS = 14;

export interface SeedOptions {
  scenario?: ScenarioOptions | Scenario;
  charges?: number;
  nowSec: () => number;
}

/** Build the account's history up to now: the scenario's Stripe donations, synthetic charges, late changes, payouts. */
export function seedLedger(opts: SeedOptions): Ledger {
  const scenario = resolveScenario(opts);
  const seed = scenario ? seedFromText(scenario.campaign) : 1;
  const ledger = new Ledger(new SandboxRandom(seed), opts.nowSec);
  ledger.campaign = scenario?.campaign ?? null;
  const now = opts.nowSec();

  for (const d of scenario?.donations ?? []) {
    if (d.payment_provider !== 'stripe') continue;
    const charge = addDonation(ledger, { ...d, at: Math.floor(Date.parse(d.occurred_at) / 1000) });
    // Decide both late changes for every charge, so one seed gives one history whatever the clock says.
    const refundAt = charge.created + ledger.rand.int(3_600, 3 * DAY);
    const disputeAt = charge.created + ledger.rand.int(2 * DAY, 20 * DAY);
    const roll = ledger.rand.next();
    if (charge.status !== 'succeeded') continue;
    if (roll < REFUND_RATE && refundAt <= now) refundCharge(ledger, charge, refundAt);
    else if (roll >= 1 - DISPUTE_RATE && disputeAt <= now) openDispute(ledger, charge, disputeAt);
  }

  const n = opts.charges ?? 0;
  if (n > 0) {
    const start = now - SYNTHETIC_DAYS * DAY;
    const step = (SYNTHETIC_DAYS * DAY - 60) / n;
    const currency = scenario?.donations[0]?.currency ?? 'GBP';
    for (let i = 0; i < n; i++) {
      addBareCharge(ledger, syntheticDonation(ledger.rand, Math.floor(start + i * step), currency));
    }
  }

  runPayouts(ledger, now);
  ledger.settle(now);
  ledger.goLive();
  return ledger;
}

function resolveScenario(opts: SeedOptions): Scenario | null {
  const s = opts.scenario;
  if (s && 'donations' in s && Array.isArray(s.donations)) return s as Scenario;
  if (s) return appealNight(s as ScenarioOptions);
  return opts.charges ? null : appealNight();
}

const AMOUNTS = [500, 1000, 1000, 2000, 2500, 5000, 1000, 500, 10000, 1500];

/** A donation with no scenario behind it (benchmark volume), or a live one answering the seeded scenario's campaign. */
export function syntheticDonation(rand: SandboxRandom, at: number, currency: string, campaign: string | null = null): StripeDonation {
  const online = rand.chance(0.85);
  return {
    donation_id: rand.id('don_', 14),
    at,
    channel: online ? 'online' : 'call_centre',
    amount_minor: rand.pick(AMOUNTS),
    currency,
    campaign,
    click_id: online ? rand.id('clk_', 14) : null,
    supporter_id: rand.id('sup_', 14),
  };
}
