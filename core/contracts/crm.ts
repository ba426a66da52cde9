import { gift, payment, supporter, ticket } from './catalog.js';
import { defineContract, extendContract } from './contract.js';
import { boolean, currency, date, int, nonNegativeInt, string, timestamp } from './schema.js';

// The CRM side of reconciliation (issue #12): Salesforce NPSP Opportunities, their payments, recurring
// donations and allocations. `gift` grows additively (DESIGN.md rule 2); the rest are new.

const common = {
  occurred_at: timestamp().doc('When it happened at the source (UTC); partitions by its date'),
  updated_at: timestamp().optional().doc('When the source says this version changed; latest wins'),
};

export const gift_v2 = extendContract(gift, 2, {
  is_won: boolean().optional().doc('The stage counts as won (Salesforce IsWon)'),
  record_type: string().optional().doc('The Opportunity record type by DeveloperName (Donation, MajorGift, ...); its id when describe does not list it'),
  account_id: string().optional().doc('The household or organisation account'),
  recurring_donation_id: string().optional().doc('The recurring donation this gift is an instalment of'),
  donation_id: string().optional().doc('The donation id the gift carries (a configurable custom field)'),
});

/**
 * payment v2: Stripe's payment intent beside the charge. A CRM that stored `pi_...` as the gateway id (NPSP
 * Elevate, most Stripe apps for Salesforce) then joins a provider payment in SQL as one that stored `ch_...`.
 */
export const payment_v2 = extendContract(payment, 2, {
  payment_intent_id: string().optional().doc('Stripe: the payment intent the charge belongs to (pi_...)'),
});

export const gift_payment = defineContract({
  name: 'gift_payment',
  version: 1,
  doc: 'A payment the CRM records against a gift (NPSP npe01__OppPayment__c); refunds are negative',
  fields: {
    gift_payment_id: string(),
    ...common,
    gift_id: string().optional(),
    amount_minor: int().doc('Signed: a refund is a negative payment naming original_payment_id'),
    currency: currency(),
    paid: boolean().optional(),
    written_off: boolean().optional(),
    payment_date: date().optional(),
    scheduled_date: date().optional(),
    method: string().optional(),
    payment_ref: string().optional().doc("The processor's id (gateway payment id, Elevate id or cheque reference)"),
    original_payment_id: string().optional().doc('For a refund: the payment it gives back'),
    deleted: boolean().optional(),
  },
});

export const recurring_donation = defineContract({
  name: 'recurring_donation',
  version: 1,
  doc: 'A recurring gift commitment (NPSP npe03__Recurring_Donation__c)',
  fields: {
    recurring_donation_id: string(),
    ...common,
    supporter_id: string().optional().personRef(),
    account_id: string().optional(),
    amount_minor: nonNegativeInt().optional(),
    currency: currency().optional(),
    installment_period: string().optional(),
    installment_frequency: nonNegativeInt().optional().doc('Every how many periods an instalment falls due (NPSP InstallmentFrequency)'),
    status: string().optional(),
    recurring_type: string().optional(),
    commitment_id: string().optional(),
    deleted: boolean().optional(),
  },
});

export const gift_allocation = defineContract({
  name: 'gift_allocation',
  version: 1,
  doc: 'A share of a gift, payment or recurring donation given to a fund (NPSP npsp__Allocation__c)',
  fields: {
    gift_allocation_id: string(),
    ...common,
    gift_id: string().optional(),
    gift_payment_id: string().optional(),
    recurring_donation_id: string().optional(),
    campaign_id: string().optional(),
    fund_id: string().optional().doc('The General Accounting Unit'),
    amount_minor: int().optional().doc('Absent for percent-based allocations; signed, as a refund payment\'s allocations are negative'),
    currency: currency().optional(),
    percent: string().optional().doc('Exact decimal as Salesforce sent it'),
    deleted: boolean().optional(),
  },
});

export const crm_account = defineContract({
  name: 'crm_account',
  version: 1,
  doc: 'A CRM account (Salesforce Account): an NPSP household or an organisation; no name, as a household is named after its people',
  fields: {
    crm_account_id: string(),
    ...common,
    account_type: string().optional().doc('Household or Organization (NPSP npe01__SYSTEM_AccountType__c)'),
    record_type: string().optional().doc('The Account record type by DeveloperName (HH_Account, Organization, ...); its id when describe does not list it'),
    postcode_district: string().optional().doc('The billing postcode\'s outward code only'),
    deleted: boolean().optional(),
    merged_into: string().optional().doc('The account this one was merged into (MasterRecordId)'),
  },
});

export const gift_contact_role = defineContract({
  name: 'gift_contact_role',
  version: 1,
  doc: 'A supporter\'s part in a gift (Salesforce OpportunityContactRole): donor, soft credit, household member',
  fields: {
    gift_contact_role_id: string(),
    ...common,
    gift_id: string().optional(),
    supporter_id: string().optional().personRef(),
    role: string().optional().doc('Donor, Soft Credit, Household Member, ...'),
    is_primary: boolean().optional(),
    deleted: boolean().optional(),
  },
});

export const campaign_member = defineContract({
  name: 'campaign_member',
  version: 1,
  doc: 'A supporter on a campaign (Salesforce CampaignMember, contacts only: leads are not supporters yet)',
  fields: {
    campaign_member_id: string(),
    ...common,
    campaign_id: string().optional(),
    supporter_id: string().optional().personRef(),
    status: string().optional().doc('Sent, Responded, ...'),
    responded: boolean().optional(),
    deleted: boolean().optional(),
  },
});

export const supporter_v2 = extendContract(supporter, 2, {
  deleted: boolean().optional().doc('The CRM deleted the person (or merged them away)'),
  merged_into: string().optional().doc('The supporter this one was merged into (Salesforce MasterRecordId)'),
});

// Supporter care (issue #13): a Freshdesk ticket linked to the supporter, the donation and the payment.
export const ticket_v2 = extendContract(ticket, 2, {
  requester_email_sha256: string().optional().sha256().doc("SHA-256 of the requester's trimmed, lower-cased email (core/pii.ts emailSha256)"),
  payment_ref: string().optional().doc("The processor's payment id the ticket names: a custom field, else the first match of the reference pattern"),
  link_source: string().optional().doc('Where payment_ref came from: field or pattern'),
  deleted: boolean().optional().doc('Deleted in the help desk'),
  spam: boolean().optional().doc('Marked as spam'),
  source: string().optional().doc('The channel it came in by: email, portal, phone, chat, ...'),
  resolved_at: timestamp().optional(),
  closed_at: timestamp().optional(),
  first_responded_at: timestamp().optional(),
});
