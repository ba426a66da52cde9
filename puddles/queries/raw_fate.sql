-- What became of each envelope Puddle received? One row per delivery the raw trail holds (a producer's re-send is
-- a delivery of its own; a queue redelivery is not), with where it went:
--   current      it landed and is its record's version that stands (the contract's current view holds it)
--   superseded   it landed, and a newer version of its record stands (the contract's history holds it)
--   repeated     an earlier delivery of the same envelope id came first: that one is counted, this one adds nothing
--   quarantined  it did not land: the quarantine holds it, under its envelope id, with the reasons
--   raw_only     a provider's event kept for audit only (`provider_event`): raw is where it belongs
--   unaccounted  none of these: received, and neither landed nor quarantined (a lost or unregistered lake file, a
--                dead letter, a replay that dropped it); `landing_controls` counts them, and should count none
-- `first_received_at` is when the id first arrived. Read with `landing_controls` for the totals, and by `key` for one
-- record's trail: every delivery of a donation, when, from which source and stream, and which version stands.
WITH r AS (
  SELECT
    id, contract, version, source, stream, key, occurred_at, received_at, delivery_id,
    row_number() OVER (PARTITION BY coalesce(id, '') ORDER BY received_at, delivery_id) AS arrival,
    min(received_at) OVER (PARTITION BY coalesce(id, '')) AS first_received_at
  FROM raw
),
landed AS (
  SELECT contract, _id, max(CASE WHEN current THEN 1 ELSE 0 END) AS is_current
  FROM landed_ids
  GROUP BY contract, _id
),
quarantined AS (
  SELECT DISTINCT _id FROM quarantine_history
)
SELECT
  r.id,
  r.contract,
  r.version,
  r.source,
  r.stream,
  r.key,
  r.occurred_at,
  r.received_at,
  CAST(r.received_at AS DATE) AS received_on,
  r.delivery_id,
  r.first_received_at,
  CASE
    WHEN r.arrival > 1 THEN 'repeated'
    WHEN l.is_current = 1 THEN 'current'
    WHEN l.is_current = 0 THEN 'superseded'
    WHEN q._id IS NOT NULL THEN 'quarantined'
    WHEN r.contract = 'provider_event' THEN 'raw_only'
    ELSE 'unaccounted'
  END AS fate
FROM r
LEFT JOIN landed l ON l._id = r.id AND l.contract = r.contract
LEFT JOIN quarantined q ON q._id = r.id
