-- Possible duplicate donations: the same person giving the same amount twice within duplicate_window_minutes, both
-- still holding money (stage paid, paid_out or banked). A double click on the website's button, or a call-centre
-- agent keying a pledge twice, makes two donations, each with its own charge: DUPLICATE_PAYMENT (two charges on
-- one donation) cannot see it. One row per later donation, beside the nearest earlier one it repeats (three gifts in
-- a row are two rows).
-- The person is the donation's supporter_id, else the supporter of the charge it follows (a Stripe customer); a
-- donation with neither cannot be compared. same_click says both came from one click (click_id), which a second
-- gift meant as one rarely does. Instalments of a regular gift are left out (a plan pays the same amount on
-- purpose). This is a list to check with the donor, not a break: a supporter may well give twice, and a row leaves
-- the list once either donation is refunded or cancelled. Until 2026-12-07 nothing showed it (a supporter care
-- user test, s45 L11).
WITH x AS (
  SELECT * FROM recon_params
),
held AS (
  SELECT j.donation_id, j.pledged_at, j.channel, j.campaign, j.click_id, j.amount_minor, j.currency, j.stage, j.payment_id,
    coalesce(d.supporter_id, p.supporter_id) AS supporter_id
  FROM recon_journey j
  JOIN donation d ON d.donation_id = j.donation_id
  LEFT JOIN payment p ON p.payment_id = j.payment_id
  WHERE j.stage IN ('paid', 'paid_out', 'banked') AND j.recurring_donation_id IS NULL
),
pairs AS (
  SELECT
    b.pledged_at,
    b.donation_id,
    a.donation_id AS earlier_donation_id,
    b.supporter_id,
    b.amount_minor,
    b.currency,
    date_diff('second', a.pledged_at, b.pledged_at) AS seconds_apart,
    coalesce(a.click_id = b.click_id, false) AS same_click,
    b.channel,
    a.channel AS earlier_channel,
    b.campaign,
    b.payment_id,
    a.payment_id AS earlier_payment_id,
    b.stage,
    a.stage AS earlier_stage,
    row_number() OVER (PARTITION BY b.donation_id ORDER BY a.pledged_at DESC, a.donation_id DESC) AS nearest
  FROM held b
  JOIN held a
    ON a.supporter_id = b.supporter_id
    AND a.amount_minor = b.amount_minor
    AND a.currency = b.currency
    AND (a.pledged_at < b.pledged_at OR (a.pledged_at = b.pledged_at AND a.donation_id < b.donation_id))
  CROSS JOIN x
  WHERE date_diff('second', a.pledged_at, b.pledged_at) <= x.duplicate_window_minutes * 60
)
SELECT pledged_at, donation_id, earlier_donation_id, supporter_id, amount_minor, currency, seconds_apart, same_click,
  channel, earlier_channel, campaign, payment_id, earlier_payment_id, stage, earlier_stage
FROM pairs
WHERE nearest = 1
