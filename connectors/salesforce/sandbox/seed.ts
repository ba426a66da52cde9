import { appealNight, type Scenario, type ScenarioOptions } from '../../../core/scenario/appeal-night.js';
import type { WorldCrm } from '../../../core/scenario/recon-world.js';
import { fromMinorUnits } from '../../../core/money.js';
import { seedLedger as seedBraintreeLedger } from '../../braintree/sandbox/seed.js';
import { seedLedger } from '../../stripe/sandbox/seed.js';
import { SeededRandom } from '../../sandbox-kit/seeded-ids.js';
import { sandboxSupporterEmail } from '../../sandbox-kit/donations.js';
import type { Org } from './org.js';
import { RECORD_TYPES } from './schema.js';

const MINUTE = 60_000;
const DAY = 86_400_000;

export interface SalesforceSeed {
  /** The appeal whose donations become gifts; gifts paid through Stripe carry the charge id the Stripe sandbox seeded from the same scenario. */
  scenario?: ScenarioOptions;
  /** The Braintree sandbox's appeal: its Braintree donations become gifts naming the transaction ids that sandbox seeded. */
  braintreeScenario?: ScenarioOptions;
  /** Extra Opportunities with no scenario behind them (volume), spread over the last 14 days. */
  opportunities?: number;
  /** The reconciliation world's CRM records (core/scenario/recon-world.ts), with their own ids and dates. */
  crm?: WorldCrm;
}

/**
 * Fill the org the way NPSP fills it: a campaign, a contact per supporter, a Closed Won opportunity
 * per donation with its payment (the gateway's id in npsp__Gateway_Payment_ID__c, so reconciliation
 * can tie a gift to the money), a few pledges without payment, a refund as a negative payment, monthly
 * recurring donations, and 60/40 fund allocations.
 */
export function seedOrg(org: Org, seed: SalesforceSeed): void {
  const rand = new SeededRandom(seed.scenario?.seed ?? 7);
  if (seed.scenario) seedScenario(org, rand, appealNight(seed.scenario), stripeRefs(seed.scenario, org.now()), () => true);
  if (seed.braintreeScenario) {
    const scenario = appealNight(seed.braintreeScenario);
    seedScenario(org, rand, scenario, braintreeRefs(scenario, org.now()), (d) => d.payment_provider === 'braintree');
  }
  if (seed.crm) seedWorldCrm(org, seed.crm, org.now() - 5 * MINUTE);
  const n = seed.opportunities ?? 0;
  const start = org.now() - 14 * DAY;
  for (let i = 0; i < n; i++) {
    const at = start + Math.floor((i * (14 * DAY - MINUTE)) / Math.max(1, n));
    org.insert('Opportunity', { Name: `Gift ${i + 1}`, RecordTypeId: RECORD_TYPES.donation.id, Amount: 10 + (i % 5) * 5, CloseDate: new Date(at).toISOString().slice(0, 10), StageName: 'Closed Won', IsWon: true, IsClosed: true }, at);
  }
}

/** The Stripe sandbox seeded from the same scenario gives each donation the same charge id. */
function stripeRefs(opts: ScenarioOptions, now: number): Map<string, string> {
  const stripe = seedLedger({ scenario: opts, nowSec: () => Math.floor(now / 1000) });
  return new Map(stripe.charges.items.filter((c) => c.status === 'succeeded' && c.metadata.donation_id).map((c) => [c.metadata.donation_id!, c.id]));
}

/** Likewise the Braintree sandbox: each of the scenario's Braintree donations, its sale's transaction id. */
function braintreeRefs(scenario: Scenario, now: number): Map<string, string> {
  const { ledger } = seedBraintreeLedger({ scenario, now });
  return new Map(ledger.transactions.filter((t) => t.type === 'sale' && t.order_id && t.status !== 'processor_declined').map((t) => [t.order_id!, t.id]));
}

