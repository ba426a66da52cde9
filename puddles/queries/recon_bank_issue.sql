-- Which issue of each bank statement stands? One row per statement imported from a bank file (`_source` 'bank')
-- with an issue that adds up: the latest such issue by when the bank created it (`created_at`: camt CreDtTm, BAI2
-- the 01 record's file creation date and time), then by when it was imported (`file_sha256`, `file_name`), and
-- `conflicting_files`, how many other files that add up carry the same statement id and creation time with other
-- content. The bank's order, not the order of arrival: `puddle import bank *.bai2` takes `dec2-corrected.bai2`
-- before `dec2.bai2`, and until 2026-12-03, when the last imported stood, the original so imported after its
-- correction replaced it (the wrong amount booked, the right one withdrawn).
-- A statement re-issued under the same id (a camt.053 the bank corrected) replaces the earlier issue whole
-- (recon_bank_booked). An issue's lines are told by the statement id and creation time their versions carry
-- (a line's `updated_at` is its statement's creation time), not by the import's delivery: the lake keeps a version
-- once, at its first arrival, so a line both issues carry unchanged holds only the first import's delivery.
-- An identical file imported again (under any name) is the same issue and changes nothing. A different file with
-- the same statement id and creation time is no re-issue a bank makes (a re-issue is created later): its lines
-- cannot be told from the first file's, so both files' lines stand and recon_breaks opens STATEMENT_CONFLICT.
-- `superseded_by`: a later issue of the statement under another page's id that replaces this one whole
-- (recon_bank_superseded: a re-issue in fewer pages, or unpaged where it was paged, or the reverse), else null.
-- recon_bank_booked withdraws a superseded issue's lines, and its conflict is no break.
WITH issues AS (
  SELECT bank_statement_id, occurred_at AS created_at, file_sha256, file_name, currency, closing_balance_minor, _received_at
  FROM bank_statement_history
  WHERE balanced AND _source = 'bank'
),
newest AS (
  SELECT i.*
  FROM issues i
  JOIN (SELECT bank_statement_id, max(created_at) AS created_at FROM issues GROUP BY bank_statement_id) c
    ON c.bank_statement_id = i.bank_statement_id AND c.created_at = i.created_at
),
latest AS (
  SELECT n.*
  FROM newest n
  JOIN (SELECT bank_statement_id, max(_received_at) AS received_at FROM newest GROUP BY bank_statement_id) m
    ON m.bank_statement_id = n.bank_statement_id AND m.received_at = n._received_at
)
SELECT
  l.bank_statement_id,
  l.created_at,
  l.file_sha256,
  l.file_name,
  l.currency,
  l.closing_balance_minor,
  l._received_at AS received_at,
  count(DISTINCT o.file_sha256) AS conflicting_files,
  min(o.file_name) AS conflicting_file_name,
  min(o.closing_balance_minor) AS conflicting_closing_minor,
  min(d.superseded_by) AS superseded_by
FROM latest l
LEFT JOIN issues o ON o.bank_statement_id = l.bank_statement_id AND o.created_at = l.created_at AND o.file_sha256 <> l.file_sha256
LEFT JOIN recon_bank_superseded d ON d.bank_statement_id = l.bank_statement_id AND d.created_at = l.created_at
GROUP BY l.bank_statement_id, l.created_at, l.file_sha256, l.file_name, l.currency, l.closing_balance_minor, l._received_at
