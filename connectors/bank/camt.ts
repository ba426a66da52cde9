import { InvalidAmountError, toMinorUnits } from '../../core/money.js';
import { isCalendarDate, isoFromMs, isoInstantMs } from '../../core/time.js';
import {
  BankFileError,
  type BankFileReader,
  type BankSourceFormat,
  type ReadOptions,
  type Statement,
  type StatementEntry,
  type StatementEntryDetail,
  type StatementProblem,
  optionName,
} from './statement.js';
import { Lines, scanXml, XmlSyntaxError, type XmlHandler } from './xml-scan.js';

// ISO 20022 cash management, read in one pass (xml-scan.ts: well-formedness checked, line numbers for errors):
// camt.053 BkToCstmrStmt/Stmt (end of day), camt.052 BkToCstmrAcctRpt/Rpt (intraday), camt.054
// BkToCstmrDbtCdtNtfctn/Ntfctn (notifications), versions 001.02 to 001.08. The three share the Ntry shape. What
// differs between the versions' samples (001.02 and 001.08): Sts is the code as text or Sts/Cd, a party's name
// Dbtr/Nm or Dbtr/Pty/Nm, a transaction's amount AmtDtls/TxAmt/Amt or its own Amt + CdtDbtInd. Both forms of each
// are read whatever the version says, so a bank that mixes them is still read.

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

/** The parties' accounts (RltdPties/DbtrAcct, CdtrAcct: IBAN or Othr/Id): only ever hashed into a line id. */
interface PartyAccounts {
  debtorAccount: string | null;
  creditorAccount: string | null;
}

/** One TxDtls as read, before it is lifted into its entry or kept as a batch detail. */
interface RawDetail extends PartyNames, PartyAccounts {
  amount: RawAmount | null;
  txAmount: RawAmount | null;
  cdtDbt: string | null;
  endToEnd: string | null;
  txId: string | null;
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
  /** Tp/CdOrPrtry/Prtry: a bank's own balance type, which the schema allows and Puddle does not read. */
  proprietary: boolean;
  /** Dt/Dt or Dt/DtTm as written. */
  date: string | null;
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
  /** StmtPgntn (RptPgntn, NtfctnPgntn): PgNb and LastPgInd as written, the statement's page (not MsgPgntn, the message's). */
  page: { number: string | null; last: string | null; line: number } | null;
  balances: RawBalance[];
  /** Converted as each Ntry closes, so what was read for it is garbage while still young. */
  entries: StatementEntry[];
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
  if (Number.isNaN(ms)) throw new BankFileError('not a date-time', where);
  return isoFromMs(ms);
}

/**
 * Dt (YYYY-MM-DD) or DtTm: the date as the bank wrote it (its own calendar day), never shifted to UTC. The whole
 * text must be a real date or date-time: until 2026-12-03 only its first ten characters were looked at, so
 * `2013-12-27junk` was 27 December, and a balance's date was not read at all (`27.12.2013` was taken).
 */
function day(v: string | null, where: string, element = 'the date'): string | null {
  if (v === null) return null;
  const ok = v.length === 10 ? isCalendarDate(v) : v.charAt(10) === 'T' && !Number.isNaN(isoInstantMs(/(Z|[+-]\d{2}:?\d{2})$/.test(v) ? v : `${v}Z`));
  if (!ok) throw new BankFileError(`${element} is not a date (YYYY-MM-DD) nor a date-time (YYYY-MM-DDThh:mm:ss)`, where);
  return v.slice(0, 10);
}

/**
 * ISO 20022 balance types (BalanceType12Code in 001.02, the external code set ExternalBalanceType1Code from
 * 001.03 on; codes are upper case). Puddle reads OPBD/PRCD and CLBD/ITBD; the others are known and left alone.
 * A code outside the list (a typo such as CLBX, or clbd) is refused: read as no balance, it let a statement whose
 * closing balance the bank mistyped import as adding up (nothing left to check) until 2026-12-03.
 */
const BALANCE_TYPES = new Set(['OPBD', 'CLBD', 'PRCD', 'ITBD', 'OPAV', 'CLAV', 'ITAV', 'FWAV', 'XPCD', 'INFO']);