function seedScenario(org: Org, rand: SeededRandom, scenario: Scenario, chargeOf: Map<string, string>, wanted: (d: Scenario['donations'][number]) => boolean): void {
  const now = org.now();
  const first = Date.parse(scenario.donations[0]?.occurred_at ?? new Date(now).toISOString());
  const campaignId = org.insert('Campaign', { Name: scenario.campaign, Status: 'In Progress', StartDate: new Date(first).toISOString().slice(0, 10), IsActive: true, ExpectedRevenue: 50000 }, first - DAY);
  const gau = ['a0B8dGENERALFUND01', 'a0B8dEMERGENCYAPP1'];
  const contacts = new Map<string, string>();
  for (const d of scenario.donations) {
    const at = Date.parse(d.occurred_at);
    if (at > now || !wanted(d)) continue;
    let contactId = contacts.get(d.supporter_id);
    if (!contactId) {
      // NPSP gives each person a household account, and the appeal's campaign lists them as members.
      const household = org.insert('Account', { Name: `Supporter ${contacts.size + 1} Household`, RecordTypeId: RECORD_TYPES.householdAccount.id, npe01__SYSTEM_AccountType__c: 'Household Account', BillingPostalCode: 'SW1A 1AA' }, at);
      contactId = org.insert('Contact', {
        FirstName: 'Sam', LastName: `Supporter ${contacts.size + 1}`, Email: sandboxSupporterEmail(d.supporter_id), MailingPostalCode: 'SW1A 1AA', AccountId: household,
        Gift_Aid_Declared__c: rand.chance(0.4),
      }, at);
      contacts.set(d.supporter_id, contactId);
      org.insert('CampaignMember', { CampaignId: campaignId, ContactId: contactId, Status: 'Responded', HasResponded: true }, at);
    }
    const amount = Number(fromMinorUnits(d.amount_minor, d.currency));
    const ref = chargeOf.get(d.donation_id) ?? null;
    // Pledges (no payment yet) only among gifts no provider took money for: the CRM records what was paid.
    const pledge = rand.chance(0.03) && ref === null;
    const commit = at + rand.int(1, 5) * MINUTE; // the CRM hears of a gift a few minutes after the money
    const gift = org.insert('Opportunity', {
      Name: `${d.donation_id} donation`, Amount: amount, RecordTypeId: (amount >= 1000 ? RECORD_TYPES.majorGift : RECORD_TYPES.donation).id, CloseDate: d.occurred_at.slice(0, 10), StageName: pledge ? 'Pledged' : 'Closed Won',
      IsWon: !pledge, IsClosed: !pledge, CampaignId: campaignId, npsp__Primary_Contact__c: contactId, Donation_ID__c: d.donation_id,
    }, commit);
    org.insert('OpportunityContactRole', { OpportunityId: gift, ContactId: contactId, Role: 'Donor', IsPrimary: true }, commit);
    if (pledge) continue;
    const payment = org.insert('npe01__OppPayment__c', {
      npe01__Opportunity__c: gift, npe01__Payment_Amount__c: amount, npe01__Payment_Date__c: d.occurred_at.slice(0, 10), npe01__Paid__c: true,
      npe01__Written_Off__c: false, npe01__Payment_Method__c: d.channel === 'online' ? 'Credit Card' : 'Other', npsp__Gateway_Payment_ID__c: ref, npsp__Type__c: 'Sale',
    }, commit);
    if (rand.chance(0.2)) {
      const sixty = Math.round(d.amount_minor * 0.6);
      for (const [g, minor] of [[gau[0]!, sixty], [gau[1]!, d.amount_minor - sixty]] as const) {
        org.insert('npsp__Allocation__c', { npsp__Opportunity__c: gift, npsp__General_Accounting_Unit__c: g, npsp__Amount__c: Number(fromMinorUnits(minor, d.currency)) }, commit);
      }
    }
    if (rand.chance(0.02) && commit + DAY <= now) {
      org.insert('npe01__OppPayment__c', {
        npe01__Opportunity__c: gift, npe01__Payment_Amount__c: -amount, npe01__Payment_Date__c: new Date(commit + DAY).toISOString().slice(0, 10), npe01__Paid__c: true,
        npe01__Written_Off__c: false, npsp__Type__c: 'Refund', npsp__OriginalPayment__c: payment,
      }, commit + DAY);
    }
    if (rand.chance(0.05)) {
      const rd = org.insert('npe03__Recurring_Donation__c', {
        npe03__Amount__c: amount, npe03__Contact__c: contactId, npe03__Installment_Period__c: 'Monthly', npsp__InstallmentFrequency__c: 1,
        npsp__Status__c: 'Active', npsp__RecurringType__c: 'Open', npsp__CommitmentId__c: null,
      }, commit);
      org.insert('npsp__Allocation__c', { npsp__Recurring_Donation__c: rd, npsp__General_Accounting_Unit__c: gau[0]!, npsp__Percent__c: 100 }, commit);
      org.update('Opportunity', gift, { npe03__Recurring_Donation__c: rd }, commit);
    }
  }
}

