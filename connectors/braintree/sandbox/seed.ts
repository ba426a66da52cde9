import { appealNight, type Scenario, type ScenarioOptions } from '../../../core/scenario/appeal-night.js';
import { donationChannel } from '../../sandbox-kit/donations.js';
import { disburseDue } from './disbursement-run.js';
import { openDispute } from './disputes.js';
import { SandboxRandom, seedFromText } from './ids.js';
import { Ledger } from './ledger.js';
import { settleDue } from './settlement.js';
import { DAY, HOUR } from './time.js';
import { cancelSubscription, chargeSubscription, createSubscription } from './subscriptions.js';
import { createSale, settlementDueAt, refundSale, type NewSale } from './transactions.js';
import type { SandboxTransaction } from './types.js';

const DECLINE_RATE = 0.03;
const REFUND_RATE = 0.02;
const DISPUTE_RATE = 0.005;
const SYNTHETIC_DAYS = 14;
const AMOUNTS = [500, 1000, 1000, 2000, 2500, 5000, 1000, 500, 10000, 1500];

export interface SeedOptions {
  scenario?: ScenarioOptions | Scenario;
  transactions?: number;
  subscriptions?: number;
  now: number;
}

/**
 * The gateway's history up to now, replayed in time order so that settlement, refunds, chargebacks and
 * disbursements happen in the order they would have: the scenario's Braintree donations, then synthetic sales.
 */
export function seedLedger(opts: SeedOptions): { ledger: Ledger; currency: string; campaign: string | null } {
  const scenario = resolveScenario(opts);
  const seed = scenario ? seedFromText(scenario.campaign) : 1;
  const ledger = new Ledger(new SandboxRandom(seed), seed);
  const currency = scenario?.donations[0]?.currency ?? 'GBP';
  const later: { at: number; apply: () => void }[] = [];

  const add = (sale: NewSale): void => {
    const tx = createSale(ledger, sale);
    // Decide every late change for every sale, so one seed gives one history whatever the clock says.
    const refundAt = settlementDueAt(sale.at) + ledger.rand.int(HOUR, 3 * DAY);
    const disputeAt = settlementDueAt(sale.at) + ledger.rand.int(2 * DAY, 20 * DAY);
    const roll = ledger.rand.next();
    if (tx.status === 'processor_declined') return;
    if (roll < REFUND_RATE && refundAt <= opts.now) later.push({ at: refundAt, apply: () => lateChange(tx, () => refundSale(ledger, tx, refundAt)) });
    else if (roll >= 1 - DISPUTE_RATE && disputeAt <= opts.now) later.push({ at: disputeAt, apply: () => lateChange(tx, () => openDispute(ledger, tx, disputeAt)) });
  };

  for (const d of scenario?.donations ?? []) {
    if (d.payment_provider !== 'braintree') continue;
    const fields: Record<string, string> = { donation_id: d.donation_id, supporter_id: d.supporter_id, campaign: d.campaign };
    if (d.click_id) fields.click_id = d.click_id;
    add({
      at: Date.parse(d.occurred_at),
      amountMinor: d.amount_minor,
      currency: d.currency,
      orderId: d.donation_id,
      customFields: fields,
      customerId: d.supporter_id,
      source: d.channel === 'call_centre' ? 'control_panel' : 'api',
      declined: ledger.rand.chance(DECLINE_RATE),
      donation: {
        donation_id: d.donation_id, occurred_at: d.occurred_at, channel: donationChannel(d.channel), amount_minor: d.amount_minor, currency: d.currency,
        campaign: d.campaign, cta: d.cta, click_id: d.click_id, supporter_id: d.supporter_id, payment_provider: 'braintree',
      },
    });
  }

  const n = opts.transactions ?? 0;
  if (n > 0) {
    const start = opts.now - SYNTHETIC_DAYS * DAY;
    const step = (SYNTHETIC_DAYS * DAY - 60_000) / n;
    for (let i = 0; i < n; i++) add(syntheticSale(ledger.rand, Math.floor(start + i * step), currency));
  }

  for (let i = 0; i < (opts.subscriptions ?? 0); i++) seedSubscription(ledger, i, opts.now, currency);

  for (const change of later.sort((a, b) => a.at - b.at)) {
    settleDue(ledger, change.at);
    disburseDue(ledger, change.at);
    change.apply();
  }
  settleDue(ledger, opts.now);
  disburseDue(ledger, opts.now);
  ledger.goLive();
  // The campaign live sales answer (addTransactions), as the Stripe sandbox's live gifts do.
  return { ledger, currency, campaign: scenario?.campaign ?? null };
}

/** A refund and a dispute for one sale cannot both happen; the first to apply wins. */
function lateChange(tx: SandboxTransaction, apply: () => void): void {
  if (tx.status === 'settled' && tx.refund_ids.length === 0 && tx.dispute_ids.length === 0) apply();
}

function resolveScenario(opts: SeedOptions): Scenario | null {
  const s = opts.scenario;
  if (s && 'donations' in s && Array.isArray(s.donations)) return s as Scenario;
  if (s) return appealNight(s as ScenarioOptions);
  return opts.transactions ? null : appealNight();
}

/** A sale with no scenario behind it (benchmark volume), or a live one (addTransactions) answering the seeded scenario's campaign. */
export function syntheticSale(rand: SandboxRandom, at: number, currency: string, campaign: string | null = null): NewSale {
  const donationId = `don_${rand.id(14, 'abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789')}`;
  const amountMinor = rand.pick(AMOUNTS);
  return {
    at,
    amountMinor,
    currency,
    orderId: donationId,
    customFields: campaign === null ? { donation_id: donationId } : { donation_id: donationId, campaign },
    customerId: null,
    source: 'api',
    declined: rand.chance(DECLINE_RATE),
    donation: { donation_id: donationId, occurred_at: new Date(at).toISOString(), channel: 'online', amount_minor: amountMinor, currency, campaign, payment_provider: 'braintree' },
  };
}

/**
 * The i-th seeded monthly gift: begun 120 + 9i days before now at 10:00, charged on its billing day since. One in
 * three is cancelled from the Control Panel three days before its third charge; one in three expires after three.
 */
function seedSubscription(ledger: Ledger, i: number, now: number, currency: string): void {
  const at = Math.floor(now / DAY) * DAY - (120 + 9 * i) * DAY + 10 * HOUR;
  if (at > now) return;
  const sub = createSubscription(ledger, { at, amountMinor: ledger.rand.pick(AMOUNTS), currency, customerId: ledger.rand.id(9, '0123456789'), cycles: i % 3 === 2 ? 3 : null });
  for (;;) {
    const due = Date.parse(`${sub.next_billing_date}T00:00:00Z`) + 10 * HOUR;
    if (sub.status !== 'Active' || due > now) return;
    if (i % 3 === 1 && sub.current_billing_cycle === 2) {
      cancelSubscription(ledger, sub, due - 3 * DAY, 'control_panel');
      return;
    }
    chargeSubscription(ledger, sub, due, false);
  }
}
