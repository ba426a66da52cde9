-- Which charges hold each donation's money, and do they pay it in parts? One row per successful payment of a
-- donation that no refund gave back in full; n is its number among the donation's successful payments by date
-- (refunded ones counted), charges how many hold money.
-- split: two or more charges, all in the donation's currency, whose amounts add up exactly to the donation's (6000
-- + 4000 for a 10000 pledge: a card retried after a partial capture, or instalments). Finance reads that as paid:
-- no AMOUNT_MISMATCH, no DUPLICATE_PAYMENT, and the journey lists every charge. Otherwise each charge but the one
-- that stands (recon_standing_payment) is a DUPLICATE_PAYMENT (10000 + 10000), and AMOUNT_MISMATCH compares the
-- donation with the one that stands (6000 + 3000 for 10000: 6000).
-- The one definition: recon_breaks reads it for both breaks, recon_journey for payment_ids and the parts it follows.
WITH ok AS (
  SELECT l.donation_id, l.payment_id, l.payout_id, l.occurred_at, l.amount_minor, l.currency, l.refunded_minor,
    row_number() OVER (PARTITION BY l.donation_id ORDER BY l.occurred_at, l.payment_id) AS n
  FROM recon_payment_link l
  WHERE l.outcome = 'succeeded' AND l.donation_id IS NOT NULL
),
held AS (
  SELECT o.*, o.amount_minor - o.refunded_minor AS kept_minor
  FROM ok o
  WHERE o.amount_minor - o.refunded_minor > 0
),
per_donation AS (
  SELECT h.donation_id, count(*) AS charges, sum(h.amount_minor) AS charged_minor, min(h.currency) AS currency,
    max(h.currency) AS last_currency
  FROM held h
  GROUP BY h.donation_id
)
SELECT h.donation_id, h.payment_id, h.payout_id, h.occurred_at, h.amount_minor, h.currency, h.kept_minor, h.n, s.charges,
  -- One currency: the first and last the same (a count of distinct currencies cost a third more at 1,000,000).
  coalesce(s.charges > 1 AND s.last_currency = s.currency AND d.currency = s.currency AND d.amount_minor = s.charged_minor, false) AS split
FROM held h
JOIN per_donation s ON s.donation_id = h.donation_id
LEFT JOIN donation d ON d.donation_id = h.donation_id
