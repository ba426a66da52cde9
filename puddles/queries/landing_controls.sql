-- Did everything Puddle received land somewhere? Per day received (UTC), source, stream and contract, the raw
-- trail's deliveries against where each went (`raw_fate`): received = current + superseded + repeated + quarantined
-- + raw_only + unaccounted, always. `unaccounted` is what was received and neither landed nor went to quarantine:
-- it should be 0; `raw_fate` names each such envelope. Raw lands up to PUDDLE_RAW_LINGER_SECONDS behind the other
-- puddles, so a delivery of the last minute may not be counted yet; a record waiting in a contract's queue (a
-- backlog, a dead letter) is unaccounted until it lands.
SELECT
  received_on AS day,
  source,
  stream,
  contract,
  count(*) AS received,
  sum(CASE WHEN fate = 'current' THEN 1 ELSE 0 END) AS current,
  sum(CASE WHEN fate = 'superseded' THEN 1 ELSE 0 END) AS superseded,
  sum(CASE WHEN fate = 'repeated' THEN 1 ELSE 0 END) AS repeated,
  sum(CASE WHEN fate = 'quarantined' THEN 1 ELSE 0 END) AS quarantined,
  sum(CASE WHEN fate = 'raw_only' THEN 1 ELSE 0 END) AS raw_only,
  sum(CASE WHEN fate = 'unaccounted' THEN 1 ELSE 0 END) AS unaccounted
FROM raw_fate
GROUP BY received_on, source, stream, contract
