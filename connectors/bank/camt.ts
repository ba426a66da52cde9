import { SaxesParser, type SaxesTagPlain } from 'saxes';
import { toMinorUnits } from '../../core/money.js';
import { isoFromMs, isoInstantMs } from '../../core/time.js';
import {
  BankFileError,
  type BankFileReader,
  type BankSourceFormat,
  type ReadOptions,
  type Statement,
  type StatementEntry,
  type StatementEntryDetail,
  type StatementProblem,
} from './statement.js';

// ISO 20022 cash management, read as a stream (saxes: well-formedness checked, line numbers for errors):
// camt.053 BkToCstmrStmt/Stmt (end of day), camt.052 BkToCstmrAcctRpt/Rpt (intraday), camt.054
// BkToCstmrDbtCdtNtfctn/Ntfctn (notifications), versions 001.02 to 001.08. The three share the Ntry shape; what
// changed between versions and is read here: Sts is text in 02-06 and Sts/Cd in 07-08, a party's name is Dbtr/Nm
// up to 06 and Dbtr/Pty/Nm from 07, TxDtls carry their own Amt and CdtDbtInd from 03 (AmtDtls/TxAmt before).

const KINDS = {
  '052': { root: 'BkToCstmrAcctRpt', report: 'Rpt', format: 'camt.052' },
  '053': { root: 'BkToCstmrStmt', report: 'Stmt', format: 'camt.053' },
  '054': { root: 'BkToCstmrDbtCdtNtfctn', report: 'Ntfctn', format: 'camt.054' },
} as const satisfies Record<string, { root: string; report: string; format: BankSourceFormat }>;
type Kind = keyof typeof KINDS;

const NAMESPACE = /urn:iso:std:iso:20022:tech:xsd:camt\.(05[234])\.001\.(\d{2})/;
const FIRST_VERSION = 2;
const LAST_VERSION = 8;

/** The camt message type and version a document declares, or null when it is not camt. */
export function camtKindOf(head: string): { kind: Kind; version: number } | null {
  const m = NAMESPACE.exec(head);
  return m ? { kind: m[1] as Kind, version: Number(m[2]) } : null;
}

const STATUSES: Record<string, StatementEntry['status']> = { BOOK: 'booked', PDNG: 'pending', INFO: 'info', FUTR: 'pending' };

interface RawAmount {
  value: string;
  ccy: string | null;
  line: number;
}

interface PartyNames {
  debtor: string | null;
  creditor: string | null;
}

/** One TxDtls as read, before it is lifted into its entry or kept as a batch detail. */
interface RawDetail extends PartyNames {
  amount: RawAmount | null;
  txAmount: RawAmount | null;
  cdtDbt: string | null;
  endToEnd: string | null;
  acctSvcrRef: string | null;
  unstructured: string[];
  creditorRefs: string[];
  code: BankCode;
  additional: string | null;
}

interface BankCode {
  domain: string | null;
  family: string | null;
  subFamily: string | null;
  proprietary: string | null;
}

interface RawEntry {
  line: number;
  amount: RawAmount | null;
  cdtDbt: string | null;
  reversal: boolean;
  status: string | null;
  booking: string | null;
  value: string | null;
  ntryRef: string | null;
  acctSvcrRef: string | null;
  code: BankCode;
  additional: string | null;
  batchCount: number | null;
  batchId: string | null;
  details: RawDetail[];
}

interface RawBalance {
  code: string | null;
  amount: RawAmount | null;
  cdtDbt: string | null;
  line: number;
}

interface RawStatement {
  line: number;
  id: string | null;
  created: string | null;
  from: string | null;
  to: string | null;
  iban: string | null;
  otherId: string | null;
  ccy: string | null;
  balances: RawBalance[];
  summary: {
    count: string | null;
    sum: string | null;
    net: string | null;
    netCdtDbt: string | null;
    creditCount: string | null;
    creditSum: string | null;
    debitCount: string | null;
    debitSum: string | null;
  };
  entries: RawEntry[];
}

const emptyCode = (): BankCode => ({ domain: null, family: null, subFamily: null, proprietary: null });

