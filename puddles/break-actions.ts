// What a finance person should do or check next about each break type: the `action` column of `recon_breaks`
// (and so of `puddle report breaks`), read from the view `recon_break_actions` this table is rendered into, as the
// statuses are (recon-params.ts). A reason says what is wrong with one break; the action says what to do about
// any break of its type, naming the columns that hold what to look up. docs/reconciliation.md's "Break types"
// table shows the same sentences (test/recon/break-actions.test.ts checks that they agree, and that every type
// recon_breaks.sql can open has one).
import { sqlString } from './sql-text.js';

export const BREAK_ACTIONS: Readonly<Record<string, string>> = Object.freeze({
  DONATION_NOT_PAID:
    'Look the donation up at the payment provider: if the card was charged, have its producer (website, phone line, call centre) send that payment; if not, have the producer mark the donation failed or cancelled, or follow it up with the donor.',
  CANCELLED_BUT_PAID:
    'Refund what its payments still hold (payment_id; related_ids when several), or, if the gift stands, have its producer send the donation again as it stands.',
  PAYMENT_WITHOUT_DONATION:
    "Ask whoever runs the donation's producer (the website, the call centre) to send the donation named in donation_id; many at once mean the producer stopped sending.",
  PAID_NOT_PAID_OUT:
    "Look the payment up in the provider's dashboard: if a payout carried it, check that the provider's payouts are syncing into Puddle; if not, ask the provider why the money is still held.",
  PAYOUT_NO_BANK_LINE:
    "Check the bank statement for a credit of this amount around the payout's arrival date (object_date): if it arrived in another account, import that account's statement; if it has not arrived, ask the provider to trace the payout.",
  BANK_LINE_NO_PAYOUT:
    "Find the provider's payout for this credit (its amount and booking date; payout_id when the line quotes one) and check that it has synced into Puddle; if the payout it quotes is already matched to another line, ask the provider why it paid twice.",
  AMBIGUOUS_MATCH:
    "Decide from the line's text and the provider's payout report which payout (related_ids) this credit pays; if the same credit is in two imported statements, one of them is a duplicate export.",
  BANK_LINE_REVERSED:
    "Ask the provider why the payout came back (often the charity's bank details), correct the details with the provider, and expect it to mark the payout failed and pay it again.",
  BANK_REVERSAL_UNPAIRED:
    'Import the statement that holds the entry the bank reversed, or ask the bank which entry it reversed and why.',
  PAYOUT_ITEMS_MISMATCH:
    "Compare the provider's payout report with the payout's items in Puddle (puddle report payouts): check that the missing items have synced, or ask the provider to explain the difference.",
  FEE_ANOMALY:
    "Check the fee on the provider's statement against the charity's agreed rates; if it is wrong, ask the provider to correct or refund it.",
  AMOUNT_MISMATCH:
    "Compare the donation with its charge (payment_id): if the donor was charged the wrong amount, refund the difference; if the donation is wrong, have its producer send it again with the amount charged.",
  CURRENCY_MISMATCH:
    'Find out which currency the donor gave in: have the producer send the donation again in the currency charged, or refund the charge and take the gift in the right currency.',
  REFUND_NOT_NETTED:
    "Find where the provider took this refund or dispute back: check that the provider's later payouts have synced, or ask the provider whether it was taken some other way (an invoice, a direct debit from the bank account).",
  DUPLICATE_PAYMENT:
    'Check with the provider that the donor was charged twice for one donation, then refund this payment (related_ids is the one that stands).',
  CONTROL_TOTAL_MISMATCH:
    "Compare the provider's settlement report for the day with the lake's payments (puddle report controls): check that the missing payments have synced, or ask the provider about the difference.",
  STATEMENT_UNBALANCED:
    'Export the statement from the bank again (or ask the bank for a corrected one) and import it; the reason says which line does not add up.',
  STATEMENT_GAP:
    'Import the statement (or page) missing between this statement and the previous one (related_ids); if none is missing, ask the bank which balance is wrong.',
  STATEMENT_CONFLICT:
    'Ask the bank to re-issue the statement and import the re-issue; meanwhile find out which of the two files (related_ids names the other) was changed after the bank sent it.',
  STATEMENT_UNVERIFIABLE:
    'Ask the bank for the statement with its booked opening and closing balances and import it; if the bank never sends them for this account, list the account in accounts_without_balances (PUDDLE_RECON_ACCOUNTS_WITHOUT_BALANCES).',
  PAYOUT_FAILED:
    "Ask the provider why the payout failed (often the charity's bank details), correct the details, and check that a later payout gives the money back.",
  SMS_PLEDGE_UNCOLLECTED:
    "Hold the aggregator's statement for the month against the pledges (the reason gives them by network), and chase the aggregator for the shortfall or write off what the networks could not collect.",
  GIFT_MISSING:
    "Record the gift in the CRM with a gift payment naming this payment's id, or, if the gift is there, add the payment's id to its gift payment.",
  GIFT_AMOUNT_DIFFERS:
    'Correct the amount or currency in the CRM (object_id; related_ids is the gift) to what the payment took, or, if the CRM is right, correct the payment with the donor and the provider.',
  GIFT_NOT_PAID:
    'Find the payment for the gift (at the provider, in the bank) and record it in the CRM; if it was never paid, chase the donor or write the gift off in the CRM.',
  GATEWAY_ID_REUSED:
    'Compare this CRM payment with the first one naming the same processor id (related_ids): delete the gift keyed twice, or correct the processor id on the wrong one.',
  CRM_REFUND_MISSING:
    'Record the refund in the CRM as a negative payment on the gift (related_ids).',
  RECURRING_PAID_AFTER_CLOSED:
    'Refund the instalment to the donor, and stop the subscription at the provider (or the collection at the Direct Debit bureau) so that no more are taken.',
});

/** The view `recon_break_actions` (break_type, action): one row per break type, BREAK_ACTIONS in SQL both engines speak. */
export function breakActionsSql(): string {
  return Object.entries(BREAK_ACTIONS)
    .map(([type, action]) => `SELECT ${sqlString(type)} AS break_type, ${sqlString(action)} AS action`)
    .join(' UNION ALL ');
}
