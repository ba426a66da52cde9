-- Which bank lines count for reconciliation on the as-of date, with the text a rule may search and which
-- payment provider or SMS aggregator that text names: booked lines only (pending and information entries,
-- and the bank's own reversals, are not money that arrived), booked on or before the as-of date.
-- `txt` is reference, description, entry reference, end-to-end id and counterparty, upper-cased.
SELECT
  b.bank_line_id,
  b.account,
  b.amount_minor,
  b.currency,
  b.booking_day,
  b.statement_id,
  b.txt,
  (SELECT min(p.provider) FROM recon_providers p WHERE p.kind = 'payout' AND strpos(b.txt, p.bank_text) > 0) AS payout_provider,
  (SELECT min(p.provider) FROM recon_providers p WHERE p.kind = 'sms' AND strpos(b.txt, p.bank_text) > 0) AS sms_aggregator
FROM (
  SELECT
    l.*,
    coalesce(l.booking_date, CAST(l.occurred_at AS DATE)) AS booking_day,
    upper(coalesce(l.reference, '') || ' ' || coalesce(l.description, '') || ' ' || coalesce(l.entry_reference, '') || ' '
      || coalesce(l.end_to_end_id, '') || ' ' || coalesce(l.counterparty, '')) AS txt
  FROM bank_line l
) b
CROSS JOIN recon_params x
WHERE coalesce(b.status, 'booked') = 'booked'
  AND NOT coalesce(b.reversal, false)
  AND b.booking_day <= x.as_of