/**
 * A camt amount with its direction, in signed minor units. `path` is the element path without a line (`Stmt[1]/Ntry[3]`):
 * an error about the amount names the amount's own line, one about CdtDbtInd `line` (the element's start), each once.
 */
function signed(amount: RawAmount, cdtDbt: string | null, path: string, line: number): number {
  const at = `${path} (line ${amount.line})`;
  if (!amount.ccy) throw new BankFileError('Amt has no Ccy attribute (a currency is never assumed)', at);
  if (cdtDbt !== 'CRDT' && cdtDbt !== 'DBIT') throw new BankFileError(`CdtDbtInd must be CRDT or DBIT, ${cdtDbt === null ? 'there is none' : 'it is neither'}`, `${path} (line ${line})`);
  // camt amounts are unsigned: the direction is CdtDbtInd's alone, so a sign in Amt is an error, not a hint.
  if (amount.value.startsWith('-')) throw new BankFileError('Amt has a sign (camt amounts are unsigned)', at);
  const minor = toMinor(amount.value, amount.ccy, at)!;
  return cdtDbt === 'DBIT' ? -minor : minor;
}

/** What closing an element means: an id per path Puddle reads. */
const enum F {
  None, GroupCreated,
  StmtStart, StmtEnd, StmtId, StmtCreated, StmtFrom, StmtTo, Iban, OtherId, AcctCcy, PageNumber, PageLast,
  SumCount, SumSum, SumNet, SumNetCdtDbt, SumCreditCount, SumCreditSum, SumDebitCount, SumDebitSum,
  BalStart, BalEnd, BalCode, BalProprietary, BalDate, BalAmt, BalCdtDbt,
  NtryStart, NtryEnd, NtryAmt, NtryCdtDbt, NtryRvsl, NtrySts, NtryStsCd, NtryBooking, NtryValue, NtryRef, NtryAcctSvcrRef, NtryAddtl,
  BtchCount, BtchPmtInfId, BtchMsgId,
  CodeDomain, CodeFamily, CodeSubFamily, CodeProprietary,
  TxStart, TxEnd, TxEndToEnd, TxTxId, TxAcctSvcrRef, TxAmt, TxTxAmt, TxCdtDbt, TxUstrd, TxCdtrRef, TxAddtl, TxDebtor, TxCreditor,
  TxDebtorAcct, TxCreditorAcct,
}

/** A node of the path trie: what closing it means, and its children by local name. */
interface PathNode {
  field: F;
  children: Map<string, PathNode>;
}

function node(field: F = F.None, children: Record<string, PathNode> = {}): PathNode {
  return { field, children: new Map(Object.entries(children)) };
}

const codeTree = () =>
  node(F.None, {
    Domn: node(F.None, { Cd: node(F.CodeDomain), Fmly: node(F.None, { Cd: node(F.CodeFamily), SubFmlyCd: node(F.CodeSubFamily) }) }),
    Prtry: node(F.None, { Cd: node(F.CodeProprietary) }),
  });

/**
 * The paths read, as a trie walked one element at a time: each open looks its name up among its parent's children
 * (an element nobody reads, and everything inside it, is skipped), each close acts on its node's field. No path
 * strings are built per element, which matters at 2.5 million elements a file.
 */
