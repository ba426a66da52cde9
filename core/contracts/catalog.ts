import { defineContract } from './contract.js';
import { DONATION_STATUS_ALIASES, DONATION_STATUS_VALUES } from './donation-status.js';
import { DISPUTE_STATUS_VALUES, PAYMENT_STATUS_ALIASES, PAYMENT_STATUS_VALUES, PAYOUT_STATUS_ALIASES, PAYOUT_STATUS_VALUES } from './money-status.js';
import { boolean, currency, date, int, json, nonNegativeInt, oneOf, oneOfNormalised, string, timestamp } from './schema.js';

// The v1 contracts. Field names listed in issue #2 are a public interface; keep them stable.
// Money: `*_minor` integers + ISO 4217 `currency`. Times: UTC. Ids: the provider's own.
// Sign: money that only flows one way is `nonNegativeInt()` (a gift, a charge, a refund's or a dispute's own
// amount: giving back has its own contract, not a negative gift). Money that moves both ways stays a signed
// `int()`: bank lines and payouts (a debit), payout items (refunds, fees, adjustments), fees and nets
// (the reconciliation's FEE_ANOMALY break looks for a negative fee, so one must land), settlement totals.
// Counts and sizes are `nonNegativeInt()` too: there is no such thing as minus two records.

const common = {
  occurred_at: timestamp().doc('When it happened at the source (UTC); partitions by its date'),
  updated_at: timestamp().optional().doc('When the source says this version changed; latest wins'),
};

/**
 * The most one donation may be, in minor units: 10^12, 10 billion in a currency with cents, far above any gift
 * a charity takes (and 10^9 in a three-decimal currency, 10^12 yen). The live totals are JavaScript numbers,
 * exact up to 2^53 (about 9 * 10^15): with each amount at most this, a sum stays exact until more than 9,000
 * donations of the ceiling itself, so every realistic night adds up exactly and the drift check sees a
 * difference of one penny. Above it is a producer's 400 and a connector record's quarantine.
 */
export const MAX_DONATION_MINOR = 1_000_000_000_000;

export const CHANNELS = ['online', 'sms', 'ivr', 'call_centre', 'crm', 'other'] as const;
/**
 * A channel is taken in any case (`SMS`, `IVR`, as agencies write them) and the call centre with a hyphen or a
 * space, as a donation's status is: until 2026-12-03 `"SMS"` was a 400 while `"Cancelled"` was taken.
 */
const CHANNEL_ALIASES = { 'call-centre': 'call_centre', 'call centre': 'call_centre' } as const;

export const click = defineContract({
  name: 'click',
  version: 1,
  doc: 'A supporter clicked a call to action (web, email, TV QR code)',
  fields: {
    click_id: string(),
    ...common,
    campaign: string().freeText(),
    cta: string().freeText(),
    channel: string(),
    url: string().optional().webAddress(),
    session_id: string().optional(),
  },
});

export const donation = defineContract({
  name: 'donation',
  version: 1,
  doc: 'A supporter promised a gift through some channel',
  fields: {
    donation_id: string(),
    ...common,
    channel: oneOfNormalised(CHANNELS, CHANNEL_ALIASES),
    amount_minor: nonNegativeInt()
      .atMost(MAX_DONATION_MINOR, 'one donation is at most 10^12 minor units (10 billion in a currency with cents), so the live totals of any night add up exactly')
      .doc('A pledge is never negative: a refund is its own contract. At most 10^12 minor units'),
    currency: currency(),
    campaign: string().optional().freeText(),
    cta: string().optional().freeText(),
    click_id: string().optional(),
    supporter_id: string().optional().personRef(),
    payment_provider: string().optional(),
    payment_ref: string().optional(),
    gift_aid: boolean().optional(),
    status: oneOfNormalised(DONATION_STATUS_VALUES, DONATION_STATUS_ALIASES)
      .optional()
      .doc('Whether it is money raised, and its stage in the journey: core/contracts/donation-status.ts (absent: pledged)'),
  },
});

