-- Supporter care tickets on the money chain: one row per ticket (known on the as-of date, not deleted or spam)
-- that names a donation or a payment. The donation is the ticket's own (a custom field), else the donation of
-- the payment it names; the payment is the one it names, else its donation's first successful payment. `open`
-- is a ticket neither resolved nor closed: a break with an open ticket is one a supporter has complained about.
WITH x AS (
  SELECT * FROM recon_params
),
t AS (
  SELECT tk.ticket_id, tk.status, tk.type, tk.supporter_id, tk.donation_id, tk.payment_ref, tk.link_source, tk.occurred_at
  FROM ticket tk CROSS JOIN x
  WHERE CAST(tk.occurred_at AS DATE) <= x.as_of
    AND NOT coalesce(tk.deleted, false) AND NOT coalesce(tk.spam, false)
    AND (tk.donation_id IS NOT NULL OR tk.payment_ref IS NOT NULL)
),
first_ok AS (
  SELECT donation_id, payment_id
  FROM (
    SELECT donation_id, payment_id, row_number() OVER (PARTITION BY donation_id ORDER BY occurred_at, payment_id) AS k
    FROM recon_payment_link
    WHERE outcome = 'succeeded' AND donation_id IS NOT NULL
  ) r
  WHERE k = 1
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
  t.supporter_id
FROM t
CROSS JOIN x
LEFT JOIN recon_payment_link l ON l.payment_id = t.payment_ref
LEFT JOIN first_ok f ON f.donation_id = coalesce(t.donation_id, l.donation_id)
