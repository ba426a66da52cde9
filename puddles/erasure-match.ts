// What an erasure looks for and what it writes instead (`puddle erase`, puddles/erasure.ts). No DuckDB import:
// the command builds these before the home opens, and the dead-letter and bank-file scans use the JS side.
import { createHmac, randomBytes } from 'node:crypto';

import { ConfigError } from '../core/errors.js';
import { emailSha256 } from '../core/pii.js';
import { lakeWord } from './erasure-vocabulary.js';
import { sqlIdent, sqlString } from './sql-text.js';

/** What the charity knows of the person. None of it is ever printed, logged or written to the erasure log. */
export interface ErasureRequest {
  supporterIds: readonly string[];
  emails: readonly string[];
  texts: readonly string[];
  /** A `--text` that is one of the lake's own values (a currency code, a status, a contract name) names the person all the same. */
  forceText?: boolean;
}

/** One value to erase: the same match in DuckDB (RE2) and in JS, and what replaces it. */
export interface ErasureNeedle {
  kind: 'id' | 'text';
  /** RE2 pattern with the needle as group 2 between its boundaries (groups 1 and 3). */
  re2: string;
  js: RegExp;
  replacement: string;
  /** RE2 pattern of the value alone (no boundaries): what longerIdsSql extends. */
  re2Value: string;
  /** The value is made only of what makes and joins ids (letters, digits, `_`, `-`, `:`, `.`): longerIdsSql can look for it. */
  idLike: boolean;
  /** Which value of the request it is, by option and position (`--supporter-id 2`, `--email 1 (its hash)`): never the value. */
  label: string;
  /**
   * Other values of the request that make this same needle (`--text "07700 900123"` and `--text +447700900123`, one
   * number): the dry run's `values` counts each with it. Until 2026-12-06 such a value was left out of `values`.
   */
  aliases?: string[];
}

/**
 * Ids and hashes become a token of their own (`erased-<16 hex>`), the same in every file of one run, raw
 * included: a supporter's versions still share one key (the views' de-duplication and current state keep
 * working, and two people erased never merge into one `[erased]` supporter), and a replay from the rewritten
 * raw derives the same rows. The token is an HMAC of the id under the run's salt, 32 random bytes kept only
 * while the run is unfinished (infra/local/erasure-pending.ts: a run again after a crash takes the same tokens)
 * and deleted when it completes: from then on nobody who knows the id can find the rows again. Free text (a name,
 * the email address typed in a note) becomes `[erased]`.
 */
export const ERASED_TEXT = '[erased]';

// A needle is matched as a whole word or id: `sup_1` must not erase `sup_10`. Letters, digits and `_` join an id;
// anything else (`-`, `:`, `.`, a space, a JSON quote) ends it, so `sup_1` in `salesforce:sup_1` or `sup_1-v2` is found.
const WORD_JS = /[\p{L}\p{N}_]/u;

function escapeRegExp(s: string): string {
  return s.replace(/[\\^$.|?*+()[\]{}]/g, '\\$&');
}

/** What may stand between two digits of a phone number: up to two of a space, `(`, `)`, `.` and `-`. */
const PHONE_GAP = '[\\s().-]{0,2}';

/**
 * A phone number given as `--text` (digits, spaces and `+ ( ) . -` only): the pattern of its digits however they
 * are spaced (`07700 900123`, `07700900123`, `07700-900-123`), and for a UK number its other form too (`0` and
 * `+44`/`0044`/`44`). Null for any other value. Until 2026-12-06 a number was matched only as typed, so
 * `--text "07700 900123"` left `07700900123` in a bank line and a payment reference (user test).
 */
