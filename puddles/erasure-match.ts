// What an erasure looks for and what it writes instead (`puddle erase`, puddles/erasure.ts). No DuckDB import:
// the command builds these before the home opens, and the dead-letter and bank-file scans use the JS side.
import { randomBytes } from 'node:crypto';

import { emailSha256 } from '../core/pii.js';
import { sqlIdent, sqlString } from './sql-text.js';

/** What the charity knows of the person. None of it is ever printed, logged or written to the erasure log. */
export interface ErasureRequest {
  supporterIds: readonly string[];
  emails: readonly string[];
  texts: readonly string[];
}

/** One value to erase: the same match in DuckDB (RE2) and in JS, and what replaces it. */
export interface ErasureNeedle {
  kind: 'id' | 'text';
  /** RE2 pattern with the needle as group 2 between its boundaries (groups 1 and 3). */
  re2: string;
  js: RegExp;
  replacement: string;
}

/**
 * Ids and hashes become a token of their own (`erased-<random>`), the same in every file of one run, raw
 * included: a supporter's versions still share one key (the views' de-duplication and current state keep
 * working, and two people erased never merge into one `[erased]` supporter), and a replay from the rewritten
 * raw derives the same rows. The token is random, never a hash of the id, and not kept anywhere: nobody who
 * knows the id can find the rows again. Free text (a name, the email address typed in a note) becomes `[erased]`.
 */
export const ERASED_TEXT = '[erased]';

// A needle is matched as a whole word or id: `sup_1` must not erase `sup_10`. Letters, digits and `_` join an id;
// anything else (`-`, `:`, `.`, a space, a JSON quote) ends it, so `sup_1` in `salesforce:sup_1` or `sup_1-v2` is found.
const WORD_JS = /[\p{L}\p{N}_]/u;

function escapeRegExp(s: string): string {
  return s.replace(/[\\^$.|?*+()[\]{}]/g, '\\$&');
}

function needle(value: string, kind: 'id' | 'text', replacement: string): ErasureNeedle {
  // A boundary is required only on a side where the needle itself ends in a word character.
  // RE2 and JS spell the classes differently (`\\pL`, `\\p{L}`); otherwise the patterns are the same.
  const edge = (re2: string, js: string) => ({ re2, js });
  const before = WORD_JS.test(value[0] ?? '') ? edge('(^|[^\\pL\\pN_])', '(^|[^\\p{L}\\p{N}_])') : edge('()', '()');
  const after = WORD_JS.test(value.at(-1) ?? '') ? edge('([^\\pL\\pN_]|$)', '([^\\p{L}\\p{N}_]|$)') : edge('()', '()');
  const body = escapeRegExp(value);
  // Free text is matched whatever its case (`jo quxworthy` typed in a remittance line); ids exactly (Salesforce's are case-sensitive).
  const core = kind === 'text' ? `(?i:${body})` : body;
  return {
    kind,
    re2: `${before.re2}(${core})${after.re2}`,
    js: new RegExp(`${before.js}(${body})${after.js}`, kind === 'text' ? 'giu' : 'gu'),
    replacement,
  };
}

/** A value as it appears inside JSON text (raw's envelopes, dead letters): quotes and backslashes escaped. */
function jsonForm(s: string): string {
  return JSON.stringify(s).slice(1, -1);
}

/** The needles of a request, each id with a fresh token. Throws on a request with nothing usable in it. */
export function erasureNeedles(req: ErasureRequest): ErasureNeedle[] {
  const out: ErasureNeedle[] = [];
  const seen = new Set<string>();
  const add = (value: string, kind: 'id' | 'text') => {
    const v = value.trim();
    if (!v) return;
    const token = kind === 'id' ? `erased-${randomBytes(8).toString('hex')}` : ERASED_TEXT;
    for (const form of new Set([v, jsonForm(v)])) {
      const id = `${kind}:${kind === 'text' ? form.toLowerCase() : form}`;
      if (seen.has(id)) continue;
      seen.add(id);
      out.push(needle(form, kind, token));
    }
  };
  for (const id of req.supporterIds) add(id, 'id');
  for (const email of req.emails) {
    const hash = emailSha256(email);
    if (hash) add(hash, 'id');
    // The address itself, wherever it was typed as text (a note, a remittance line, an older raw record).
    add(email, 'text');
  }
  for (const t of req.texts) add(t, 'text');
  return out;
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