function pathTrie(kind: Kind): PathNode {
  const party = (f: F) => node(F.None, { Nm: node(f), Pty: node(F.None, { Nm: node(f) }) });
  const account = (f: F) => node(F.None, { Id: node(F.None, { IBAN: node(f), Othr: node(F.None, { Id: node(f) }) }) });
  const detail = node(F.TxEnd, {
    Refs: node(F.None, { EndToEndId: node(F.TxEndToEnd), TxId: node(F.TxTxId), AcctSvcrRef: node(F.TxAcctSvcrRef) }),
    Amt: node(F.TxAmt),
    AmtDtls: node(F.None, { TxAmt: node(F.None, { Amt: node(F.TxTxAmt) }) }),
    CdtDbtInd: node(F.TxCdtDbt),
    BkTxCd: codeTree(),
    RmtInf: node(F.None, { Ustrd: node(F.TxUstrd), Strd: node(F.None, { CdtrRefInf: node(F.None, { Ref: node(F.TxCdtrRef) }) }) }),
    AddtlTxInf: node(F.TxAddtl),
    RltdPties: node(F.None, { Dbtr: party(F.TxDebtor), Cdtr: party(F.TxCreditor), DbtrAcct: account(F.TxDebtorAcct), CdtrAcct: account(F.TxCreditorAcct) }),
  });
  const date = (f: F) => node(F.None, { Dt: node(f), DtTm: node(f) });
  const entry = node(F.NtryEnd, {
    Amt: node(F.NtryAmt),
    CdtDbtInd: node(F.NtryCdtDbt),
    RvslInd: node(F.NtryRvsl),
    Sts: node(F.NtrySts, { Cd: node(F.NtryStsCd) }),
    BookgDt: date(F.NtryBooking),
    ValDt: date(F.NtryValue),
    NtryRef: node(F.NtryRef),
    AcctSvcrRef: node(F.NtryAcctSvcrRef),
    AddtlNtryInf: node(F.NtryAddtl),
    BkTxCd: codeTree(),
    NtryDtls: node(F.None, {
      Btch: node(F.None, { NbOfTxs: node(F.BtchCount), PmtInfId: node(F.BtchPmtInfId), MsgId: node(F.BtchMsgId) }),
      TxDtls: detail,
    }),
  });
  const totals = (count: F, sum: F) => node(F.None, { NbOfNtries: node(count), Sum: node(sum) });
  const statement = node(F.StmtEnd, {
    Id: node(F.StmtId),
    CreDtTm: node(F.StmtCreated),
    // The element is named after the report: StmtPgntn (camt.053), RptPgntn (camt.052), NtfctnPgntn (camt.054).
    [`${KINDS[kind].report}Pgntn`]: node(F.None, { PgNb: node(F.PageNumber), LastPgInd: node(F.PageLast) }),
    FrToDt: node(F.None, { FrDtTm: node(F.StmtFrom), ToDtTm: node(F.StmtTo) }),
    Acct: node(F.None, { Id: node(F.None, { IBAN: node(F.Iban), Othr: node(F.None, { Id: node(F.OtherId) }) }), Ccy: node(F.AcctCcy) }),
    Bal: node(F.BalEnd, {
      Tp: node(F.None, { CdOrPrtry: node(F.None, { Cd: node(F.BalCode), Prtry: node(F.BalProprietary) }) }),
      Amt: node(F.BalAmt),
      CdtDbtInd: node(F.BalCdtDbt),
      Dt: date(F.BalDate),
    }),
    TxsSummry: node(F.None, {
      // 001.02 writes the net as TtlNetNtryAmt + CdtDbtInd; later versions as TtlNetNtry/Amt + CdtDbtInd.
      TtlNtries: node(F.None, {
        NbOfNtries: node(F.SumCount), Sum: node(F.SumSum), TtlNetNtryAmt: node(F.SumNet), CdtDbtInd: node(F.SumNetCdtDbt),
        TtlNetNtry: node(F.None, { Amt: node(F.SumNet), CdtDbtInd: node(F.SumNetCdtDbt) }),
      }),
      TtlCdtNtries: totals(F.SumCreditCount, F.SumCreditSum),
      TtlDbtNtries: totals(F.SumDebitCount, F.SumDebitSum),
    }),
    Ntry: entry,
  });
  return node(F.None, {
    Document: node(F.None, {
      [KINDS[kind].root]: node(F.None, { GrpHdr: node(F.None, { CreDtTm: node(F.GroupCreated) }), [KINDS[kind].report]: statement }),
    }),
  });
}

const TRIES = new Map<Kind, PathNode>();
const START: Partial<Record<F, true>> = { [F.StmtEnd]: true, [F.NtryEnd]: true, [F.BalEnd]: true, [F.TxEnd]: true };

/**
 * The XML handler: walks the path trie, keeps the text of the element being closed, and fills the statement,
 * entry, balance or transaction detail being read.
 */
class CamtHandler implements XmlHandler {
  readonly statements: RawStatement[] = [];
  kind: Kind | null = null;
  version = 0;
  groupCreated: string | null = null;