export const payment = defineContract({
  name: 'payment',
  version: 1,
  doc: 'Money taken by a payment provider (a Stripe charge, a Braintree transaction)',
  fields: {
    payment_id: string(),
    ...common,
    provider: string(),
    status: oneOfNormalised(PAYMENT_STATUS_VALUES, PAYMENT_STATUS_ALIASES).doc('Whether money moved: core/contracts/money-status.ts'),
    amount_minor: nonNegativeInt(),
    currency: currency(),
    fee_minor: int().optional().doc('Signed: a negative fee lands, for the reconciliation to flag (FEE_ANOMALY)'),
    net_minor: int().optional(),
    donation_id: string().optional(),
    click_id: string().optional(),
    supporter_id: string().optional().personRef(),
    payout_id: string().optional(),
    settlement_batch_id: string().optional(),
    settled_at: timestamp().optional(),
    available_on: timestamp().optional(),
    failure_code: string().optional(),
  },
});

export const refund = defineContract({
  name: 'refund',
  version: 1,
  doc: 'Money given back against a payment',
  fields: {
    refund_id: string(),
    ...common,
    provider: string(),
    payment_id: string(),
    status: oneOfNormalised(PAYMENT_STATUS_VALUES, PAYMENT_STATUS_ALIASES).doc('Whether money was given back: core/contracts/money-status.ts'),
    amount_minor: nonNegativeInt().doc('How much was given back, as a positive amount'),
    currency: currency(),
    reason: string().optional().freeText(),
  },
});

export const dispute = defineContract({
  name: 'dispute',
  version: 1,
  doc: 'A chargeback raised by the card holder',
  fields: {
    dispute_id: string(),
    ...common,
    provider: string(),
    payment_id: string(),
    status: oneOfNormalised(DISPUTE_STATUS_VALUES).doc('Whether the provider took the money: core/contracts/money-status.ts'),
    amount_minor: nonNegativeInt().doc('How much the card holder disputes, as a positive amount'),
    currency: currency(),
    reason: string().optional().freeText(),
    effective_date: date().optional(),
  },
});

export const payout = defineContract({
  name: 'payout',
  version: 1,
  doc: 'A transfer from a provider to the charity bank account (Stripe payout, Braintree disbursement)',
  fields: {
    payout_id: string(),
    ...common,
    provider: string(),
    status: oneOfNormalised(PAYOUT_STATUS_VALUES, PAYOUT_STATUS_ALIASES).doc('Whether the money was sent to the bank: core/contracts/money-status.ts'),
    amount_minor: int().doc('Negative for a debit: the provider took money from the bank account'),
    currency: currency(),
    arrival_date: date().optional(),
    bank_reference: string().optional().doc('What the bank statement shows (statement descriptor)'),
    merchant_account: string().optional(),
  },
});

export const payout_item = defineContract({
  name: 'payout_item',
  version: 1,
  doc: 'One movement inside a payout (a balance transaction, a disbursed transaction)',
  fields: {
    payout_item_id: string(),
    ...common,
    provider: string(),
    payout_id: string(),
    payment_id: string().optional().doc('The payment it moves money for; on a payout reversal (payout_failure, payout_cancel), the payout it gives back'),
    type: string(),
    amount_minor: int().doc('Signed as it moves the payout: a refund, a dispute or a fee is negative'),
    fee_minor: int().optional(),
    net_minor: int().optional(),
    currency: currency(),
  },
});

export const bank_line = defineContract({
  name: 'bank_line',
  version: 1,
  doc: 'One line of the charity bank statement',
  fields: {
    bank_line_id: string(),
    ...common,
    account: string(),
    amount_minor: int().doc('Signed: credits positive, debits negative'),
    currency: currency(),
    reference: string(),
    description: string().optional().freeText(),
    booking_date: date().optional(),
  },
});

export const supporter = defineContract({
  name: 'supporter',
  version: 1,
  doc: 'A person who gives; personal data only as hashes',
  fields: {
    supporter_id: string().personRef(),
    ...common,
    source: string(),
    email_sha256: string().optional().sha256(),
    postcode_district: string().optional(),
    crm_id: string().optional(),
    gift_aid_declared: boolean().optional(),
  },
});

