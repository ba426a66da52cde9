-- How did each donation's money travel, from the first click to the bank? One row per donation (dated by
-- the as-of date): its click, its payment, payout and bank line, the stage it reached, the lags between stages,
-- and the breaks open on it or on its payout.
-- Its payment is the charge that stands (recon_standing_payment): a donor charged twice whose first charge the
-- charity refunded paid once, through the second, and the journey follows it. payment_ids lists every charge that
-- pays it: that one, or each charge of a split payment (recon_donation_charges: 6000 + 4000 for 10000), by date.
-- A split donation follows its least advanced part (disputed, refunded, paid, paid_out, banked: the first of
-- these any part is in, by date): its payment_id, stage, payout and bank line are that part's, so a split is
-- `banked` only when every part is, and paid_at is the last part's (paid in full then); fee_minor and net_minor are
-- the sums over its parts (null if any part's is unknown; until 2026-12-02 they were the followed part's alone). Until 2026-12-02 they
-- were the first part's, and a split read `banked` while a later part was not paid out.
-- Stage precedence: disputed, refunded (of that payment) > banked > paid_out > paid > failed (only
-- when no attempt succeeded) > pledged. A payout that failed paid nothing out: while its PAYOUT_FAILED break is
-- open (no later payout has carried its money again) its payments are `paid`, the payout still named; `clicked` is a donation whose status
-- donation_statuses gives that stage (started or abandoned: the form was not completed, so no money is pledged; the
-- live totals and totals_by_box leave them out by the same list), and so are `cancelled` and `failed` for a donation
-- withdrawn or refused before any money moved (its status, in `status`; until 2026-12-06 both read `pledged`, money
-- still to come). SMS pledges stay `pledged`: they are collected by month (recon_breaks).
-- Beside the money's stages, the CRM's: gift_id, gift_stage (the CRM's own stage name, e.g. Closed Won) and
-- when the CRM recorded it (null: not in the CRM).
-- open_tickets: the supporter care tickets still open on the donation or its payment (recon_tickets).
-- payment_currency: the currency of the charge followed, which fee_minor, net_minor, refunded_minor and
-- disputed_minor are in; `currency` is the donation's (they differ on a CURRENCY_MISMATCH: until 2026-12-06 nothing
-- in the row said the fee and net were in euros). disputed_minor: what disputes that take money hold (analyst user test).
-- recurring_donation_id: the regular gift (mandate, plan, subscription, CRM recurring donation) the donation is an
-- instalment of: the donation's own (donation v3), else its followed charge's (payment v3: a Stripe or Braintree subscription),
-- else its CRM gift's (gift v2, NPSP). Null: one-off, or no source says (analyst user test H1: until 2026-12-06 only
-- the CRM could say, so regular and one-off income could not be split for web, call-centre or Braintree gifts).
-- gift_aid: the donation's own flag as its producer sent it (the donor declared Gift Aid for it; null: not said).
-- received_at: when its money arrived: paid_at for a charge, its pledged_at for a collection (status paid with no
-- charge: a Direct Debit bureau's, an SMS network's, an IVR line's; as recon_regular). kept_minor: what the charity
-- still holds of it by the as-of date, in its own currency: its successful charges less what refunds gave back and
-- disputes took, at most the donation's amount (a duplicate charge is not a second gift, a charge of less is
-- only what it took), a collection's whole amount, 0 when nothing arrived; null when its charge is in another currency
-- (CURRENCY_MISMATCH). With these a Gift Aid claim lists `gift_aid AND kept_minor > 0` by the month it was received:
-- until 2026-12-07 the docs said `gift_aid AND paid_at IS NOT NULL`, which listed refunded and charged-back gifts at
-- their whole amount and left out every collection (a Gift Aid officer's user test).
WITH x AS (
  SELECT * FROM recon_params
),
don AS (
  SELECT d.donation_id, d.channel, d.campaign, d.cta, d.click_id, d.amount_minor, d.currency, d.gift_aid, d.occurred_at, d.status, d.payment_provider, d.recurring_donation_id
  FROM donation d CROSS JOIN x WHERE CAST(d.occurred_at AS DATE) <= x.as_of
),
-- Read once each, as recon_breaks does: each read of a view works it out again (seconds at 1,000,000 donations).
link AS (
  SELECT * FROM recon_payment_link
),
charges AS (
  SELECT * FROM recon_donation_charges
),
attempts AS (
  SELECT * FROM recon_payment_attempts
),
split AS (
  SELECT donation_id, array_join(array_agg(payment_id ORDER BY n), ', ') AS payment_ids
  FROM charges
  WHERE split
  GROUP BY donation_id
),
-- The charges the journey can follow: the one that stands, or every part of a split payment. A donation's
-- last_part_at, fee and net are its charge's own, or over a split's parts: when the last was taken, and the sums
-- (null if any part's is unknown). Worked out over a split's parts alone: a window over every donation's
-- single charge cost seconds at 1,000,000 donations (docs/benchmarks.md, "Bank import and reconciliation").
parts AS (
  SELECT s.donation_id, s.payment_id, s.outcome, s.occurred_at, s.provider, s.currency AS payment_currency, s.fee_minor, s.net_minor, s.payout_id, s.refunded_minor, a.any_failed,
    s.recurring_donation_id,
    false AS split, s.occurred_at AS last_part_at, s.fee_minor AS parts_fee_minor, s.net_minor AS parts_net_minor
  FROM recon_standing_payment s
  JOIN attempts a ON a.donation_id = s.donation_id
  LEFT JOIN split sp ON sp.donation_id = s.donation_id
  WHERE sp.donation_id IS NULL
  UNION ALL
  SELECT l.donation_id, l.payment_id, l.outcome, l.occurred_at, l.provider, l.currency, l.fee_minor, l.net_minor, l.payout_id, l.refunded_minor, a.any_failed,
    l.recurring_donation_id,
    true,
    max(l.occurred_at) OVER (PARTITION BY l.donation_id),
    CASE WHEN count(l.fee_minor) OVER (PARTITION BY l.donation_id) = count(*) OVER (PARTITION BY l.donation_id)
      THEN CAST(sum(l.fee_minor) OVER (PARTITION BY l.donation_id) AS BIGINT) END,
    CASE WHEN count(l.net_minor) OVER (PARTITION BY l.donation_id) = count(*) OVER (PARTITION BY l.donation_id)
      THEN CAST(sum(l.net_minor) OVER (PARTITION BY l.donation_id) AS BIGINT) END
  FROM charges c
  JOIN link l ON l.payment_id = c.payment_id
  JOIN attempts a ON a.donation_id = c.donation_id
  WHERE c.split
),
banked AS (
  -- A payout the bank split (rule payout_split_lines) is banked when its last part is, and names every part (by
  -- booking day, then id, as recon_payout does): its first part alone does not cover it.
  SELECT c.payout_id, array_join(array_agg(c.bank_line_id ORDER BY b.booking_day, c.bank_line_id), ', ') AS bank_line_id,
    max(b.booking_day) AS booking_day
  FROM recon_bank_candidates c
  JOIN recon_bank_text b ON b.bank_line_id = c.bank_line_id
  WHERE c.outcome = 'matched'
  GROUP BY c.payout_id
),
disputed AS (
  SELECT DISTINCT s.payment_id
  FROM dispute s CROSS JOIN x
  WHERE s.status NOT IN (SELECT status FROM dispute_statuses WHERE NOT takes_money)
    AND CAST(s.occurred_at AS DATE) <= x.as_of
),
-- The CRM's record of the gift: the gift whose payment (or itself) names the donation's payment, else a gift
-- that names the donation (gift.donation_id, a configurable Salesforce field).
crm AS (
  SELECT payment_id, gift_id, occurred_at
  FROM (
    SELECT payment_id, gift_id, occurred_at, row_number() OVER (PARTITION BY payment_id ORDER BY occurred_at, crm_id) AS k
    FROM recon_gift_link
    WHERE payment_id IS NOT NULL AND gift_id IS NOT NULL AND amount_minor > 0
  ) r
  WHERE k = 1
),
gift_by_donation AS (
  SELECT donation_id, gift_id, occurred_at
  FROM (
    SELECT g.donation_id, g.gift_id, g.occurred_at, row_number() OVER (PARTITION BY g.donation_id ORDER BY g.occurred_at, g.gift_id) AS k
    FROM gift g CROSS JOIN x
    WHERE g.donation_id IS NOT NULL AND NOT coalesce(g.deleted, false) AND CAST(g.occurred_at AS DATE) <= x.as_of
  ) r
  WHERE k = 1
),
-- Breaks on the donation or its payment carry its donation_id; a payout's breaks reach every donation it paid.
b AS (
  SELECT donation_id, break_type, object_kind, object_id FROM recon_breaks
),
brk AS (
  SELECT donation_id, break_type FROM b WHERE donation_id IS NOT NULL
  UNION ALL
  SELECT p.donation_id, b.break_type
  FROM b
  JOIN parts p ON p.payout_id = b.object_id
  WHERE b.object_kind = 'payout' AND b.donation_id IS NULL AND p.outcome = 'succeeded'
),
-- Failed payouts whose money no later payout has carried yet: the provider holds it again.
payout_failed AS (
  SELECT DISTINCT object_id AS payout_id FROM b WHERE break_type = 'PAYOUT_FAILED'
),
-- Each charge's own stage once it succeeded (null before), with its payout's arrival and its bank line.
staged AS (
  SELECT
    p.*,
    o.arrival_date,
    bk.bank_line_id,
    bk.booking_day,
    pf.payout_id AS failed_payout_id,
    CASE
      WHEN p.outcome <> 'succeeded' THEN NULL
      WHEN ds.payment_id IS NOT NULL THEN 'disputed'
      WHEN p.refunded_minor > 0 THEN 'refunded'
      WHEN bk.bank_line_id IS NOT NULL THEN 'banked'
      WHEN p.payout_id IS NOT NULL AND pf.payout_id IS NULL THEN 'paid_out'
      ELSE 'paid'
    END AS paid_stage
  FROM parts p
  LEFT JOIN payout o ON o.payout_id = p.payout_id
  LEFT JOIN banked bk ON bk.payout_id = p.payout_id
  LEFT JOIN payout_failed pf ON pf.payout_id = p.payout_id
  LEFT JOIN disputed ds ON ds.payment_id = p.payment_id
),
-- The charge followed: the one that stands, or a split's least advanced part.
pay AS (
  SELECT *
  FROM (
    SELECT
      s.*,
      row_number() OVER (
        PARTITION BY s.donation_id
        ORDER BY CASE s.paid_stage WHEN 'disputed' THEN 0 WHEN 'refunded' THEN 1 WHEN 'paid' THEN 2 WHEN 'paid_out' THEN 3 ELSE 4 END,
          s.occurred_at, s.payment_id
      ) AS k
    FROM staged s
    WHERE s.split
  ) r
  WHERE k = 1
  UNION ALL
  SELECT s.*, CAST(1 AS BIGINT) AS k FROM staged s WHERE NOT s.split
),
-- What refunds gave back on the donation's successful charges by the as-of date (recon_payment_link.refunded_minor):
-- a partial refund leaves the stage `refunded` at the donation's whole amount, and this says how much went back.
-- And how many charges succeeded, refunded ones included: payment_ids names only the charges that hold its money,
-- so a donor charged twice and refunded once showed one charge (supporter care's user test).
given_back AS (
  SELECT donation_id, sum(refunded_minor) AS refunded_minor, count(*) AS successful_charges, sum(amount_minor) AS charged_minor
  FROM link
  WHERE outcome = 'succeeded' AND donation_id IS NOT NULL
  GROUP BY donation_id
),
-- Every break type open on the donation, once each, by name: any type recon_breaks has or gains. Until 2026-12-05 a
-- fixed list of fourteen left GATEWAY_ID_REUSED and GIFT_NOT_PAID out of the column (user test).
open_breaks AS (
  SELECT donation_id, array_join(array_agg(break_type ORDER BY break_type), ',') AS brk_list
  FROM (SELECT DISTINCT donation_id, break_type FROM brk) d
  GROUP BY donation_id
),
-- What disputes that take money (dispute_statuses) hold of the donation's successful charges by the as-of date, in
-- the charges' currency: with refunded_minor, what net income leaves out (a won dispute gave it back).
taken_back AS (
  SELECT l.donation_id, sum(s.amount_minor) AS disputed_minor
  FROM dispute s
  JOIN link l ON l.payment_id = s.payment_id
  CROSS JOIN x
  WHERE l.outcome = 'succeeded' AND l.donation_id IS NOT NULL
    AND s.status NOT IN (SELECT status FROM dispute_statuses WHERE NOT takes_money)
    AND CAST(s.occurred_at AS DATE) <= x.as_of
  GROUP BY l.donation_id
),
tickets AS (
  SELECT donation_id, count(*) AS open_tickets
  FROM recon_tickets
  WHERE open AND donation_id IS NOT NULL
  GROUP BY donation_id
),
j AS (
  SELECT
    d.donation_id,
    d.channel,
    d.campaign,
    -- The donation's call to action, else its click's: a web form that names the click it came from need not repeat
    -- it (until 2026-12-07 such gifts read no CTA here, though the lake held their click's; a digital analyst's user test).
    coalesce(d.cta, c.cta) AS cta,
    d.click_id,
    d.amount_minor,
    d.currency,
    d.gift_aid,
    d.status,
    c.occurred_at AS clicked_at,
    d.occurred_at AS pledged_at,
    CASE WHEN p.outcome = 'succeeded' THEN p.last_part_at END AS paid_at,
    p.payment_id,
    coalesce(sp.payment_ids, p.payment_id) AS payment_ids,
    coalesce(p.provider, d.payment_provider) AS provider,
    p.parts_fee_minor AS fee_minor,
    p.parts_net_minor AS net_minor,
    CASE WHEN p.outcome = 'succeeded' THEN p.payout_id END AS payout_id,
    CASE WHEN p.outcome = 'succeeded' AND p.failed_payout_id IS NULL THEN p.arrival_date END AS paid_out_on,
    CASE WHEN p.outcome = 'succeeded' THEN p.bank_line_id END AS bank_line_id,
    CASE WHEN p.outcome = 'succeeded' THEN p.booking_day END AS banked_on,
    CASE
      WHEN p.outcome = 'succeeded' THEN p.paid_stage
      WHEN p.any_failed = 1 AND p.outcome = 'failed' THEN 'failed'
      WHEN d.status IN (SELECT status FROM donation_statuses WHERE stage = 'clicked') THEN 'clicked'
      WHEN d.status IN (SELECT status FROM donation_statuses WHERE stage = 'cancelled') THEN 'cancelled'
      WHEN d.status IN (SELECT status FROM donation_statuses WHERE stage = 'failed') THEN 'failed'
      ELSE 'pledged'
    END AS stage,
    coalesce(cg.gift_id, gd.gift_id) AS gift_id,
    gf.stage AS gift_stage,
    coalesce(cg.occurred_at, gd.occurred_at) AS gift_recorded_at,
    ob.brk_list,
    coalesce(tk.open_tickets, 0) AS open_tickets,
    coalesce(gb.refunded_minor, 0) AS refunded_minor,
    coalesce(gb.successful_charges, 0) AS successful_charges,
    coalesce(tb.disputed_minor, 0) AS disputed_minor,
    p.payment_currency,
    CASE
      WHEN p.outcome = 'succeeded' THEN CASE WHEN p.payment_currency = d.currency
        -- Every operand coalesced: DuckDB's greatest/least skip a NULL, Athena's (Trino's) return NULL.
        THEN greatest(0, least(d.amount_minor, coalesce(gb.charged_minor, 0) - coalesce(gb.refunded_minor, 0) - coalesce(tb.disputed_minor, 0))) END
      WHEN d.status = 'paid' AND p.payment_id IS NULL THEN d.amount_minor
      ELSE 0
    END AS kept_minor,
    CASE WHEN p.outcome = 'succeeded' THEN p.last_part_at WHEN d.status = 'paid' AND p.payment_id IS NULL THEN d.occurred_at END AS received_at,
    coalesce(d.recurring_donation_id, p.recurring_donation_id, gf.recurring_donation_id) AS recurring_donation_id
  FROM don d
  LEFT JOIN click c ON c.click_id = d.click_id
  LEFT JOIN pay p ON p.donation_id = d.donation_id
  LEFT JOIN split sp ON sp.donation_id = d.donation_id
  LEFT JOIN open_breaks ob ON ob.donation_id = d.donation_id
  LEFT JOIN crm cg ON cg.payment_id = p.payment_id AND p.outcome = 'succeeded'
  LEFT JOIN gift_by_donation gd ON gd.donation_id = d.donation_id
  LEFT JOIN gift gf ON gf.gift_id = coalesce(cg.gift_id, gd.gift_id)
  LEFT JOIN tickets tk ON tk.donation_id = d.donation_id
  LEFT JOIN given_back gb ON gb.donation_id = d.donation_id
  LEFT JOIN taken_back tb ON tb.donation_id = d.donation_id
)
SELECT
  donation_id,
  channel,
  campaign,
  cta,
  click_id,
  amount_minor,
  currency,
  gift_aid,
  clicked_at,
  pledged_at,
  paid_at,
  payment_id,
  payment_ids,
  provider,
  payment_currency,
  fee_minor,
  net_minor,
  payout_id,
  paid_out_on,
  bank_line_id,
  banked_on,
  stage,
  status,
  refunded_minor,
  disputed_minor,
  successful_charges,
  received_at,
  kept_minor,
  -- A form started or left (stage clicked) was never pledged: its time is the form's, and no lag to a pledge (until
  -- 2026-12-07 one was given, and an average by CTA mixed abandoned forms in; a digital analyst's user test).
  CASE WHEN stage <> 'clicked' THEN date_diff('second', clicked_at, pledged_at) END AS click_to_pledge_s,
  date_diff('second', pledged_at, paid_at) AS pledge_to_paid_s,
  date_diff('day', CAST(paid_at AS DATE), paid_out_on) AS paid_to_paid_out_days,
  date_diff('day', paid_out_on, banked_on) AS paid_out_to_banked_days,
  date_diff('day', CAST(pledged_at AS DATE), banked_on) AS pledge_to_banked_days,
  coalesce(brk_list, '') AS open_breaks,
  gift_id,
  gift_stage,
  gift_recorded_at,
  date_diff('second', paid_at, gift_recorded_at) AS paid_to_gift_s,
  open_tickets,
  recurring_donation_id
FROM j
