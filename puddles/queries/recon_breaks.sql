-- Where does the chain from donation to bank break? One row per open break, on the object the break is
-- about, with the amount at stake, its age in days (from the object's date to the as-of date) and a reason.
-- A break opens only once its grace period (recon_params) has passed; objects dated after the as-of date are
-- left out. Related objects are in donation_id, payment_id, payout_id, bank_line_id and related_ids.
-- Card channels (online, ivr, call_centre) are expected to be paid per donation; SMS by month (remittance). A
-- payment is expected to be for a donation a producer sent.
-- The CRM (gift, gift_payment) is expected to record every paid payment, once, for its amount, and its refunds.
-- open_tickets counts the open supporter care tickets on the break's donation or payment (recon_tickets): a
-- break a supporter has already complained about is urgent; open_ticket_id names one of them.
-- amount_minor is signed by the break (payment - donation for AMOUNT_MISMATCH, minus the refund for
-- REFUND_NOT_NETTED: docs/reconciliation.md, "Break types"); at_stake_minor is the money the break puts at risk,
-- abs(amount_minor), never negative (null where no amount can be told), the one figure to add up. action says what
-- finance should do or check next about a break of its type (recon_break_actions, from puddles/break-actions.ts).
-- An amount in a reason is in its currency's units with the code (1300.00 GBP, 1.500 KWD, 500 JPY: the exponent
-- from currency_exponents; `@units` of an amount and an exponent is written out as a CASE when the file is read, as SQL shared
-- with Athena has no functions: puddles/named-views.ts, unitsSql), as
-- the import and STATEMENT_UNBALANCED say amounts; amount_minor stays minor units. Until 2026-12-03 reasons gave
-- minor units ("donation 2000 GBP" for 20.00 GBP, "opens at 130000"), which finance read as a hundred times the money.
WITH x AS (
  SELECT * FROM recon_params
),
don AS (
  SELECT d.donation_id, d.occurred_at, d.updated_at, d.channel, d.status, d.amount_minor, d.currency, d.recurring_donation_id
  FROM donation d CROSS JOIN x WHERE CAST(d.occurred_at AS DATE) <= x.as_of
),
link AS (
  SELECT * FROM recon_payment_link
),
-- Each donation's charge that stands (the one the journey follows), read once for AMOUNT_MISMATCH and
-- DUPLICATE_PAYMENT.
standing AS (
  SELECT * FROM recon_standing_payment
),
-- The charges holding each donation's money, and whether they pay it in parts (recon_donation_charges): a split
-- payment is neither an AMOUNT_MISMATCH nor a DUPLICATE_PAYMENT.
charges AS (
  SELECT * FROM recon_donation_charges
),
attempts AS (
  SELECT * FROM recon_payment_attempts
),
po AS (
  SELECT o.* FROM payout o CROSS JOIN x WHERE CAST(o.occurred_at AS DATE) <= x.as_of
),
items AS (
  SELECT i.payout_item_id, i.payout_id, i.payment_id, i.type, i.amount_minor, i.net_minor, i.currency, i.occurred_at
  FROM payout_item i CROSS JOIN x WHERE CAST(i.occurred_at AS DATE) <= x.as_of
),
cand AS (
  SELECT * FROM recon_bank_candidates
),
-- Money given back, one row each: successful refunds, and disputes that took money (dispute_statuses: inquiries, warning_*,
-- withdraw nothing; a won dispute's money came back).
money_back AS (
  SELECT 'refund' AS kind, r.refund_id AS back_id, r.provider, r.payment_id, r.status, r.amount_minor, r.currency, r.occurred_at
  FROM refund r
  CROSS JOIN x
  WHERE r.status IN (SELECT status FROM recon_statuses WHERE outcome = 'succeeded')
    AND CAST(r.occurred_at AS DATE) <= x.as_of
  UNION ALL
  SELECT 'dispute', s.dispute_id, s.provider, s.payment_id, s.status, s.amount_minor, s.currency, s.occurred_at
  FROM dispute s
  CROSS JOIN x
  WHERE s.status NOT IN (SELECT status FROM dispute_statuses WHERE NOT takes_money)
    AND CAST(s.occurred_at AS DATE) <= x.as_of
),
-- Payout items that take money back, each able to net one refund or dispute: first the item that names it
-- (Braintree's item id is `<disbursement>:<transaction id>`, and a refund is its own credit transaction),
-- then, of the same payment, the k-th item of minus its amount in its currency takes back the k-th refund or
-- dispute of that amount (by date), and what is left of a payment settled in another currency (so taken back
-- for another amount) pairs in date order.
taken_back AS (
  SELECT payout_item_id, payout_id, payment_id, amount_minor, currency, occurred_at
  FROM items
  WHERE amount_minor < 0
),
netted_by_id AS (
  SELECT m.kind, m.back_id, t.payout_item_id
  FROM money_back m
  JOIN taken_back t ON t.payout_item_id = t.payout_id || ':' || m.back_id
),
back_left AS (
  SELECT m.*, row_number() OVER (PARTITION BY m.payment_id, m.currency, m.amount_minor ORDER BY m.occurred_at, m.back_id) AS k
  FROM money_back m
  WHERE NOT EXISTS (SELECT 1 FROM netted_by_id n WHERE n.kind = m.kind AND n.back_id = m.back_id)
),
items_left AS (
  SELECT t.*, row_number() OVER (PARTITION BY t.payment_id, t.currency, t.amount_minor ORDER BY t.occurred_at, t.payout_item_id) AS k
  FROM taken_back t
  WHERE t.payment_id IS NOT NULL
    AND NOT EXISTS (SELECT 1 FROM netted_by_id n WHERE n.payout_item_id = t.payout_item_id)
),
netted_by_amount AS (
  SELECT m.kind, m.back_id, t.payout_item_id
  FROM back_left m
  JOIN items_left t ON t.payment_id = m.payment_id AND t.currency = m.currency AND t.amount_minor = -m.amount_minor AND t.k = m.k
),
back_other_currency AS (
  SELECT m.kind, m.back_id, m.payment_id, m.currency, row_number() OVER (PARTITION BY m.payment_id ORDER BY m.occurred_at, m.back_id) AS k
  FROM back_left m
  WHERE NOT EXISTS (SELECT 1 FROM netted_by_amount n WHERE n.kind = m.kind AND n.back_id = m.back_id)
),
items_other_currency AS (
  SELECT t.payout_item_id, t.payment_id, row_number() OVER (PARTITION BY t.payment_id ORDER BY t.occurred_at, t.payout_item_id) AS k
  FROM items_left t
  JOIN link l ON l.payment_id = t.payment_id AND l.currency <> t.currency
  WHERE NOT EXISTS (SELECT 1 FROM netted_by_amount n WHERE n.payout_item_id = t.payout_item_id)
),
netted AS (
  SELECT kind, back_id FROM netted_by_id
  UNION ALL
  SELECT kind, back_id FROM netted_by_amount
  UNION ALL
  SELECT m.kind, m.back_id
  FROM back_other_currency m
  JOIN items_other_currency t ON t.payment_id = m.payment_id AND t.k = m.k
),
b_donation_not_paid AS (
  SELECT 'DONATION_NOT_PAID' AS break_type, 'donation' AS object_kind, d.donation_id AS object_id, d.amount_minor, d.currency,
    CAST(d.occurred_at AS DATE) AS object_date,
    -- A producer that took the card itself (an IVR line, the call centre) says `paid`, but the money can be followed
    -- to the bank only through a payment naming the donation (until 2026-12-07 the reason did not say what to send).
    CASE WHEN a.donation_id IS NULL AND d.status = 'paid'
           THEN 'its producer says paid, but no payment names the donation: send the payment it took (a payment, status paid) so the money can be followed to the bank'
         WHEN a.donation_id IS NULL THEN 'card-channel donation has no payment'
         ELSE 'no payment attempt for this donation succeeded' END AS reason,
    d.donation_id, a.last_payment_id AS payment_id, CAST(NULL AS VARCHAR) AS payout_id, CAST(NULL AS VARCHAR) AS bank_line_id,
    CAST(NULL AS VARCHAR) AS related_ids
  FROM don d
  CROSS JOIN x
  LEFT JOIN attempts a ON a.donation_id = d.donation_id
  WHERE d.channel IN ('online', 'ivr', 'call_centre')
    AND coalesce(d.status, '') NOT IN ('cancelled', 'canceled', 'started', 'abandoned')
    AND coalesce(a.any_ok, 0) = 0
    AND date_diff('day', CAST(d.occurred_at AS DATE), x.as_of) > x.grace_donation_not_paid_days
),
-- A donation whose producer says there is no gift (a status not pledged past the form: `cancelled`, a pledge withdrawn
-- on the phone; `failed`) while charges for it still hold money (recon_donation_charges: successful, not refunded
-- in full): the charity holds money for a gift the totals leave out. Refund it, or send the donation again as it
-- stands. The amount is what the charges still hold; its grace runs from the status change (updated_at). Until
-- 2026-12-06 nothing said so: the journey read `banked` and the totals had dropped it (a user test: an auditor).
-- Per currency (a charge in euros is not pounds), less what a dispute took back (a chargeback lost: refunding it
-- as well would pay the donor twice).
disputed AS (
  SELECT payment_id, sum(amount_minor) AS disputed_minor FROM money_back WHERE kind = 'dispute' GROUP BY payment_id
),
held_by_donation AS (
  SELECT c.donation_id, c.currency, sum(c.kept_minor - coalesce(g.disputed_minor, 0)) AS kept_minor, min(c.payment_id) AS payment_id,
    min(c.payout_id) AS payout_id, CASE WHEN count(*) > 1 THEN array_join(array_agg(c.payment_id ORDER BY c.payment_id), ',') END AS related_ids
  FROM charges c
  LEFT JOIN disputed g ON g.payment_id = c.payment_id
  WHERE c.kept_minor - coalesce(g.disputed_minor, 0) > 0
  GROUP BY c.donation_id, c.currency
),
b_cancelled_paid AS (
  -- Dated when the status changed (its version's updated_at, else the pledge's time), as the grace runs: the money has
  -- been held for a gift the totals leave out since then, not since the pledge (until 2026-12-06 age_days ran from it).
  SELECT 'CANCELLED_BUT_PAID', 'donation', d.donation_id, h.kept_minor, h.currency, CAST(coalesce(d.updated_at, d.occurred_at) AS DATE),
    'donation ' || d.status || ', but its payment' || CASE WHEN h.related_ids IS NULL THEN '' ELSE 's' END || ' still hold'
      || CASE WHEN h.related_ids IS NULL THEN 's ' ELSE ' ' END || @units(h.kept_minor, u.exponent) || ' ' || h.currency
      || ': refund it, or send the donation again as it stands',
    d.donation_id, h.payment_id, h.payout_id, CAST(NULL AS VARCHAR), h.related_ids
  FROM don d
  JOIN held_by_donation h ON h.donation_id = d.donation_id
  CROSS JOIN x
  LEFT JOIN currency_exponents u ON u.currency = h.currency
  WHERE d.status IN (SELECT status FROM donation_statuses WHERE stage IN ('failed', 'cancelled'))
    AND date_diff('day', CAST(coalesce(d.updated_at, d.occurred_at) AS DATE), x.as_of) > x.grace_cancelled_but_paid_days
),
-- A successful payment naming a donation (in its own donation_id) that the lake does not have, whenever dated:
-- the donation's producer (the website, the call centre) has not sent it. One is a lost event; many at once are
-- a producer that stopped sending, while the providers' payments keep arriving.
b_payment_without_donation AS (
  SELECT 'PAYMENT_WITHOUT_DONATION', 'payment', l.payment_id, l.amount_minor, l.currency, CAST(l.occurred_at AS DATE),
    'the payment names donation ' || l.donation_id || ', which no producer has sent ' || CAST(x.grace_payment_without_donation_days AS VARCHAR) || ' day(s) on',
    l.donation_id, l.payment_id, l.payout_id, CAST(NULL AS VARCHAR), CAST(NULL AS VARCHAR)
  FROM link l
  CROSS JOIN x
  -- A join, not NOT EXISTS: DuckDB ran that as a correlated (delim) join, three times as slow at 1,000,000.
  LEFT JOIN donation d ON d.donation_id = l.donation_id
  WHERE l.outcome = 'succeeded' AND l.donation_rule = 'payment.donation_id' AND d.donation_id IS NULL
    AND date_diff('day', CAST(l.occurred_at AS DATE), x.as_of) > x.grace_payment_without_donation_days
),
b_paid_not_paid_out AS (
  SELECT 'PAID_NOT_PAID_OUT', 'payment', l.payment_id, l.amount_minor, l.currency, CAST(l.occurred_at AS DATE),
    CASE WHEN l.available_on IS NOT NULL THEN 'no payout carries this payment ' || CAST(x.grace_paid_not_paid_out_days AS VARCHAR) || ' days after available_on'
         ELSE 'no payout carries this payment ' || CAST(x.grace_paid_not_paid_out_no_available_days AS VARCHAR) || ' days after it was taken' END,
    l.donation_id, l.payment_id, CAST(NULL AS VARCHAR), CAST(NULL AS VARCHAR), CAST(NULL AS VARCHAR)
  FROM link l
  CROSS JOIN x
  WHERE l.outcome = 'succeeded' AND l.payout_id IS NULL
    AND CASE WHEN l.available_on IS NOT NULL
             THEN date_diff('day', CAST(l.available_on AS DATE), x.as_of) > x.grace_paid_not_paid_out_days
             ELSE date_diff('day', CAST(l.occurred_at AS DATE), x.as_of) > x.grace_paid_not_paid_out_no_available_days END
),
b_payout_no_bank_line AS (
  SELECT 'PAYOUT_NO_BANK_LINE', 'payout', o.payout_id, o.amount_minor, o.currency, o.arrival_date,
    'payout ' || o.status || ', no bank line of that amount in arrival_date -' || CAST(x.match_days_before AS VARCHAR) || '..+'
      || CAST(x.match_days_after AS VARCHAR) || ' days, nor one carrying its reference or id in -' || CAST(x.match_days_before AS VARCHAR) || '..+'
      || CAST(x.match_days_after_reference AS VARCHAR) || ' days',
    CAST(NULL AS VARCHAR), CAST(NULL AS VARCHAR), o.payout_id, CAST(NULL AS VARCHAR), o.bank_reference
  FROM po o
  CROSS JOIN x
  WHERE o.status IN (SELECT status FROM payout_statuses WHERE to_bank) AND o.amount_minor <> 0 AND o.arrival_date IS NOT NULL
    AND NOT EXISTS (SELECT 1 FROM cand c WHERE c.payout_id = o.payout_id)
    AND date_diff('day', o.arrival_date, x.as_of) > x.grace_payout_no_bank_line_days
),
-- A credit naming a payment provider that matches no payout. When its text quotes a payout (its bank_reference or
-- payout id), the reason and payout_id name it, with how many days after its arrival_date the line was booked: a line
-- booked past match_days_after_reference, a second credit for a payout already matched, or one of another amount
-- is finance's to chase with that payout. A line quoting two or more names the first and how many more.
unmatched_lines AS (
  SELECT b.bank_line_id, b.amount_minor, b.currency, b.booking_day, b.payout_provider, b.statement_id, b.txt
  FROM recon_bank_text b
  CROSS JOIN x
  WHERE b.amount_minor > 0 AND b.payout_provider IS NOT NULL
    AND NOT EXISTS (SELECT 1 FROM cand c WHERE c.bank_line_id = b.bank_line_id)
    AND date_diff('day', b.booking_day, x.as_of) > x.grace_bank_line_no_payout_days
),
line_quotes AS (
  SELECT u.bank_line_id, count(*) AS n, min(o.payout_id) AS payout_id
  FROM unmatched_lines u
  JOIN po o ON (o.bank_reference IS NOT NULL AND o.bank_reference <> '' AND strpos(u.txt, upper(o.bank_reference)) > 0)
    OR strpos(u.txt, upper(o.payout_id)) > 0
  GROUP BY u.bank_line_id
),
b_bank_line_no_payout AS (
  SELECT 'BANK_LINE_NO_PAYOUT', 'bank_line', b.bank_line_id, b.amount_minor, b.currency, b.booking_day,
    'credit names ' || b.payout_provider || ' but matches no payout'
      || CASE WHEN q.payout_id IS NULL THEN ''
        ELSE '; it quotes payout ' || q.payout_id
          || CASE WHEN q.n > 1 THEN ' and ' || CAST(q.n - 1 AS VARCHAR) || ' more' ELSE '' END
          || CASE WHEN o.arrival_date IS NULL THEN ''
            ELSE ' (arrival_date ' || CAST(o.arrival_date AS VARCHAR) || '), booked '
              || CAST(abs(date_diff('day', o.arrival_date, b.booking_day)) AS VARCHAR) || ' days '
              || CASE WHEN date_diff('day', o.arrival_date, b.booking_day) < 0 THEN 'before' ELSE 'after' END
              || CASE WHEN date_diff('day', o.arrival_date, b.booking_day) > x.match_days_after_reference
                THEN ', past the +' || CAST(x.match_days_after_reference AS VARCHAR) || ' days a line quoting its payout is matched in'
                ELSE '' END
          END
          || CASE WHEN m.bank_line_id IS NOT NULL THEN '; that payout is matched to ' || m.bank_line_id ELSE '' END
      END,
    CAST(NULL AS VARCHAR), CAST(NULL AS VARCHAR), q.payout_id, b.bank_line_id, b.statement_id
  FROM unmatched_lines b
  CROSS JOIN x
  LEFT JOIN line_quotes q ON q.bank_line_id = b.bank_line_id
  LEFT JOIN po o ON o.payout_id = q.payout_id
  LEFT JOIN (SELECT payout_id, min(bank_line_id) AS bank_line_id FROM cand WHERE outcome = 'matched' GROUP BY payout_id) m
    ON m.payout_id = q.payout_id
),
-- A line with one candidate payout is ambiguous because that payout has other candidate lines (the same credit in
-- two statements, a CSV export beside the camt): the reason names them, where until 2026-12-05 it said "1 candidate
-- payouts" and named no other line (user test).
b_ambiguous AS (
  SELECT 'AMBIGUOUS_MATCH', 'bank_line', b.bank_line_id, b.amount_minor, b.currency, b.booking_day,
    CASE WHEN c.n > 1 OR l.k IS NULL THEN CAST(c.n AS VARCHAR) || ' candidate payouts by rule ' || c.rule || ': not guessed'
      ELSE 'payout ' || c.first_payout || ' has ' || CAST(l.k + 1 AS VARCHAR) || ' candidate lines by rule ' || c.rule || ' (this one and '
        || l.other_line || CASE WHEN l.k > 1 THEN ' and ' || CAST(l.k - 1 AS VARCHAR) || ' more' ELSE '' END || '): not guessed'
    END,
    -- payout_id only when one payout is the candidate (its lines are what is in doubt): with two or more, naming the
    -- first would say which payout the line pays, the very thing not known (a treasurer filtered by it; related_ids
    -- lists the candidates).
    CAST(NULL AS VARCHAR), CAST(NULL AS VARCHAR), CASE WHEN c.n = 1 THEN c.first_payout END, b.bank_line_id,
    c.first_payout || CASE WHEN c.n > 1 THEN ', ' || c.last_payout ELSE '' END
      || CASE WHEN c.n > 2 THEN ' and ' || CAST(c.n - 2 AS VARCHAR) || ' more' ELSE '' END
      || CASE WHEN c.n = 1 AND l.k IS NOT NULL THEN ', ' || l.other_line || CASE WHEN l.k > 1 THEN ' and ' || CAST(l.k - 1 AS VARCHAR) || ' more' ELSE '' END ELSE '' END
  FROM (
    SELECT bank_line_id, min(rule) AS rule, count(DISTINCT payout_id) AS n, min(payout_id) AS first_payout, max(payout_id) AS last_payout
    FROM cand
    WHERE outcome = 'ambiguous'
    GROUP BY bank_line_id
  ) c
  JOIN recon_bank_text b ON b.bank_line_id = c.bank_line_id
  LEFT JOIN (
    SELECT a.bank_line_id, count(DISTINCT o.bank_line_id) AS k, min(o.bank_line_id) AS other_line
    FROM cand a
    JOIN cand o ON o.payout_id = a.payout_id AND o.outcome = 'ambiguous' AND o.bank_line_id <> a.bank_line_id
    WHERE a.outcome = 'ambiguous'
    GROUP BY a.bank_line_id
  ) l ON l.bank_line_id = c.bank_line_id
),
-- A payout whose bank credit the bank reversed (recon_bank_candidates outcome `reversed`): not in the bank, and
-- no grace, since the reversal is booked. Once the provider marks the payout failed it is a PAYOUT_FAILED instead.
b_bank_line_reversed AS (
  SELECT 'BANK_LINE_REVERSED', 'payout', o.payout_id, o.amount_minor, o.currency, o.arrival_date,
    'payout ' || o.status || '; the bank booked its line on ' || CAST(b.booking_day AS VARCHAR)
      || ' and reversed it on ' || CAST(b.reversed_on AS VARCHAR) || ': not in the bank',
    CAST(NULL AS VARCHAR), CAST(NULL AS VARCHAR), o.payout_id, b.bank_line_id, b.reversed_by
  FROM po o
  JOIN (SELECT payout_id, min(bank_line_id) AS bank_line_id FROM cand WHERE outcome = 'reversed' GROUP BY payout_id) c
    ON c.payout_id = o.payout_id
  JOIN recon_bank_booked b ON b.bank_line_id = c.bank_line_id
),
-- A reversal that undoes no entry Puddle can tell (recon_bank_booked): money left or came back for a reason no
-- line explains. No grace: the entry it reverses was booked before it.
b_reversal_unpaired AS (
  SELECT 'BANK_REVERSAL_UNPAIRED', 'bank_line', b.bank_line_id, b.amount_minor, b.currency, b.booking_day,
    CASE WHEN b.reversal_outcome = 'ambiguous'
      THEN 'the bank reversed one of ' || CAST(b.reversal_candidates AS VARCHAR) || ' earlier entries (or one another reversal also undoes): not guessed'
      ELSE 'the bank reversed an entry of ' || @units(-b.amount_minor, u.exponent) || ' ' || b.currency || ' that no earlier booked line of the account matches by end-to-end id, entry reference or remittance text' END,
    CAST(NULL AS VARCHAR), CAST(NULL AS VARCHAR), CAST(NULL AS VARCHAR), b.bank_line_id, b.statement_id
  FROM recon_bank_booked b
  LEFT JOIN currency_exponents u ON u.currency = b.currency
  WHERE b.reversal AND b.reversal_outcome <> 'paired'
),
b_items AS (
  SELECT 'PAYOUT_ITEMS_MISMATCH', 'payout', o.payout_id, o.amount_minor - s.items_minor, o.currency, coalesce(o.arrival_date, CAST(o.occurred_at AS DATE)),
    'payout amount ' || @units(o.amount_minor, u.exponent) || ' ' || o.currency || ' but its ' || CAST(s.n AS VARCHAR) || ' items sum to '
      || @units(s.items_minor, u.exponent) || ' ' || o.currency || ' (net)',
    CAST(NULL AS VARCHAR), CAST(NULL AS VARCHAR), o.payout_id, CAST(NULL AS VARCHAR), CAST(NULL AS VARCHAR)
  FROM po o
  JOIN (SELECT payout_id, count(*) AS n, sum(coalesce(net_minor, amount_minor)) AS items_minor FROM items GROUP BY payout_id) s
    ON s.payout_id = o.payout_id
  LEFT JOIN currency_exponents u ON u.currency = o.currency
  CROSS JOIN x
  WHERE o.status NOT IN (SELECT status FROM payout_statuses WHERE NOT carries_items) AND o.amount_minor <> s.items_minor
    AND date_diff('day', coalesce(o.arrival_date, CAST(o.occurred_at AS DATE)), x.as_of) > x.grace_payout_items_days
),
b_fee AS (
  SELECT 'FEE_ANOMALY', 'payment', l.payment_id, l.fee_minor, l.currency, CAST(l.occurred_at AS DATE),
    CASE WHEN l.fee_minor < 0 THEN 'negative fee'
         WHEN l.net_minor IS NOT NULL AND l.net_minor <> l.amount_minor - l.fee_minor
           THEN 'net ' || @units(l.net_minor, u.exponent) || ' ' || l.currency || ' is not amount - fee ' || @units(l.amount_minor - l.fee_minor, u.exponent) || ' ' || l.currency
         ELSE 'fee above ' || CAST(x.fee_max_percent AS VARCHAR) || '% of the amount + ' || @units(x.fee_allowance_minor, u.exponent) || ' ' || l.currency END,
    l.donation_id, l.payment_id, l.payout_id, CAST(NULL AS VARCHAR), CAST(NULL AS VARCHAR)
  FROM link l
  CROSS JOIN x
  LEFT JOIN currency_exponents u ON u.currency = l.currency
  WHERE l.outcome = 'succeeded' AND l.fee_minor IS NOT NULL
    AND (l.fee_minor < 0
      OR (l.net_minor IS NOT NULL AND l.net_minor <> l.amount_minor - l.fee_minor)
      OR l.fee_minor * 100 > l.amount_minor * x.fee_max_percent + x.fee_allowance_minor * 100)
),
b_mismatch AS (
  SELECT CASE WHEN d.currency <> p.currency THEN 'CURRENCY_MISMATCH' ELSE 'AMOUNT_MISMATCH' END, 'donation', d.donation_id,
    CASE WHEN d.currency <> p.currency THEN d.amount_minor ELSE p.amount_minor - d.amount_minor END, d.currency,
    CAST(d.occurred_at AS DATE),
    'donation ' || @units(d.amount_minor, ud.exponent) || ' ' || d.currency
      || ', its payment ' || @units(p.amount_minor, up.exponent) || ' ' || p.currency,
    d.donation_id, p.payment_id, p.payout_id, CAST(NULL AS VARCHAR), CAST(NULL AS VARCHAR)
  FROM don d
  JOIN standing p ON p.donation_id = d.donation_id AND p.outcome = 'succeeded'
  LEFT JOIN currency_exponents ud ON ud.currency = d.currency
  LEFT JOIN currency_exponents up ON up.currency = p.currency
  WHERE (d.currency <> p.currency OR d.amount_minor <> p.amount_minor)
    AND NOT EXISTS (SELECT 1 FROM charges c WHERE c.donation_id = d.donation_id AND c.split)
),
b_refund AS (
  SELECT 'REFUND_NOT_NETTED', m.kind, m.back_id, -m.amount_minor, m.currency, CAST(m.occurred_at AS DATE),
    m.kind || ' ' || m.status || '; no payout takes it back ' || CAST(x.grace_refund_not_netted_days AS VARCHAR) || ' days on',
    l.donation_id, m.payment_id, l.payout_id, CAST(NULL AS VARCHAR), CAST(NULL AS VARCHAR)
  FROM money_back m
  CROSS JOIN x
  LEFT JOIN link l ON l.payment_id = m.payment_id
  WHERE date_diff('day', CAST(m.occurred_at AS DATE), x.as_of) > x.grace_refund_not_netted_days
    AND NOT EXISTS (SELECT 1 FROM netted n WHERE n.kind = m.kind AND n.back_id = m.back_id)
    -- Stripe lists a chargeback as an `adjustment` whose source is the dispute, not the charge, so the
    -- mapping leaves its payment_id empty: then an adjustment of minus the disputed amount, of the same
    -- provider, on or after the dispute, takes it back.
    AND NOT (m.kind = 'dispute' AND EXISTS (
      SELECT 1
      FROM items i
      JOIN po o ON o.payout_id = i.payout_id
      WHERE i.payment_id IS NULL AND i.type IN ('adjustment', 'dispute', 'chargeback')
        AND o.provider = m.provider AND i.currency = m.currency AND i.amount_minor = -m.amount_minor
        AND CAST(i.occurred_at AS DATE) >= CAST(m.occurred_at AS DATE)
    ))
),
-- The successful payments of each donation that still hold money (recon_donation_charges; n: their number by
-- date). Refunding a double charge is how it is put right, so a payment refunded in full no longer counts,
-- whichever of the two the charity refunded. Unless together they pay the donation in parts (split), every one
-- but the charge that stands (recon_standing_payment, the one the journey follows) is a duplicate.
kept AS (
  SELECT * FROM charges WHERE NOT split
),
-- The amount is what the duplicate still holds (all of it, or what a partial refund left).
b_duplicate AS (
  SELECT 'DUPLICATE_PAYMENT', 'payment', p.payment_id, p.kept_minor, p.currency, CAST(p.occurred_at AS DATE),
    'payment number ' || CAST(p.n AS VARCHAR) || ' that succeeded for one donation'
      || CASE WHEN p.kept_minor < p.amount_minor THEN '; ' || @units(p.amount_minor - p.kept_minor, u.exponent) || ' ' || p.currency || ' of its '
           || @units(p.amount_minor, u.exponent) || ' ' || p.currency || ' refunded' ELSE '' END
      || CASE WHEN f.n > p.n THEN '; number ' || CAST(f.n AS VARCHAR) || ', which no refund touched, stands' ELSE '' END,
    p.donation_id, p.payment_id, p.payout_id, CAST(NULL AS VARCHAR), f.payment_id
  FROM kept p
  JOIN standing s ON s.donation_id = p.donation_id
  JOIN kept f ON f.payment_id = s.payment_id AND f.donation_id = s.donation_id
  LEFT JOIN currency_exponents u ON u.currency = p.currency
  -- charges: how many of its donation's charges hold money; with one, there is no duplicate. Filtering on it
  -- first keeps the joins from pairing every donation's single charge with itself (seconds at 1,000,000 donations).
  WHERE p.charges > 1 AND f.charges > 1 AND p.payment_id <> s.payment_id
),
b_control AS (
  SELECT 'CONTROL_TOTAL_MISMATCH', 'settlement_summary', CAST(c.day AS VARCHAR) || ':' || c.account || ':sale',
    c.summary_minus_lake_minor, c.currency, c.day,
    c.provider || ' settled ' || CAST(c.summary_count AS VARCHAR) || ' sales for ' || @units(c.summary_amount_minor, u.exponent) || ' ' || c.currency
      || '; the lake has ' || CAST(c.lake_count AS VARCHAR) || ' for ' || @units(c.lake_amount_minor, u.exponent) || ' ' || c.currency,
    CAST(NULL AS VARCHAR), CAST(NULL AS VARCHAR), CAST(NULL AS VARCHAR), CAST(NULL AS VARCHAR), CAST(NULL AS VARCHAR)
  FROM recon_controls c
  CROSS JOIN x
  LEFT JOIN currency_exponents u ON u.currency = c.currency
  WHERE c.summary_count IS NOT NULL
    AND (c.summary_count <> c.lake_count OR c.summary_amount_minor <> c.lake_amount_minor)
    AND date_diff('day', c.day, x.as_of) > x.grace_control_total_days
),
b_statement AS (
  -- The reason is what the import found (bank_statement v2 `problems`: "line 6: balance ... expected ..."); a
  -- statement sent as v1 has none, so the sentence says what can be wrong.
  SELECT 'STATEMENT_UNBALANCED', 'bank_statement', s.bank_statement_id,
    s.closing_balance_minor - s.opening_balance_minor - s.credit_total_minor + s.debit_total_minor,
    s.currency, CAST(s.occurred_at AS DATE),
    coalesce(s.problems, 'opening balance + entries <> closing balance (or counts or control totals wrong)'),
    CAST(NULL AS VARCHAR), CAST(NULL AS VARCHAR), CAST(NULL AS VARCHAR), CAST(NULL AS VARCHAR), s.file_name
  FROM bank_statement s
  CROSS JOIN x
  WHERE NOT s.balanced AND CAST(s.occurred_at AS DATE) <= x.as_of
    -- Corrected (recon_statement_corrected): a balanced statement of the same account, currency and format
    -- covering the whole period, imported later (or earlier, holding at least as many entries). A CSV statement's id is its file's hash (a CSV has no statement
    -- id, and two exports of one account and period may hold different rows), so the corrected export is a
    -- statement of its own id; both stay in bank_statement, and the unbalanced one stops being a break. Its lines
    -- came in with the corrected one.
    AND NOT EXISTS (
      SELECT 1 FROM recon_statement_corrected k WHERE k.bank_statement_id = s.bank_statement_id AND k.received_at = s._received_at
    )
),
-- A statement that does not open where the account's previous statement closed: money moved that no imported
-- line explains (a statement is missing, or a balance is wrong). The previous one is the statement of the same
-- account and currency that ends latest before this one begins (a statement with no period: its creation time);
-- a statement that begins inside an earlier one is not compared (which balance would it follow?). Only statements of record that add up and carry both balances count:
-- an unbalanced one is already a STATEMENT_UNBALANCED break, a camt.052 intraday report closes on an interim
-- balance, a camt.054 has none, and a BAI2 interim report (as-of-date modifier 1 or 3, its id ending `/interim`
-- or `/interim/<n>`: connectors/bank/bai2.ts reportRef) is no statement of record either: its lines are pending,
-- so compared it hid a missing final report (its closing matching the next day's opening, while none of its money
-- was booked) and could stand for the previous statement in place of the final one (until 2026-12-03). No grace:
-- both statements are in.
-- A page of a camt statement the bank split (its id ends `/p<n>`, connectors/bank/camt.ts) shares the statement's
-- period: a page after the first follows the page before it, not the previous statement, and with that page
-- not imported the break says the page is missing (its amount cannot be told). The next statement follows the
-- statement's last page imported (the pages end at once; the others are not candidates, st_prev), or any other
-- statement ending at the same time ("either", below); until 2026-12-05 it could follow any page, and the break
-- named page 1's interim balance. A statement a later issue under another page's id
-- superseded (recon_bank_superseded: an old page 3 after a re-issue in 2 pages, an unpaged issue re-issued in pages
-- or the reverse) is no longer the bank's statement: neither compared nor followed (until 2026-12-05 the old page 3
-- was a STATEMENT_GAP after the re-issued page 2).
-- Each statement as its standing issue: the latest that adds up, by creation time then arrival (as recon_bank_issue
-- orders a bank file's issues). A re-issue that does not add up is a STATEMENT_UNBALANCED break and withdraws
-- nothing, so the issue before it still stands here: until 2026-12-05 the statement's current version was read,
-- which was that unbalanced re-issue, and the standing issue left the chain (the next statement compared with the
-- one before it, a false gap; a page after it called missing) (a user test).
st AS (
  SELECT s.bank_statement_id, s.account, s.currency, s.opening_balance_minor, s.closing_balance_minor,
    coalesce(s.period_from, s.occurred_at) AS starts, coalesce(s.period_to, s.occurred_at) AS ends,
    CASE WHEN s.source_format LIKE 'camt.%' THEN TRY_CAST(regexp_extract(s.bank_statement_id, '/p([0-9]+)$', 1) AS INTEGER) END AS page,
    regexp_replace(s.bank_statement_id, '/p[0-9]+$', '') AS paged
  FROM (
    SELECT h.*, row_number() OVER (PARTITION BY h.bank_statement_id ORDER BY h.occurred_at DESC, h._received_at DESC, h._id DESC) AS standing
    FROM bank_statement_history h
    CROSS JOIN x
    WHERE h.balanced AND CAST(h.occurred_at AS DATE) <= x.as_of
  ) s
  WHERE s.standing = 1 AND s.source_format IN ('camt.053', 'bai2', 'csv')
    AND NOT (s.source_format = 'bai2' AND (s.bank_statement_id LIKE '%/interim' OR s.bank_statement_id LIKE '%/interim/%'))
    AND s.opening_balance_minor IS NOT NULL AND s.closing_balance_minor IS NOT NULL
    AND NOT EXISTS (SELECT 1 FROM recon_bank_superseded d WHERE d.bank_statement_id = s.bank_statement_id AND d.created_at = s.occurred_at)
),
-- The previous statement: of a statement in pages, its last page imported (the highest number; its pages end at
-- once) stands for it, and statements ending at once all rank first ("either", below). Until 2026-12-05 the pages
-- were ranked by number among all statements ending at once, so a paged statement hid another of that day that
-- the next one followed (a false STATEMENT_GAP, a user test).
st_prev AS (
  SELECT s.bank_statement_id, p.bank_statement_id AS prev_id, p.closing_balance_minor AS prev_closing,
    rank() OVER (PARTITION BY s.bank_statement_id ORDER BY p.ends DESC) AS r
  FROM st s
  JOIN st p ON p.account = s.account AND p.currency = s.currency AND p.ends < s.starts
  WHERE coalesce(s.page, 1) = 1 AND NOT EXISTS (
    SELECT 1 FROM st o WHERE o.account = s.account AND o.currency = s.currency AND o.starts < s.starts AND o.ends >= s.starts
  ) AND NOT EXISTS (SELECT 1 FROM st q WHERE q.paged = p.paged AND q.page > coalesce(p.page, 1))
  UNION ALL
  SELECT s.bank_statement_id, p.bank_statement_id, p.closing_balance_minor, 1
  FROM st s
  JOIN st p ON p.paged = s.paged AND p.page = s.page - 1
  WHERE s.page > 1
),
-- Two previous statements ending at once (one exported twice): the statement follows if it follows either.
st_gap AS (
  SELECT s.bank_statement_id, min(p.prev_id) AS prev_id, min(p.prev_closing) AS prev_closing
  FROM st s
  JOIN st_prev p ON p.bank_statement_id = s.bank_statement_id AND p.r = 1
  GROUP BY s.bank_statement_id
  HAVING max(CASE WHEN p.prev_closing = s.opening_balance_minor THEN 1 ELSE 0 END) = 0
),
b_statement_gap AS (
  SELECT 'STATEMENT_GAP', 'bank_statement', s.bank_statement_id, s.opening_balance_minor - g.prev_closing, s.currency, CAST(s.starts AS DATE),
    'opens at ' || @units(s.opening_balance_minor, u.exponent) || ' ' || s.currency
      || ' but the previous statement of the account closed at ' || @units(g.prev_closing, u.exponent) || ' ' || s.currency
      || ': a statement is missing, or a balance is wrong',
    CAST(NULL AS VARCHAR), CAST(NULL AS VARCHAR), CAST(NULL AS VARCHAR), CAST(NULL AS VARCHAR), g.prev_id
  FROM st s
  JOIN st_gap g ON g.bank_statement_id = s.bank_statement_id
  LEFT JOIN currency_exponents u ON u.currency = s.currency
  UNION ALL
  SELECT 'STATEMENT_GAP', 'bank_statement', s.bank_statement_id, CAST(NULL AS BIGINT), s.currency, CAST(s.starts AS DATE),
    'page ' || CAST(s.page AS VARCHAR) || ' of a statement the bank sent in pages, but page ' || CAST(s.page - 1 AS VARCHAR)
      || ' (its id ending /p' || CAST(s.page - 1 AS VARCHAR) || ') is not imported, or did not add up: its lines are missing from reconciliation; import it',
    CAST(NULL AS VARCHAR), CAST(NULL AS VARCHAR), CAST(NULL AS VARCHAR), CAST(NULL AS VARCHAR), CAST(NULL AS VARCHAR)
  FROM st s
  WHERE s.page > 1 AND NOT EXISTS (SELECT 1 FROM st p WHERE p.paged = s.paged AND p.page = s.page - 1)
),
-- Two different files carry one statement id and creation time (recon_bank_issue): a bank's re-issue is created
-- later, so one of them is not the bank's statement as issued (edited by hand, or the bank's error). Which lines
-- the statement holds cannot be told, so both files' lines stand: no grace. The amount is the difference of the
-- two closing balances; it closes once an issue of the statement created later is imported. The creation time is
-- written ISO 8601 with its zone (created_at is UTC; DuckDB's CAST printed `2026-11-20 22:00:00`, read as local
-- time by whoever is not in UTC), by text alone: DuckDB and Trino share no function that formats a time.
b_statement_conflict AS (
  SELECT 'STATEMENT_CONFLICT', 'bank_statement', i.bank_statement_id, i.closing_balance_minor - i.conflicting_closing_minor, i.currency,
    CAST(i.created_at AS DATE),
    CAST(i.conflicting_files + 1 AS VARCHAR) || ' different files (' || coalesce(i.conflicting_file_name, '?') || ', '
      || coalesce(i.file_name, '?') || ') carry this statement id created at ' || replace(CAST(i.created_at AS VARCHAR), ' ', 'T') || 'Z'
      || ': a re-issue is created later, so which lines stand cannot be told; both files'' lines are kept. '
      || 'Ask the bank to re-issue the statement and import that',
    CAST(NULL AS VARCHAR), CAST(NULL AS VARCHAR), CAST(NULL AS VARCHAR), CAST(NULL AS VARCHAR), i.conflicting_file_name
  FROM recon_bank_issue i
  CROSS JOIN x
  WHERE i.conflicting_files > 0 AND CAST(i.created_at AS DATE) <= x.as_of AND i.superseded_by IS NULL
),
-- A camt.053 (the statement of record) without a booked opening balance (OPBD or PRCD) or closing balance (CLBD or
-- ITBD): its lines were imported, but nothing shows the statement is whole (connectors/bank/unverifiable.ts). No
-- amount is at stake that can be told, so none is given. Closed by an issue of the statement (its Stmt/Id) that
-- carries both, which replaces it in bank_statement. No grace: the file is in. An account whose bank never sends
-- them is listed in accounts_without_balances (PUDDLE_RECON_ACCOUNTS_WITHOUT_BALANCES), and its statements are
-- no break: the import says each time what to check by hand (connectors/bank/unverifiable.ts).
b_statement_unverifiable AS (
  SELECT 'STATEMENT_UNVERIFIABLE', 'bank_statement', s.bank_statement_id, CAST(NULL AS BIGINT), s.currency, CAST(s.occurred_at AS DATE),
    'a camt.053 with '
      || CASE WHEN s.opening_balance_minor IS NULL AND s.closing_balance_minor IS NULL THEN 'no booked opening balance (OPBD or PRCD) and no booked closing balance (CLBD or ITBD)'
        WHEN s.opening_balance_minor IS NULL THEN 'no booked opening balance (OPBD or PRCD)'
        ELSE 'no booked closing balance (CLBD or ITBD)' END
      || ': its lines were imported but cannot be checked against the bank''s balances; ask the bank for the statement with them and import it',
    CAST(NULL AS VARCHAR), CAST(NULL AS VARCHAR), CAST(NULL AS VARCHAR), CAST(NULL AS VARCHAR), s.file_name
  FROM bank_statement s
  CROSS JOIN x
  WHERE s.balanced AND s.source_format = 'camt.053'
    AND (s.opening_balance_minor IS NULL OR s.closing_balance_minor IS NULL)
    AND CAST(s.occurred_at AS DATE) <= x.as_of
    -- Nor one a later issue under another page's id superseded (recon_bank_superseded).
    AND NOT EXISTS (SELECT 1 FROM recon_bank_superseded d WHERE d.bank_statement_id = s.bank_statement_id AND d.created_at = s.occurred_at)
    -- Not an account whose bank never sends booked balances (accounts_without_balances, compared as
    -- core/bank-account.ts accountKey: no spaces, upper case): no re-issue would ever close it.
    AND coalesce(strpos(',' || x.accounts_without_balances || ',', ',' || upper(replace(s.account, ' ', '')) || ','), 0) = 0
),
b_payout_failed AS (
  SELECT 'PAYOUT_FAILED', 'payout', f.payout_id, f.amount_minor, f.currency, coalesce(f.arrival_date, CAST(f.occurred_at AS DATE)),
    'payout failed; no later payout carries its reversal yet',
    CAST(NULL AS VARCHAR), CAST(NULL AS VARCHAR), f.payout_id, CAST(NULL AS VARCHAR), f.bank_reference
  FROM po f
  CROSS JOIN x
  WHERE f.status = 'failed'
    AND date_diff('day', coalesce(f.arrival_date, CAST(f.occurred_at AS DATE)), x.as_of) > x.grace_payout_failed_days
    -- The reversal (Stripe balance transaction type payout_failure) names the failed payout when the mapping
    -- knows it, else it is an item of the same provider, currency and amount in a later payout.
    AND NOT EXISTS (
      SELECT 1
      FROM items i
      JOIN po o ON o.payout_id = i.payout_id
      WHERE i.type IN ('payout_failure', 'payout_reversal', 'payout_cancel')
        AND o.payout_id <> f.payout_id AND o.provider = f.provider
        AND coalesce(o.arrival_date, CAST(o.occurred_at AS DATE)) >= coalesce(f.arrival_date, CAST(f.occurred_at AS DATE))
        AND (i.payment_id = f.payout_id
          OR (i.payment_id IS NULL AND i.currency = f.currency AND coalesce(i.net_minor, i.amount_minor) = f.amount_minor))
    )
),
-- SMS by month and currency (recon_sms: the pledges, the remittances and the month each pays). Where the
-- donations name their network (donation v2), the reason traces the shortfall: to the networks short when the
-- remittances each name one (`traced`), else it gives each network's pledges, to hold against the aggregator's
-- statement. A month whose pledges name no network (v1) reads as it always did.
sms_month AS (
  SELECT s.period, s.currency, max(s.month_end) AS month_end, max(month_pledges) AS pledges, max(month_pledged_minor) AS pledged_minor,
    max(month_remittances) AS remittances, max(month_remitted_minor) AS remitted_minor, max(month_short_minor) AS short_minor,
    max(CASE WHEN traced THEN 1 ELSE 0 END) AS traced,
    max(CASE WHEN sms_network IS NOT NULL AND pledges > 0 THEN 1 ELSE 0 END) AS networks,
    array_join(array_agg(coalesce(sms_network, 'no network') || ' ' || @units(short_minor, u.exponent) ORDER BY short_minor DESC, sms_network)
      FILTER (WHERE short_minor > 0), ', ') AS short_by_network,
    array_join(array_agg(coalesce(sms_network, 'no network') || ' ' || @units(pledged_minor, u.exponent) ORDER BY sms_network)
      FILTER (WHERE pledges > 0), ', ') AS pledged_by_network
  FROM recon_sms s
  LEFT JOIN currency_exponents u ON u.currency = s.currency
  GROUP BY s.period, s.currency
),
b_sms AS (
  SELECT 'SMS_PLEDGE_UNCOLLECTED', 'sms_month', p.period || ' ' || p.currency, p.short_minor, p.currency,
    p.month_end,
    CAST(p.pledges AS VARCHAR) || ' SMS pledges for ' || @units(p.pledged_minor, u.exponent) || ' ' || p.currency || '; the aggregators remitted '
      || @units(p.remitted_minor, u.exponent) || ' ' || p.currency || ' in ' || CAST(p.remittances AS VARCHAR) || ' payment(s)'
      || CASE WHEN p.networks = 0 THEN ''
           WHEN p.traced = 1 THEN '; short by network (' || p.currency || '): ' || coalesce(p.short_by_network, '')
           ELSE '; pledged by network (' || p.currency || '): ' || coalesce(p.pledged_by_network, '')
             || ', against the aggregator''s statement (the remittances name no one network each)' END,
    CAST(NULL AS VARCHAR), CAST(NULL AS VARCHAR), CAST(NULL AS VARCHAR), CAST(NULL AS VARCHAR), CAST(NULL AS VARCHAR)
  FROM sms_month p
  CROSS JOIN x
  LEFT JOIN currency_exponents u ON u.currency = p.currency
  WHERE p.short_minor > 0 AND p.pledges > 0
    AND date_diff('day', p.month_end, x.as_of) > x.grace_sms_days
),
-- The CRM side (Salesforce NPSP): only on a lake that has CRM records naming payments at all (recon_gift_link),
-- so a charity without a CRM connector gets no CRM breaks.
gl AS (
  SELECT * FROM recon_gift_link
),
crm_on AS (
  SELECT count(*) AS n FROM gl WHERE payment_ref IS NOT NULL
),
-- Payments the CRM records (a positive gift payment or a gift names them).
crm_named AS (
  SELECT DISTINCT payment_id FROM gl WHERE payment_id IS NOT NULL AND amount_minor > 0
),
b_gift_missing AS (
  SELECT 'GIFT_MISSING', 'payment', l.payment_id, l.amount_minor, l.currency, CAST(l.occurred_at AS DATE),
    'paid ' || l.provider || ' payment that no CRM gift payment names ' || CAST(x.grace_gift_missing_days AS VARCHAR) || ' days on',
    l.donation_id, l.payment_id, l.payout_id, CAST(NULL AS VARCHAR), CAST(NULL AS VARCHAR)
  FROM link l
  CROSS JOIN x
  CROSS JOIN crm_on c
  WHERE c.n > 0 AND l.outcome = 'succeeded' AND l.amount_minor > 0
    AND NOT EXISTS (SELECT 1 FROM crm_named m WHERE m.payment_id = l.payment_id)
    AND date_diff('day', CAST(l.occurred_at AS DATE), x.as_of) > x.grace_gift_missing_days
    -- A charity that began keying gifts into its CRM on a day (gift_missing_from) has no CRM gift for earlier payments.
    AND (x.gift_missing_from IS NULL OR CAST(l.occurred_at AS DATE) >= x.gift_missing_from)
),
b_gift_amount AS (
  SELECT 'GIFT_AMOUNT_DIFFERS', g.crm_kind, g.crm_id,
    CASE WHEN g.currency <> g.payment_currency THEN g.amount_minor ELSE g.payment_amount_minor - g.amount_minor END, g.currency,
    g.crm_date,
    'the CRM records ' || @units(g.amount_minor, ug.exponent) || ' ' || g.currency
      || ', the payment it names took ' || @units(g.payment_amount_minor, up.exponent) || ' ' || g.payment_currency,
    g.donation_id, g.payment_id, CAST(NULL AS VARCHAR), CAST(NULL AS VARCHAR), g.gift_id
  FROM gl g
  LEFT JOIN currency_exponents ug ON ug.currency = g.currency
  LEFT JOIN currency_exponents up ON up.currency = g.payment_currency
  WHERE g.payment_outcome = 'succeeded' AND g.amount_minor > 0
    AND (g.currency <> g.payment_currency OR g.amount_minor <> g.payment_amount_minor)
),
-- A won gift (IsWon; producers' v1 gifts: stage Closed Won) is paid when the CRM has a paid, not written-off
-- positive payment for it, or when it names a payment that succeeded itself.
gift_paid AS (
  SELECT DISTINCT gift_id FROM gl
  WHERE gift_id IS NOT NULL AND amount_minor > 0
    AND ((crm_kind = 'gift_payment' AND coalesce(paid, false) AND NOT coalesce(written_off, false)) OR (crm_kind = 'gift' AND payment_outcome = 'succeeded'))
),
b_gift_not_paid AS (
  SELECT 'GIFT_NOT_PAID', 'gift', g.gift_id, g.amount_minor, g.currency, coalesce(g.close_date, CAST(g.occurred_at AS DATE)),
    'won gift (' || coalesce(g.stage, 'no stage') || ') with no paid payment ' || CAST(x.grace_gift_not_paid_days AS VARCHAR) || ' days after its close date',
    g.donation_id, CAST(NULL AS VARCHAR), CAST(NULL AS VARCHAR), CAST(NULL AS VARCHAR), CAST(NULL AS VARCHAR)
  FROM gift g
  CROSS JOIN x
  CROSS JOIN crm_on c
  WHERE c.n > 0 AND NOT coalesce(g.deleted, false) AND coalesce(g.is_won, g.stage = 'Closed Won')
    AND g.amount_minor > 0 AND CAST(g.occurred_at AS DATE) <= x.as_of
    AND NOT EXISTS (SELECT 1 FROM gift_paid p WHERE p.gift_id = g.gift_id)
    AND date_diff('day', coalesce(g.close_date, CAST(g.occurred_at AS DATE)), x.as_of) > x.grace_gift_not_paid_days
),
-- A regular gift the CRM closed that went on taking money: a donor who cancelled their monthly gift and was charged
-- again (until 2026-12-06 nothing said so, and care could not answer "I cancelled but you took money": a user test).
-- Closed: its status now is one that takes no more money (Closed, Cancelled, canceled, expired, incomplete_expired:
-- the plan_closed macro), since the end date the CRM or provider gives it (recurring_donation v2, NPSP's End Date),
-- else the first such version after its last open one (the version's updated_at, else occurred_at: a plan first
-- synced already closed is then dated at that sync's change time, later than it ended). Taken after that day,
-- on or before the as-of date: late_instalment below. No grace: the money was not due at all.
rd_closed AS (
  SELECT h.recurring_donation_id, coalesce(max(c.end_date), min(CAST(coalesce(h.updated_at, h.occurred_at) AS DATE))) AS closed_on
  FROM recurring_donation_history h
  JOIN recurring_donation c ON c.recurring_donation_id = h.recurring_donation_id
    AND @plan_closed(c.status) AND NOT coalesce(c.deleted, false)
  LEFT JOIN (
    SELECT recurring_donation_id, max(coalesce(updated_at, occurred_at)) AS at
    FROM recurring_donation_history
    WHERE NOT @plan_closed(coalesce(status, ''))
    GROUP BY recurring_donation_id
  ) o ON o.recurring_donation_id = h.recurring_donation_id
  WHERE @plan_closed(h.status) AND (o.at IS NULL OR coalesce(h.updated_at, h.occurred_at) > o.at)
  GROUP BY h.recurring_donation_id
),
-- The keys a closed regular gift goes by: its id, and its commitment_id (NPSP Elevate's commitment, or the gateway's
-- subscription id the CRM keeps there), which a charge's or a donation's recurring_donation_id may name instead.
-- One closed plan a key: the subscription the provider cancelled and the CRM's plan that keeps its id as the
-- commitment are two closed records of one plan, and two rows here gave a charge two breaks. The plan closed first is
-- the one named (then the lower id), since money was not due from that day.
rd_closed_keys AS (
  SELECT recurring_donation_id, closed_on, rd_key
  FROM (
    SELECT a.recurring_donation_id, a.closed_on, a.rd_key,
      row_number() OVER (PARTITION BY a.rd_key ORDER BY a.closed_on, a.recurring_donation_id) AS n
    FROM (
      SELECT r.recurring_donation_id, r.closed_on, r.recurring_donation_id AS rd_key FROM rd_closed r
      UNION
      SELECT r.recurring_donation_id, r.closed_on, c.commitment_id
      FROM rd_closed r
      JOIN recurring_donation c ON c.recurring_donation_id = r.recurring_donation_id
      WHERE c.commitment_id IS NOT NULL
    ) a
  ) k
  WHERE k.n = 1
),
-- Each instalment of a closed regular gift taken after the day it closed, once, from the first of three records that
-- holds it, with what was given back of it:
--   gift      a won gift of it (the CRM's record), with its charge; given back: its charge's refunds at the provider,
--             or the refunds the CRM records against the gift (negative gift payments), the larger (one refund is
--             usually in both);
--   payment   a successful charge the CRM does not record, whose own recurring_donation_id (payment v3: a Stripe or
--             Braintree subscription), else its donation's (donation v3), names it, unless a gift of it names the
--             charge's donation; given back: its refunds;
--   donation  a donation its producer collected itself (status `paid`: a Direct Debit bureau's collection, an IVR
--             line's card) with no successful charge, naming it, unless a gift of it names the donation; sending it
--             again as `cancelled` (the collection given back) takes it out.
-- Until 2026-12-06 only the CRM's gifts were read, and never netted: a monthly gift the CRM closed that the provider or
-- the bureau kept taking raised nothing, and one refunded as the reason asks stayed a break (user tests).
late_instalment AS (
  SELECT 'gift' AS object_kind, g.gift_id AS object_id, g.amount_minor, r.given_back, g.currency,
    coalesce(g.close_date, CAST(g.occurred_at AS DATE)) AS taken_on, g.donation_id, r.payment_id, g.recurring_donation_id AS plan_id,
    r.closed_on, 'taken' AS how
  FROM (
    SELECT g.gift_id, c.closed_on, p.payment_id, greatest(coalesce(pl.refunded_minor, 0), coalesce(cr.refunded_minor, 0)) AS given_back
    FROM gift g
    JOIN rd_closed c ON c.recurring_donation_id = g.recurring_donation_id
    LEFT JOIN (
      SELECT gift_id, min(payment_id) AS payment_id FROM gl WHERE payment_outcome = 'succeeded' AND amount_minor > 0 GROUP BY gift_id
    ) p ON p.gift_id = g.gift_id
    LEFT JOIN link pl ON pl.payment_id = p.payment_id
    LEFT JOIN (
      SELECT gift_id, -sum(amount_minor) AS refunded_minor FROM gl WHERE crm_kind = 'gift_payment' AND amount_minor < 0 GROUP BY gift_id
    ) cr ON cr.gift_id = g.gift_id
  ) r
  JOIN gift g ON g.gift_id = r.gift_id
  CROSS JOIN x
  WHERE NOT coalesce(g.deleted, false) AND coalesce(g.is_won, g.stage = 'Closed Won')
    AND coalesce(g.close_date, CAST(g.occurred_at AS DATE)) > r.closed_on
    AND CAST(g.occurred_at AS DATE) <= x.as_of
  UNION ALL
  SELECT 'payment', l.payment_id, l.amount_minor, l.refunded_minor, l.currency, CAST(l.occurred_at AS DATE), l.donation_id, l.payment_id,
    k.recurring_donation_id, k.closed_on, 'taken'
  FROM link l
  -- Only the donations that name a regular gift: the join is then over a few rows, not every donation.
  LEFT JOIN (SELECT donation_id, recurring_donation_id FROM don WHERE recurring_donation_id IS NOT NULL) d ON d.donation_id = l.donation_id
  JOIN rd_closed_keys k ON k.rd_key = coalesce(l.recurring_donation_id, d.recurring_donation_id)
  CROSS JOIN x
  WHERE l.outcome = 'succeeded' AND CAST(l.occurred_at AS DATE) > k.closed_on AND CAST(l.occurred_at AS DATE) <= x.as_of
    AND NOT EXISTS (SELECT 1 FROM crm_named m WHERE m.payment_id = l.payment_id)
    AND NOT EXISTS (
      SELECT 1 FROM gift g
      WHERE g.donation_id = l.donation_id AND g.recurring_donation_id = k.recurring_donation_id AND NOT coalesce(g.deleted, false)
    )
  UNION ALL
  SELECT 'donation', d.donation_id, d.amount_minor, CAST(0 AS BIGINT), d.currency, CAST(d.occurred_at AS DATE), d.donation_id, CAST(NULL AS VARCHAR),
    k.recurring_donation_id, k.closed_on, 'collected'
  FROM don d
  JOIN rd_closed_keys k ON k.rd_key = d.recurring_donation_id
  WHERE d.status = 'paid' AND CAST(d.occurred_at AS DATE) > k.closed_on
    AND NOT EXISTS (SELECT 1 FROM link l WHERE l.donation_id = d.donation_id AND l.outcome = 'succeeded')
    AND NOT EXISTS (
      SELECT 1 FROM gift g
      WHERE g.donation_id = d.donation_id AND g.recurring_donation_id = k.recurring_donation_id AND NOT coalesce(g.deleted, false)
    )
),
-- What is still held of each: given back in full, it is put right.
b_recurring_after_closed AS (
  SELECT 'RECURRING_PAID_AFTER_CLOSED', i.object_kind, i.object_id, i.amount_minor - i.given_back, i.currency, i.taken_on,
    'regular gift ' || i.plan_id || ' was closed on ' || CAST(i.closed_on AS VARCHAR) || ', but this instalment of '
      || @units(i.amount_minor, u.exponent) || ' ' || i.currency || ' was ' || i.how || ' on ' || CAST(i.taken_on AS VARCHAR)
      || CASE WHEN i.given_back > 0 THEN ' (' || @units(i.given_back, u.exponent) || ' given back, ' || @units(i.amount_minor - i.given_back, u.exponent) || ' held)' ELSE '' END
      || CASE WHEN i.how = 'collected' THEN ': refund it, and stop the collection' ELSE ': refund it, and stop the payment at the provider' END,
    i.donation_id, i.payment_id, CAST(NULL AS VARCHAR), CAST(NULL AS VARCHAR), i.plan_id
  FROM late_instalment i
  LEFT JOIN currency_exponents u ON u.currency = i.currency
  WHERE i.amount_minor > i.given_back
),
-- One processor id on two CRM payments: a gift keyed twice, or one payment recorded against two gifts. The
-- second and later (by when the CRM recorded them) are the breaks; refunds (negative) may repeat the id.
reused AS (
  SELECT g.*, row_number() OVER (PARTITION BY g.payment_ref ORDER BY g.occurred_at, g.crm_id) AS k
  FROM gl g
  WHERE g.crm_kind = 'gift_payment' AND g.payment_ref IS NOT NULL AND g.amount_minor > 0
),
b_gateway_reused AS (
  SELECT 'GATEWAY_ID_REUSED', 'gift_payment', r.crm_id, r.amount_minor, r.currency, r.crm_date,
    'gateway id ' || r.payment_ref || ' is on CRM payment number ' || CAST(r.k AS VARCHAR) || ' (gift ' || coalesce(r.gift_id, '?') || ')',
    r.donation_id, r.payment_id, CAST(NULL AS VARCHAR), CAST(NULL AS VARCHAR), f.crm_id
  FROM reused r
  JOIN reused f ON f.payment_ref = r.payment_ref AND f.k = 1
  WHERE r.k > 1
),
-- A provider refund of a payment the CRM records, with no negative CRM payment on that gift.
b_crm_refund AS (
  SELECT 'CRM_REFUND_MISSING', 'refund', r.refund_id, -r.amount_minor, r.currency, CAST(r.occurred_at AS DATE),
    'refund ' || r.status || ' at ' || r.provider || '; gift ' || g.gift_id || ' in the CRM shows no refund '
      || CAST(x.grace_crm_refund_missing_days AS VARCHAR) || ' days on',
    g.donation_id, r.payment_id, CAST(NULL AS VARCHAR), CAST(NULL AS VARCHAR), g.gift_id
  FROM refund r
  CROSS JOIN x
  JOIN (
    SELECT payment_id, min(gift_id) AS gift_id, min(donation_id) AS donation_id
    FROM gl
    WHERE payment_outcome = 'succeeded' AND amount_minor > 0 AND gift_id IS NOT NULL
    GROUP BY payment_id
  ) g ON g.payment_id = r.payment_id
  WHERE r.status IN (SELECT status FROM recon_statuses WHERE outcome = 'succeeded')
    AND CAST(r.occurred_at AS DATE) <= x.as_of
    AND date_diff('day', CAST(r.occurred_at AS DATE), x.as_of) > x.grace_crm_refund_missing_days
    AND NOT EXISTS (SELECT 1 FROM gift_payment n WHERE n.gift_id = g.gift_id AND n.amount_minor < 0 AND NOT coalesce(n.deleted, false))
),
all_breaks AS (
  SELECT * FROM b_donation_not_paid
  UNION ALL SELECT * FROM b_cancelled_paid
  UNION ALL SELECT * FROM b_payment_without_donation
  UNION ALL SELECT * FROM b_paid_not_paid_out
  UNION ALL SELECT * FROM b_payout_no_bank_line
  UNION ALL SELECT * FROM b_bank_line_no_payout
  UNION ALL SELECT * FROM b_ambiguous
  UNION ALL SELECT * FROM b_bank_line_reversed
  UNION ALL SELECT * FROM b_reversal_unpaired
  UNION ALL SELECT * FROM b_items
  UNION ALL SELECT * FROM b_fee
  UNION ALL SELECT * FROM b_mismatch
  UNION ALL SELECT * FROM b_refund
  UNION ALL SELECT * FROM b_duplicate
  UNION ALL SELECT * FROM b_control
  UNION ALL SELECT * FROM b_statement
  UNION ALL SELECT * FROM b_statement_gap
  UNION ALL SELECT * FROM b_statement_conflict
  UNION ALL SELECT * FROM b_statement_unverifiable
  UNION ALL SELECT * FROM b_payout_failed
  UNION ALL SELECT * FROM b_sms
  UNION ALL SELECT * FROM b_gift_missing
  UNION ALL SELECT * FROM b_gift_amount
  UNION ALL SELECT * FROM b_gift_not_paid
  UNION ALL SELECT * FROM b_gateway_reused
  UNION ALL SELECT * FROM b_crm_refund
  UNION ALL SELECT * FROM b_recurring_after_closed
),
tix AS (
  SELECT b.break_type, b.object_kind, b.object_id, count(DISTINCT t.ticket_id) AS open_tickets, min(t.ticket_id) AS open_ticket_id
  FROM all_breaks b
  JOIN recon_tickets t ON t.open AND (t.donation_id = b.donation_id OR t.payment_id = b.payment_id)
  GROUP BY b.break_type, b.object_kind, b.object_id
)
SELECT
  b.break_type,
  b.object_kind,
  b.object_id,
  b.amount_minor,
  abs(b.amount_minor) AS at_stake_minor,
  b.currency,
  b.object_date,
  date_diff('day', b.object_date, x.as_of) AS age_days,
  b.reason,
  a.action,
  b.donation_id,
  b.payment_id,
  b.payout_id,
  b.bank_line_id,
  b.related_ids,
  coalesce(k.open_tickets, 0) AS open_tickets,
  k.open_ticket_id
FROM all_breaks b
CROSS JOIN x
LEFT JOIN tix k ON k.break_type = b.break_type AND k.object_kind = b.object_kind AND k.object_id = b.object_id
LEFT JOIN recon_break_actions a ON a.break_type = b.break_type