export function phonePattern(value: string): string | null {
  if (!/^\+?[\d\s().-]+$/.test(value)) return null;
  const digits = value.replace(/\D/g, '');
  if (digits.length < 8) return null;
  const spaced = (d: string) => d.split('').join(PHONE_GAP);
  // UK: a national number is 0 and 10 digits; its international form 44 and the same 10.
  const uk = digits.length === 11 && digits.startsWith('0') && !digits.startsWith('00') ? digits.slice(1)
    : digits.length === 12 && digits.startsWith('44') ? digits.slice(2)
    : digits.length === 14 && digits.startsWith('0044') ? digits.slice(4)
    // `+44 (0) 7700 900123`, as UK numbers are often written: the 0 in brackets is dialled only from inside the UK.
    : digits.length === 13 && digits.startsWith('440') && /\(\s*0\s*\)/.test(value) ? digits.slice(3)
    : null;
  if (uk === null) return spaced(digits);
  return `(?:0|(?:\\+|00)?4${PHONE_GAP}4(?:${PHONE_GAP}\\(0\\))?)${PHONE_GAP}${spaced(uk)}`;
}

function needle(value: string, kind: 'id' | 'text', replacement: string, label: string, pattern?: string): ErasureNeedle {
  // RE2 and JS spell the classes differently (`\\pL`, `\\p{L}`); otherwise the patterns are the same.
  const edge = (re2: string, js: string) => ({ re2, js });
  const none = edge('()', '()');
  // A boundary is required only on a side where the needle itself ends in a word character. A phone number ends
  // where its digits do: a letter glued to it is an extension or a label (`07700900123x12`, `tel07700900123`; until
  // 2026-12-06 such a number was not found), never more of the number.
  const phone = pattern !== undefined;
  const word = { before: edge('(^|[^\\pL\\pN_])', '(^|[^\\p{L}\\p{N}_])'), after: edge('([^\\pL\\pN_]|$)', '([^\\p{L}\\p{N}_]|$)') };
  const before = phone ? edge('(^|[^\\pN])', '(^|[^\\p{N}])') : WORD_JS.test(value[0] ?? '') ? word.before : none;
  const after = phone ? edge('([^\\pN]|$)', '([^\\p{N}]|$)') : WORD_JS.test(value.at(-1) ?? '') ? word.after : none;
  const body = pattern ?? escapeRegExp(value);
  // Free text is matched whatever its case (`jo quxworthy` typed in a remittance line); ids exactly (Salesforce's are case-sensitive).
  const core = kind === 'text' ? `(?i:${body})` : body;
  return {
    kind,
    re2: `${before.re2}(${core})${after.re2}`,
    js: new RegExp(`${before.js}(${body})${after.js}`, kind === 'text' ? 'giu' : 'gu'),
    replacement,
    re2Value: core,
    idLike: !phone && /^[\p{L}\p{N}_:.-]+$/u.test(value),
    label,
  };
}

/** A value as it appears inside JSON text (raw's envelopes, dead letters): quotes and backslashes escaped. */
function jsonForm(s: string): string {
  return JSON.stringify(s).slice(1, -1);
}

/** A new run's salt for its tokens. */
export function newErasureSalt(): Buffer {
  return randomBytes(32);
}

/**
 * What is wrong with a request, named by its option, never by a value; null when nothing is. Here, not in the
 * command, so every caller of erasureNeedles (the AWS shape, when built) refuses the same.
 */
