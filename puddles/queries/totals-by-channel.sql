-- Donations promised tonight, by channel: how many and how much (minor units) per channel and currency,
-- from the current `donation` view (the latest version of each donation, duplicates removed).
-- No date filter: on the appeal night the lake holds the night; narrow with occurred_at when it does not.
SELECT
  channel,
  currency,
  count(*) AS donations,
  sum(amount_minor) AS amount_minor
FROM donation
GROUP BY channel, currency
ORDER BY channel, currency;
