-- What is each bank line, for a treasurer ticking off a statement? One row per line the bank booked by the as-of
-- date (pending and information entries moved no money), with a `state` and a sentence of `explanation`, each
-- read from the view that decided it. The states, their order and what each asks of the treasurer are in
-- docs/reconciliation.md, "Bank reconciliation"; what the SQL alone shows:
--   break:       an open break names the line (recon_breaks `bank_line_id`), or its statement's STATEMENT_CONFLICT
--                (two files, one statement id and creation time: both files' lines stand, so a line may be listed
--                twice). The other statement breaks leave the lines alone: a file that does not add up lands no
--                lines, so the lines under a STATEMENT_UNBALANCED statement id are an earlier issue's, which stands
--                and adds up; under a STATEMENT_GAP or STATEMENT_UNVERIFIABLE each line is still the bank's, and its
--                statement's lines add up (or it has no balances to add up to). Until 2026-12-07 no statement break
--                reached the lines (review M1).
--   reversal:    paired with its reversal (recon_bank_booked `reversed_by`, `reverses`), also the credit that
--                carried a payout the bank took back, whose only break is the payout's BANK_LINE_REVERSED: the
--                pair moved no money, so the state's lines net to zero; the break stays in `break_types` and the
--                explanation (until 2026-12-07 that credit was `break`, its reversal `reversal`, a treasurer retest).
-- `related_line_id` names the other line of a reversal pair, whatever the state. The counterparty is the line's
-- own: bank_line keeps one only when it names a payment provider or SMS aggregator (docs/bank-statements.md,
-- "Personal data in bank lines").
WITH x AS (
  SELECT * FROM recon_params
),
-- Every line held as booked by the as-of date: recon_bank_booked's, and the ones it withdrew, which are the rest.
held AS (
  SELECT l.bank_line_id, l.account, coalesce(l.booking_date, CAST(l.occurred_at AS DATE)) AS booking_date, l.amount_minor,
    l.currency, l.statement_id, l.entry_reference, l.reference, l.description, l.value_date, l.bank_transaction_code,
    l.end_to_end_id, l.counterparty
  FROM bank_line l
  CROSS JOIN x
  WHERE coalesce(l.status, 'booked') = 'booked'
    AND coalesce(l.booking_date, CAST(l.occurred_at AS DATE)) <= x.as_of
),
-- Read once: every read of a view works it out again.
booked AS (
  SELECT * FROM recon_bank_booked
),
-- The breaks naming each line: its own, and its statement's STATEMENT_CONFLICT (above).
named AS (
  SELECT bank_line_id, break_type, object_kind, object_id, reason
  FROM recon_breaks
  WHERE bank_line_id IS NOT NULL
  UNION ALL
  SELECT h.bank_line_id, r.break_type, r.object_kind, r.object_id, r.reason
  FROM recon_breaks r
  JOIN held h ON h.statement_id = r.object_id
  -- Only the lines an issue still carries: a line a re-issue dropped stays `superseded` (it is on neither file).
  JOIN booked k ON k.bank_line_id = h.bank_line_id
  WHERE r.object_kind = 'bank_statement' AND r.break_type = 'STATEMENT_CONFLICT'
),
breaks AS (
  SELECT bank_line_id, array_join(array_agg(break_type ORDER BY break_type, object_id), ', ') AS break_types,
    min(CASE WHEN n = 1 THEN break_type || CASE WHEN object_kind = 'bank_line' THEN '' ELSE ' (' || object_kind || ' ' || object_id || ')' END
      || ': ' || reason END) AS reason,
    max(CASE WHEN break_type = 'BANK_LINE_REVERSED' THEN 0 ELSE 1 END) = 0 AS payout_reversed_only
  FROM (
    SELECT bank_line_id, break_type, object_kind, object_id, reason,
      row_number() OVER (PARTITION BY bank_line_id ORDER BY break_type, object_id) AS n
    FROM named
  ) b
  GROUP BY bank_line_id
),
matched AS (
  SELECT right_id AS bank_line_id, array_join(array_agg(left_id ORDER BY left_id), ', ') AS payout_id, count(*) AS payouts,
    min(rule) AS rule, min(reason) AS reason
  FROM recon_matches
  WHERE left_kind = 'payout' AND right_kind = 'bank_line'
  GROUP BY right_id
),
sms_month AS (
  SELECT period, currency, max(month_short_minor) AS short_minor
  FROM recon_sms
  GROUP BY period, currency
),
issue AS (
  SELECT bank_statement_id, min(created_at) AS created_at, min(file_name) AS file_name, min(superseded_by) AS superseded_by
  FROM recon_bank_issue
  GROUP BY bank_statement_id
),
lines AS (
  SELECT
    h.*,
    CASE
      WHEN k.bank_line_id IS NOT NULL AND NOT (k.payout_reversed_only AND b.reversed_by IS NOT NULL) THEN 'break'
      WHEN m.bank_line_id IS NOT NULL THEN 'matched'
      WHEN b.reversed_by IS NOT NULL OR b.reversal_outcome = 'paired' THEN 'reversal'
      WHEN s.bank_line_id IS NOT NULL THEN 'remittance'
      WHEN b.bank_line_id IS NULL THEN 'superseded'
      ELSE 'unexplained'
    END AS state,
    k.break_types, k.reason AS break_reason,
    m.payout_id, m.payouts, m.rule, m.reason AS match_reason,
    b.reversal, b.reverses, b.reversal_rule, b.reversed_by, b.reversed_on, b.payout_provider,
    s.sms_aggregator AS remitter, s.period AS sms_period, sm.short_minor AS sms_short_minor,
    i.created_at AS issue_created_at, i.file_name AS issue_file_name, i.superseded_by
  FROM held h
  LEFT JOIN breaks k ON k.bank_line_id = h.bank_line_id
  LEFT JOIN matched m ON m.bank_line_id = h.bank_line_id
  LEFT JOIN booked b ON b.bank_line_id = h.bank_line_id
  LEFT JOIN recon_sms_remittance s ON s.bank_line_id = h.bank_line_id
  LEFT JOIN sms_month sm ON sm.period = s.period AND sm.currency = s.currency
  LEFT JOIN issue i ON i.bank_statement_id = h.statement_id
)
SELECT
  l.bank_line_id,
  l.account,
  l.booking_date,
  l.amount_minor,
  l.currency,
  l.statement_id,
  l.entry_reference,
  l.reference,
  l.description,
  l.value_date,
  l.bank_transaction_code,
  l.end_to_end_id,
  l.counterparty,
  l.state,
  CASE l.state
    WHEN 'break' THEN l.break_reason
    WHEN 'matched' THEN CASE WHEN l.payouts = 1 THEN 'payout ' ELSE CAST(l.payouts AS VARCHAR) || ' payouts ' END
      || l.payout_id || ' by rule ' || l.rule || ': ' || l.match_reason
    WHEN 'reversal' THEN CASE WHEN l.reversal
      THEN 'the bank reversed ' || l.reverses || ' (paired by ' || l.reversal_rule || '): together they moved no money'
      ELSE 'the bank reversed it on ' || CAST(l.reversed_on AS VARCHAR) || ' (' || l.reversed_by || '): together they moved no money' END
      || coalesce('; ' || l.break_reason, '')
    WHEN 'remittance' THEN 'text-to-donate remittance from ' || l.remitter || ' for the month ' || l.sms_period
      || CASE WHEN l.sms_short_minor > 0 THEN '; the month is short ' || @units(l.sms_short_minor, u.exponent) || ' ' || l.currency || ' (puddle report sms)'
        WHEN l.sms_short_minor < 0 THEN '; the month is remitted ' || @units(-l.sms_short_minor, u.exponent) || ' ' || l.currency || ' over its pledges (puddle report sms)'
        ELSE '; the month is remitted in full' END
    WHEN 'superseded' THEN CASE WHEN l.superseded_by IS NOT NULL
      THEN 'statement ' || l.statement_id || ' was re-issued as ' || l.superseded_by || ', which does not carry it: not on the bank''s statement'
      ELSE 'the issue of statement ' || coalesce(l.statement_id, '?') || ' that stands'
        || CASE WHEN l.issue_created_at IS NULL THEN '' ELSE ' (created ' || CAST(CAST(l.issue_created_at AS DATE) AS VARCHAR) || coalesce(', file ' || l.issue_file_name, '') || ')' END
        || ' does not carry it: not on the bank''s statement' END
    ELSE CASE
      WHEN l.amount_minor < 0 THEN 'a debit: no rule matches money paid out; check it against its invoice or payment run'
      WHEN l.payout_provider IS NOT NULL THEN 'a credit naming ' || l.payout_provider || ' that matches no payout yet: BANK_LINE_NO_PAYOUT opens when it is older than '
        || CAST(x.grace_bank_line_no_payout_days AS VARCHAR) || ' days (grace_bank_line_no_payout_days)'
      ELSE 'a credit naming no payment provider or SMS aggregator (Gift Aid from HMRC, a cheque, a transfer): no rule reads it; explain it from its reference' END
  END AS explanation,
  l.break_types,
  CASE WHEN l.state = 'matched' THEN l.payout_id END AS payout_id,
  CASE WHEN l.state = 'matched' THEN l.rule END AS rule,
  coalesce(l.reverses, l.reversed_by) AS related_line_id
FROM lines l
CROSS JOIN x
LEFT JOIN currency_exponents u ON u.currency = l.currency
