import { extendContract } from './contract.js';
import { payment_v2, recurring_donation } from './crm.js';
import { donation_v2 } from './sms.js';
import { date, string } from './schema.js';

/**
 * Regular giving: which gifts are instalments of a commitment (a Direct Debit mandate, a monthly card plan, a
 * provider's subscription, a CRM recurring donation), so income splits into regular and one-off (the board pack's
 * first table; analyst user test H1). Until donation v3 and payment v3 only the CRM said it (`gift.recurring_donation_id`),
 * so a web form's, a call centre's or Braintree's monthly gift read as one-off.
 *
 * The field holds the commitment's id as the sender knows it: a producer its own mandate or plan reference (or the
 * CRM's recurring donation id, when it has one), Stripe and Braintree the subscription's id. Every instalment of one
 * commitment carries the same id, so `count(DISTINCT recurring_donation_id)` counts regular givers' plans, and
 * absent means the sender says nothing of one: a one-off gift, or a producer that does not send it.
 * `recon_journey.recurring_donation_id` takes the first of the donation's, its payment's and its CRM gift's.
 */
/**
 * A plan's reference, as every instalment repeats it: not blank, no spaces around it (`""` for "no plan" would make
 * every one-off gift regular and count as a plan), and not an email address (the field is followed by a subject
 * access request, and the lake keeps no email in the clear). A one-off gift leaves the field out or sends null.
 */
const PLAN_REFERENCE = /^[^\s@](?:[^@]*[^\s@])?$/s;
const PLAN_SAYS = 'a regular gift\'s reference (its mandate, plan or subscription id): not blank, no spaces around it, and not an email address; leave it out for a one-off gift';

/**
 * The statuses of a regular gift (`recurring_donation`) that take no more money, lower-cased: the CRM's `Closed`
 * (NPSP) and `Cancelled`, Stripe's and Braintree's `canceled`, Braintree's `expired` (every billing cycle taken) and
 * Stripe's `incomplete_expired` (its first payment never went through). NPSP's `Lapsed` (instalments missed) and
 * `Paused` are not: the plan can take money again. The one list the reconciliation reads (`@plan_closed` in a
 * query file, puddles/named-views.ts): an instalment taken after such a plan ended is RECURRING_PAID_AFTER_CLOSED.
 */
export const CLOSED_PLAN_STATUSES: readonly string[] = ['closed', 'cancelled', 'canceled', 'expired', 'incomplete_expired'];

export const donation_v3 = extendContract(donation_v2, 3, {
  recurring_donation_id: string()
    .optional()
    .shaped(PLAN_REFERENCE, PLAN_SAYS)
    .doc('The regular gift (mandate, plan, subscription or CRM recurring donation) this donation is an instalment of; absent: one-off or not said'),
});

/** payment v3: the provider's subscription whose instalment this charge is (Stripe through the invoice, Braintree `subscription_id`). */
export const payment_v3 = extendContract(payment_v2, 3, {
  recurring_donation_id: string()
    .optional()
    .shaped(PLAN_REFERENCE, PLAN_SAYS)
    .doc("The provider's subscription this charge is an instalment of (Stripe's sub_..., Braintree's subscription id); absent: a one-off charge"),
});

/**
 * recurring_donation v2: when and why the plan ended, as the CRM says (NPSP's `npsp__EndDate__c` and
 * `npsp__ClosedReason__c`). Without the end date a plan first synced already closed was dated closed at that sync's
 * change time (its SystemModstamp, or a later edit's), so the instalments taken between its real end and that day raised
 * no RECURRING_PAID_AFTER_CLOSED (carried from a supporter care lead's user test, 2026-12-05).
 */
export const recurring_donation_v2 = extendContract(recurring_donation, 2, {
  end_date: date().optional().doc('The day the plan ended, as the CRM says (NPSP End Date); when present it is the day a closed plan closed'),
  closed_reason: string().optional().doc('Why it was closed, as the CRM says (NPSP Closed Reason: e.g. Financial Change, Deceased, Commitment Complete)'),
});
