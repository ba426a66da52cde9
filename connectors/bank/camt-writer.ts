import { fromMinorUnits } from '../../core/money.js';

// Writes camt.053 (and camt.052/054) documents: the sandboxes' daily statements, test files and the benchmark's
// 100,000-entry statement. Only what Puddle reads is written, in the 001.02 forms for versions below 7 and the
// 001.08 forms from 7 (Sts/Cd, Pty): the output reads back through readCamt; it is not checked against each XSD.

export interface CamtEntryInput {
  /** Signed minor units: credit positive, debit negative. */
  amount_minor: number;
  /** Defaults to the statement's currency. */
  currency?: string;
  booking_date: string;
  value_date?: string;
  status?: 'booked' | 'pending' | 'info';
  reversal?: boolean;
  /** AcctSvcrRef: the bank's own reference for the entry. */
  entry_reference?: string | null;
  /** NtryRef: the entry's number in its statement, as many banks give it (1, 2, 3 in every file). */
  ntry_ref?: string | null;
  end_to_end_id?: string | null;
  /** RmtInf/Ustrd: what the payer wrote (a payout's bank reference goes here). */
  remittance?: string | null;
  /** AddtlNtryInf. */
  description?: string | null;
  /** Domn/Fmly/SubFmly codes such as `PMNT/RCDT/ESCT`, else a proprietary code. */
  bank_transaction_code?: string | null;
  /** Dbtr of a credit, Cdtr of a debit. */
  counterparty?: string | null;
  /** A batch booking: its transactions as TxDtls under one Ntry. */
  details?: { amount_minor: number; end_to_end_id?: string; remittance?: string; counterparty?: string }[];
}

export interface CamtStatementInput {
  id: string;
  /** An IBAN is written as Acct/Id/IBAN, anything else as Acct/Id/Othr/Id. */
  account: string;
  currency: string;
  created_at: string;
  from?: string;
  to?: string;
  opening_balance_minor?: number | null;
  /** Defaults to opening + the booked entries, so the statement adds up. */
  closing_balance_minor?: number | null;
  balance_date?: string;
  /** StmtPgntn: a page of a statement the bank split; a page after the first opens, one not the last closes, on ITBD. */
  page?: { number: number; last: boolean };
  /** Write TxsSummry (counts and sums). */
  summary?: boolean;
  entries: CamtEntryInput[];
}

export interface CamtDocumentInput {
  kind?: '052' | '053' | '054';
  /** 2 to 8. */
  version?: number;
  message_id: string;
  created_at: string;
  statements: CamtStatementInput[];
}

const ROOTS = { '052': ['BkToCstmrAcctRpt', 'Rpt'], '053': ['BkToCstmrStmt', 'Stmt'], '054': ['BkToCstmrDbtCdtNtfctn', 'Ntfctn'] } as const;
const STATUS = { booked: 'BOOK', pending: 'PDNG', info: 'INFO' } as const;
const IBAN = /^[A-Z]{2}\d{2}[A-Z0-9]{10,30}$/;

const esc = (s: string) => s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');
const amt = (minor: number, ccy: string) => `<Amt Ccy="${ccy}">${fromMinorUnits(Math.abs(minor), ccy)}</Amt>`;
const cdtDbt = (minor: number) => `<CdtDbtInd>${minor < 0 ? 'DBIT' : 'CRDT'}</CdtDbtInd>`;

function code(c: string | null | undefined): string {
  if (!c) return '';
  const parts = c.split('/');
  if (parts.length === 3) {
    return `<BkTxCd><Domn><Cd>${esc(parts[0]!)}</Cd><Fmly><Cd>${esc(parts[1]!)}</Cd><SubFmlyCd>${esc(parts[2]!)}</SubFmlyCd></Fmly></Domn></BkTxCd>`;
  }
  return `<BkTxCd><Prtry><Cd>${esc(c)}</Cd></Prtry></BkTxCd>`;
}

function party(name: string | null | undefined, credit: boolean, v: number): string {
  if (!name) return '';
  const role = credit ? 'Dbtr' : 'Cdtr';
  // The 001.08 form wraps a party in Pty.
  return v >= 7 ? `<RltdPties><${role}><Pty><Nm>${esc(name)}</Nm></Pty></${role}></RltdPties>` : `<RltdPties><${role}><Nm>${esc(name)}</Nm></${role}></RltdPties>`;
}