export const ticket = defineContract({
  name: 'ticket',
  version: 1,
  doc: 'A supporter care ticket (Freshdesk)',
  fields: {
    ticket_id: string(),
    ...common,
    status: string(),
    priority: string().optional(),
    subject: string().optional().freeText(),
    supporter_id: string().optional().personRef(),
    donation_id: string().optional(),
    type: string().optional(),
  },
});

export const campaign = defineContract({
  name: 'campaign',
  version: 1,
  doc: 'An appeal or campaign that donations are attributed to',
  fields: {
    campaign_id: string(),
    ...common,
    name: string().freeText(),
    status: string().optional(),
    starts_on: date().optional(),
    ends_on: date().optional(),
    target_minor: nonNegativeInt().optional(),
    currency: currency().optional(),
  },
});

export const gift = defineContract({
  name: 'gift',
  version: 1,
  doc: 'A donation as the CRM records it (Salesforce NPSP Opportunity / payment)',
  fields: {
    gift_id: string(),
    ...common,
    supporter_id: string().optional().personRef(),
    campaign_id: string().optional(),
    amount_minor: nonNegativeInt().doc('A gift is never negative: the CRM records a refund as a negative gift_payment'),
    currency: currency(),
    stage: string().optional(),
    close_date: date().optional(),
    payment_ref: string().optional(),
    deleted: boolean().optional(),
  },
});

export const settlement_summary = defineContract({
  name: 'settlement_summary',
  version: 1,
  doc: "A provider's settlement batch total for one day, merchant account, card type and kind: a control total",
  fields: {
    settlement_summary_id: string().doc('<settlement date>:<merchant account>:<card type>:<kind>'),
    ...common,
    provider: string(),
    settlement_date: date(),
    merchant_account: string(),
    card_type: string(),
    kind: string(),
    count: nonNegativeInt().doc('How many transactions; `kind`, not the sign, says which way they went'),
    amount_minor: int().doc("As the provider totals it; `kind` says which way the money went"),
    currency: currency(),
  },
});

/** Records that failed validation or mapping after they were accepted, with the reasons. */
export const quarantine = defineContract({
  name: 'quarantine',
  version: 1,
  doc: 'What failed validation or mapping, with the reasons; the original is kept in `raw`',
  fields: {
    quarantine_id: string(),
    ...common,
    contract: string().doc('The contract the record was meant for'),
    version: int().optional().doc('The version the record claimed, as sent: kept even when it is no version at all, so the failure lands'),
    source: string(),
    reasons: json(),
    record: json().optional().doc('The record that failed (as received; card data never reaches here)'),
  },
});

/**
 * A quarantined record that landed after all (`puddle quarantine retry`): the quarantine row stays as it was
 * (the trail is immutable), and this row says it is no longer open. `quarantine_open` is the rows none names.
 */
export const quarantine_resolution = defineContract({
  name: 'quarantine_resolution',
  version: 1,
  doc: 'A quarantined record that has since landed: which quarantine row, how, and what landed for it',
  fields: {
    quarantine_resolution_id: string().doc("The resolved quarantine row's envelope id (`quarantine._id`): that very failure, not a later one of the same record"),
    ...common,
    quarantine_id: string(),
    contract: string().doc('The contract the record was meant for'),
    source: string(),
    resolution: oneOf(['remapped', 'revalidated', 'landed_since']).doc(
      'remapped: its kept raw record mapped and validated now; revalidated: its envelope passes its contract now; landed_since: a later sync or event landed the record',
    ),
    landed: json().doc('The envelope ids that landed for it (none for landed_since: it landed on its own)'),
  },
});

/** A connector run, recorded as data (issue #3). */
export const sync_run = defineContract({
  name: 'sync_run',
  version: 1,
  doc: 'One run of one connector stream',
  fields: {
    sync_run_id: string(),
    ...common,
    connector: string(),
    stream: string(),
    ended_at: timestamp().optional(),
    records: nonNegativeInt(),
    pages: nonNegativeInt(),
    requests: nonNegativeInt(),
    retries: nonNegativeInt(),
    rate_limited: nonNegativeInt(),
    outcome: string(),
    error: string().optional(),
  },
});
