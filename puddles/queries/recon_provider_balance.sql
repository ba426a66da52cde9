-- At the end of the as-of day (UTC), how much of the charity's money does each payment provider still hold, and how
-- much has it sent that the bank has not booked yet? A month end's "money at the providers and in transit".
-- One `provider` row per provider and currency, a roll-forward from the first record the lake holds:
--   balance_minor = charges_minor - fees_minor - refunds_minor - disputes_minor - dispute_fees_minor + other_minor
--                   - paid_out_minor
-- Sign: positive is money owed to the charity (the provider holds it, or it is on its way to the bank); negative is
-- money the charity owes the provider (a refund or a chargeback no payout has taken back yet, and nothing left to take
-- it from). Every column but other_minor is the size of a movement, subtracted as the formula says; other_minor is
-- signed as it moves the balance.
--   charges_minor, fees_minor: successful charges by the as-of date (recon_payment_link), each as the provider settled
--     it where a payout item lists it (the item in the payout the charge is linked to: its amount, fee and currency,
--     so a charge taken in euros and settled in pounds counts in pounds), else as the payment gives it (its fee, 0
--     when it names none). charge_count counts them, charges_without_fee those whose payment names no fee of its own:
--     Braintree sends none per charge (nor do its payout items) and bills its fees apart from disbursements, so its
--     balance is gross of fees: what it will disburse, its fees still to pay.
--   refunds_minor: successful refunds by the as-of date; disputes_minor: disputes that took the money
--     (dispute_statuses.takes_money) by then, a won one no longer counted; both at their own amount and currency.
--   dispute_fees_minor: the fees of dispute items (a Stripe chargeback's 15.00), known only from payout items dated by
--     then: a dispute fee no payout item lists yet is not counted.
--   other_minor: the net of the other items dated by then (fees billed in the balance, ...). A failed payout's
--     reversal item is not counted, as the failed payout is not paid out: its money never left.
--   paid_out_minor: payouts made by the as-of date (recon_payout) whose money left the provider's balance
--     (payout_statuses.left_provider: paid, in transit, pending; not failed or canceled).
--   in_transit_minor (in_transit_payouts): those of them no bank line booked by the as-of date carries
--     (recon_payout.banked_on: matched lines only; one the bank reversed, or only ambiguously matched, is in transit);
--     not_banked_minor = balance_minor + in_transit_minor: what the charity is owed that is not in its bank.
-- Then one `payout` row per payout in transit, with its merchant account, status, arrival_date, days_to_arrival
-- (arrival_date - as_of: negative when it should have arrived) and match_outcome; its amount in paid_out_minor,
-- in_transit_minor and not_banked_minor. Filter on row_kind before summing a column: each payout row's amount is in its
-- provider row too.
-- Per provider and currency, not merchant account: charges, refunds and disputes carry none (a Braintree transaction
-- knows its account only once settled or disbursed); each payout row names its own.
WITH x AS (
  SELECT * FROM recon_params
),
-- Read once each: every read of a view works it out again.
po AS (
  SELECT * FROM recon_payout
),
-- Each successful charge as the provider settled it: its charge item in its linked payout, else the payment.
settled AS (
  SELECT
    l.provider,
    coalesce(i.currency, l.currency) AS currency,
    coalesce(i.gross_minor, l.amount_minor) AS amount_minor,
    coalesce(i.fees_minor, l.fee_minor, 0) AS fee_minor,
    CASE WHEN l.fee_minor IS NULL THEN 1 ELSE 0 END AS without_fee
  FROM recon_payment_link l
  LEFT JOIN po i ON i.row_kind = 'item' AND i.item_kind = 'charge' AND i.payment_id = l.payment_id AND i.payout_id = l.payout_id
  WHERE l.outcome = 'succeeded'
),
charges AS (
  SELECT provider, currency, count(*) AS charge_count, sum(without_fee) AS charges_without_fee,
    sum(amount_minor) AS charges_minor, sum(fee_minor) AS fees_minor
  FROM settled
  GROUP BY provider, currency
),
refunds AS (
  SELECT r.provider, r.currency, sum(r.amount_minor) AS refunds_minor
  FROM refund r
  JOIN recon_statuses s ON s.status = r.status AND s.outcome = 'succeeded'
  CROSS JOIN x
  WHERE CAST(r.occurred_at AS DATE) <= x.as_of
  GROUP BY r.provider, r.currency
),
disputes AS (
  SELECT d.provider, d.currency, sum(d.amount_minor) AS disputes_minor
  FROM dispute d
  JOIN dispute_statuses s ON s.status = d.status AND s.takes_money
  CROSS JOIN x
  WHERE CAST(d.occurred_at AS DATE) <= x.as_of
  GROUP BY d.provider, d.currency
),
items AS (
  SELECT provider, currency,
    sum(CASE WHEN item_kind = 'dispute' THEN fees_minor ELSE 0 END) AS dispute_fees_minor,
    sum(CASE WHEN item_kind = 'other' THEN net_minor ELSE 0 END) AS other_minor
  FROM po
  WHERE row_kind = 'item'
  GROUP BY provider, currency
),
gone AS (
  SELECT p.*, CASE WHEN p.banked_on IS NULL THEN 1 ELSE 0 END AS in_transit
  FROM po p
  WHERE p.row_kind = 'payout' AND p.status IN (SELECT status FROM payout_statuses WHERE left_provider)
),
paid_out AS (
  SELECT provider, currency, count(*) AS payout_count, sum(payout_amount_minor) AS paid_out_minor,
    sum(in_transit) AS in_transit_payouts, sum(in_transit * payout_amount_minor) AS in_transit_minor
  FROM gone
  GROUP BY provider, currency
),
k AS (
  SELECT provider, currency FROM charges
  UNION
  SELECT provider, currency FROM refunds
  UNION
  SELECT provider, currency FROM disputes
  UNION
  SELECT provider, currency FROM items
  UNION
  SELECT provider, currency FROM paid_out
),
roll AS (
  SELECT
    k.provider,
    k.currency,
    coalesce(c.charge_count, 0) AS charge_count,
    coalesce(c.charges_without_fee, 0) AS charges_without_fee,
    coalesce(c.charges_minor, 0) AS charges_minor,
    coalesce(c.fees_minor, 0) AS fees_minor,
    coalesce(r.refunds_minor, 0) AS refunds_minor,
    coalesce(d.disputes_minor, 0) AS disputes_minor,
    coalesce(i.dispute_fees_minor, 0) AS dispute_fees_minor,
    coalesce(i.other_minor, 0) AS other_minor,
    coalesce(p.payout_count, 0) AS payout_count,
    coalesce(p.paid_out_minor, 0) AS paid_out_minor,
    coalesce(p.in_transit_payouts, 0) AS in_transit_payouts,
    coalesce(p.in_transit_minor, 0) AS in_transit_minor
  FROM k
  LEFT JOIN charges c ON c.provider = k.provider AND c.currency = k.currency
  LEFT JOIN refunds r ON r.provider = k.provider AND r.currency = k.currency
  LEFT JOIN disputes d ON d.provider = k.provider AND d.currency = k.currency
  LEFT JOIN items i ON i.provider = k.provider AND i.currency = k.currency
  LEFT JOIN paid_out p ON p.provider = k.provider AND p.currency = k.currency
),
bal AS (
  SELECT r.*,
    r.charges_minor - r.fees_minor - r.refunds_minor - r.disputes_minor - r.dispute_fees_minor + r.other_minor - r.paid_out_minor AS balance_minor
  FROM roll r
)
SELECT
  'provider' AS row_kind,
  x.as_of,
  b.provider,
  b.currency,
  CAST(NULL AS VARCHAR) AS merchant_account,
  CAST(NULL AS VARCHAR) AS payout_id,
  CAST(NULL AS VARCHAR) AS status,
  CAST(NULL AS DATE) AS arrival_date,
  CAST(NULL AS BIGINT) AS days_to_arrival,
  CAST(NULL AS VARCHAR) AS match_outcome,
  b.charge_count,
  b.charges_without_fee,
  b.charges_minor,
  b.fees_minor,
  b.refunds_minor,
  b.disputes_minor,
  b.dispute_fees_minor,
  b.other_minor,
  b.payout_count,
  b.paid_out_minor,
  b.balance_minor,
  b.in_transit_payouts,
  b.in_transit_minor,
  b.balance_minor + b.in_transit_minor AS not_banked_minor
FROM bal b
CROSS JOIN x
UNION ALL
SELECT
  'payout',
  x.as_of,
  g.provider,
  g.currency,
  g.merchant_account,
  g.payout_id,
  g.status,
  g.arrival_date,
  date_diff('day', x.as_of, g.arrival_date),
  g.match_outcome,
  CAST(NULL AS BIGINT),
  CAST(NULL AS BIGINT),
  CAST(NULL AS BIGINT),
  CAST(NULL AS BIGINT),
  CAST(NULL AS BIGINT),
  CAST(NULL AS BIGINT),
  CAST(NULL AS BIGINT),
  CAST(NULL AS BIGINT),
  1,
  g.payout_amount_minor,
  CAST(NULL AS BIGINT),
  1,
  g.payout_amount_minor,
  g.payout_amount_minor
FROM gone g
CROSS JOIN x
WHERE g.in_transit = 1
