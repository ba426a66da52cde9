-- Care promised money back and the money trail does not show it: tickets of type refund request or
-- cancellation (by their type's words: recon_tickets.wanted), older than grace_ticket_money_days, whose donation or
-- payment shows no refund that succeeded, no payment cancelled or voided, and no cancelled donation; a request to
-- cancel a regular gift, whose supporter has no regular gift the CRM has closed. One row per ticket, open or
-- not (a ticket closed as "done" with no refund behind it is the one finance most needs to see).
-- A ticket that names only its donation is linked to the charge that stands (recon_tickets), so a donor charged
-- twice whose duplicate the charity refunded would show the charge kept as not refunded: for such a ticket a
-- successful refund of any of the donation's payments counts.
WITH x AS (
  SELECT * FROM recon_params
),
t AS (
  SELECT * FROM recon_tickets WHERE wanted IS NOT NULL
),
refunded AS (
  SELECT DISTINCT rf.payment_id
  FROM refund rf CROSS JOIN x
  WHERE rf.status IN (SELECT status FROM recon_statuses WHERE outcome = 'succeeded') AND CAST(rf.occurred_at AS DATE) <= x.as_of
),
refunded_donation AS (
  SELECT DISTINCT donation_id FROM recon_payment_link WHERE refunded_minor > 0 AND donation_id IS NOT NULL
),
cancelled_payment AS (
  SELECT DISTINCT payment_id FROM payment WHERE status IN ('canceled', 'cancelled', 'voided')
),
cancelled_donation AS (
  SELECT DISTINCT donation_id FROM donation WHERE status IN ('canceled', 'cancelled')
),
-- Supporters with a regular gift the CRM has closed (its status now).
closed_regular AS (
  SELECT DISTINCT supporter_id FROM recurring_donation
  WHERE @plan_closed(status) AND supporter_id IS NOT NULL AND NOT coalesce(deleted, false)
)
SELECT
  t.ticket_id,
  t.type,
  t.status,
  t.open,
  t.opened_on,
  t.age_days,
  t.wanted,
  t.donation_id,
  t.payment_id,
  p.amount_minor,
  p.currency,
  CASE WHEN t.wanted = 'regular gift closed' AND t.supporter_id IS NULL THEN 'the ticket names no supporter whose regular gift could be closed'
       WHEN t.wanted = 'regular gift closed' THEN 'no regular gift of this supporter closed ' || CAST(t.age_days AS VARCHAR) || ' days after the ticket'
       WHEN t.payment_id IS NULL AND t.donation_id IS NULL THEN 'the ticket names no donation or payment the lake knows'
       -- A donation the lake does not have is a ticket naming a mistyped id, or one its producer never sent: until
       -- 2026-12-06 it read "has no successful payment", which care told the donor as a failed payment (a user test).
       WHEN t.payment_id IS NULL AND NOT EXISTS (SELECT 1 FROM donation d WHERE d.donation_id = t.donation_id)
         THEN 'the ticket names a donation the lake does not have (a mistyped id, or one its producer never sent)'
       WHEN t.payment_id IS NULL THEN 'the donation has no successful payment to ' || CASE WHEN t.wanted = 'refund' THEN 'refund' ELSE 'cancel' END
       WHEN t.wanted = 'refund' THEN 'no refund of this payment ' || CAST(t.age_days AS VARCHAR) || ' days after the ticket'
       ELSE 'no cancellation of this donation or payment ' || CAST(t.age_days AS VARCHAR) || ' days after the ticket' END AS reason
FROM t
CROSS JOIN x
LEFT JOIN payment p ON p.payment_id = t.payment_id
WHERE t.age_days > x.grace_ticket_money_days
  AND NOT EXISTS (SELECT 1 FROM refunded r WHERE r.payment_id = t.payment_id)
  AND NOT (t.payment_ref IS NULL AND EXISTS (SELECT 1 FROM refunded_donation r WHERE r.donation_id = t.donation_id))
  AND (t.wanted = 'refund' OR (
    NOT EXISTS (SELECT 1 FROM cancelled_payment c WHERE c.payment_id = t.payment_id)
    AND NOT EXISTS (SELECT 1 FROM cancelled_donation c WHERE c.donation_id = t.donation_id)
  ))
  AND NOT (t.wanted = 'regular gift closed' AND EXISTS (SELECT 1 FROM closed_regular c WHERE c.supporter_id = t.supporter_id))
