-- Which bank lines did the bank book by the as-of date, and which of them did it reverse? One row per booked line
-- (pending and information entries are not money that moved), with the text a rule may search and which payment
-- provider or SMS aggregator that text names. `txt` is reference, description, entry reference, end-to-end id and
-- counterparty, upper-cased.
-- A reversal (camt RvslInd, `reversal`) undoes an earlier entry: a booked line that is not itself a reversal, of
-- the same account and currency, for the opposite amount, booked on or before it, found by the first of these
-- keys that finds any (`reversal_rule`):
--   end_to_end_id:   both carry the same end-to-end id (a returned payment quotes the original's)
--   entry_reference: the reversal's reference or description quotes the original's entry reference (camt
--                    AcctSvcrRef, the bank's own id for the booking, else NtryRef), as in "reversal of <ref>"
--   reference:       the reversal's reference or description contains the original's remittance text
-- Both texts are found only as a whole: bounded by the start or end of the text or a character that is not a
-- letter or digit (entry reference 1234 is not in "REVERSAL OF 12345"), and only when 4 characters or longer,
-- 6 or longer when all digits. Many banks number NtryRef per statement (1, 2, 3 or 0001, 0002 in every file), so
-- such a number names no entry: "0001" would pair with any reversal whose text holds 0001 as a word, and a
-- 4-digit number is a year in any dated text. 6 digits is a UK cheque serial number, which names one cheque.
-- `reversal_outcome` (reversals only): `paired` when the key finds one entry no other reversal claims, named in
-- `reverses` (and that entry's `reversed_by` names the reversal); `ambiguous` when it finds more (never a guess,
-- `reversal_candidates` says how many); `unpaired` when no key finds any. A paired reversal and its entry moved
-- no money together, so neither counts for matching (recon_bank_text); the others are BANK_REVERSAL_UNPAIRED breaks.
-- A statement re-issued under the same id (a camt.053 the bank corrected: an amount put right, an entry booked in
-- error taken out) replaces the earlier issue whole. A line of an import, on a statement whose standing issue
-- (recon_bank_issue: the latest that adds up, by when it was received) did not carry it, is no longer on the bank's
-- statement, so it is not booked: with a corrected amount and no AcctSvcrRef its id changes, and the wrong amount
-- stayed beside the right one, counted twice. The issue carried a line when a version of the line names the
-- statement and the issue's creation time (`updated_at`), whichever import first delivered that version: an
-- identical file imported again, under any name, withdraws nothing. An issue that does not add up withdraws nothing
-- (it imported no lines). An issue a later one superseded under another page's id (recon_bank_issue
-- `superseded_by`: the statement re-issued in fewer pages, or unpaged where it was paged, or the reverse) carries
-- none: its lines the re-issue carries have versions naming it, the others left the statement. Lines posted
-- through POST /v1/events (`_source` not 'bank') are the producer's own and are kept.
WITH x AS (
  SELECT * FROM recon_params
),
withdrawn AS (
  SELECT l.bank_line_id
  FROM bank_line l
  WHERE l._source = 'bank'
    AND l.statement_id IN (SELECT bank_statement_id FROM recon_bank_issue)
    AND NOT EXISTS (
      SELECT 1
      FROM bank_line_history h
      JOIN recon_bank_issue i ON i.bank_statement_id = h.statement_id AND i.created_at = h.updated_at AND i.superseded_by IS NULL
      WHERE h.bank_line_id = l.bank_line_id
    )
),
lines AS (
  SELECT
    l.bank_line_id,
    l.account,
    l.amount_minor,
    l.currency,
    coalesce(l.booking_date, CAST(l.occurred_at AS DATE)) AS booking_day,
    l.statement_id,
    coalesce(l.reversal, false) AS reversal,
    l.entry_reference,
    l.end_to_end_id,
    l.reference,
    l.description,
    upper(coalesce(l.reference, '') || ' ' || coalesce(l.description, '') || ' ' || coalesce(l.entry_reference, '') || ' '
      || coalesce(l.end_to_end_id, '') || ' ' || coalesce(l.counterparty, '')) AS txt
  FROM bank_line l
  CROSS JOIN x
  WHERE coalesce(l.status, 'booked') = 'booked'
    AND coalesce(l.booking_date, CAST(l.occurred_at AS DATE)) <= x.as_of
    AND l.bank_line_id NOT IN (SELECT bank_line_id FROM withdrawn)
),
rev AS (
  SELECT bank_line_id, account, amount_minor, currency, booking_day, end_to_end_id,
    -- Its own entry reference is left out: an original's short reference could be part of it.
    upper(coalesce(reference, '') || ' ' || coalesce(description, '')) AS said
  FROM lines
  WHERE reversal
),
undoable AS (
  SELECT bank_line_id, account, amount_minor, currency, booking_day, end_to_end_id
  FROM lines
  WHERE NOT reversal
),
-- The texts a reversal may quote, one row per line and key, each as a regular expression that finds it whole
-- (`@whole_word`, puddles/named-views.ts). regexp_extract is the one regexp call both engines have (DuckDB gives
-- '' where Trino gives NULL for no match).
quoted_texts AS (
  SELECT bank_line_id, 2 AS key_rank, upper(trim(coalesce(entry_reference, ''))) AS quoted FROM lines WHERE NOT reversal
  UNION ALL
  SELECT bank_line_id, 3 AS key_rank, upper(trim(coalesce(reference, ''))) AS quoted FROM lines WHERE NOT reversal
),
quoted_patterns AS (
  SELECT bank_line_id, key_rank,
    @whole_word(quoted) AS pattern
  FROM quoted_texts
  WHERE length(quoted) >= 4
    -- All digits and shorter than 6: a statement's own numbering (NtryRef 0001), or a year (2026), names no entry.
    AND (length(quoted) >= 6 OR coalesce(regexp_extract(quoted, '^[0-9]+$'), '') = '')
),
keyed AS (
  SELECT r.bank_line_id AS reversal_line_id, r.booking_day AS reversed_on, u.bank_line_id AS reversed_line_id, 1 AS key_rank
  FROM rev r
  JOIN undoable u ON u.account = r.account AND u.currency = r.currency AND u.amount_minor = -r.amount_minor
    AND u.booking_day <= r.booking_day
  WHERE coalesce(r.end_to_end_id, '') <> '' AND r.end_to_end_id = u.end_to_end_id
  UNION ALL
  SELECT r.bank_line_id, r.booking_day, u.bank_line_id, q.key_rank
  FROM rev r
  JOIN undoable u ON u.account = r.account AND u.currency = r.currency AND u.amount_minor = -r.amount_minor
    AND u.booking_day <= r.booking_day
  JOIN quoted_patterns q ON q.bank_line_id = u.bank_line_id
  WHERE coalesce(regexp_extract(r.said, q.pattern), '') <> ''
),
best AS (
  SELECT k.*, min(k.key_rank) OVER (PARTITION BY k.reversal_line_id) AS best_rank
  FROM keyed k
),
chosen AS (
  SELECT b.*,
    count(*) OVER (PARTITION BY b.reversal_line_id) AS n_entries,
    count(*) OVER (PARTITION BY b.reversed_line_id) AS n_reversals
  FROM best b
  WHERE b.key_rank = b.best_rank
),
per_reversal AS (
  SELECT
    reversal_line_id,
    min(key_rank) AS key_rank,
    count(*) AS candidates,
    max(CASE WHEN n_entries = 1 AND n_reversals = 1 THEN reversed_line_id END) AS reverses
  FROM chosen
  GROUP BY reversal_line_id
),
paired AS (
  SELECT reversed_line_id, reversal_line_id, reversed_on
  FROM chosen
  WHERE n_entries = 1 AND n_reversals = 1
)
SELECT
  l.bank_line_id,
  l.account,
  l.amount_minor,
  l.currency,
  l.booking_day,
  l.statement_id,
  l.txt,
  (SELECT min(p.provider) FROM recon_providers p WHERE p.kind = 'payout' AND strpos(l.txt, p.bank_text) > 0) AS payout_provider,
  (SELECT min(p.provider) FROM recon_providers p WHERE p.kind = 'sms' AND strpos(l.txt, p.bank_text) > 0) AS sms_aggregator,
  l.reversal,
  CASE WHEN NOT l.reversal THEN CAST(NULL AS VARCHAR)
       WHEN r.reverses IS NOT NULL THEN 'paired' WHEN r.candidates > 0 THEN 'ambiguous' ELSE 'unpaired' END AS reversal_outcome,
  CASE r.key_rank WHEN 1 THEN 'end_to_end_id' WHEN 2 THEN 'entry_reference' WHEN 3 THEN 'reference' END AS reversal_rule,
  CASE WHEN l.reversal THEN coalesce(r.candidates, 0) END AS reversal_candidates,
  r.reverses,
  q.reversal_line_id AS reversed_by,
  q.reversed_on
FROM lines l
LEFT JOIN per_reversal r ON r.reversal_line_id = l.bank_line_id
LEFT JOIN paired q ON q.reversed_line_id = l.bank_line_id
