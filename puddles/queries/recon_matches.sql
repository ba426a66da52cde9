-- Every match Puddle made, with the rule that made it and a sentence of reason: donation -> payment and
-- payment -> payout by exact keys, CRM gift and gift payment -> payment by the CRM's payment_ref (the payment's
-- id or its Stripe payment intent: recon_gift_link), payout -> bank line by the
-- rules of recon_bank_candidates (matched pairs only; ambiguous ones are AMBIGUOUS_MATCH breaks).
-- Only successful payments are matched: a declined attempt carries no money. amount_diff_minor is right
-- minus left where both are one amount (a non-zero difference also shows as a break, never as tolerance).
WITH x AS (
  SELECT * FROM recon_params
),
params AS (
  SELECT 'as of ' || CAST(as_of AS VARCHAR) || ', bank window ' || CAST(-match_days_before AS VARCHAR) || '..+'
    || CAST(match_days_after AS VARCHAR) || ' days (+' || CAST(match_days_after_reference AS VARCHAR) || ' for a line carrying the reference)' AS used
  FROM x
),
link AS (
  SELECT * FROM recon_payment_link WHERE outcome = 'succeeded'
)
SELECT
  'donation' AS left_kind,
  d.donation_id AS left_id,
  'payment' AS right_kind,
  l.payment_id AS right_id,
  l.donation_rule AS rule,
  CASE WHEN l.donation_rule = 'payment.donation_id' THEN 'the payment names the donation in donation_id'
       ELSE 'the donation names the payment in payment_ref' END AS reason,
  l.amount_minor - d.amount_minor AS amount_diff_minor,
  date_diff('day', CAST(d.occurred_at AS DATE), CAST(l.occurred_at AS DATE)) AS day_diff,
  CAST(d.occurred_at AS DATE) AS on_date,
  p.used AS params
FROM link l
JOIN donation d ON d.donation_id = l.donation_id
CROSS JOIN params p
UNION ALL
SELECT
  'payment', l.payment_id, 'payout', l.payout_id, l.payout_rule,
  CASE WHEN l.payout_rule = 'payment.payout_id' THEN 'the payment names the payout in payout_id'
       ELSE 'a payout_item of the payout names the payment' END,
  CAST(NULL AS BIGINT),
  date_diff('day', CAST(l.occurred_at AS DATE), o.arrival_date),
  CAST(l.occurred_at AS DATE),
  p.used
FROM link l
LEFT JOIN payout o ON o.payout_id = l.payout_id
CROSS JOIN params p
WHERE l.payout_id IS NOT NULL
UNION ALL
SELECT
  g.crm_kind, g.crm_id, 'payment', g.payment_id, g.crm_kind || '.payment_ref',
  'the CRM ' || CASE WHEN g.crm_kind = 'gift' THEN 'gift' ELSE 'gift payment (of gift ' || coalesce(g.gift_id, '?') || ')' END
    || ' names the payment' || CASE WHEN g.named_by = 'payment_intent_id' THEN ' by its payment intent' ELSE '' END || ' in payment_ref',
  g.payment_amount_minor - g.amount_minor,
  date_diff('day', CAST(g.paid_at AS DATE), g.crm_date),
  g.crm_date,
  p.used
FROM recon_gift_link g
CROSS JOIN params p
WHERE g.payment_outcome = 'succeeded' AND g.amount_minor > 0
UNION ALL
SELECT
  'payout', c.payout_id, 'bank_line', c.bank_line_id, c.rule,
  CASE c.rule
    WHEN 'bank_reference' THEN 'the line''s text carries the payout''s bank reference or id; amount and currency equal'
    WHEN 'amount_provider' THEN 'amount and currency equal and the line names the provider; the only candidate on both sides'
    WHEN 'payout_day_sum' THEN 'the provider''s payouts of that arrival day sum to the line''s amount; the line names the provider'
    ELSE 'the bank split the payout: this line and the others of its set carry its bank reference or id and sum to its amount'
  END || '; booked ' || CAST(c.day_diff AS VARCHAR) || ' day(s) after arrival_date',
  c.line_amount_minor - c.payout_amount_minor,
  c.day_diff,
  o.arrival_date,
  p.used
FROM recon_bank_candidates c
JOIN payout o ON o.payout_id = c.payout_id
CROSS JOIN params p
WHERE c.outcome = 'matched'
