-- Per day, provider, merchant account and currency: what the lake holds against the provider's own control
-- totals, against what was paid out, against what the bank booked.
--   lake_*:    successful payments settled that day (Braintree: by settlement batch `<date>_<account>`;
--              others: settled_at, else the payment's own date; account '' when the provider has none)
--   summary_*: the provider's settlement_summary rows of kind `sale` for that day and account (all card types);
--              null where the provider sends no summary (Stripe). Credits (refunds) are summarised but not
--              checked: refunds carry no settlement batch to total them by.
--   payout_*:  payouts arriving that day; bank_matched_*: those of them matched to a bank line
WITH x AS (
  SELECT * FROM recon_params
),
lake AS (
  SELECT
    CASE WHEN strpos(coalesce(p.settlement_batch_id, ''), '_') = 11 THEN TRY_CAST(substr(p.settlement_batch_id, 1, 10) AS DATE) END AS batch_day,
    CASE WHEN strpos(coalesce(p.settlement_batch_id, ''), '_') = 11 THEN substr(p.settlement_batch_id, 12) END AS batch_account,
    p.settled_at, p.occurred_at, p.provider, p.currency, p.amount_minor
  FROM payment p
  JOIN recon_statuses s ON s.status = p.status AND s.outcome = 'succeeded'
  CROSS JOIN x
  WHERE CAST(p.occurred_at AS DATE) <= x.as_of
),
lake_totals AS (
  SELECT
    coalesce(batch_day, CAST(coalesce(settled_at, occurred_at) AS DATE)) AS day,
    provider,
    coalesce(batch_account, '') AS account,
    currency,
    count(*) AS lake_count,
    sum(amount_minor) AS lake_amount_minor
  FROM lake
  GROUP BY coalesce(batch_day, CAST(coalesce(settled_at, occurred_at) AS DATE)), provider, coalesce(batch_account, ''), currency
),
summary AS (
  SELECT
    s.settlement_date AS day,
    s.provider,
    s.merchant_account AS account,
    s.currency,
    sum(CASE WHEN s.kind = 'sale' THEN s.count END) AS summary_count,
    sum(CASE WHEN s.kind = 'sale' THEN s.amount_minor END) AS summary_amount_minor,
    sum(CASE WHEN s.kind <> 'sale' THEN s.count ELSE 0 END) AS summary_other_count,
    sum(CASE WHEN s.kind <> 'sale' THEN s.amount_minor ELSE 0 END) AS summary_other_amount_minor
  FROM settlement_summary s
  CROSS JOIN x
  WHERE s.settlement_date <= x.as_of
  GROUP BY s.settlement_date, s.provider, s.merchant_account, s.currency
),
matched AS (
  SELECT payout_id, min(bank_line_id) AS bank_line_id FROM recon_bank_candidates WHERE outcome = 'matched' GROUP BY payout_id
),
payouts AS (
  SELECT
    o.arrival_date AS day,
    o.provider,
    coalesce(o.merchant_account, '') AS account,
    o.currency,
    count(*) AS payout_count,
    sum(o.amount_minor) AS payout_amount_minor,
    sum(CASE WHEN m.payout_id IS NOT NULL THEN 1 ELSE 0 END) AS bank_matched_count,
    sum(CASE WHEN m.payout_id IS NOT NULL THEN o.amount_minor ELSE 0 END) AS bank_matched_amount_minor
  FROM payout o
  LEFT JOIN matched m ON m.payout_id = o.payout_id
  CROSS JOIN x
  WHERE o.status IN (SELECT status FROM payout_statuses WHERE to_bank) AND o.arrival_date IS NOT NULL AND CAST(o.occurred_at AS DATE) <= x.as_of
  GROUP BY o.arrival_date, o.provider, coalesce(o.merchant_account, ''), o.currency
),
k AS (
  SELECT day, provider, account, currency FROM lake_totals
  UNION
  SELECT day, provider, account, currency FROM summary
  UNION
  SELECT day, provider, account, currency FROM payouts
)
SELECT
  k.day,
  k.provider,
  k.account,
  k.currency,
  coalesce(l.lake_count, 0) AS lake_count,
  coalesce(l.lake_amount_minor, 0) AS lake_amount_minor,
  s.summary_count,
  s.summary_amount_minor,
  s.summary_other_count,
  s.summary_other_amount_minor,
  s.summary_count - coalesce(l.lake_count, 0) AS summary_minus_lake_count,
  s.summary_amount_minor - coalesce(l.lake_amount_minor, 0) AS summary_minus_lake_minor,
  coalesce(p.payout_count, 0) AS payout_count,
  coalesce(p.payout_amount_minor, 0) AS payout_amount_minor,
  coalesce(p.bank_matched_count, 0) AS bank_matched_count,
  coalesce(p.bank_matched_amount_minor, 0) AS bank_matched_amount_minor,
  coalesce(p.payout_amount_minor, 0) - coalesce(p.bank_matched_amount_minor, 0) AS payout_not_banked_minor
FROM k
LEFT JOIN lake_totals l ON l.day = k.day AND l.provider = k.provider AND l.account = k.account AND l.currency = k.currency
LEFT JOIN summary s ON s.day = k.day AND s.provider = k.provider AND s.account = k.account AND s.currency = k.currency
LEFT JOIN payouts p ON p.day = k.day AND p.provider = k.provider AND p.account = k.account AND p.currency = k.currency
