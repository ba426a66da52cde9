-- Which provider payment does each CRM record name? One row per CRM gift payment (Salesforce NPSP
-- npe01__OppPayment__c, not deleted, of a gift not deleted, dated on or before the as-of date) and per gift that names a payment
-- itself (a producer's gift.payment_ref). The CRM's payment_ref is the processor's id: a payment's own id
-- (Stripe ch_..., Braintree transaction id) or, for Stripe, its payment intent (pi_...), which may have had
-- several charges: the one that succeeded is taken, then the earliest. Unmatched records keep a null payment.
WITH x AS (
  SELECT * FROM recon_params
),
crm AS (
  SELECT
    'gift_payment' AS crm_kind,
    gp.gift_payment_id AS crm_id,
    gp.gift_id,
    gp.amount_minor,
    gp.currency,
    gp.paid,
    gp.written_off,
    gp.payment_ref,
    gp.original_payment_id,
    gp.occurred_at,
    coalesce(gp.payment_date, CAST(gp.occurred_at AS DATE)) AS crm_date
  FROM gift_payment gp
  CROSS JOIN x
  -- A deleted gift's payments do not count either (Salesforce deletes them with it; a record kept behind did count
  -- until 2026-12-05, user test). A join, not NOT EXISTS: gift is one row per gift_id.
  LEFT JOIN gift dg ON dg.gift_id = gp.gift_id AND dg.deleted
  WHERE NOT coalesce(gp.deleted, false) AND dg.gift_id IS NULL AND CAST(gp.occurred_at AS DATE) <= x.as_of
  UNION ALL
  SELECT
    'gift', g.gift_id, g.gift_id, g.amount_minor, g.currency, CAST(NULL AS BOOLEAN), CAST(NULL AS BOOLEAN), g.payment_ref,
    CAST(NULL AS VARCHAR), g.occurred_at, coalesce(g.close_date, CAST(g.occurred_at AS DATE))
  FROM gift g
  CROSS JOIN x
  WHERE NOT coalesce(g.deleted, false) AND g.payment_ref IS NOT NULL AND CAST(g.occurred_at AS DATE) <= x.as_of
),
named AS (
  SELECT
    c.*,
    l.payment_id,
    l.outcome AS payment_outcome,
    l.amount_minor AS payment_amount_minor,
    l.currency AS payment_currency,
    l.occurred_at AS paid_at,
    l.donation_id,
    CASE WHEN l.payment_id IS NULL THEN CAST(NULL AS VARCHAR) WHEN l.payment_id = c.payment_ref THEN 'payment_id' ELSE 'payment_intent_id' END AS named_by,
    row_number() OVER (
      PARTITION BY c.crm_kind, c.crm_id
      ORDER BY CASE l.outcome WHEN 'succeeded' THEN 0 WHEN 'pending' THEN 1 WHEN 'failed' THEN 2 ELSE 3 END, l.occurred_at, l.payment_id
    ) AS k
  FROM crm c
  LEFT JOIN recon_payment_link l
    ON c.payment_ref IS NOT NULL AND (l.payment_id = c.payment_ref OR l.payment_intent_id = c.payment_ref)
)
SELECT
  crm_kind,
  crm_id,
  gift_id,
  amount_minor,
  currency,
  paid,
  written_off,
  payment_ref,
  original_payment_id,
  occurred_at,
  crm_date,
  payment_id,
  payment_outcome,
  payment_amount_minor,
  payment_currency,
  paid_at,
  donation_id,
  named_by
FROM named
WHERE k = 1
