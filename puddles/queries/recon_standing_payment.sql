-- Which payment does each donation's money follow? One row per donation with a payment: the charge that stands.
-- Of its successful payments, the first no refund touched, else the first refunded only in part, else the first
-- (all given back); with none, the first pending, else the first attempt. A donor charged twice whose first
-- charge the charity refunded paid once, through the second. Refunding a double charge is how finance puts it
-- right, so a refund marks the charge being given back, not the one that stands.
-- The one definition: the journey follows this payment, DUPLICATE_PAYMENT keeps it, AMOUNT_MISMATCH and
-- CURRENCY_MISMATCH compare the donation with it, and a ticket naming only its donation is linked to it. When the
-- donation's charges pay it in parts (recon_donation_charges.split) every part stands: this is the first of them,
-- and neither break is raised.
SELECT donation_id, payment_id, outcome, occurred_at, provider, amount_minor, currency, fee_minor, net_minor, payout_id, refunded_minor, recurring_donation_id
FROM (
  SELECT
    l.*,
    row_number() OVER (
      PARTITION BY l.donation_id
      ORDER BY
        CASE
          WHEN l.outcome = 'succeeded' AND l.refunded_minor = 0 THEN 0
          WHEN l.outcome = 'succeeded' AND l.refunded_minor < l.amount_minor THEN 1
          WHEN l.outcome = 'succeeded' THEN 2
          WHEN l.outcome = 'pending' THEN 3
          ELSE 4
        END,
        l.occurred_at, l.payment_id
    ) AS k
  FROM recon_payment_link l
  WHERE l.donation_id IS NOT NULL
) r
WHERE k = 1
