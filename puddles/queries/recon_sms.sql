-- Which mobile network left a text-to-donate month short? One row per month, currency and network: the SMS
-- pledges the donations name that network for (`sms_network`, donation v2), against the aggregators' remittances
-- that name it. An aggregator remits by network: each network pays it on its own schedule, and its statement
-- breaks the month down by network, so a short month is traced to the network that did not pay.
-- A pledge is an SMS donation whose status counts as pledged (donation_statuses), in the month it was made (UTC).
-- A remittance is a credit naming an SMS aggregator, paying the month recon_sms_remittance says. It names a
-- network when exactly one network the donations of its currency name is in its text as a whole word, any case
-- (`@whole_word`: EE is in "DONR EE 2026-11", not in "FEES").
-- `traced`: the month's remittances (one at least) each name one network, as an aggregator that pays each
-- network's money as a credit of its own writes them; then `remitted_minor` and `short_minor` are the network's
-- (the row with no network, v1 donations and texts that name none, is short by its pledges: no remittance is
-- theirs). Otherwise only the month's totals are known (`month_*`, the figures SMS_PLEDGE_UNCOLLECTED compares),
-- and each network's pledges are what to hold against the aggregator's statement: `remitted_minor` and
-- `short_minor` are null. Networks are compared by name in any case; `sms_network` is as a donation spells it.
WITH x AS (
  SELECT * FROM recon_params
),
sms AS (
  SELECT
    substr(CAST(CAST(d.occurred_at AS DATE) AS VARCHAR), 1, 7) AS period,
    d.currency,
    nullif(trim(coalesce(d.sms_network, '')), '') AS sms_network,
    d.amount_minor
  FROM donation d
  CROSS JOIN x
  WHERE d.channel = 'sms' AND CAST(d.occurred_at AS DATE) <= x.as_of
    AND coalesce(d.status, '') NOT IN (SELECT status FROM donation_statuses WHERE NOT pledged)
),
pledged AS (
  SELECT period, currency, upper(sms_network) AS network_key, min(sms_network) AS sms_network, count(*) AS pledges,
    sum(amount_minor) AS pledged_minor
  FROM sms
  GROUP BY period, currency, upper(sms_network)
),
networks AS (
  SELECT DISTINCT currency, network_key, @whole_word(network_key) AS pattern
  FROM pledged
  WHERE network_key IS NOT NULL
),
remittance AS (
  SELECT bank_line_id, period, currency, amount_minor, txt FROM recon_sms_remittance
),
named AS (
  SELECT r.bank_line_id, min(n.network_key) AS network_key, count(*) AS networks
  FROM remittance r
  JOIN networks n ON n.currency = r.currency
  WHERE coalesce(regexp_extract(r.txt, n.pattern), '') <> ''
  GROUP BY r.bank_line_id
),
remitted AS (
  SELECT period, currency, network_key, count(*) AS remittances, sum(amount_minor) AS remitted_minor
  FROM (
    SELECT r.period, r.currency, r.amount_minor, CASE WHEN m.networks = 1 THEN m.network_key END AS network_key
    FROM remittance r
    LEFT JOIN named m ON m.bank_line_id = r.bank_line_id
  ) t
  GROUP BY period, currency, network_key
),
months AS (
  SELECT period, currency,
    sum(pledges) AS pledges, sum(pledged_minor) AS pledged_minor, sum(remittances) AS remittances, sum(remitted_minor) AS remitted_minor,
    max(CASE WHEN remittances > 0 AND network_key IS NULL THEN 1 ELSE 0 END) AS unnamed,
    CASE WHEN max(remittances) > 0 AND max(CASE WHEN remittances > 0 AND network_key IS NULL THEN 1 ELSE 0 END) = 0 THEN true ELSE false END AS traced
  FROM (
    SELECT period, currency, network_key, pledges, pledged_minor, 0 AS remittances, 0 AS remitted_minor FROM pledged
    UNION ALL
    SELECT period, currency, network_key, 0, 0, remittances, remitted_minor FROM remitted
  ) t
  GROUP BY period, currency
),
-- Every network of a month: pledged for, or (in a traced month) named by a remittance.
month_networks AS (
  SELECT period, currency, network_key FROM pledged
  UNION
  SELECT r.period, r.currency, r.network_key
  FROM remitted r
  JOIN months m ON m.period = r.period AND m.currency = r.currency
  WHERE r.network_key IS NOT NULL AND m.traced
)
SELECT
  k.period,
  CAST(CAST(k.period || '-01' AS DATE) + INTERVAL '1' MONTH - INTERVAL '1' DAY AS DATE) AS month_end,
  k.currency,
  coalesce(p.sms_network, n.sms_network) AS sms_network,
  coalesce(p.pledges, 0) AS pledges,
  coalesce(p.pledged_minor, 0) AS pledged_minor,
  CASE WHEN m.traced THEN coalesce(r.remittances, 0) END AS remittances,
  CASE WHEN m.traced THEN coalesce(r.remitted_minor, 0) END AS remitted_minor,
  CASE WHEN m.traced THEN coalesce(p.pledged_minor, 0) - coalesce(r.remitted_minor, 0) END AS short_minor,
  m.traced,
  m.pledges AS month_pledges,
  m.pledged_minor AS month_pledged_minor,
  m.remittances AS month_remittances,
  m.remitted_minor AS month_remitted_minor,
  m.pledged_minor - m.remitted_minor AS month_short_minor
FROM month_networks k
JOIN months m ON m.period = k.period AND m.currency = k.currency
LEFT JOIN pledged p ON p.period = k.period AND p.currency = k.currency AND coalesce(p.network_key, '') = coalesce(k.network_key, '')
LEFT JOIN remitted r ON r.period = k.period AND r.currency = k.currency AND coalesce(r.network_key, '') = coalesce(k.network_key, '')
-- A network only a remittance names: its name as the donations of another month spell it.
LEFT JOIN (SELECT currency, network_key, min(sms_network) AS sms_network FROM pledged GROUP BY currency, network_key) n
  ON n.currency = k.currency AND n.network_key = k.network_key