export function erasureRequestProblem(req: ErasureRequest): string | null {
  const ids = req.supporterIds.map((v) => v.trim()).filter(Boolean);
  const texts = req.texts.map((v) => v.trim()).filter(Boolean);
  if (req.emails.some((e) => !/^[^@\s]+@[^@\s]+$/.test(e.trim()))) return '--email takes an email address (one of those given is not one)';
  if (!ids.length && !texts.length && !req.emails.length) return 'name the person: --supporter-id, --email or --text (each may be repeated)';
  if (texts.some((t) => t.length < 3)) return '--text: each value must be at least 3 characters (a shorter one would erase unrelated words)';
  // A text without a letter (a phone number typed in a note) is matched as an id is: a few digits are a year or an amount.
  if (texts.some((t) => !/\p{L}/u.test(t) && (t.match(/\d/g) ?? []).length < 8)) {
    return '--text: a value without a letter must hold at least 8 digits (a shorter one also matches dates, amounts and references)';
  }
  // An id is matched wherever it stands as a whole word, raw's JSON text included: a short one, or a few digits, is
  // also a year in a date, an amount or a word of someone else's text.
  if (ids.some((id) => !longEnoughId(id))) {
    return '--supporter-id: each id must be at least 5 characters, and one of digits alone at least 8 (a shorter one also matches dates, amounts and other text)';
  }
  const words = texts.map(lakeWord);
  if (words.includes('name')) {
    return "--text: a value is the name of one of the lake's fields or columns (a key of every raw envelope's JSON): erasing it would rename that field in every record, which replay could then not read; it is refused even with --force-text";
  }
  if (words.includes('value') && !req.forceText) {
    return "--text: a value is one the lake holds in whole columns of other people's rows (a currency code, a status or channel, a contract, source or provider name): erased wherever it stands as a word, it would rewrite every such row. If it truly names the person (someone called Bob, also Bolivia's currency code), give --force-text and read the dry run's rows per table first";
  }
  return null;
}

/**
 * An id long enough to be matched as a whole word everywhere: at least 5 characters, and 8 when it is digits alone
 * (a shorter one is also a year in a date, an amount or a word of someone else's text).
 */
export function longEnoughId(id: string): boolean {
  return id.length >= 5 && (id.length >= 8 || !/^\d+$/.test(id));
}

/** Values the lake led to from the request's own: erased and disclosed with them. */
export interface FoundValues {
  /** The email hashes on the rows of the request's ids (erasure.ts personLinks). */
  emailHashes?: readonly string[];
  /** The supporter ids on the rows carrying an `--email`'s hash (a Stripe customer, a CRM contact, a helpdesk contact). */
  ids?: readonly string[];
}

/**
 * The needles of a request, each id with its token under `salt` (a new one when not given), with the values the
 * lake led to from them (`found`), erased as the request's own are. Throws a ConfigError (the CLI's exit 2) on a
 * request erasureRequestProblem refuses.
 */
export function erasureNeedles(req: ErasureRequest, salt: Buffer = newErasureSalt(), found: FoundValues = {}): ErasureNeedle[] {
  const problem = erasureRequestProblem(req);
  if (problem) throw new ConfigError(problem);
  const out: ErasureNeedle[] = [];
  const seen = new Map<string, ErasureNeedle>();
  const add = (value: string, kind: 'id' | 'text', label: string) => {
    const v = value.trim();
    if (!v) return;
    const token = kind === 'id' ? `erased-${createHmac('sha256', salt).update(v).digest('hex').slice(0, 16)}` : ERASED_TEXT;
    // A phone number is one pattern for all its spellings (phonePattern); it has nothing for JSON to escape.
    const phone = kind === 'text' ? phonePattern(v) : null;
    for (const form of phone === null ? new Set([v, jsonForm(v)]) : [v]) {
      const id = phone === null ? `${kind}:${kind === 'text' ? form.toLowerCase() : form}` : `phone:${phone}`;
      const made = seen.get(id);
      if (made) {
        if (made.label !== label && !made.aliases?.includes(label)) (made.aliases ??= []).push(label);
        continue;
      }
      const n = needle(form, kind, token, label, phone ?? undefined);
      seen.set(id, n);
      out.push(n);
    }
  };
  req.supporterIds.forEach((id, i) => add(id, 'id', `--supporter-id ${i + 1}`));
  req.emails.forEach((email, i) => {
    const hash = emailSha256(email);
    if (hash) add(hash, 'id', `--email ${i + 1} (its hash)`);
    // The address itself, wherever it was typed as text (a note, a remittance line, an older raw record).
    add(email, 'text', `--email ${i + 1}`);
  });
  req.texts.forEach((t, i) => add(t, 'text', `--text ${i + 1}`));
  found.ids?.forEach((id, i) => add(id, 'id', `a supporter id on the rows of an --email (${i + 1})`));
  found.emailHashes?.forEach((hash, i) => add(hash, 'id', `an email hash on the rows of a --supporter-id (${i + 1})`));
  return out;
}

