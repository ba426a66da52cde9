-- Supporter care tickets on the money chain: one row per ticket (known on the as-of date, not deleted or spam)
-- that names a donation or a payment. The donation is the ticket's own (a custom field), else the donation of
-- the payment it names; the payment is the one it names, else its donation's charge that stands
-- (recon_standing_payment, when it succeeded: not a duplicate charge the charity has refunded). `open` is a ticket
-- neither resolved nor closed: a break with an open ticket is one a supporter has complained about. `wanted` is what
-- the ticket asks of the money, by its type's words: a refund, a regular gift closed (which names its supporter, not
-- a payment: such a ticket is here by its supporter alone too), a cancellation, or nothing (null).
WITH x AS (
  SELECT * FROM recon_params
),
kinds AS (
  SELECT k.*,
    CASE WHEN k.words LIKE '%refund%' THEN 'refund'
         -- Cancelling a regular gift is closing it in the CRM, not voiding last month's payment (until 2026-12-06 such
         -- a ticket was looked for as a cancelled payment: a user test).
         WHEN k.words LIKE '%cancel%' AND (k.words LIKE '%regular%' OR k.words LIKE '%recurring%' OR k.words LIKE '%monthly%'
           OR k.words LIKE '%direct debit%') THEN 'regular gift closed'
         WHEN k.words LIKE '%cancel%' THEN 'cancellation'
    END AS wanted
  FROM (SELECT tk.*, lower(coalesce(tk.type, '')) AS words FROM ticket tk) k
),
t AS (
  SELECT tk.ticket_id, tk.status, tk.type, tk.supporter_id, tk.donation_id, tk.payment_ref, tk.link_source, tk.occurred_at, tk.wanted
  FROM kinds tk CROSS JOIN x
  WHERE CAST(tk.occurred_at AS DATE) <= x.as_of
    AND NOT coalesce(tk.deleted, false) AND NOT coalesce(tk.spam, false)
    AND (tk.donation_id IS NOT NULL OR tk.payment_ref IS NOT NULL OR (tk.wanted = 'regular gift closed' AND tk.supporter_id IS NOT NULL))
),
standing AS (
  SELECT donation_id, payment_id FROM recon_standing_payment WHERE outcome = 'succeeded'
)
SELECT
  t.ticket_id,
  t.status,
  t.type,
  t.status NOT IN ('resolved', 'closed') AS open,
  CAST(t.occurred_at AS DATE) AS opened_on,
  date_diff('day', CAST(t.occurred_at AS DATE), x.as_of) AS age_days,
  coalesce(t.donation_id, l.donation_id) AS donation_id,
  coalesce(l.payment_id, f.payment_id) AS payment_id,
  t.payment_ref,
  t.link_source,
  t.supporter_id,
  t.wanted
FROM t
CROSS JOIN x
LEFT JOIN recon_payment_link l ON l.payment_id = t.payment_ref
LEFT JOIN standing f ON f.donation_id = coalesce(t.donation_id, l.donation_id)
