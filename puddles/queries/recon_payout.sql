-- What made up each payout, and did it reach the bank? One `payout` row per payout (gross, fees, refunds,
-- disputes, other, net of its items against the payout's amount, the matched bank line and the rule), then
-- one `item` row per payout item (the payment and donation it belongs to). bank_line_id names every matched line
-- (comma-separated, by booking day: a payout the bank split has 2 or 3), bank_lines counts them and
-- bank_lines_minor sums their amounts (for payout_day_sum, one line carrying the day's payouts: more than this one).
-- Item kinds: charge (Stripe charge/payment, Braintree sale), refund, dispute (Stripe adjustment, chargebacks),
-- payout_reversal (a failed payout's money coming back), refund_reversal (a failed refund's money coming back, Stripe
-- refund_failure), charge_reversal (a charge that failed after it succeeded, Stripe payment_failure_refund: ACH, SEPA),
-- other (fees billed in the balance, ...). The three reversals count in the other column.
-- Each column holds one thing, so they add up: gross + refunds + disputes + other - fees = net.
--   gross, refunds, disputes, other: the amount_minor of the charge, refund, dispute and other items (signed as
--   they move the payout: refunds and disputes negative); fees: what the provider kept on every item, its
--   fee_minor (a Stripe dispute's 15.00 fee too), else amount - net (Braintree items carry no fee: net = amount);
--   net: the items' net_minor, else amount. A fee counted in both a dispute's net and fees would count twice.
WITH x AS (
  SELECT * FROM recon_params
),
items AS (
  SELECT
    i.*,
    CASE
      WHEN i.type IN ('charge', 'payment', 'sale') THEN 'charge'
      WHEN i.type IN ('refund', 'payment_refund', 'credit') THEN 'refund'
      WHEN i.type IN ('adjustment', 'dispute', 'chargeback', 'dispute_reversal') THEN 'dispute'
      WHEN i.type IN ('payout_failure', 'payout_reversal', 'payout_cancel') THEN 'payout_reversal'
      WHEN i.type = 'refund_failure' THEN 'refund_reversal'
      WHEN i.type = 'payment_failure_refund' THEN 'charge_reversal'
      ELSE 'other'
    END AS kind,
    coalesce(i.net_minor, i.amount_minor) AS net,
    coalesce(i.fee_minor, i.amount_minor - coalesce(i.net_minor, i.amount_minor)) AS fee
  FROM payout_item i CROSS JOIN x
  WHERE CAST(i.occurred_at AS DATE) <= x.as_of
),
sums AS (
  SELECT
    payout_id,
    count(*) AS items,
    sum(CASE WHEN kind = 'charge' THEN amount_minor ELSE 0 END) AS gross_minor,
    sum(fee) AS fees_minor,
    sum(CASE WHEN kind = 'refund' THEN amount_minor ELSE 0 END) AS refunds_minor,
    sum(CASE WHEN kind = 'dispute' THEN amount_minor ELSE 0 END) AS disputes_minor,
    sum(CASE WHEN kind IN ('payout_reversal', 'refund_reversal', 'charge_reversal', 'other') THEN amount_minor ELSE 0 END) AS other_minor,
    sum(net) AS net_minor
  FROM items
  GROUP BY payout_id
),
bank AS (
  -- A payout the bank split (rule payout_split_lines) is banked when its last part is, and names every part (by
  -- booking day, then id), how many and their sum: its first part alone does not cover it.
  SELECT c.payout_id, array_join(array_agg(c.bank_line_id ORDER BY b.booking_day, c.bank_line_id), ', ') AS bank_line_id,
    count(*) AS lines, sum(b.amount_minor) AS lines_minor,
    min(c.rule) AS rule, min(c.outcome) AS outcome, max(b.booking_day) AS booking_day
  FROM recon_bank_candidates c
  JOIN recon_bank_booked b ON b.bank_line_id = c.bank_line_id
  GROUP BY c.payout_id
),
link AS (
  SELECT payment_id, donation_id FROM recon_payment_link
)
SELECT
  'payout' AS row_kind,
  o.payout_id,
  o.provider,
  o.merchant_account,
  o.status,
  o.arrival_date,
  o.bank_reference,
  o.amount_minor AS payout_amount_minor,
  o.currency,
  CAST(NULL AS VARCHAR) AS payout_item_id,
  CAST(NULL AS VARCHAR) AS item_type,
  CAST(NULL AS VARCHAR) AS item_kind,
  CAST(NULL AS VARCHAR) AS payment_id,
  CAST(NULL AS VARCHAR) AS donation_id,
  coalesce(s.items, 0) AS items,
  coalesce(s.gross_minor, 0) AS gross_minor,
  coalesce(s.fees_minor, 0) AS fees_minor,
  coalesce(s.refunds_minor, 0) AS refunds_minor,
  coalesce(s.disputes_minor, 0) AS disputes_minor,
  coalesce(s.other_minor, 0) AS other_minor,
  coalesce(s.net_minor, 0) AS net_minor,
  o.amount_minor - coalesce(s.net_minor, 0) AS payout_minus_items_minor,
  CASE WHEN b.outcome = 'matched' THEN b.bank_line_id END AS bank_line_id,
  CASE WHEN b.outcome = 'matched' THEN b.booking_day END AS banked_on,
  b.rule AS match_rule,
  b.outcome AS match_outcome,
  CASE WHEN b.outcome = 'matched' THEN b.lines ELSE 0 END AS bank_lines,
  CASE WHEN b.outcome = 'matched' THEN b.lines_minor END AS bank_lines_minor
FROM payout o
CROSS JOIN x
LEFT JOIN sums s ON s.payout_id = o.payout_id
LEFT JOIN bank b ON b.payout_id = o.payout_id
WHERE CAST(o.occurred_at AS DATE) <= x.as_of
UNION ALL
SELECT
  'item',
  i.payout_id,
  i.provider,
  o.merchant_account,
  o.status,
  o.arrival_date,
  o.bank_reference,
  o.amount_minor,
  i.currency,
  i.payout_item_id,
  i.type,
  i.kind,
  i.payment_id,
  l.donation_id,
  1,
  CASE WHEN i.kind = 'charge' THEN i.amount_minor ELSE 0 END,
  i.fee,
  CASE WHEN i.kind = 'refund' THEN i.amount_minor ELSE 0 END,
  CASE WHEN i.kind = 'dispute' THEN i.amount_minor ELSE 0 END,
  CASE WHEN i.kind IN ('payout_reversal', 'refund_reversal', 'charge_reversal', 'other') THEN i.amount_minor ELSE 0 END,
  i.net,
  CAST(NULL AS BIGINT),
  CASE WHEN b.outcome = 'matched' THEN b.bank_line_id END,
  CASE WHEN b.outcome = 'matched' THEN b.booking_day END,
  b.rule,
  b.outcome,
  CASE WHEN b.outcome = 'matched' THEN b.lines ELSE 0 END,
  CASE WHEN b.outcome = 'matched' THEN b.lines_minor END
FROM items i
LEFT JOIN payout o ON o.payout_id = i.payout_id
LEFT JOIN bank b ON b.payout_id = i.payout_id
LEFT JOIN link l ON l.payment_id = i.payment_id