function codeText(c: BankCode): string | null {
  if (c.domain) return [c.domain, c.family, c.subFamily].filter(Boolean).join('/');
  return c.proprietary;
}

/** `2013-12-27T22:04:52.0+01:00` -> UTC ISO. A time without a zone is read as UTC (camt allows both). */
function instant(v: string | null, where: string): string | null {
  if (v === null) return null;
  const zoned = /(Z|[+-]\d{2}:?\d{2})$/.test(v) ? v : `${v}Z`;
  const ms = isoInstantMs(zoned);
  if (Number.isNaN(ms)) throw new BankFileError(`'${v}' is not a date-time`, where);
  return isoFromMs(ms);
}

/** Dt (YYYY-MM-DD) or DtTm: the date as the bank wrote it (its own calendar day), never shifted to UTC. */
function day(v: string | null, where: string): string | null {
  if (v === null) return null;
  if (!/^\d{4}-\d{2}-\d{2}/.test(v)) throw new BankFileError(`'${v}' is not a date`, where);
  return v.slice(0, 10);
}

function signed(amount: RawAmount, cdtDbt: string | null, where: string): number {
  if (!amount.ccy) throw new BankFileError('Amt has no Ccy attribute (a currency is never assumed)', `${where} (line ${amount.line})`);
  if (cdtDbt !== 'CRDT' && cdtDbt !== 'DBIT') throw new BankFileError(`CdtDbtInd must be CRDT or DBIT, found ${cdtDbt === null ? 'none' : `'${cdtDbt}'`}`, where);
  let minor: number;
  try {
    minor = toMinorUnits(amount.value, amount.ccy);
  } catch (err) {
    throw new BankFileError((err as Error).message, `${where} (line ${amount.line})`);
  }
  return cdtDbt === 'DBIT' ? -minor : minor;
}

/**
 * The SAX handler: a stack of element names, the text of the element being closed, and the objects being filled
 * (statement, entry, detail). Paths are matched relative to the innermost of those, by string.
 */
class CamtHandler {
  readonly statements: RawStatement[] = [];
  kind: Kind | null = null;
  version = 0;
  groupCreated: string | null = null;

  private path = '';
  private readonly lengths: number[] = [];
  private text = '';
  private depth = 0;
  private stmt: RawStatement | null = null;
  private stmtAt = 0;
  private entry: RawEntry | null = null;
  private entryAt = 0;
  private detail: RawDetail | null = null;
  private detailAt = 0;
  private balance: RawBalance | null = null;
  private balanceAt = 0;
  private pendingCcy: string | null = null;
  private reportName = '';

  constructor(private readonly parser: SaxesParser) {}

  open(tag: SaxesTagPlain): void {
    const name = tag.name;
    const colon = name.indexOf(':');
    const local = colon < 0 ? name : name.slice(colon + 1);
    this.lengths.push(this.path.length);
    this.path += `/${local}`;
    this.depth++;
    this.text = '';
    const line = this.parser.line;
    if (this.depth === 1) return this.root(local, tag);
    if (this.depth === 2) {
      if (this.kind && local !== KINDS[this.kind].root) throw new BankFileError(`expected ${KINDS[this.kind].root}, found ${local}`, `line ${line}`);
      return;
    }
    if (this.depth === 3 && local === this.reportName) {
      this.stmt = {
        line, id: null, created: null, from: null, to: null, iban: null, otherId: null, ccy: null, balances: [], entries: [],
        summary: { count: null, sum: null, net: null, netCdtDbt: null, creditCount: null, creditSum: null, debitCount: null, debitSum: null },
      };
      this.stmtAt = this.path.length;
      return;
    }
    if (local === 'Amt' || local === 'TtlAmt') this.pendingCcy = tag.attributes.Ccy ?? null;
    if (!this.stmt) return;
    if (this.depth === 4 && local === 'Ntry') {
      this.entry = {
        line, amount: null, cdtDbt: null, reversal: false, status: null, booking: null, value: null, ntryRef: null, acctSvcrRef: null,
        code: emptyCode(), additional: null, batchCount: null, batchId: null, details: [],
      };
      this.entryAt = this.path.length;
    } else if (this.depth === 4 && local === 'Bal') {
      this.balance = { code: null, amount: null, cdtDbt: null, line };
      this.balanceAt = this.path.length;
    } else if (this.entry && local === 'TxDtls' && !this.detail) {
      this.detail = {
        amount: null, txAmount: null, cdtDbt: null, endToEnd: null, acctSvcrRef: null, unstructured: [], creditorRefs: [],
        code: emptyCode(), additional: null, debtor: null, creditor: null,
      };
      this.detailAt = this.path.length;
    }
  }

