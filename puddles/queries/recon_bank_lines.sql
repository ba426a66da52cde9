-- What is each bank line, for a treasurer ticking off a statement? One row per line the bank booked by the as-of
-- date (pending and information entries moved no money), with a `state` and a sentence of `explanation`, each
-- read from the view that decided it:
--   break:       an open break names the line (recon_breaks `bank_line_id`): a provider credit that matches no
--                payout, a line with more than one candidate payout, a reversal that undoes no entry, the credit
--                that carried a payout the bank then reversed. `break_types` lists them; the explanation is the
--                first one's type, its object when that is not the line (the payout), and its reason. Chase it.
--   matched:     it carries a payout (recon_matches, payout -> bank_line): `payout_id` names it (or each of a day's
--                payouts one credit carries, comma-separated) and `rule` the matching rule.
--   reversal:    the bank reversed the line, or the line is that reversal, and the two are paired
--                (recon_bank_booked `reversed_by`, `reverses`): together they moved no money. `related_line_id`
--                names the other.
--   remittance:  a text-to-donate aggregator's credit (recon_sms_remittance), held against its month's pledges
--                in recon_sms: the explanation names the month and what the month is short.
--   superseded:  booked, but no longer on the bank's statement: a re-issue of its statement did not carry it
--                (recon_bank_booked leaves it out; recon_bank_issue and recon_bank_superseded say which issue
--                stands). Not money: leave it off the statement's tick list.
--   unexplained: no view accounts for it: a debit (no rule reads money paid out), a credit naming no payment
--                provider or SMS aggregator (Gift Aid from HMRC, a cheque, a transfer), or a provider credit
--                still inside grace_bank_line_no_payout_days. Look at it.
-- The first state that applies, in this order. `reference` and `description` are the line's own texts (the
-- counterparty is left out: bank_line keeps it only when it names a provider, and `txt` in recon_bank_text
-- carries it).
WITH x AS (
  SELECT * FROM recon_params
),
-- Every line held as booked by the as-of date: recon_bank_booked's, and the ones it withdrew, which are the rest.
held AS (
  SELECT l.bank_line_id, l.account, coalesce(l.booking_date, CAST(l.occurred_at AS DATE)) AS booking_date, l.amount_minor,
    l.currency, l.statement_id, l.entry_reference, l.reference, l.description
  FROM bank_line l
  CROSS JOIN x
  WHERE coalesce(l.status, 'booked') = 'booked'
    AND coalesce(l.booking_date, CAST(l.occurred_at AS DATE)) <= x.as_of
),
breaks AS (
  SELECT bank_line_id, array_join(array_agg(break_type ORDER BY break_type, object_id), ', ') AS break_types,
    min(CASE WHEN n = 1 THEN break_type || CASE WHEN object_kind = 'bank_line' THEN '' ELSE ' (' || object_kind || ' ' || object_id || ')' END
      || ': ' || reason END) AS reason
  FROM (
    SELECT bank_line_id, break_type, object_kind, object_id, reason,
      row_number() OVER (PARTITION BY bank_line_id ORDER BY break_type, object_id) AS n
    FROM recon_breaks
    WHERE bank_line_id IS NOT NULL
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
      WHEN k.bank_line_id IS NOT NULL THEN 'break'
      WHEN m.bank_line_id IS NOT NULL THEN 'matched'
      WHEN b.reversed_by IS NOT NULL OR b.reversal_outcome = 'paired' THEN 'reversal'
      WHEN s.bank_line_id IS NOT NULL THEN 'remittance'
      WHEN b.bank_line_id IS NULL THEN 'superseded'
      ELSE 'unexplained'
    END AS state,
    k.break_types, k.reason AS break_reason,
    m.payout_id, m.payouts, m.rule, m.reason AS match_reason,
    b.reversal, b.reverses, b.reversal_rule, b.reversed_by, b.reversed_on, b.payout_provider, b.sms_aggregator,
    s.sms_aggregator AS remitter, s.period AS sms_period, sm.short_minor AS sms_short_minor,
    i.created_at AS issue_created_at, i.file_name AS issue_file_name, i.superseded_by
  FROM held h
  LEFT JOIN breaks k ON k.bank_line_id = h.bank_line_id
  LEFT JOIN matched m ON m.bank_line_id = h.bank_line_id
  LEFT JOIN recon_bank_booked b ON b.bank_line_id = h.bank_line_id
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
  l.state,
  CASE l.state
    WHEN 'break' THEN l.break_reason
    WHEN 'matched' THEN CASE WHEN l.payouts = 1 THEN 'payout ' ELSE CAST(l.payouts AS VARCHAR) || ' payouts ' END
      || l.payout_id || ' by rule ' || l.rule || ': ' || l.match_reason
    WHEN 'reversal' THEN CASE WHEN l.reversal
      THEN 'the bank reversed ' || l.reverses || ' (paired by ' || l.reversal_rule || '): together they moved no money'
      ELSE 'the bank reversed it on ' || CAST(l.reversed_on AS VARCHAR) || ' (' || l.reversed_by || '): together they moved no money' END
    WHEN 'remittance' THEN 'text-to-donate remittance from ' || l.remitter || ' for the month ' || l.sms_period
      || CASE WHEN l.sms_short_minor > 0 THEN '; the month is short ' || @units(l.sms_short_minor, u.exponent) || ' ' || l.currency || ' (puddle report sms)'
        WHEN l.sms_short_minor < 0 THEN '; the month is remitted ' || @units(-l.sms_short_minor, u.exponent) || ' ' || l.currency || ' over its pledges (puddle report sms)'
        ELSE '; the month is remitted in full' END
    WHEN 'superseded' THEN CASE WHEN l.superseded_by IS NOT NULL
      THEN 'statement ' || l.statement_id || ' was re-issued as ' || l.superseded_by || ', which does not carry it: not on the bank''s statement'
      ELSE 'the issue of statement ' || coalesce(l.statement_id, '?') || ' that stands'
        || CASE WHEN l.issue_created_at IS NULL THEN '' ELSE ' (created ' || CAST(l.issue_created_at AS VARCHAR) || coalesce(', file ' || l.issue_file_name, '') || ')' END
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
  CASE WHEN l.state = 'reversal' THEN coalesce(l.reverses, l.reversed_by) END AS related_line_id
FROM lines l
CROSS JOIN x
LEFT JOIN currency_exponents u ON u.currency = l.currency
