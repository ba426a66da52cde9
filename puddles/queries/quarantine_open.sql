-- Which quarantined records are still open? Each record's current quarantine row, unless a resolution names
-- that very row (its envelope id): `puddle quarantine retry` writes one when the record lands, by the retry
-- or by a later sync. The quarantine rows themselves never change. A record that fails again with other
-- reasons has a new row, which no resolution names: it is open again. The dashboard counts this view.
SELECT q.*
FROM quarantine q
WHERE NOT EXISTS (
  SELECT 1 FROM quarantine_resolution r WHERE r.quarantine_resolution_id = q._id
);
