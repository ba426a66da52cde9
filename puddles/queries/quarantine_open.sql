-- Which quarantined records are still open? Each record's current quarantine row, unless a resolution names
-- that very row (its envelope id): `puddle quarantine retry` writes one when the record lands, by the retry
-- or by a later sync. The quarantine rows themselves never change. A record that fails again with other
-- reasons has a new row, which no resolution names: it is open again. The dashboard counts this view.
-- A bank statement that did not add up (`bank:bank_statement:<id>`) is open while its STATEMENT_UNBALANCED break
-- is: once a corrected statement has landed (recon_statement_corrected, the break's own rule), the row is no
-- longer open, with no retry needed. Until 2026-12-03 `puddle quarantine` and the dashboard listed it as open
-- until `puddle quarantine retry` ran, while `puddle report breaks` showed its break closed.
SELECT q.*
FROM quarantine q
WHERE NOT EXISTS (
  SELECT 1 FROM quarantine_resolution r WHERE r.quarantine_resolution_id = q._id
)
  AND NOT EXISTS (
    SELECT 1 FROM recon_statement_corrected k
    WHERE q.source = 'bank' AND q.contract = 'bank_statement'
      AND q.quarantine_id = 'bank:bank_statement:' || k.bank_statement_id AND k.corrected_at >= q._received_at
  );
