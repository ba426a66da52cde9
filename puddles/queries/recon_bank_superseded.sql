-- Which issues of a camt statement has a later issue under another page's id superseded? One row per statement
-- version from a bank file (an id and creation time) that a later issue of the same statement (the same Stmt/Id
-- and account: the id without `/p<n>`) replaces although its id differs, with `superseded_by` (the replacing
-- issue's id) and when that issue was created and imported. A page is `<stmt>/p<n>`; a statement of one page, or
-- without StmtPgntn, keeps the bare `<stmt>` and is page 1 of 1 here. A later issue that adds up, created later
-- (CreDtTm), supersedes:
--   - the same page under the other id: `<stmt>/p1` an unpaged `<stmt>`, and an unpaged `<stmt>` a `<stmt>/p1`
--     (an issue under the same id is replaced by recon_bank_issue already);
--   - when it says where the statement ends (its page carries LastPgInd true, bank_statement v3 `last_page`; an
--     unpaged statement is its own last page), every page numbered beyond that end: a statement issued in 3 pages
--     and re-issued in 2 no longer has a page 3, and the old page 3's lines left the bank's statement.
-- A page re-issued with LastPgInd false, or imported before 2026-12-05 (no `last_page`), says nothing of where
-- the statement ends: it replaces that page only. An issue that does not add up supersedes nothing (it imported
-- no lines). Until 2026-12-05 the ids differed and nothing was replaced: the old page 3, or the unpaged issue
-- beside the paged one, stayed booked, an entry the re-issue corrected or took out counted twice.
-- recon_bank_issue marks the standing issues so superseded (recon_bank_booked withdraws their lines),
-- recon_statement_corrected closes an unbalanced one's break, and recon_breaks compares none of them.
-- A statement's id that itself ends in `/p` and digits reads as a page's: no bank known to Puddle writes one.
WITH x AS (
  SELECT * FROM recon_params
),
pages AS (
  SELECT bank_statement_id, occurred_at AS created_at, balanced, _received_at,
    regexp_replace(bank_statement_id, '/p[0-9]+$', '') AS statement,
    coalesce(TRY_CAST(regexp_extract(bank_statement_id, '/p([0-9]+)$', 1) AS INTEGER), 1) AS page,
    CASE WHEN coalesce(regexp_extract(bank_statement_id, '/p[0-9]+$', 0), '') = '' THEN true ELSE coalesce(last_page, false) END AS ends
  FROM bank_statement_history
  WHERE _source = 'bank' AND source_format LIKE 'camt.%'
)
SELECT o.bank_statement_id, o.created_at, min(n.bank_statement_id) AS superseded_by,
  min(n.created_at) AS superseded_created_at, min(n._received_at) AS superseded_received_at
FROM pages o
CROSS JOIN x
JOIN pages n
  ON n.statement = o.statement AND n.balanced AND n.created_at > o.created_at
    AND ((n.page = o.page AND n.bank_statement_id <> o.bank_statement_id) OR (n.ends AND n.page < o.page))
    -- As of a date, only issues created by then: the history views keep a statement id's earliest version even when
    -- it came later (historyAsOf), and a re-issue under another id is another id.
    AND CAST(n.created_at AS DATE) <= x.as_of
GROUP BY o.bank_statement_id, o.created_at
