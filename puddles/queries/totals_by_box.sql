-- How much was pledged in each 15-minute box, by channel, campaign and call to action? Pledges are current
-- donations whose status is not failed or cancelled, dated by occurred_at (UTC), up to the as-of date; count
-- and amount per currency (never summed across currencies). box_start is the box's first instant.
WITH d AS (
  SELECT
    d.channel,
    d.campaign,
    d.cta,
    d.currency,
    d.amount_minor,
    CASE
      WHEN minute(d.occurred_at) < 15 THEN date_trunc('hour', d.occurred_at)
      WHEN minute(d.occurred_at) < 30 THEN date_trunc('hour', d.occurred_at) + INTERVAL '15' MINUTE
      WHEN minute(d.occurred_at) < 45 THEN date_trunc('hour', d.occurred_at) + INTERVAL '30' MINUTE
      ELSE date_trunc('hour', d.occurred_at) + INTERVAL '45' MINUTE
    END AS box_start
  FROM donation d
  CROSS JOIN recon_params x
  WHERE coalesce(d.status, '') NOT IN ('failed', 'cancelled', 'canceled') AND CAST(d.occurred_at AS DATE) <= x.as_of
)
SELECT
  box_start,
  channel,
  campaign,
  cta,
  currency,
  count(*) AS pledges,
  sum(amount_minor) AS amount_minor
FROM d
GROUP BY box_start, channel, campaign, cta, currency
