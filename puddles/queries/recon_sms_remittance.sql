-- Which bank lines are text-to-donate remittances, and which month does each pay? One row per credit that counts
-- (recon_bank_text) naming an SMS aggregator (recon_providers, kind sms). It pays the month written in its text as
-- YYYY-MM when there is one, else the month two months before it was booked (aggregators pay about 45 days after
-- the month ends). recon_sms holds the month's remittances against its pledges; recon_bank_lines names each
-- line's month.
SELECT
  b.bank_line_id,
  b.sms_aggregator,
  coalesce(nullif(regexp_extract(b.txt, '(20[0-9][0-9]-[01][0-9])', 1), ''),
           substr(CAST(CAST(date_trunc('month', b.booking_day) - INTERVAL '2' MONTH AS DATE) AS VARCHAR), 1, 7)) AS period,
  b.currency,
  b.amount_minor,
  b.txt
FROM recon_bank_text b
WHERE b.sms_aggregator IS NOT NULL AND b.amount_minor > 0