  private readonly nodes: (PathNode | null)[] = [];
  private buffer = '';
  private stmt: RawStatement | null = null;
  private entry: RawEntry | null = null;
  private detail: RawDetail | null = null;
  private balance: RawBalance | null = null;
  private pendingCcy: string | null = null;

  constructor(private readonly lines: Lines) {}

  open(name: string, attributes: Readonly<Record<string, string>>, offset: number): void {
    const colon = name.indexOf(':');
    const local = colon < 0 ? name : name.slice(colon + 1);
    this.buffer = '';
    if (this.nodes.length === 0) {
      this.root(local, attributes, this.lines.at(offset));
      this.nodes.push(TRIES.get(this.kind!)!.children.get('Document')!);
      return;
    }
    const parent = this.nodes[this.nodes.length - 1];
    const n = parent ? (parent.children.get(local) ?? null) : null;
    if (this.nodes.length === 1 && this.kind && local !== KINDS[this.kind].root) {
      throw new BankFileError(`expected ${KINDS[this.kind].root}, found ${local}`, `line ${this.lines.at(offset)}`);
    }
    this.nodes.push(n);
    if (n === null) return;
    if (local === 'Amt' || local === 'TtlAmt') this.pendingCcy = attributes.Ccy ?? null;
    if (START[n.field]) this.start(n.field, this.lines.at(offset));
  }

  private start(field: F, line: number): void {
    switch (field) {
      case F.StmtEnd:
        this.stmt = {
          line, id: null, created: null, from: null, to: null, iban: null, otherId: null, ccy: null, page: null, balances: [], entries: [],
          summary: { count: null, sum: null, net: null, netCdtDbt: null, creditCount: null, creditSum: null, debitCount: null, debitSum: null },
        };
        return;
      case F.NtryEnd:
        this.entry = {
          line, amount: null, cdtDbt: null, reversal: false, status: null, booking: null, value: null, ntryRef: null, acctSvcrRef: null,
          code: emptyCode(), additional: null, batchCount: null, batchId: null, details: [],
        };
        return;
      case F.BalEnd:
        this.balance = { code: null, proprietary: false, date: null, amount: null, cdtDbt: null, line };
        return;
      case F.TxEnd:
        this.detail = {
          amount: null, txAmount: null, cdtDbt: null, endToEnd: null, txId: null, acctSvcrRef: null, unstructured: [], creditorRefs: [],
          code: emptyCode(), additional: null, debtor: null, creditor: null, debtorAccount: null, creditorAccount: null,
        };
    }
  }

  private root(local: string, attributes: Readonly<Record<string, string>>, line: number): void {
    if (local !== 'Document') throw new BankFileError(`the root element is ${local}, not a camt Document`, `line ${line}`);
    let found: { kind: Kind; version: number } | null = null;
    for (const [k, v] of Object.entries(attributes)) if (k === 'xmlns' || k.startsWith('xmlns:')) found ??= camtKindOf(v);
    if (!found) throw new BankFileError('the Document declares no camt.052/053/054 namespace', `line ${line}`);
    if (found.version < FIRST_VERSION || found.version > LAST_VERSION) {
      throw new BankFileError(`camt.${found.kind}.001.${String(found.version).padStart(2, '0')} is not supported (001.02 to 001.08 are)`, `line ${line}`);
    }
    this.kind = found.kind;
    this.version = found.version;
    if (!TRIES.has(found.kind)) TRIES.set(found.kind, pathTrie(found.kind));
  }

  text(t: string): void {
    this.buffer += t;
  }

  private amount(text: string, offset: number): RawAmount {
    return { value: text, ccy: this.pendingCcy, line: this.lines.at(offset) };
  }