  private root(local: string, tag: SaxesTagPlain): void {
    if (local !== 'Document') throw new BankFileError(`the root element is ${local}, not a camt Document`, `line ${this.parser.line}`);
    let found: { kind: Kind; version: number } | null = null;
    for (const [k, v] of Object.entries(tag.attributes)) if (k === 'xmlns' || k.startsWith('xmlns:')) found ??= camtKindOf(v);
    if (!found) throw new BankFileError('the Document declares no camt.052/053/054 namespace', `line ${this.parser.line}`);
    if (found.version < FIRST_VERSION || found.version > LAST_VERSION) {
      throw new BankFileError(`camt.${found.kind}.001.${String(found.version).padStart(2, '0')} is not supported (001.02 to 001.08 are)`, `line ${this.parser.line}`);
    }
    this.kind = found.kind;
    this.version = found.version;
    this.reportName = KINDS[found.kind].report;
  }

  onText(t: string): void {
    this.text += t;
  }

  close(): void {
    const text = this.text.trim();
    this.text = '';
    const line = this.parser.line;
    if (this.detail) this.closeDetail(this.path.slice(this.detailAt), text, line);
    else if (this.entry) this.closeEntry(this.path.slice(this.entryAt), text, line);
    else if (this.balance) this.closeBalance(this.path.slice(this.balanceAt), text, line);
    else if (this.stmt) this.closeStatement(this.path.slice(this.stmtAt), text);
    else if (this.depth === 3 && this.path.endsWith('/GrpHdr/CreDtTm')) this.groupCreated = text;
    this.path = this.path.slice(0, this.lengths.pop());
    this.depth--;
  }

  private amount(text: string, line: number): RawAmount {
    return { value: text, ccy: this.pendingCcy, line };
  }

  private closeDetail(rel: string, text: string, line: number): void {
    const d = this.detail!;
    switch (rel) {
      case '':
        this.entry!.details.push(d);
        this.detail = null;
        return;
      case '/Refs/EndToEndId':
        d.endToEnd = text;
        return;
      case '/Refs/AcctSvcrRef':
        d.acctSvcrRef = text;
        return;
      case '/Amt':
        d.amount = this.amount(text, line);
        return;
      case '/AmtDtls/TxAmt/Amt':
        d.txAmount = this.amount(text, line);
        return;
      case '/CdtDbtInd':
        d.cdtDbt = text;
        return;
      case '/RmtInf/Ustrd':
        if (text) d.unstructured.push(text);
        return;
      case '/RmtInf/Strd/CdtrRefInf/Ref':
        if (text) d.creditorRefs.push(text);
        return;
      case '/AddtlTxInf':
        d.additional = text;
        return;
      case '/RltdPties/Dbtr/Nm':
      case '/RltdPties/Dbtr/Pty/Nm':
        d.debtor = text;
        return;
      case '/RltdPties/Cdtr/Nm':
      case '/RltdPties/Cdtr/Pty/Nm':
        d.creditor = text;
        return;
      default:
        if (rel.startsWith('/BkTxCd/')) readCode(d.code, rel.slice(7), text);
    }
  }