/** The needles of the request's `--supporter-id`s alone: what erasure.ts personLinks looks for in a row's supporter_id. */
export function supporterIdNeedles(req: ErasureRequest): ErasureNeedle[] {
  return req.supporterIds.some((id) => id.trim()) ? erasureNeedles({ supporterIds: req.supporterIds, emails: [], texts: [] }) : [];
}

/**
 * SQL: the list of longer ids in the VARCHAR column that hold the needle as a whole word: joined to it by `-`, `:`
 * or `.` (`sup-1-2`, `d-sup_1`, `salesforce:sup_1`), which the needle's boundary lets it match inside. Each is
 * rewritten too; the dry run shows them, masked (maskNeedle), so the DPO sees another person's id before confirming.
 */
export function longerIdsSql(column: string, n: ErasureNeedle): string {
  if (!n.idLike) throw new Error('longerIdsSql: only for a value made of what makes and joins ids');
  const part = '[\\pL\\pN_]+';
  const pattern = `(^|[^\\pL\\pN_])((?:${part}[-:.])*(?:${n.re2Value})(?:[-:.]${part})*)([^\\pL\\pN_]|$)`;
  // Each match takes the boundary character after it, which the next one needs before it (`sup-1-2 d-sup-1`): every
  // character that neither makes nor joins an id is doubled first, so one copy is left for the next match.
  const doubled = `regexp_replace(${sqlIdent(column)}, ${sqlString('([^\\pL\\pN_:.-])')}, ${sqlString('\\1\\1')}, 'g')`;
  return `regexp_extract_all(${doubled}, ${sqlString(pattern)}, 2)`;
}

/** JS: the text with the needle shown as `*` (the dry run's longer ids, which hold the person's value). */
export function maskNeedle(text: string, n: ErasureNeedle): string {
  return text.replace(n.js, (_m, a: string, _b: string, c: string) => `${a}*${c}`);
}

/** SQL: true when the VARCHAR column holds any needle. */
export function matchSql(column: string, needles: readonly ErasureNeedle[]): string {
  return `regexp_matches(${sqlIdent(column)}, ${sqlString(needles.map((n) => `(?:${n.re2})`).join('|'))})`;
}

/**
 * SQL: the VARCHAR column with every needle replaced. Twice per needle: a match takes the boundary character after
 * it, so in `sup_1,sup_1` the first pass leaves the second, which the second pass finds.
 */
export function scrubSql(column: string, needles: readonly ErasureNeedle[]): string {
  let expr = sqlIdent(column);
  for (const n of needles) {
    for (let pass = 0; pass < 2; pass++) expr = `regexp_replace(${expr}, ${sqlString(n.re2)}, ${sqlString(`\\1${n.replacement}\\3`)}, 'g')`;
  }
  return expr;
}

/** JS: the text with every needle replaced, as scrubSql does in SQL. */
export function scrubText(text: string, needles: readonly ErasureNeedle[]): string {
  let out = text;
  for (const n of needles) {
    for (let pass = 0; pass < 2; pass++) out = out.replace(n.js, (_m, a: string, _b: string, c: string) => `${a}${n.replacement}${c}`);
  }
  return out;
}

/** JS: whether the text holds any needle. */
export function holdsNeedle(text: string, needles: readonly ErasureNeedle[]): boolean {
  return needles.some((n) => {
    n.js.lastIndex = 0;
    return n.js.test(text);
  });
}