/**
 * The world's gifts and gift payments as NPSP rows, so the connector maps them back to the same payloads:
 * CreatedDate is the record's occurred_at; SystemModstamp is `at` (the world's dates may lie ahead of the
 * sandbox's clock, and a sync reads by SystemModstamp). A cheque's reference goes where NPSP keeps it.
 */
export function seedWorldCrm(org: Org, crm: WorldCrm, at: number): void {
  const text = (v: unknown) => (typeof v === 'string' ? v : null);
  const money = (minor: unknown, currency: unknown) => Number(fromMinorUnits(minor as number, currency as string));
  for (const g of crm.gifts) {
    const id = org.insert('Opportunity', {
      Id: text(g.gift_id), CreatedDate: Date.parse(g.occurred_at as string), Name: `Gift ${String(g.gift_id)}`, CurrencyIsoCode: text(g.currency),
      Amount: money(g.amount_minor, g.currency), CloseDate: text(g.close_date), StageName: text(g.stage), IsWon: g.is_won === true, IsClosed: g.is_won === true,
      Donation_ID__c: text(g.donation_id),
    }, at);
    if (g.deleted === true) org.delete('Opportunity', id, at);
  }
  for (const p of crm.giftPayments) {
    const cheque = p.method === 'Check';
    const id = org.insert('npe01__OppPayment__c', {
      Id: text(p.gift_payment_id), CreatedDate: Date.parse(p.occurred_at as string), CurrencyIsoCode: text(p.currency), npe01__Opportunity__c: text(p.gift_id),
      npe01__Payment_Amount__c: money(p.amount_minor, p.currency), npe01__Payment_Date__c: text(p.payment_date), npe01__Scheduled_Date__c: text(p.scheduled_date),
      npe01__Paid__c: p.paid === true, npe01__Written_Off__c: p.written_off === true, npe01__Payment_Method__c: text(p.method),
      npsp__Gateway_Payment_ID__c: cheque ? null : text(p.payment_ref), npe01__Check_Reference_Number__c: cheque ? text(p.payment_ref) : null,
      npsp__OriginalPayment__c: text(p.original_payment_id), npsp__Type__c: (p.amount_minor as number) < 0 ? 'Refund' : 'Sale',
    }, at);
    if (p.deleted === true) org.delete('npe01__OppPayment__c', id, at);
  }
}

/** A new online gift with its paid payment, now (live mode: the CRM keeps recording gifts). */
export function addLiveGift(org: Org, rand: SeededRandom): string {
  const amount = rand.pick([5, 10, 10, 20, 25, 50]);
  const today = new Date(org.now()).toISOString().slice(0, 10);
  const gift = org.insert('Opportunity', { Name: 'Online donation', Amount: amount, CloseDate: today, StageName: 'Closed Won', IsWon: true, IsClosed: true, Donation_ID__c: `don_${rand.chars(14, 'abcdefghijklmnopqrstuvwxyz0123456789')}` });
  org.insert('npe01__OppPayment__c', { npe01__Opportunity__c: gift, npe01__Payment_Amount__c: amount, npe01__Payment_Date__c: today, npe01__Paid__c: true, npe01__Written_Off__c: false, npe01__Payment_Method__c: 'Credit Card', npsp__Type__c: 'Sale' });
  return gift;
}