  private closeEntry(rel: string, text: string, line: number): void {
    const e = this.entry!;
    switch (rel) {
      case '':
        this.stmt!.entries.push(e);
        this.entry = null;
        return;
      case '/Amt':
        e.amount = this.amount(text, line);
        return;
      case '/CdtDbtInd':
        e.cdtDbt = text;
        return;
      case '/RvslInd':
        e.reversal = text === 'true' || text === '1';
        return;
      case '/Sts':
        // 02-06: the code is the element's text; 07-08: Sts/Cd (then Sts itself has only whitespace).
        if (text) e.status = text;
        return;
      case '/Sts/Cd':
        e.status = text;
        return;
      case '/BookgDt/Dt':
      case '/BookgDt/DtTm':
        e.booking = text;
        return;
      case '/ValDt/Dt':
      case '/ValDt/DtTm':
        e.value = text;
        return;
      case '/NtryRef':
        e.ntryRef = text;
        return;
      case '/AcctSvcrRef':
        e.acctSvcrRef = text;
        return;
      case '/AddtlNtryInf':
        e.additional = text;
        return;
      case '/NtryDtls/Btch/NbOfTxs':
        e.batchCount = Number(text);
        if (!Number.isSafeInteger(e.batchCount) || e.batchCount < 0) throw new BankFileError(`NbOfTxs '${text}' is not a count`, `line ${line}`);
        return;
      case '/NtryDtls/Btch/PmtInfId':
        e.batchId = text;
        return;
      case '/NtryDtls/Btch/MsgId':
        e.batchId ??= text;
        return;
      default:
        if (rel.startsWith('/BkTxCd/')) readCode(e.code, rel.slice(7), text);
    }
  }

  private closeBalance(rel: string, text: string, line: number): void {
    const b = this.balance!;
    switch (rel) {
      case '':
        this.stmt!.balances.push(b);
        this.balance = null;
        return;
      case '/Tp/CdOrPrtry/Cd':
        b.code = text;
        return;
      case '/Amt':
        b.amount = this.amount(text, line);
        return;
      case '/CdtDbtInd':
        b.cdtDbt = text;
    }
  }

  private closeStatement(rel: string, text: string): void {
    const s = this.stmt!;
    const sum = s.summary;
    switch (rel) {
      case '':
        this.statements.push(s);
        this.stmt = null;
        return;
      case '/Id':
        s.id = text;
        return;
      case '/CreDtTm':
        s.created = text;
        return;
      case '/FrToDt/FrDtTm':
        s.from = text;
        return;
      case '/FrToDt/ToDtTm':
        s.to = text;
        return;
      case '/Acct/Id/IBAN':
        s.iban = text;
        return;
      case '/Acct/Id/Othr/Id':
        s.otherId = text;
        return;
      case '/Acct/Ccy':
        s.ccy = text;
        return;
      case '/TxsSummry/TtlNtries/NbOfNtries':
        sum.count = text;
        return;
      case '/TxsSummry/TtlNtries/Sum':
        sum.sum = text;
        return;
      // 001.02 writes the net as TtlNetNtryAmt + CdtDbtInd; later versions as TtlNetNtry/Amt + CdtDbtInd.
      case '/TxsSummry/TtlNtries/TtlNetNtryAmt':
      case '/TxsSummry/TtlNtries/TtlNetNtry/Amt':
        sum.net = text;
        return;
      case '/TxsSummry/TtlNtries/CdtDbtInd':
      case '/TxsSummry/TtlNtries/TtlNetNtry/CdtDbtInd':
        sum.netCdtDbt = text;
        return;
      case '/TxsSummry/TtlCdtNtries/NbOfNtries':
        sum.creditCount = text;
        return;
      case '/TxsSummry/TtlCdtNtries/Sum':
        sum.creditSum = text;
        return;
      case '/TxsSummry/TtlDbtNtries/NbOfNtries':
        sum.debitCount = text;
        return;
      case '/TxsSummry/TtlDbtNtries/Sum':
        sum.debitSum = text;
    }
  }
}

function readCode(c: BankCode, rel: string, text: string): void {
  switch (rel) {
    case '/Domn/Cd':
      c.domain = text;
      return;
    case '/Domn/Fmly/Cd':
      c.family = text;
      return;
    case '/Domn/Fmly/SubFmlyCd':
      c.subFamily = text;
      return;
    case '/Prtry/Cd':
      c.proprietary = text;
  }
}

