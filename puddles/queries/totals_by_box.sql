-- How much was pledged in each 15-minute box, by channel, campaign and call to action? Pledges are current
-- donations whose status counts as pledged money (none, or one donation_statuses does not list as not pledged:
-- started, abandoned, failed and cancelled count nothing), dated by occurred_at (UTC), up to the as-of date;
-- count and amount per currency (never summed across currencies). box_start is the box's first instant.
-- Rows are grouped by the box's minute since 1970 (date_diff is plain arithmetic on the timestamp, where
-- minute() and date_trunc() take calendar fields apart for each of millions of rows), and box_start is made
-- from it once per box. Before 1970 that minute count would not round down in either engine, so those rows
-- take the calendar way.
WITH d AS (
  SELECT
    d.channel,
    d.campaign,
    d.cta,
    d.currency,
    d.amount_minor,
    CASE
      WHEN d.occurred_at >= TIMESTAMP '1970-01-01 00:00:00' THEN
        date_diff('minute', TIMESTAMP '1970-01-01 00:00:00', d.occurred_at)
        - mod(date_diff('minute', TIMESTAMP '1970-01-01 00:00:00', d.occurred_at), 15)
      ELSE date_diff('minute', TIMESTAMP '1970-01-01 00:00:00', CASE
        WHEN minute(d.occurred_at) < 15 THEN date_trunc('hour', d.occurred_at)
        WHEN minute(d.occurred_at) < 30 THEN date_trunc('hour', d.occurred_at) + INTERVAL '15' MINUTE
        WHEN minute(d.occurred_at) < 45 THEN date_trunc('hour', d.occurred_at) + INTERVAL '30' MINUTE
        ELSE date_trunc('hour', d.occurred_at) + INTERVAL '45' MINUTE
      END)
    END AS box_minute
  FROM donation d
  CROSS JOIN recon_params x
  WHERE coalesce(d.status, '') NOT IN (SELECT status FROM donation_statuses WHERE NOT pledged) AND CAST(d.occurred_at AS DATE) <= x.as_of
)
SELECT
  TIMESTAMP '1970-01-01 00:00:00' + INTERVAL '1' MINUTE * box_minute AS box_start,
  channel,
  campaign,
  cta,
  currency,
  count(*) AS pledges,
  sum(amount_minor) AS amount_minor
FROM d
GROUP BY box_minute, channel, campaign, cta, currency
