-- Which bank lines count for reconciliation on the as-of date, with the text a rule may search and which
-- payment provider or SMS aggregator that text names: the booked lines of recon_bank_booked, less the bank's
-- own reversals and the entries a reversal undid (`reversed_by`): together they moved no money, so a reversed
-- credit pays no payout. A reversal that undoes no entry Puddle can tell is a break (BANK_REVERSAL_UNPAIRED).
-- `txt` is reference, description, entry reference, end-to-end id and counterparty, upper-cased.
SELECT
  bank_line_id,
  account,
  amount_minor,
  currency,
  booking_day,
  statement_id,
  txt,
  payout_provider,
  sms_aggregator
FROM recon_bank_booked
WHERE NOT reversal AND reversed_by IS NULL