/** Parse the XML into raw statements; every well-formedness error names its line. */
function parse(text: string): CamtHandler {
  const parser = new SaxesParser({ position: true });
  const h = new CamtHandler(parser);
  parser.on('opentag', (tag) => h.open(tag as SaxesTagPlain));
  parser.on('text', (t) => h.onText(t));
  parser.on('cdata', (t) => h.onText(t));
  parser.on('closetag', () => h.close());
  try {
    parser.write(text).close();
  } catch (err) {
    if (err instanceof BankFileError) throw err;
    // saxes prefixes `line:column: `; say it in words.
    const m = /^(\d+):(\d+): (.*)$/s.exec((err as Error).message);
    if (m) throw new BankFileError(`malformed XML: ${m[3]}`, `line ${m[1]}, column ${m[2]}`);
    throw new BankFileError(`malformed XML: ${(err as Error).message}`, `line ${parser.line}`);
  }
  if (!h.kind) throw new BankFileError('no camt Document found', 'line 1');
  return h;
}

const toCount = (v: string | null, where: string): number | null => {
  if (v === null) return null;
  const n = Number(v);
  if (!Number.isSafeInteger(n) || n < 0) throw new BankFileError(`'${v}' is not a count`, where);
  return n;
};

function toMinor(v: string | null, currency: string, where: string): number | null {
  if (v === null) return null;
  try {
    return toMinorUnits(v, currency);
  } catch (err) {
    throw new BankFileError((err as Error).message, where);
  }
}

function counterpartyOf(p: PartyNames, direction: string | null): string | null {
  // Money in: who paid (the debtor); money out: who was paid (the creditor).
  return (direction === 'DBIT' ? p.creditor : p.debtor) || null;
}

function toEntry(raw: RawEntry, position: number, where: string, currencyHint: string): StatementEntry {
  const locator = `${where} (line ${raw.line})`;
  if (!raw.amount) throw new BankFileError('Ntry has no Amt', locator);
  const amount_minor = signed(raw.amount, raw.cdtDbt, locator);
  const status = raw.status === null ? null : STATUSES[raw.status];
  if (!status) throw new BankFileError(raw.status === null ? 'Ntry has no Sts' : `Sts '${raw.status}' is not BOOK, PDNG, INFO or FUTR`, locator);
  const batch = raw.batchCount !== null && raw.batchCount > 1;
  const single = !batch && raw.details.length === 1 ? raw.details[0]! : null;
  const details: StatementEntryDetail[] = [];
  if (!single) {
    raw.details.forEach((d, i) => {
      const amt = d.amount ?? d.txAmount;
      const dir = d.cdtDbt ?? raw.cdtDbt;
      details.push({
        amount_minor: amt ? signed(amt, dir, `${where}/TxDtls[${i + 1}]`) : null,
        currency: amt?.ccy ?? null,
        end_to_end_id: d.endToEnd,
        reference: [...d.unstructured, ...d.creditorRefs].join(' ') || null,
        counterparty: counterpartyOf(d, dir),
      });
    });
  }
  const remittance = single ? [...single.unstructured, ...single.creditorRefs].join(' ') : '';
  return {
    position,
    locator,
    amount_minor,
    currency: raw.amount.ccy ?? currencyHint,
    booking_date: day(raw.booking, locator),
    value_date: day(raw.value, locator),
    status,
    reversal: raw.reversal,
    // The account servicer's reference is the bank's own id for the booking, the same in the 052 that announced it
    // and the 053 that books it; NtryRef is optional and often absent or only unique within one statement.
    entry_reference: raw.acctSvcrRef ?? raw.ntryRef ?? null,
    end_to_end_id: single?.endToEnd && single.endToEnd !== 'NOTPROVIDED' ? single.endToEnd : null,
    reference: remittance || (batch ? (raw.batchId ?? '') : '') || raw.additional || single?.additional || '',
    description: raw.additional ?? single?.additional ?? null,
    bank_transaction_code: codeText(raw.code) ?? (single ? codeText(single.code) : null),
    counterparty: single ? counterpartyOf(single, raw.cdtDbt) : null,
    details,
    batch_count: raw.batchCount,
  };
}