  close(_name: string, offset: number): void {
    const n = this.nodes.pop();
    if (!n || n.field === F.None) return;
    const text = this.buffer.trim();
    this.buffer = '';
    const s = this.stmt;
    const e = this.entry;
    const d = this.detail;
    const code = d ? d.code : e?.code;
    switch (n.field) {
      case F.GroupCreated:
        this.groupCreated = text;
        return;
      case F.StmtEnd:
        this.statements.push(s!);
        this.stmt = null;
        return;
      case F.StmtId:
        s!.id = text;
        return;
      case F.StmtCreated:
        s!.created = text;
        return;
      case F.PageNumber:
        s!.page = { number: text, last: s!.page?.last ?? null, line: this.lines.at(offset) };
        return;
      case F.PageLast:
        s!.page = { number: s!.page?.number ?? null, last: text, line: s!.page?.line ?? this.lines.at(offset) };
        return;
      case F.StmtFrom:
        s!.from = text;
        return;
      case F.StmtTo:
        s!.to = text;
        return;
      case F.Iban:
        s!.iban = text;
        return;
      case F.OtherId:
        s!.otherId = text;
        return;
      case F.AcctCcy:
        s!.ccy = text;
        return;
      case F.SumCount:
        s!.summary.count = text;
        return;
      case F.SumSum:
        s!.summary.sum = text;
        return;
      case F.SumNet:
        s!.summary.net = text;
        return;
      case F.SumNetCdtDbt:
        s!.summary.netCdtDbt = text;
        return;
      case F.SumCreditCount:
        s!.summary.creditCount = text;
        return;
      case F.SumCreditSum:
        s!.summary.creditSum = text;
        return;
      case F.SumDebitCount:
        s!.summary.debitCount = text;
        return;
      case F.SumDebitSum:
        s!.summary.debitSum = text;
        return;
      case F.BalEnd:
        s!.balances.push(this.balance!);
        this.balance = null;
        return;
      case F.BalCode:
        this.balance!.code = text;
        return;
      case F.BalProprietary:
        this.balance!.proprietary = true;
        return;
      case F.BalDate:
        this.balance!.date = text;
        return;
      case F.BalAmt:
        this.balance!.amount = this.amount(text, offset);
        return;
      case F.BalCdtDbt:
        this.balance!.cdtDbt = text;
        return;
      case F.NtryEnd: {
        const position = s!.entries.length + 1;
        s!.entries.push(toEntry(e!, position, `${KINDS[this.kind!].report}[${this.statements.length + 1}]/Ntry[${position}]`));
        this.entry = null;
        return;
      }
      case F.NtryAmt:
        e!.amount = this.amount(text, offset);
        return;
      case F.NtryCdtDbt:
        e!.cdtDbt = text;
        return;
      case F.NtryRvsl:
        e!.reversal = text === 'true' || text === '1';
        return;
      case F.NtrySts:
        // 02-06: the code is the element's text; 07-08: Sts/Cd (then Sts itself holds only whitespace).
        if (text) e!.status = text;
        return;
      case F.NtryStsCd:
        e!.status = text;
        return;
      case F.NtryBooking:
        e!.booking = text;
        return;
      case F.NtryValue:
        e!.value = text;
        return;
      case F.NtryRef:
        e!.ntryRef = text;
        return;
      case F.NtryAcctSvcrRef:
        e!.acctSvcrRef = text;
        return;
      case F.NtryAddtl:
        e!.additional = text;
        return;
      case F.BtchCount:
        e!.batchCount = Number(text);
        if (!Number.isSafeInteger(e!.batchCount) || e!.batchCount < 0) throw new BankFileError('NbOfTxs is not a count', `line ${this.lines.at(offset)}`);
        return;
      case F.BtchPmtInfId:
        e!.batchId = text;
        return;
      case F.BtchMsgId:
        e!.batchId ??= text;
        return;
      case F.CodeDomain:
        code!.domain = text;
        return;
      case F.CodeFamily:
        code!.family = text;
        return;
      case F.CodeSubFamily:
        code!.subFamily = text;
        return;
      case F.CodeProprietary:
        code!.proprietary = text;
        return;
      case F.TxEnd:
        e!.details.push(d!);
        this.detail = null;
        return;
      case F.TxEndToEnd:
        d!.endToEnd = text;
        return;
      case F.TxTxId:
        d!.txId = text;
        return;
      case F.TxAcctSvcrRef:
        d!.acctSvcrRef = text;
        return;
      case F.TxAmt:
        d!.amount = this.amount(text, offset);
        return;
      case F.TxTxAmt:
        d!.txAmount = this.amount(text, offset);
        return;
      case F.TxCdtDbt:
        d!.cdtDbt = text;
        return;
      case F.TxUstrd:
        if (text) d!.unstructured.push(text);
        return;
      case F.TxCdtrRef:
        if (text) d!.creditorRefs.push(text);
        return;
      case F.TxAddtl:
        d!.additional = text;
        return;
      case F.TxDebtor:
        d!.debtor = text;
        return;
      case F.TxCreditor:
        d!.creditor = text;
        return;
      case F.TxDebtorAcct:
        d!.debtorAccount = text;
        return;
      case F.TxCreditorAcct:
        d!.creditorAccount = text;
    }
  }
}

