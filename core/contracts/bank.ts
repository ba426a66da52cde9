import { RECON_PROVIDERS } from '../recon-providers.js';
import { bank_line } from './catalog.js';
import { defineContract, extendContract, type PersonalFields } from './contract.js';
import { boolean, currency, date, int, nonNegativeInt, oneOf, string, timestamp } from './schema.js';

// Bank statements (issue #9): camt.052/053/054, BAI2 and bank CSV exports all read into these shapes.
// bank_line grows additively (DESIGN.md rule 2): v1 producers keep sending v1, imports send v2.

export const BANK_LINE_STATUSES = ['booked', 'pending', 'info'] as const;
export const BANK_SOURCE_FORMATS = ['camt.052', 'camt.053', 'camt.054', 'bai2', 'csv', 'api'] as const;

/** Each provider's and aggregator's bank text as a whole word (`STRIPE` in `STRIPE PAYMENTS UK LTD`). */
const PROVIDER_WORDS = RECON_PROVIDERS.map((p) => new RegExp(`(?:^|[^A-Z0-9])${p.bank_text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}(?:[^A-Z0-9]|$)`));

/**
 * Whether a bank line's counterparty names a payment provider or SMS aggregator reconciliation looks for
 * (recon_providers: Stripe, Braintree, PayPal, ...), whose name on a credit is how a payout is told from a gift.
 */
export function namesProvider(name: string): boolean {
  const upper = name.toUpperCase();
  return PROVIDER_WORDS.some((w) => w.test(upper));
}

/**
 * A counterparty is kept only when it names a provider: any other is left out (null), whoever sends the line (a
 * bank file's import, a producer through POST /v1/events). A credit's debtor is often a donor paying by transfer,
 * a person, and a payload is copied into the raw trail, which only `puddle erase` rewrites (one person at a time, and
 * not on AWS, where raw is under Object Lock). The bank file itself (the drop folder's done/) still names everyone.
 */
const COUNTERPARTY: PersonalFields = { counterparty: (v) => typeof v === 'string' && !namesProvider(v) };

export const bank_line_v2 = extendContract(bank_line, 2, {
  value_date: date().optional().doc('When the money is value-dated (interest counts from it)'),
  statement_id: string().optional().doc('The bank_statement this line came in'),
  entry_reference: string().optional().doc("The bank's own reference for the entry (camt NtryRef / AcctSvcrRef, BAI2 bank reference)"),
  end_to_end_id: string().optional().doc("The payer's end-to-end id, when the bank passes it on"),
  bank_transaction_code: string().optional().doc('camt BkTxCd (Domn/Fmly/SubFmlyCd or Prtry), BAI2 type code, CSV type'),
  counterparty: string().optional().doc('Who paid or was paid; kept only when it names a payment provider or SMS aggregator (a person\'s name would reach the raw trail)'),
  status: oneOf(BANK_LINE_STATUSES).optional().doc('booked, pending (camt PDNG / intraday) or info'),
  reversal: boolean().optional().doc('The bank reversed an earlier entry (camt RvslInd)'),
  batch_count: nonNegativeInt().optional().doc('Transactions in a batch booking (their details go to bank_line_detail)'),
  source_format: oneOf(BANK_SOURCE_FORMATS).optional(),
  source_position: string().optional().doc('Where in the file: statement index and entry number, or line number'),
}, COUNTERPARTY);

export const bank_statement = defineContract({
  name: 'bank_statement',
  version: 1,
  doc: 'One statement or report of one bank account: period, balances and entry count, for control',
  fields: {
    bank_statement_id: string(),
    occurred_at: timestamp().doc('When the bank created the statement'),
    updated_at: timestamp().optional(),
    account: string(),
    currency: currency(),
    source_format: oneOf(BANK_SOURCE_FORMATS),
    period_from: timestamp().optional(),
    period_to: timestamp().optional(),
    opening_balance_minor: int().optional(),
    closing_balance_minor: int().optional(),
    entry_count: nonNegativeInt().doc('How many entries the statement holds'),
    credit_total_minor: nonNegativeInt().optional().doc('The credits added up: a magnitude'),
    debit_total_minor: nonNegativeInt().optional().doc('The debits added up: a magnitude, not negative'),
    balanced: boolean().doc('opening + entries = closing (true also when the file carries no balances to check)'),
    file_sha256: string(),
    file_name: string().optional(),
  },
});

// v2: why a statement does not add up, for the STATEMENT_UNBALANCED break (it was only in quarantine.reasons).
export const bank_statement_v2 = extendContract(bank_statement, 2, {
  problems: string().optional().doc("Why it does not add up (balanced = false): each problem's place and message, '; '-separated; never a row's text"),
});

// v3: where a camt statement the bank split into pages ends, so a re-issue in fewer pages withdraws the pages
// beyond its last (recon_bank_superseded). The page number is in the id (`.../p2`).
export const bank_statement_v3 = extendContract(bank_statement_v2, 3, {
  last_page: boolean().optional().doc('camt StmtPgntn/LastPgInd: true on the last page (and on a statement of one page), false on a page before it; absent where a format has no pages'),
});

export const bank_line_detail = defineContract({
  name: 'bank_line_detail',
  version: 1,
  doc: 'One transaction inside a batch-booked bank line (camt TxDtls)',
  fields: {
    bank_line_detail_id: string(),
    occurred_at: timestamp(),
    updated_at: timestamp().optional(),
    bank_line_id: string(),
    amount_minor: int().optional(),
    currency: currency().optional(),
    end_to_end_id: string().optional(),
    reference: string().optional(),
    counterparty: string().optional().doc("Kept only when it names a payment provider or SMS aggregator, as the line's"),
  },
  personal: COUNTERPARTY,
});
