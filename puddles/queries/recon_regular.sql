-- Money received, one row per gift, at the gift's pledged amount and currency (a renewal's: its charge's; what a charge
-- took when it differs is the payment's, and an AMOUNT_MISMATCH or CURRENCY_MISMATCH break), with the regular gift it is an instalment of: the board pack's split of regular
-- against one-off giving (docs/reconciliation.md, "Regular and one-off giving"). Three ways money arrives:
--   charge      a donation paid by a charge (recon_journey.paid_at; refunded or disputed later too: this is money received);
--   collection  a donation its producer collected itself, `status` paid with no charge (a Direct Debit bureau, an IVR
--               line), at its pledged_at;
--   renewal     a subscription's successful charge that names no donation in the lake (a Stripe or Braintree renewal).
-- recurring_donation_id is the journey's (the donation's, else its charge's, else its CRM gift's) or the renewal's own;
-- giving says `regular` when there is one. instalment: its number within its regular gift by when it was received
-- (1: the first the lake holds, which need not be the plan's first), null for a one-off gift. The ids come from
-- different systems, so a plan named by two of them counts as two. Until 2026-12-06 this was a query in the docs,
-- which left out collections and renewals (a regular giving manager's user test).
WITH r AS (
  SELECT
    CASE WHEN paid_at IS NOT NULL THEN 'charge' ELSE 'collection' END AS received_by,
    received_at,
    donation_id, payment_id, amount_minor, currency, recurring_donation_id, channel, campaign, stage
  FROM recon_journey
  WHERE received_at IS NOT NULL
  UNION ALL
  SELECT 'renewal', l.occurred_at, CAST(NULL AS VARCHAR), l.payment_id, l.amount_minor, l.currency, l.recurring_donation_id,
    CAST(NULL AS VARCHAR), CAST(NULL AS VARCHAR), CAST(NULL AS VARCHAR)
  FROM recon_payment_link l
  WHERE l.outcome = 'succeeded' AND l.recurring_donation_id IS NOT NULL AND l.donation_id IS NULL
)
SELECT
  received_at,
  CASE WHEN recurring_donation_id IS NULL THEN 'one-off' ELSE 'regular' END AS giving,
  recurring_donation_id,
  CASE WHEN recurring_donation_id IS NOT NULL
    THEN row_number() OVER (PARTITION BY recurring_donation_id ORDER BY received_at, coalesce(donation_id, payment_id))
  END AS instalment,
  amount_minor,
  currency,
  received_by,
  donation_id,
  payment_id,
  channel,
  campaign,
  stage
FROM r