function toStatement(raw: RawStatement, index: number, h: CamtHandler, opts: ReadOptions): { statement: Statement; problems: StatementProblem[] } {
  const kind = KINDS[h.kind!];
  const where = `${kind.report}[${index}]`;
  const at = `${where} (line ${raw.line})`;
  const problems: StatementProblem[] = [];
  const account = raw.iban ?? raw.otherId ?? opts.account;
  if (!account) throw new BankFileError('Acct/Id has neither IBAN nor Othr/Id: give --account', at);
  // The currency comes from the file (Acct/Ccy), else --currency, else the one currency every amount carries:
  // never a default.
  let currency = raw.ccy ?? opts.currency ?? null;
  if (!currency) {
    const seen = new Set<string>();
    for (const b of raw.balances) if (b.amount?.ccy) seen.add(b.amount.ccy);
    for (const e of raw.entries) if (e.amount?.ccy) seen.add(e.amount.ccy);
    if (seen.size !== 1) throw new BankFileError(`Acct has no Ccy and the amounts carry ${seen.size ? [...seen].join(', ') : 'none'}: give --currency`, at);
    currency = [...seen][0]!;
  }
  const created = instant(raw.created ?? h.groupCreated, at);
  if (!created) throw new BankFileError('neither the statement nor GrpHdr has CreDtTm', at);

  const balanceOf = (codes: string[]): number | null => {
    for (const code of codes) {
      const b = raw.balances.find((x) => x.code === code);
      if (!b) continue;
      const bw = `${where}/Bal[${code}] (line ${b.line})`;
      if (!b.amount) throw new BankFileError('Bal has no Amt', bw);
      if (b.amount.ccy && b.amount.ccy !== currency) problems.push({ where: bw, message: `balance is in ${b.amount.ccy}, the account in ${currency}` });
      return signed(b.amount, b.cdtDbt, bw);
    }
    return null;
  };
  // OPBD is this statement's opening booked balance; PRCD (the previous closing) stands in when a bank sends only that.
  const opening = balanceOf(['OPBD', 'PRCD']);
  // A camt.052 may close on the interim booked balance (ITBD) instead.
  const closing = balanceOf(['CLBD', 'ITBD']);
  const s = raw.summary;
  const sw = `${where}/TxsSummry`;
  const netMinor = toMinor(s.net, currency, `${sw}/TtlNtries`);
  const statement: Statement = {
    format: kind.format,
    locator: at,
    statement_ref: raw.id,
    account,
    currency,
    created_at: created,
    period_from: instant(raw.from, at),
    period_to: instant(raw.to, at),
    opening_balance_minor: opening,
    closing_balance_minor: closing,
    declared: {
      entry_count: toCount(s.count, `${sw}/TtlNtries/NbOfNtries`),
      credit_total_minor: toMinor(s.creditSum, currency, `${sw}/TtlCdtNtries/Sum`),
      debit_total_minor: toMinor(s.debitSum, currency, `${sw}/TtlDbtNtries/Sum`),
      control_total_minor: netMinor === null ? null : s.netCdtDbt === 'DBIT' ? -netMinor : netMinor,
      credit_count: toCount(s.creditCount, `${sw}/TtlCdtNtries/NbOfNtries`),
      debit_count: toCount(s.debitCount, `${sw}/TtlDbtNtries/NbOfNtries`),
      absolute_total_minor: toMinor(s.sum, currency, `${sw}/TtlNtries/Sum`),
    },
    entries: raw.entries.map((e, i) => toEntry(e, i + 1, `${where}/Ntry[${i + 1}]`, currency)),
  };
  return { statement, problems };
}

/** camt.052, camt.053 and camt.054, 001.02 to 001.08. */
export const readCamt: BankFileReader = (text, opts) => {
  const h = parse(text);
  const statements: Statement[] = [];
  const problems: StatementProblem[] = [];
  h.statements.forEach((raw, i) => {
    const r = toStatement(raw, i + 1, h, opts);
    statements.push(r.statement);
    problems.push(...r.problems);
  });
  if (!statements.length) throw new BankFileError(`no ${KINDS[h.kind!].report} element`, 'line 1');
  return { statements, problems };
};
