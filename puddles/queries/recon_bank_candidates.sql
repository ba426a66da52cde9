-- Which bank line carries which payout? Every candidate pair, rule by rule in precedence order, with its
-- outcome: `matched` when the pair is the only candidate on both sides at that rule, else `ambiguous`
-- (never a guess). A payout or line that was a candidate at a higher rule is not offered to a lower one.
-- The rules look at the lines that count (recon_bank_text). A payout none of them fits is then offered the
-- lines the bank booked and then reversed (recon_bank_booked `reversed_by`), by rule 1 or 2: `reversed` says the bank took
-- back the credit that carried it, so the payout is not in the bank (a BANK_LINE_REVERSED break).
-- Expected payouts: status paid or in_transit, non-zero amount, arrival_date known, created by the as-of date.
-- Every rule needs the same currency and a booking date within arrival_date -match_days_before..+match_days_after.
--   1 bank_reference:  the line's text carries the payout's bank_reference or its payout id; amounts equal. A bank
--                      that books late (a bank holiday weekend: in Thursday 24 Dec, booked Monday 28 Dec) is let
--                      up to +match_days_after_reference, only for a payout and a line with no rule-1 candidate in
--                      the window above, and a line quoting no other payout (a reference every payout shares is no
--                      evidence that far out). Rules 2 and 3 keep the window: an amount alone is weak evidence.
--   2 amount_provider: amounts equal, the line's text names the payout's provider and carries no other payout's
--                      bank_reference or payout id (such a line is that payout's, even when the amounts differ)
--   3 payout_day_sum:  all of one provider's remaining payouts of one arrival day (2 or more, across its merchant
--                      accounts) sum to the line's amount, the line's text names the provider and carries no
--                      bank_reference or payout id of a payout outside that day's group
--   4 payout_split_lines: 2 or 3 remaining credits of one account, each carrying the payout's bank_reference or
--                      payout id, sum to the payout's amount (the bank split it). `matched` (every line of the set)
--                      when the payout has one such set and no other payout has a set with any of its lines. Parts
--                      get rule 1's late window (a part quoting no other payout, a payout with no set in the window)
-- payout_amount_minor and line_amount_minor are the amounts the rule compared: rule 3's payout side is the day's
-- sum, rule 4's line side the set's sum.
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
  SELECT bank_line_id, account, amount_minor, currency, booking_day, txt, reversal, reversed_by FROM recon_bank_booked
),
-- The lines that count (recon_bank_text says which), read here from the same rows as the reversed ones below.
bl AS (
  SELECT bank_line_id, account, amount_minor, currency, booking_day, txt FROM booked WHERE NOT reversal AND reversed_by IS NULL
),
-- Rule 1's pairs out to the later of the two windows; `late` ones are past match_days_after.
c1all AS (
  SELECT po.payout_id, bl.bank_line_id, bl.txt, date_diff('day', po.arrival_date, bl.booking_day) AS day_diff,
    date_diff('day', po.arrival_date, bl.booking_day) > x.match_days_after AS late,
    po.amount_minor AS payout_amount_minor, bl.amount_minor AS line_amount_minor, po.currency
  FROM po
  CROSS JOIN x
  JOIN bl ON bl.currency = po.currency AND bl.amount_minor = po.amount_minor
    AND date_diff('day', po.arrival_date, bl.booking_day) BETWEEN -x.match_days_before AND greatest(x.match_days_after, x.match_days_after_reference)
    AND ((po.ref IS NOT NULL AND po.ref <> '' AND strpos(bl.txt, po.ref) > 0) OR strpos(bl.txt, po.pid) > 0)
),
c1in AS (
  SELECT * FROM c1all WHERE NOT late
),
c1 AS (
  SELECT payout_id, bank_line_id, day_diff, payout_amount_minor, line_amount_minor, currency FROM c1in
  UNION ALL
  SELECT l.payout_id, l.bank_line_id, l.day_diff, l.payout_amount_minor, l.line_amount_minor, l.currency
  FROM c1all l
  WHERE l.late
    AND NOT EXISTS (SELECT 1 FROM c1in i WHERE i.payout_id = l.payout_id OR i.bank_line_id = l.bank_line_id)
    AND NOT EXISTS (
      SELECT 1 FROM quoted q
      WHERE q.payout_id <> l.payout_id
        AND ((q.ref IS NOT NULL AND q.ref <> '' AND strpos(l.txt, q.ref) > 0) OR strpos(l.txt, q.pid) > 0)
    )
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
c3l AS (
  SELECT g3.provider, g3.currency, g3.arrival_date, g3.amount_minor, bl3.bank_line_id, bl3.amount_minor AS line_amount_minor, bl3.txt,
    date_diff('day', g3.arrival_date, bl3.booking_day) AS day_diff
  FROM g3
  CROSS JOIN x
  JOIN bl3 ON bl3.currency = g3.currency AND bl3.amount_minor = g3.amount_minor
    AND date_diff('day', g3.arrival_date, bl3.booking_day) BETWEEN -x.match_days_before AND x.match_days_after
    AND strpos(bl3.txt, g3.pname) > 0
),
-- Day-sum lines that quote a payout outside their day's group: such a line is that payout's, as at rule 2.
c3other AS (
  SELECT DISTINCT c.provider, c.currency, c.arrival_date, c.bank_line_id
  FROM c3l c
  JOIN quoted q ON (q.ref IS NOT NULL AND q.ref <> '' AND strpos(c.txt, q.ref) > 0) OR strpos(c.txt, q.pid) > 0
  LEFT JOIN po3 m ON m.payout_id = q.payout_id AND m.provider = c.provider AND m.currency = c.currency AND m.arrival_date = c.arrival_date
  WHERE m.payout_id IS NULL
),
c3g AS (
  SELECT c.provider, c.currency, c.arrival_date, c.amount_minor, c.bank_line_id, c.line_amount_minor, c.day_diff,
    count(*) OVER (PARTITION BY c.provider, c.currency, c.arrival_date) AS n_lines,
    count(*) OVER (PARTITION BY c.bank_line_id) AS n_groups
  FROM c3l c
  WHERE NOT EXISTS (
    SELECT 1 FROM c3other o
    WHERE o.bank_line_id = c.bank_line_id AND o.provider = c.provider AND o.currency = c.currency AND o.arrival_date = c.arrival_date
  )
),
po4 AS (
  SELECT * FROM po3
  WHERE NOT EXISTS (SELECT 1 FROM c3g WHERE c3g.provider = po3.provider AND c3g.currency = po3.currency AND c3g.arrival_date = po3.arrival_date)
),
bl4 AS (
  SELECT * FROM bl3 WHERE NOT EXISTS (SELECT 1 FROM c3g WHERE c3g.bank_line_id = bl3.bank_line_id)
),
-- Rule 4's parts: credits smaller than the payout that carry its reference or id, in its window, or up to
-- +match_days_after_reference (`late`) when the line quotes no other payout, as at rule 1: each part carries the
-- reference, so a split the bank books late over a bank holiday is as well evidenced as one line.
p4all AS (
  SELECT po4.payout_id, po4.amount_minor AS payout_amount_minor, po4.currency, bl4.bank_line_id, bl4.account, bl4.amount_minor, bl4.txt,
    date_diff('day', po4.arrival_date, bl4.booking_day) AS day_diff,
    date_diff('day', po4.arrival_date, bl4.booking_day) > x.match_days_after AS late
  FROM po4
  CROSS JOIN x
  JOIN bl4 ON bl4.currency = po4.currency AND bl4.amount_minor > 0 AND bl4.amount_minor < po4.amount_minor
    AND date_diff('day', po4.arrival_date, bl4.booking_day) BETWEEN -x.match_days_before AND greatest(x.match_days_after, x.match_days_after_reference)
    AND ((po4.ref IS NOT NULL AND po4.ref <> '' AND strpos(bl4.txt, po4.ref) > 0) OR strpos(bl4.txt, po4.pid) > 0)
),
p4 AS (
  SELECT l.payout_id, l.payout_amount_minor, l.currency, l.bank_line_id, l.account, l.amount_minor, l.day_diff, l.late
  FROM p4all l
  WHERE NOT l.late OR NOT EXISTS (
    SELECT 1 FROM quoted q
    WHERE q.payout_id <> l.payout_id
      AND ((q.ref IS NOT NULL AND q.ref <> '' AND strpos(l.txt, q.ref) > 0) OR strpos(l.txt, q.pid) > 0)
  )
),
-- Every set of 2 or 3 parts of one account that sums to the payout, each set once (its lines in id order); `late`
-- when a part is past match_days_after.
sets4all AS (
  SELECT a.payout_id, a.bank_line_id AS l1, b.bank_line_id AS l2, CAST(NULL AS VARCHAR) AS l3, a.late OR b.late AS late
  FROM p4 a
  JOIN p4 b ON b.payout_id = a.payout_id AND b.account = a.account AND b.bank_line_id > a.bank_line_id
  WHERE a.amount_minor + b.amount_minor = a.payout_amount_minor
  UNION ALL
  SELECT a.payout_id, a.bank_line_id, b.bank_line_id, c.bank_line_id, a.late OR b.late OR c.late
  FROM p4 a
  JOIN p4 b ON b.payout_id = a.payout_id AND b.account = a.account AND b.bank_line_id > a.bank_line_id
  JOIN p4 c ON c.payout_id = a.payout_id AND c.account = a.account AND c.bank_line_id > b.bank_line_id
  WHERE a.amount_minor + b.amount_minor + c.amount_minor = a.payout_amount_minor
),
-- A late set counts only for a payout with no set in the window (the window wins, as at rule 1).
sets4 AS (
  SELECT s.payout_id, s.l1, s.l2, s.l3
  FROM sets4all s
  WHERE NOT s.late OR NOT EXISTS (SELECT 1 FROM sets4all i WHERE i.payout_id = s.payout_id AND NOT i.late)
),
n4 AS (
  SELECT payout_id, count(*) AS n_sets FROM sets4 GROUP BY payout_id
),
-- One row per payout and line of any of its sets.
c4s AS (
  SELECT DISTINCT p.payout_id, p.bank_line_id, p.day_diff, p.payout_amount_minor, p.currency, n4.n_sets
  FROM p4 p
  JOIN sets4 s ON s.payout_id = p.payout_id AND (s.l1 = p.bank_line_id OR s.l2 = p.bank_line_id OR s.l3 = p.bank_line_id)
  JOIN n4 ON n4.payout_id = p.payout_id
),
po5 AS (
  SELECT * FROM po4 WHERE NOT EXISTS (SELECT 1 FROM c4s WHERE c4s.payout_id = po4.payout_id)
),
undone AS (
  SELECT bank_line_id, amount_minor, currency, booking_day, txt FROM booked WHERE reversed_by IS NOT NULL
),
c5 AS (
  SELECT po5.payout_id, u.bank_line_id,
    CASE WHEN (po5.ref IS NOT NULL AND po5.ref <> '' AND strpos(u.txt, po5.ref) > 0) OR strpos(u.txt, po5.pid) > 0 THEN 1 ELSE 2 END AS rule_rank,
    date_diff('day', po5.arrival_date, u.booking_day) AS day_diff,
    po5.amount_minor AS payout_amount_minor, u.amount_minor AS line_amount_minor, po5.currency
  FROM po5
  CROSS JOIN x
  JOIN undone u ON u.currency = po5.currency AND u.amount_minor = po5.amount_minor
    AND date_diff('day', po5.arrival_date, u.booking_day) BETWEEN -x.match_days_before AND x.match_days_after
    AND ((po5.ref IS NOT NULL AND po5.ref <> '' AND strpos(u.txt, po5.ref) > 0) OR strpos(u.txt, po5.pid) > 0
      OR (strpos(u.txt, po5.pname) > 0 AND NOT EXISTS (
        SELECT 1 FROM quoted q
        WHERE q.payout_id <> po5.payout_id
          AND ((q.ref IS NOT NULL AND q.ref <> '' AND strpos(u.txt, q.ref) > 0) OR strpos(u.txt, q.pid) > 0)
      )))
),
pairs AS (
  SELECT payout_id, bank_line_id, 'bank_reference' AS rule, 1 AS rule_rank, false AS undone, day_diff, payout_amount_minor, line_amount_minor, currency,
    count(*) OVER (PARTITION BY payout_id) AS n_lines, count(*) OVER (PARTITION BY bank_line_id) AS n_payouts, 1 AS n_sets
  FROM c1
  UNION ALL
  SELECT payout_id, bank_line_id, 'amount_provider', 2, false, day_diff, payout_amount_minor, line_amount_minor, currency,
    count(*) OVER (PARTITION BY payout_id), count(*) OVER (PARTITION BY bank_line_id), 1
  FROM c2
  UNION ALL
  SELECT po3.payout_id, c3g.bank_line_id, 'payout_day_sum', 3, false, c3g.day_diff, c3g.amount_minor, c3g.line_amount_minor, c3g.currency,
    c3g.n_lines, c3g.n_groups, 1
  FROM c3g
  JOIN po3 ON po3.provider = c3g.provider AND po3.currency = c3g.currency AND po3.arrival_date = c3g.arrival_date
  UNION ALL
  SELECT payout_id, bank_line_id, CASE WHEN rule_rank = 1 THEN 'bank_reference' ELSE 'amount_provider' END, rule_rank, true, day_diff,
    payout_amount_minor, line_amount_minor, currency,
    count(*) OVER (PARTITION BY payout_id), count(*) OVER (PARTITION BY bank_line_id), 1
  FROM c5
  UNION ALL
  SELECT payout_id, bank_line_id, 'payout_split_lines', 4, false, day_diff, payout_amount_minor, payout_amount_minor, currency,
    count(*) OVER (PARTITION BY payout_id), count(*) OVER (PARTITION BY bank_line_id), n_sets
  FROM c4s
)
SELECT
  payout_id,
  bank_line_id,
  rule,
  rule_rank,
  CASE WHEN undone THEN 'reversed'
       WHEN n_payouts = 1 AND (n_lines = 1 OR (rule_rank = 4 AND n_sets = 1)) THEN 'matched' ELSE 'ambiguous' END AS outcome,
  day_diff,
  payout_amount_minor,
  line_amount_minor,
  payout_amount_minor - line_amount_minor AS amount_diff_minor,
  currency,
  n_lines,
  n_payouts
FROM pairs
