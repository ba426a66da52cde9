-- How did one donation travel, and what is each step's evidence? One row per delivery of every record on a
-- donation's trail: the click it came from, the donation, every payment naming it (a declined card, each part of a
-- split payment), their refunds, disputes and payout items, the payouts that carried them (a failed payout too) and
-- the bank lines matched to those. Each row says how the record is linked to the trail (`linked_by`: the matching
-- rule of recon_matches), the envelope as received (`envelope`, the raw trail's JSON text), when it was received,
-- from which `source` and `stream`, `changed_at` (the version's updated_at, else occurred_at: what orders versions)
-- and its `fate` (raw_fate: `current` is the version that stands, `superseded` one a later version replaced,
-- `repeated` a re-send, `quarantined` refused, `unaccounted` lost, `missing` never received: a click the donation
-- names that never came, with no evidence), with `standing_id`, the envelope id of the
-- version that stands, and `why` in words. For one donation or payment:
--   puddle query "SELECT * FROM recon_trail WHERE donation_id = 'don_1'"
--   puddle query "SELECT * FROM recon_trail WHERE donation_id IN (SELECT donation_id FROM recon_payment_link WHERE payment_id = 'ch_1')"
-- A payment no donation is known for (PAYMENT_WITHOUT_DONATION) has no trail here. Reads the whole raw trail:
-- ask it for a few donations, not the lake.
-- As of recon_params' date (`puddle export recon_trail --as-of D`): records dated after it are left out (a refund
-- made on 2 January is not on the trail as of 31 December), and so are the deliveries of versions changed after it
-- (changed_at), but for the version that stood then when the lake knows no earlier one (see docs/reconciliation.md, "Parameters"). Until
-- 2026-12-03 the trail showed every record and version whatever the date.
WITH x AS (
  SELECT * FROM recon_params
),
pay AS (
  SELECT donation_id, payment_id, payout_id, donation_rule, payout_rule
  FROM recon_payment_link
  WHERE donation_id IS NOT NULL
),
payouts AS (
  SELECT DISTINCT p.donation_id, p.payout_id, p.payout_rule AS linked_by
  FROM pay p LEFT JOIN payout o ON o.payout_id = p.payout_id CROSS JOIN x
  WHERE p.payout_id IS NOT NULL AND coalesce(CAST(o.occurred_at AS DATE) <= x.as_of, true)
  UNION ALL
  SELECT DISTINCT p.donation_id, i.payout_id, 'payout_item.payment_id'
  FROM pay p JOIN payout_item i ON i.payment_id = p.payment_id LEFT JOIN payout o ON o.payout_id = i.payout_id CROSS JOIN x
  WHERE i.payout_id IS NOT NULL AND i.payout_id <> coalesce(p.payout_id, '')
    AND CAST(i.occurred_at AS DATE) <= x.as_of AND coalesce(CAST(o.occurred_at AS DATE) <= x.as_of, true)
),
steps AS (
  SELECT d.donation_id, 1 AS step, 'click' AS object_kind, d.click_id AS object_id, 'donation.click_id' AS linked_by
  FROM donation d CROSS JOIN x WHERE d.click_id IS NOT NULL AND CAST(d.occurred_at AS DATE) <= x.as_of
  UNION ALL
  SELECT d.donation_id, 2, 'donation', d.donation_id, 'donation_id'
  FROM donation d CROSS JOIN x WHERE CAST(d.occurred_at AS DATE) <= x.as_of
  UNION ALL
  SELECT p.donation_id, 3, 'payment', p.payment_id, p.donation_rule
  FROM pay p
  UNION ALL
  SELECT p.donation_id, 4, 'refund', r.refund_id, 'refund.payment_id'
  FROM pay p JOIN refund r ON r.payment_id = p.payment_id CROSS JOIN x WHERE CAST(r.occurred_at AS DATE) <= x.as_of
  UNION ALL
  SELECT p.donation_id, 4, 'dispute', g.dispute_id, 'dispute.payment_id'
  FROM pay p JOIN dispute g ON g.payment_id = p.payment_id CROSS JOIN x WHERE CAST(g.occurred_at AS DATE) <= x.as_of
  UNION ALL
  SELECT p.donation_id, 5, 'payout_item', i.payout_item_id, 'payout_item.payment_id'
  FROM pay p JOIN payout_item i ON i.payment_id = p.payment_id CROSS JOIN x WHERE CAST(i.occurred_at AS DATE) <= x.as_of
  UNION ALL
  SELECT donation_id, 6, 'payout', payout_id, linked_by
  FROM payouts
  UNION ALL
  -- The bank lines of every payout on the trail: the one that carried the money and a later one that netted its
  -- refund. Until 2026-12-06 only the payment's own payout's (user test: an auditor found the refund's line missing).
  SELECT DISTINCT o.donation_id, 7, 'bank_line', c.bank_line_id, c.rule || ' (' || c.outcome || ')'
  FROM (SELECT DISTINCT donation_id, payout_id FROM payouts) o JOIN recon_bank_candidates c ON c.payout_id = o.payout_id
  WHERE c.outcome IN ('matched', 'reversed')
),
standing AS (
  SELECT contract, key, min(id) AS standing_id FROM raw_fate WHERE fate = 'current' GROUP BY contract, key
)
SELECT
  s.donation_id,
  s.step,
  s.object_kind,
  s.object_id,
  s.linked_by,
  f.id AS envelope_id,
  f.source,
  f.stream,
  f.occurred_at AS changed_at,
  f.received_at,
  f.delivery_id,
  coalesce(f.fate, 'missing') AS fate,
  t.standing_id,
  CASE coalesce(f.fate, 'missing')
    WHEN 'current' THEN 'stands: the latest version by changed_at, then arrival'
    WHEN 'superseded' THEN 'replaced by ' || coalesce(t.standing_id, 'a version not in raw') || ', later by changed_at or arrival'
    WHEN 'repeated' THEN 'a re-send of ' || f.id || ', counted at its first arrival'
    WHEN 'quarantined' THEN 'refused: in quarantine with its reasons'
    WHEN 'unaccounted' THEN 'received but neither landed nor quarantined'
    WHEN 'missing' THEN 'never received: named on the trail (a click the donation names, a payout a payment names) but not in the raw trail'
    ELSE f.fate
  END AS why,
  w.envelope
FROM steps s
CROSS JOIN x
LEFT JOIN raw_fate f ON f.contract = s.object_kind AND f.key = s.object_id
  AND (CAST(f.occurred_at AS DATE) <= x.as_of OR f.fate = 'current')
LEFT JOIN standing t ON t.contract = s.object_kind AND t.key = s.object_id
LEFT JOIN raw w ON w.id = f.id AND w.received_at = f.received_at AND coalesce(w.delivery_id, '') = coalesce(f.delivery_id, '')
