-- Which bank statements that did not add up has a corrected one replaced? One row per statement version that does
-- not add up (bank_statement_history) with the statement that corrects it: one that adds up, of the same account,
-- currency and format, imported after it, covering its whole period (period_from to period_to) or carrying its
-- id (a camt.053 the bank re-issued under its Stmt/Id, which may give no period). A CSV export has no statement
-- id (its id is the file's hash), so its corrected export is a statement of its own id beside it. A balanced
-- statement imported before the unbalanced one corrects nothing: the later file may hold rows the earlier did not.
-- The one rule for recon_breaks (STATEMENT_UNBALANCED closes) and `puddle quarantine retry` (the statement's
-- quarantine row is resolved): `corrected_by` is the earliest such statement, `corrected_at` when it came in.
WITH x AS (
  SELECT * FROM recon_params
)
SELECT s.bank_statement_id, s._received_at AS received_at, min(c._received_at) AS corrected_at, min(c.bank_statement_id) AS corrected_by
FROM bank_statement_history s
CROSS JOIN x
JOIN bank_statement c
  ON c.balanced AND c.account = s.account AND c.currency = s.currency AND c.source_format = s.source_format
    AND c._received_at > s._received_at
    AND (c.bank_statement_id = s.bank_statement_id OR (c.period_from <= s.period_from AND c.period_to >= s.period_to))
    AND CAST(c.occurred_at AS DATE) <= x.as_of
WHERE NOT s.balanced
GROUP BY s.bank_statement_id, s._received_at;