/** Parse the XML into raw statements; every well-formedness error names its line. */
function parse(text: string): CamtHandler {
  const lines = new Lines(text);
  const h = new CamtHandler(lines);
  try {
    scanXml(text, h);
  } catch (err) {
    if (err instanceof XmlSyntaxError) throw new BankFileError(`malformed XML: ${err.message}`, lines.describe(err.offset));
    throw err;
  }
  if (!h.kind) throw new BankFileError('no camt Document found', 'line 1');
  return h;
}

const toCount = (v: string | null, where: string): number | null => {
  if (v === null) return null;
  const n = Number(v);
  if (!Number.isSafeInteger(n) || n < 0) throw new BankFileError('not a count', where);
  return n;
};

/** An amount in minor units; its error says what is wrong with it, never the amount (as every error here). */
function toMinor(v: string | null, currency: string, where: string): number | null {
  if (v === null) return null;
  try {
    return toMinorUnits(v, currency);
  } catch (err) {
    if (err instanceof InvalidAmountError) throw new BankFileError(err.reason, where);
    throw err;
  }
}

function counterpartyOf(p: PartyNames, direction: string | null): string | null {
  // Money in: who paid (the debtor); money out: who was paid (the creditor).
  return (direction === 'DBIT' ? p.creditor : p.debtor) || null;
}

/** A payment's own ids: `NOTPROVIDED` is the placeholder camt uses when the payer gave none, not an id. */
const ownId = (v: string | null): string | null => (v && v !== 'NOTPROVIDED' ? v : null);

/** One transaction's part of the fingerprint (StatementEntry.fingerprint): what the payer and the payment carry. */
function transactionFingerprint(d: RawDetail, direction: string | null, prefix: string): string[] {
  const out: string[] = [];
  const add = (label: string, v: string | null | undefined) => {
    const t = v?.replace(/\s+/g, ' ').trim();
    if (t) out.push(`${prefix}${label}:${t}`);
  };
  add('e2e', ownId(d.endToEnd));
  add('tx', ownId(d.txId));
  add('svc', d.acctSvcrRef);
  add('rmt', [...d.unstructured, ...d.creditorRefs].join(' '));
  add('cp', counterpartyOf(d, direction));
  add('acct', direction === 'DBIT' ? d.creditorAccount : d.debtorAccount);
  return out;
}

/**
 * The entry's fingerprint: its transaction's (or, for a batch, the batch id and each transaction's); the bank's
 * own text (AddtlNtryInf) only when the entry carries nothing else, because the bank may word an intraday report
 * and the statement differently while the payment's details pass through unchanged.
 */
function entryFingerprint(raw: RawEntry, single: RawDetail | null): string[] {
  const out = single ? transactionFingerprint(single, raw.cdtDbt, '') : [];
  if (!single) {
    if (raw.batchId) out.push(`btch:${raw.batchId}`);
    raw.details.forEach((d, i) => out.push(...transactionFingerprint(d, d.cdtDbt ?? raw.cdtDbt, `${i + 1}.`)));
  }
  const info = raw.additional?.replace(/\s+/g, ' ').trim();
  if (!out.length && info) out.push(`info:${info}`);
  return out;
}

