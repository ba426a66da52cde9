-- Which bank line carries which payout? Every candidate pair, rule by rule in precedence order, with its
-- outcome: `matched` when the pair is the only candidate on both sides at that rule, else `ambiguous`
-- (never a guess). A payout or line that was a candidate at a higher rule is not offered to a lower one.
-- The rules look at the lines that count (recon_bank_text). A payout none of them fits is then offered the
-- lines the bank booked and then reversed (recon_bank_booked `reversed_by`), by rule 1 or 2: `reversed` says the bank took
-- back the credit that carried it, so the payout is not in the bank (a BANK_LINE_REVERSED break).
-- Expected payouts: status paid or in_transit, non-zero amount, arrival_date known, created by the as-of date.
-- Every rule needs the same currency and a booking date within arrival_date -match_days_before..+match_days_after.
--   1 bank_reference:  the line's text carries the payout's bank_reference or its payout id; amounts equal
--   2 amount_provider: amounts equal, the line's text names the payout's provider and carries no other payout's
--                      bank_reference or payout id (such a line is that payout's, even when the amounts differ)
--   3 payout_day_sum:  all of one provider's remaining payouts of one arrival day (2 or more, across its merchant
--                      accounts) sum to the line's amount, and the line's text names the provider
WITH x AS (
  SELECT * FROM recon_params
),
po AS (
  SELECT
    o.payout_id,
    o.provider,
    o.amount_minor,
    o.currency,
    o.arrival_date,
    upper(o.bank_reference) AS ref,
    upper(o.payout_id) AS pid,
    coalesce((SELECT min(r.bank_text) FROM recon_providers r WHERE r.provider = o.provider), upper(o.provider)) AS pname
  FROM payout o
  CROSS JOIN x
  WHERE o.status IN (SELECT status FROM payout_statuses WHERE to_bank) AND o.amount_minor <> 0 AND o.arrival_date IS NOT NULL
    AND CAST(o.occurred_at AS DATE) <= x.as_of
),
-- Every payout's reference and id, whatever its status: a line quoting one of them belongs to that payout.
quoted AS (
  SELECT payout_id, upper(bank_reference) AS ref, upper(payout_id) AS pid FROM payout
),
booked AS (
  SELECT bank_line_id, amount_minor, currency, booking_day, txt, reversal, reversed_by FROM recon_bank_booked
),
-- The lines that count (recon_bank_text says which), read here from the same rows as the reversed ones below.
bl AS (
  SELECT bank_line_id, amount_minor, currency, booking_day, txt FROM booked WHERE NOT reversal AND reversed_by IS NULL
),
c1 AS (
  SELECT po.payout_id, bl.bank_line_id, date_diff('day', po.arrival_date, bl.booking_day) AS day_diff,
    po.amount_minor AS payout_amount_minor, bl.amount_minor AS line_amount_minor, po.currency
  FROM po
  CROSS JOIN x
  JOIN bl ON bl.currency = po.currency AND bl.amount_minor = po.amount_minor
    AND date_diff('day', po.arrival_date, bl.booking_day) BETWEEN -x.match_days_before AND x.match_days_after
    AND ((po.ref IS NOT NULL AND po.ref <> '' AND strpos(bl.txt, po.ref) > 0) OR strpos(bl.txt, po.pid) > 0)
),
po2 AS (
  SELECT * FROM po WHERE NOT EXISTS (SELECT 1 FROM c1 WHERE c1.payout_id = po.payout_id)
),
bl2 AS (
  SELECT * FROM bl WHERE NOT EXISTS (SELECT 1 FROM c1 WHERE c1.bank_line_id = bl.bank_line_id)
),
c2 AS (
  SELECT po2.payout_id, bl2.bank_line_id, date_diff('day', po2.arrival_date, bl2.booking_day) AS day_diff,
    po2.amount_minor AS payout_amount_minor, bl2.amount_minor AS line_amount_minor, po2.currency
  FROM po2
  CROSS JOIN x
  JOIN bl2 ON bl2.currency = po2.currency AND bl2.amount_minor = po2.amount_minor
    AND date_diff('day', po2.arrival_date, bl2.booking_day) BETWEEN -x.match_days_before AND x.match_days_after
    AND strpos(bl2.txt, po2.pname) > 0
    AND NOT EXISTS (
      SELECT 1 FROM quoted q
      WHERE q.payout_id <> po2.payout_id
        AND ((q.ref IS NOT NULL AND q.ref <> '' AND strpos(bl2.txt, q.ref) > 0) OR strpos(bl2.txt, q.pid) > 0)
    )
),
po3 AS (
  SELECT * FROM po2 WHERE NOT EXISTS (SELECT 1 FROM c2 WHERE c2.payout_id = po2.payout_id)
),
bl3 AS (
  SELECT * FROM bl2 WHERE NOT EXISTS (SELECT 1 FROM c2 WHERE c2.bank_line_id = bl2.bank_line_id)
),
g3 AS (
  SELECT provider, pname, currency, arrival_date, count(*) AS payouts, sum(amount_minor) AS amount_minor
  FROM po3
  GROUP BY provider, pname, currency, arrival_date
  HAVING count(*) > 1
),
c3g AS (
  SELECT g3.provider, g3.currency, g3.arrival_date, g3.amount_minor, bl3.bank_line_id, bl3.amount_minor AS line_amount_minor,
    date_diff('day', g3.arrival_date, bl3.booking_day) AS day_diff,
    count(*) OVER (PARTITION BY g3.provider, g3.currency, g3.arrival_date) AS n_lines,
    count(*) OVER (PARTITION BY bl3.bank_line_id) AS n_groups
  FROM g3
  CROSS JOIN x
  JOIN bl3 ON bl3.currency = g3.currency AND bl3.amount_minor = g3.amount_minor
    AND date_diff('day', g3.arrival_date, bl3.booking_day) BETWEEN -x.match_days_before AND x.match_days_after
    AND strpos(bl3.txt, g3.pname) > 0
),
po4 AS (
  SELECT * FROM po3
  WHERE NOT EXISTS (SELECT 1 FROM c3g WHERE c3g.provider = po3.provider AND c3g.currency = po3.currency AND c3g.arrival_date = po3.arrival_date)
),
undone AS (
  SELECT bank_line_id, amount_minor, currency, booking_day, txt FROM booked WHERE reversed_by IS NOT NULL
),
c4 AS (
  SELECT po4.payout_id, u.bank_line_id,
    CASE WHEN (po4.ref IS NOT NULL AND po4.ref <> '' AND strpos(u.txt, po4.ref) > 0) OR strpos(u.txt, po4.pid) > 0 THEN 1 ELSE 2 END AS rule_rank,
    date_diff('day', po4.arrival_date, u.booking_day) AS day_diff,
    po4.amount_minor AS payout_amount_minor, u.amount_minor AS line_amount_minor, po4.currency
  FROM po4
  CROSS JOIN x
  JOIN undone u ON u.currency = po4.currency AND u.amount_minor = po4.amount_minor
    AND date_diff('day', po4.arrival_date, u.booking_day) BETWEEN -x.match_days_before AND x.match_days_after
    AND ((po4.ref IS NOT NULL AND po4.ref <> '' AND strpos(u.txt, po4.ref) > 0) OR strpos(u.txt, po4.pid) > 0
      OR (strpos(u.txt, po4.pname) > 0 AND NOT EXISTS (
        SELECT 1 FROM quoted q
        WHERE q.payout_id <> po4.payout_id
          AND ((q.ref IS NOT NULL AND q.ref <> '' AND strpos(u.txt, q.ref) > 0) OR strpos(u.txt, q.pid) > 0)
      )))
),
pairs AS (
  SELECT payout_id, bank_line_id, 'bank_reference' AS rule, 1 AS rule_rank, false AS undone, day_diff, payout_amount_minor, line_amount_minor, currency,
    count(*) OVER (PARTITION BY payout_id) AS n_lines, count(*) OVER (PARTITION BY bank_line_id) AS n_payouts
  FROM c1
  UNION ALL
  SELECT payout_id, bank_line_id, 'amount_provider', 2, false, day_diff, payout_amount_minor, line_amount_minor, currency,
    count(*) OVER (PARTITION BY payout_id), count(*) OVER (PARTITION BY bank_line_id)
  FROM c2
  UNION ALL
  SELECT po3.payout_id, c3g.bank_line_id, 'payout_day_sum', 3, false, c3g.day_diff, c3g.amount_minor, c3g.line_amount_minor, c3g.currency,
    c3g.n_lines, c3g.n_groups
  FROM c3g
  JOIN po3 ON po3.provider = c3g.provider AND po3.currency = c3g.currency AND po3.arrival_date = c3g.arrival_date
  UNION ALL
  SELECT payout_id, bank_line_id, CASE WHEN rule_rank = 1 THEN 'bank_reference' ELSE 'amount_provider' END, rule_rank, true, day_diff,
    payout_amount_minor, line_amount_minor, currency,
    count(*) OVER (PARTITION BY payout_id), count(*) OVER (PARTITION BY bank_line_id)
  FROM c4
)
SELECT
  payout_id,
  bank_line_id,
  rule,
  rule_rank,
  CASE WHEN undone THEN 'reversed' WHEN n_lines = 1 AND n_payouts = 1 THEN 'matched' ELSE 'ambiguous' END AS outcome,
  day_diff,
  payout_amount_minor,
  line_amount_minor,
  payout_amount_minor - line_amount_minor AS amount_diff_minor,
  currency,
  n_lines,
  n_payouts
FROM pairs