function entryXml(e: CamtEntryInput, ccy: string, v: number): string {
  const c = e.currency ?? ccy;
  const status = STATUS[e.status ?? 'booked'];
  let x = `<Ntry>${e.ntry_ref ? `<NtryRef>${esc(e.ntry_ref)}</NtryRef>` : ''}${amt(e.amount_minor, c)}${cdtDbt(e.amount_minor)}`;
  if (e.reversal) x += '<RvslInd>true</RvslInd>';
  x += v >= 7 ? `<Sts><Cd>${status}</Cd></Sts>` : `<Sts>${status}</Sts>`;
  x += `<BookgDt><Dt>${e.booking_date}</Dt></BookgDt><ValDt><Dt>${e.value_date ?? e.booking_date}</Dt></ValDt>`;
  if (e.entry_reference) x += `<AcctSvcrRef>${esc(e.entry_reference)}</AcctSvcrRef>`;
  x += code(e.bank_transaction_code);
  const credit = e.amount_minor >= 0;
  if (e.details?.length) {
    x += `<NtryDtls><Btch><NbOfTxs>${e.details.length}</NbOfTxs></Btch>`;
    for (const d of e.details) {
      x += '<TxDtls>';
      if (d.end_to_end_id) x += `<Refs><EndToEndId>${esc(d.end_to_end_id)}</EndToEndId></Refs>`;
      x += v >= 3 ? `${amt(d.amount_minor, c)}${cdtDbt(d.amount_minor)}` : `<AmtDtls><TxAmt>${amt(d.amount_minor, c)}</TxAmt></AmtDtls>`;
      x += party(d.counterparty, d.amount_minor >= 0, v);
      if (d.remittance) x += `<RmtInf><Ustrd>${esc(d.remittance)}</Ustrd></RmtInf>`;
      x += '</TxDtls>';
    }
    x += '</NtryDtls>';
  } else if (e.end_to_end_id || e.remittance || e.counterparty) {
    x += '<NtryDtls><TxDtls>';
    if (e.end_to_end_id) x += `<Refs><EndToEndId>${esc(e.end_to_end_id)}</EndToEndId></Refs>`;
    x += party(e.counterparty, credit, v);
    if (e.remittance) x += `<RmtInf><Ustrd>${esc(e.remittance)}</Ustrd></RmtInf>`;
    x += '</TxDtls></NtryDtls>';
  }
  if (e.description) x += `<AddtlNtryInf>${esc(e.description)}</AddtlNtryInf>`;
  return `${x}</Ntry>\n`;
}

function balance(codeName: string, minor: number, ccy: string, date: string): string {
  return `<Bal><Tp><CdOrPrtry><Cd>${codeName}</Cd></CdOrPrtry></Tp>${amt(minor, ccy)}${cdtDbt(minor)}<Dt><Dt>${date}</Dt></Dt></Bal>\n`;
}

/** The XML text of a camt document. */
export function writeCamt(doc: CamtDocumentInput): string {
  const kind = doc.kind ?? '053';
  const v = doc.version ?? 2;
  const [root, report] = ROOTS[kind];
  const parts: string[] = [
    `<?xml version="1.0" encoding="UTF-8"?>\n<Document xmlns="urn:iso:std:iso:20022:tech:xsd:camt.${kind}.001.${String(v).padStart(2, '0')}">\n<${root}>\n`,
    `<GrpHdr><MsgId>${esc(doc.message_id)}</MsgId><CreDtTm>${doc.created_at}</CreDtTm></GrpHdr>\n`,
  ];
  for (const s of doc.statements) {
    const ccy = s.currency;
    let x = `<${report}><Id>${esc(s.id)}</Id>`;
    if (s.page) x += `<${report}Pgntn><PgNb>${s.page.number}</PgNb><LastPgInd>${s.page.last}</LastPgInd></${report}Pgntn>`;
    x += `<CreDtTm>${s.created_at}</CreDtTm>`;
    if (s.from && s.to) x += `<FrToDt><FrDtTm>${s.from}</FrDtTm><ToDtTm>${s.to}</ToDtTm></FrToDt>`;
    x += `<Acct><Id>${IBAN.test(s.account) ? `<IBAN>${s.account}</IBAN>` : `<Othr><Id>${esc(s.account)}</Id></Othr>`}</Id><Ccy>${ccy}</Ccy></Acct>\n`;
    parts.push(x);
    const date = s.balance_date ?? s.entries[0]?.booking_date ?? s.created_at.slice(0, 10);
    if (kind !== '054' && s.opening_balance_minor !== null && s.opening_balance_minor !== undefined) {
      let booked = 0;
      for (const e of s.entries) if ((e.status ?? 'booked') === 'booked' && (e.currency ?? ccy) === ccy) booked += e.amount_minor;
      parts.push(balance(s.page && s.page.number > 1 ? 'ITBD' : 'OPBD', s.opening_balance_minor, ccy, date));
      parts.push(balance(s.page && !s.page.last ? 'ITBD' : 'CLBD', s.closing_balance_minor ?? s.opening_balance_minor + booked, ccy, date));
    }
    if (s.summary) {
      let credits = 0;
      let debits = 0;
      let nc = 0;
      for (const e of s.entries) {
        if (e.amount_minor >= 0) {
          credits += e.amount_minor;
          nc++;
        } else debits -= e.amount_minor;
      }
      const net = credits - debits;
      const money = (m: number) => fromMinorUnits(m, ccy);
      parts.push(
        `<TxsSummry><TtlNtries><NbOfNtries>${s.entries.length}</NbOfNtries><Sum>${money(credits + debits)}</Sum>` +
          (v >= 3 ? `<TtlNetNtry><Amt>${money(Math.abs(net))}</Amt>${cdtDbt(net)}</TtlNetNtry>` : `<TtlNetNtryAmt>${money(Math.abs(net))}</TtlNetNtryAmt>${cdtDbt(net)}`) +
          `</TtlNtries><TtlCdtNtries><NbOfNtries>${nc}</NbOfNtries><Sum>${money(credits)}</Sum></TtlCdtNtries>` +
          `<TtlDbtNtries><NbOfNtries>${s.entries.length - nc}</NbOfNtries><Sum>${money(debits)}</Sum></TtlDbtNtries></TxsSummry>\n`,
      );
    }
    for (const e of s.entries) parts.push(entryXml(e, ccy, v));
    parts.push(`</${report}>\n`);
  }
  parts.push(`</${root}>\n</Document>\n`);
  return parts.join('');
}