function toEntry(raw: RawEntry, position: number, where: string): StatementEntry {
  const locator = `${where} (line ${raw.line})`;
  if (!raw.amount) throw new BankFileError('Ntry has no Amt', locator);
  const amount_minor = signed(raw.amount, raw.cdtDbt, where, raw.line);
  const status = raw.status === null ? null : STATUSES[raw.status];
  if (!status) throw new BankFileError(raw.status === null ? 'Ntry has no Sts' : 'Sts is not BOOK, PDNG, INFO or FUTR', locator);
  const batch = raw.batchCount !== null && raw.batchCount > 1;
  const single = !batch && raw.details.length === 1 ? raw.details[0]! : null;
  const details: StatementEntryDetail[] = [];
  if (!single) {
    raw.details.forEach((d, i) => {
      const amt = d.amount ?? d.txAmount;
      const dir = d.cdtDbt ?? raw.cdtDbt;
      details.push({
        amount_minor: amt ? signed(amt, dir, `${where}/TxDtls[${i + 1}]`, amt.line) : null,
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
    currency: raw.amount.ccy!,
    booking_date: day(raw.booking, locator, 'BookgDt'),
    value_date: day(raw.value, locator, 'ValDt'),
    status,
    reversal: raw.reversal,
    // The account servicer's reference is the bank's own id for the booking, the same in the 052 that announced it
    // and the 053 that books it. NtryRef is kept as the entry's reference but is no id: banks number it per
    // statement, or repeat one value on many entries (StatementEntry.booking_reference).
    entry_reference: raw.acctSvcrRef ?? raw.ntryRef ?? null,
    booking_reference: raw.acctSvcrRef || null,
    end_to_end_id: single ? ownId(single.endToEnd) : null,
    reference: remittance || (batch ? (raw.batchId ?? '') : '') || raw.additional || single?.additional || '',
    description: raw.additional ?? single?.additional ?? null,
    bank_transaction_code: codeText(raw.code) ?? (single ? codeText(single.code) : null),
    counterparty: single ? counterpartyOf(single, raw.cdtDbt) : null,
    details,
    batch_count: raw.batchCount,
    // The bank's reference is the id when there is one: no fingerprint to build (a 100,000-entry statement has one
    // each). Not NtryRef, which is left out of the fingerprint too: a statement's numbering is not the payment's,
    // and the camt.052 or camt.054 that reported the entry first numbered it otherwise, or not at all.
    fingerprint: raw.acctSvcrRef ? [] : entryFingerprint(raw, single),
  };
}

function toStatement(raw: RawStatement, index: number, h: CamtHandler, opts: ReadOptions): { statement: Statement; problems: StatementProblem[] } {
  const kind = KINDS[h.kind!];
  const where = `${kind.report}[${index}]`;
  const at = `${where} (line ${raw.line})`;
  const problems: StatementProblem[] = [];
  const account = raw.iban ?? raw.otherId ?? opts.account;
  if (!account) throw new BankFileError(`Acct/Id has neither IBAN nor Othr/Id: give ${optionName(opts, 'account')}`, at);
  // The currency comes from the file (Acct/Ccy), else --currency, else the one currency every amount carries:
  // never a default.
  let currency = raw.ccy ?? opts.currency ?? null;
  if (!currency) {
    const seen = new Set<string>();
    for (const b of raw.balances) if (b.amount?.ccy) seen.add(b.amount.ccy);
    for (const e of raw.entries) seen.add(e.currency);
    if (seen.size !== 1) throw new BankFileError(`Acct has no Ccy and the amounts carry ${seen.size ? [...seen].join(', ') : 'none'}: give ${optionName(opts, 'currency')}`, at);
    currency = [...seen][0]!;
  }
  const created = instant(raw.created ?? h.groupCreated, at);
  if (!created) throw new BankFileError('neither the statement nor GrpHdr has CreDtTm', at);

  raw.balances.forEach((b, i) => {
    const bw = `${where}/Bal[${i + 1}] (line ${b.line})`;
    if (b.code === null && !b.proprietary) throw new BankFileError('Bal has no balance type (Tp/CdOrPrtry/Cd)', bw);
    if (b.code !== null && !BALANCE_TYPES.has(b.code)) {
      throw new BankFileError(`Tp/CdOrPrtry/Cd is no ISO 20022 balance type (${[...BALANCE_TYPES].join(', ')})`, bw);
    }
    day(b.date, bw, 'Bal/Dt');
  });
  const balanceOf = (b: RawBalance | undefined): number | null => {
    if (!b) return null;
    const path = `${where}/Bal[${b.code}]`;
    const bw = `${path} (line ${b.line})`;
    if (!b.amount) throw new BankFileError('Bal has no Amt', bw);
    if (b.amount.ccy && b.amount.ccy !== currency) problems.push({ where: bw, message: `balance is in ${b.amount.ccy}, the account in ${currency}` });
    return signed(b.amount, b.cdtDbt, path, b.line);
  };
  const page = pageOf(raw.page, `${where}/${kind.report}Pgntn`);
  const first = (code: string) => raw.balances.find((x) => x.code === code);
  const interim = raw.balances.filter((x) => x.code === 'ITBD');
  // OPBD is this statement's opening booked balance; PRCD (the previous closing) stands in when a bank sends only
  // that. A page after the first opens where the page before it closed, on the interim booked balance (ITBD): the
  // first ITBD, as banks write the opening balance before the closing one.
  const openingBal = first('OPBD') ?? first('PRCD') ?? (page && page.number > 1 ? interim[0] : undefined);
  const opening = balanceOf(openingBal);
  // A camt.052, and a page that is not a statement's last, may close on the interim booked balance (ITBD) instead
  // (a middle page carries two: the one it opens on, then the one it closes on).
  const closing = balanceOf(first('CLBD') ?? interim.find((b) => b !== openingBal));
  const s = raw.summary;
  const sw = `${where}/TxsSummry`;
  const netMinor = toMinor(s.net, currency, `${sw}/TtlNtries`);
  const statement: Statement = {
    format: kind.format,
    locator: at,
    // Each page of a statement is its own issue (a re-issued page 2 replaces page 2 only): its id gains the page
    // number. A statement of one page keeps the bare id, as it had before pages were read (homes hold it).
    statement_ref: page && raw.id !== null ? `${raw.id}/p${page.number}` : raw.id,
    last_page: page ? page.last : true,
    account,
    currency,
    created_at: created,
    period_from: instant(raw.from, at),
    period_to: instant(raw.to, at),
    opening_balance_minor: opening,
    closing_balance_minor: closing,
    balance_types: raw.balances.map((b) => b.code ?? 'Prtry'),
    declared: {
      entry_count: toCount(s.count, `${sw}/TtlNtries/NbOfNtries`),
      credit_total_minor: toMinor(s.creditSum, currency, `${sw}/TtlCdtNtries/Sum`),
      debit_total_minor: toMinor(s.debitSum, currency, `${sw}/TtlDbtNtries/Sum`),
      control_total_minor: netMinor === null ? null : s.netCdtDbt === 'DBIT' ? -netMinor : netMinor,
      credit_count: toCount(s.creditCount, `${sw}/TtlCdtNtries/NbOfNtries`),
      debit_count: toCount(s.debitCount, `${sw}/TtlDbtNtries/NbOfNtries`),
      absolute_total_minor: toMinor(s.sum, currency, `${sw}/TtlNtries/Sum`),
    },
    entries: raw.entries,
  };
  return { statement, problems };
}

/**
 * The statement's page (StmtPgntn), or null when it is a statement of one page: no StmtPgntn, or page 1 that is
 * the last (what banks write on every statement they do not split). A bad PgNb or LastPgInd is malformed input.
 */
function pageOf(raw: RawStatement['page'], path: string): { number: number; last: boolean } | null {
  if (!raw) return null;
  const at = `${path} (line ${raw.line})`;
  if (raw.number === null || !/^[0-9]{1,5}$/.test(raw.number) || Number(raw.number) < 1) throw new BankFileError('PgNb is not a page number (a positive integer)', at);
  if (raw.last === null) throw new BankFileError('PgNb without LastPgInd (true or false)', at);
  const last = raw.last === 'true' || raw.last === '1';
  if (!last && raw.last !== 'false' && raw.last !== '0') throw new BankFileError('LastPgInd is neither true nor false', at);
  const number = Number(raw.number);
  return number === 1 && last ? null : { number, last };
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
