-- For every payment known on the as-of date: did it succeed, which donation is it for (and by which exact
-- key), and which payout carried its money (and by which exact key). One row per payment.
-- Succeeded or failed as recon_statuses says (Stripe, Braintree and producers' statuses); any other status is
-- `pending` (Stripe pending, Braintree authorized).
-- Donation keys, in order: payment.donation_id, then donation.payment_ref = payment_id (IVR and call centres
-- send the provider's id). Payout keys, in order: payment.payout_id, then a payout_item naming the payment
-- with money in (a failed payout's items come back in a later payout: the paid, latest one wins).
-- refunded_minor: what its successful refunds gave back by the as-of date (0: none). Refunding a double charge is
-- how finance puts it right, so DUPLICATE_PAYMENT (recon_breaks) and the journey both read which charge stands
-- from this one column.
WITH pay AS (
  SELECT
    p.*,
    coalesce(s.outcome, 'pending') AS outcome
  FROM payment p
  LEFT JOIN recon_statuses s ON s.status = p.status
  CROSS JOIN recon_params x
  WHERE CAST(p.occurred_at AS DATE) <= x.as_of
),
by_ref AS (
  SELECT payment_ref, min(donation_id) AS donation_id
  FROM donation
  WHERE payment_ref IS NOT NULL
  GROUP BY payment_ref
),
by_item AS (
  SELECT payment_id, payout_id
  FROM (
    SELECT
      i.payment_id,
      i.payout_id,
      row_number() OVER (
        PARTITION BY i.payment_id
        ORDER BY CASE WHEN o.status = 'paid' THEN 0 ELSE 1 END, o.arrival_date DESC, i.payout_id
      ) AS k
    FROM payout_item i
    LEFT JOIN payout o ON o.payout_id = i.payout_id
    CROSS JOIN recon_params x
    WHERE i.payment_id IS NOT NULL AND i.amount_minor > 0 AND CAST(i.occurred_at AS DATE) <= x.as_of
  ) r
  WHERE k = 1
),
refunded AS (
  SELECT r.payment_id, sum(r.amount_minor) AS refunded_minor
  FROM refund r
  CROSS JOIN recon_params x
  WHERE r.status IN (SELECT status FROM recon_statuses WHERE outcome = 'succeeded') AND CAST(r.occurred_at AS DATE) <= x.as_of
  GROUP BY r.payment_id
)
SELECT
  p.payment_id,
  p.provider,
  p.status,
  p.outcome,
  p.occurred_at,
  p.amount_minor,
  p.currency,
  p.fee_minor,
  p.net_minor,
  p.available_on,
  p.settled_at,
  p.settlement_batch_id,
  p.payment_intent_id,
  p.recurring_donation_id,
  coalesce(p.donation_id, r.donation_id) AS donation_id,
  CASE WHEN p.donation_id IS NOT NULL THEN 'payment.donation_id' WHEN r.donation_id IS NOT NULL THEN 'donation.payment_ref' END AS donation_rule,
  coalesce(p.payout_id, i.payout_id) AS payout_id,
  CASE WHEN p.payout_id IS NOT NULL THEN 'payment.payout_id' WHEN i.payout_id IS NOT NULL THEN 'payout_item.payment_id' END AS payout_rule,
  coalesce(f.refunded_minor, 0) AS refunded_minor
FROM pay p
LEFT JOIN by_ref r ON r.payment_ref = p.payment_id
LEFT JOIN by_item i ON i.payment_id = p.payment_id
LEFT JOIN refunded f ON f.payment_id = p.payment_id
