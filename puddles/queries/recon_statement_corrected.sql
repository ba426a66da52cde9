-- Which bank statements that did not add up has a corrected one replaced? One row per statement version that does
-- not add up (bank_statement_history) with the statement that corrects it: one that adds up, of the same account,
-- currency and format, whichever of the two came in first:
--   - imported after it, covering its whole period (period_from to period_to) or carrying its id (a camt.053 the
--     bank re-issued under its Stmt/Id, which may give no period);
--   - imported before it: its re-issue (the same id, created later by the bank: occurred_at is CreDtTm), or a
--     statement covering its whole period that holds at least as many entries. A later export may hold rows an
--     earlier one did not (a morning's and an afternoon's export of today): an earlier one with fewer entries
--     corrects nothing.
-- Until 2026-12-03 only a statement imported after corrected: the corrected file imported first (a glob's
-- order, or the old file imported again by mistake) left the break open for good, since importing the corrected
-- file again changes nothing (the lake keeps first arrivals).
-- A page of a camt statement corrects, and is corrected by, only an issue of the same page (see below).
-- A CSV export has no statement id (its id is the file's hash), so its corrected export is a statement of its
-- own id beside it.
-- The one rule for recon_breaks (STATEMENT_UNBALANCED closes) and `puddle quarantine retry` (the statement's
-- quarantine row is resolved): `corrected_by` is the earliest such statement, `corrected_at` when the
-- correction was known (the later of the two arrivals).
-- A later issue of a camt statement under another page's id that supersedes this one (recon_bank_superseded: the
-- statement re-issued in fewer pages, unpaged where it was paged, or the reverse) corrects it too: an old page 3
-- that did not add up is no page of the statement re-issued in 2 (until 2026-12-05 its break stayed open for good).
WITH x AS (
  SELECT * FROM recon_params
),
corrections AS (
  SELECT s.bank_statement_id, s._received_at, c._received_at AS c_received_at, c.bank_statement_id AS c_id
  FROM bank_statement_history s
  CROSS JOIN x
  JOIN bank_statement_history c
    ON c.balanced AND c.account = s.account AND c.currency = s.currency AND c.source_format = s.source_format
      AND (
        (c._received_at > s._received_at
          AND (c.bank_statement_id = s.bank_statement_id OR (c.period_from <= s.period_from AND c.period_to >= s.period_to)))
        OR (c._received_at <= s._received_at
          AND ((c.bank_statement_id = s.bank_statement_id AND c.occurred_at > s.occurred_at)
            OR (c.bank_statement_id <> s.bank_statement_id AND c.period_from <= s.period_from AND c.period_to >= s.period_to
              AND c.entry_count >= s.entry_count)))
      )
      -- A page of a camt statement the bank split (its id ends `/p<n>`: connectors/bank/camt.ts) holds part of the
      -- period's entries, so it corrects only its own re-issue, and only its own re-issue corrects it: page 1 covers
      -- page 2's period and made page 2's break close (until 2026-12-05).
      AND (c.bank_statement_id = s.bank_statement_id
        OR NOT (s.source_format LIKE 'camt.%' AND coalesce(regexp_extract(s.bank_statement_id, '/p[0-9]+$', 0), '') || coalesce(regexp_extract(c.bank_statement_id, '/p[0-9]+$', 0), '') <> ''))
      AND CAST(c.occurred_at AS DATE) <= x.as_of
  WHERE NOT s.balanced
  UNION ALL
  SELECT s.bank_statement_id, s._received_at, d.superseded_received_at, d.superseded_by
  FROM bank_statement_history s
  JOIN recon_bank_superseded d ON d.bank_statement_id = s.bank_statement_id AND d.created_at = s.occurred_at
  WHERE NOT s.balanced
)
SELECT bank_statement_id, _received_at AS received_at, greatest(_received_at, min(c_received_at)) AS corrected_at,
  min(c_id) AS corrected_by
FROM corrections
GROUP BY bank_statement_id, _received_at;
