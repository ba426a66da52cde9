-- At the end of the as-of day (UTC), how much of the charity's money does each payment provider still hold, and how
-- much has it sent that the bank has not booked yet? The columns, their signs and the formula are defined once, in
-- docs/reconciliation.md ("Month end: money at the providers and in transit"); what only this SQL shows:
-- - A charge counts as the provider settled it: its charge item in the payout recon_payment_link links it to, else
--   its payment. Refunds and disputes count by their own status (recon_statuses, dispute_statuses.takes_money), a
--   pending refund too where the provider takes its money when it is created (recon_providers.refund_taken_when).
-- - A charge that failed after it succeeded counts too when a charge_reversal item names it, and that item's net
--   counts with the `other` items' net: the pair nets to what the provider kept.
-- - From recon_payout's items: the fees of refund, refund_reversal and dispute items (their money is counted by
--   status, so their fee is counted here alone); payout_reversal and refund_reversal items' money is left out, as
--   the failed payout or refund they undo is not counted.
-- - A payout is gone from the provider unless payout_statuses says its status did not leave (failed, canceled): a
--   status it does not know counts as gone.
-- - Provider-only columns are null on payout rows, payout_amount_minor null on provider rows, so a column sums once.
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
    -- A charge that failed after it succeeded (ACH, SEPA) was settled; its charge_reversal item takes it back.
    OR l.payment_id IN (SELECT payment_id FROM po WHERE row_kind = 'item' AND item_kind = 'charge_reversal')
),
charges AS (
  SELECT provider, currency, count(*) AS charge_count, sum(without_fee) AS charges_without_fee,
    sum(amount_minor) AS charges_minor, sum(fee_minor) AS fees_minor
  FROM settled
  GROUP BY provider, currency
),
-- A failed or cancelled refund never counts (nor, in items, its refund_reversal's money).
refunds AS (
  SELECT r.provider, r.currency, sum(r.amount_minor) AS refunds_minor
  FROM refund r
  JOIN recon_statuses s ON s.status = r.status
  LEFT JOIN recon_providers p ON p.provider = r.provider
  CROSS JOIN x
  WHERE CAST(r.occurred_at AS DATE) <= x.as_of
    AND (s.outcome = 'succeeded' OR (s.outcome = 'pending' AND p.refund_taken_when = 'created'))
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
    sum(CASE WHEN item_kind IN ('refund', 'refund_reversal') THEN fees_minor ELSE 0 END) AS refund_fees_minor,
    sum(CASE WHEN item_kind = 'dispute' THEN fees_minor ELSE 0 END) AS dispute_fees_minor,
    sum(CASE WHEN item_kind IN ('other', 'charge_reversal') THEN net_minor ELSE 0 END) AS other_net_minor
  FROM po
  WHERE row_kind = 'item'
  GROUP BY provider, currency
),
gone AS (
  SELECT p.*, CASE WHEN p.banked_on IS NULL THEN 1 ELSE 0 END AS in_transit,
    CASE WHEN p.banked_on IS NULL AND p.match_outcome = 'ambiguous' THEN 1 ELSE 0 END AS ambiguous
  FROM po p
  LEFT JOIN payout_statuses s ON s.status = p.status
  WHERE p.row_kind = 'payout' AND coalesce(s.left_provider, true)
),
paid_out AS (
  SELECT provider, currency, count(*) AS payout_count, sum(payout_amount_minor) AS paid_out_minor,
    sum(in_transit) AS in_transit_payouts, sum(in_transit * payout_amount_minor) AS in_transit_minor,
    sum(ambiguous * payout_amount_minor) AS in_transit_ambiguous_minor
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
    coalesce(i.refund_fees_minor, 0) AS refund_fees_minor,
    coalesce(d.disputes_minor, 0) AS disputes_minor,
    coalesce(i.dispute_fees_minor, 0) AS dispute_fees_minor,
    coalesce(i.other_net_minor, 0) AS other_net_minor,
    coalesce(p.payout_count, 0) AS payout_count,
    coalesce(p.paid_out_minor, 0) AS paid_out_minor,
    coalesce(p.in_transit_payouts, 0) AS in_transit_payouts,
    coalesce(p.in_transit_minor, 0) AS in_transit_minor,
    coalesce(p.in_transit_ambiguous_minor, 0) AS in_transit_ambiguous_minor
  FROM k
  LEFT JOIN charges c ON c.provider = k.provider AND c.currency = k.currency
  LEFT JOIN refunds r ON r.provider = k.provider AND r.currency = k.currency
  LEFT JOIN disputes d ON d.provider = k.provider AND d.currency = k.currency
  LEFT JOIN items i ON i.provider = k.provider AND i.currency = k.currency
  LEFT JOIN paid_out p ON p.provider = k.provider AND p.currency = k.currency
),
bal AS (
  SELECT r.*,
    r.charges_minor - r.fees_minor - r.refunds_minor - r.refund_fees_minor - r.disputes_minor - r.dispute_fees_minor
      + r.other_net_minor - r.paid_out_minor AS balance_minor
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
  b.refund_fees_minor,
  b.disputes_minor,
  b.dispute_fees_minor,
  b.other_net_minor,
  b.payout_count,
  b.paid_out_minor,
  b.balance_minor,
  b.in_transit_payouts,
  b.in_transit_minor,
  b.in_transit_ambiguous_minor,
  b.balance_minor + b.in_transit_minor AS not_banked_minor,
  CAST(NULL AS BIGINT) AS payout_amount_minor
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
  -- The provider row's 16 columns, charge_count to not_banked_minor.
  CAST(NULL AS BIGINT), CAST(NULL AS BIGINT), CAST(NULL AS BIGINT), CAST(NULL AS BIGINT),
  CAST(NULL AS BIGINT), CAST(NULL AS BIGINT), CAST(NULL AS BIGINT), CAST(NULL AS BIGINT),
  CAST(NULL AS BIGINT), CAST(NULL AS BIGINT), CAST(NULL AS BIGINT), CAST(NULL AS BIGINT),
  CAST(NULL AS BIGINT), CAST(NULL AS BIGINT), CAST(NULL AS BIGINT), CAST(NULL AS BIGINT),
  g.payout_amount_minor
FROM gone g
CROSS JOIN x
WHERE g.in_transit = 1
