import { isCurrencyCode, isCurrencyShaped } from '../money.js';
import { isCalendarDate, ISO_INSTANT, isoFromMs, isoInstantMs } from '../time.js';
import type { Field, Fields } from './schema.js';

export interface FieldError {
  path: string;
  message: string;
}

/** A field error as text (`payload.amount_minor: must not be negative`): the message names the rule, never the value. */
export function fieldReason(e: FieldError): string {
  return `${e.path}: ${e.message}`;
}

/** What an input's field that its contract does not name is told (the producer adds which version has it). */
export const NOT_A_FIELD = 'is not a field of this contract';

/** The longest string a contract's field takes: what a filter on such a field (a campaign) must take too. */
export const MAX_STRING = 4096;

/** Holds something besides white space (what String#trim takes off): a key must. Stops at the first such character. */
const NOT_BLANK = /\S/;

/** A SHA-256 as emailSha256 writes it (core/pii.ts). */

/** What a check returns for a bad value; a unique object, so no good value (any JSON value) can be it. */
const BAD: unique symbol = Symbol('bad');
type Check = (v: unknown) => unknown;

/** Whether a present (non-null) value is good for its field: the value to keep (normalised) or BAD. */
function checkFor(f: Field): Check {
  switch (f.kind) {
    case 'string':
      if (f.isKey) return (v) => (typeof v === 'string' && v.length <= MAX_STRING && NOT_BLANK.test(v) ? v : BAD);
      if (f.shape) {
        const { pattern } = f.shape;
        return (v) => (typeof v === 'string' && pattern.test(v) ? v : BAD);
      }
      return (v) => (typeof v === 'string' && v.length <= MAX_STRING ? v : BAD);
    case 'int': {
      const min = f.min ?? -Number.MAX_SAFE_INTEGER;
      const max = f.max ?? Number.MAX_SAFE_INTEGER;
      return (v) => (typeof v === 'number' && Number.isSafeInteger(v) && v >= min && v <= max ? v : BAD);
    }
    case 'boolean':
      return (v) => (typeof v === 'boolean' ? v : BAD);
    case 'timestamp': {
      // The last good value and its normal form, per field: a batch (a bank statement's lines, a page of a
      // provider's records) repeats the same time over and over, and a string compare is cheaper than parsing.
      let lastIn: unknown = BAD;
      let lastOut: unknown = BAD;
      return (v) => {
        if (v === lastIn) return lastOut;
        const ms = isoInstantMs(v);
        if (Number.isNaN(ms)) return BAD;
        // Already what toISOString writes (UTC, milliseconds after a point, not a comma): keep the string.
        const s = v as string;
        lastOut = s.length === 24 && s.charCodeAt(23) === 90 /* Z */ && s.charCodeAt(19) === 46 /* . */ ? v : isoFromMs(ms);
        lastIn = v;
        return lastOut;
      };
    }
    case 'date': {
      let last: unknown = BAD; // the last good date, as for timestamps
      return (v) => {
        if (v === last) return v;
        if (!isCalendarDate(v)) return BAD;
        last = v;
        return v;
      };
    }
    case 'currency':
      return (v) => {
        if (typeof v !== 'string') return BAD;
        return isCurrencyCode(v) ? v.toUpperCase() : BAD;
      };
    case 'enum': {
      const values = f.values!;
      if (!f.normalised) return (v) => (typeof v === 'string' && values.includes(v) ? v : BAD);
      // Every spelling taken, by its trimmed lower-case form; a value already as it lands is found at once.
      const taken = new Map<string, string>(values.map((x) => [x, x]));
      for (const [from, to] of Object.entries(f.aliases ?? {})) taken.set(from, to);
      return (v) => (typeof v === 'string' ? (taken.get(v) ?? taken.get(v.trim().toLowerCase()) ?? BAD) : BAD);
    }
    case 'json':
      return (v) => (typeof v === 'string' ? v : JSON.stringify(v));
  }
}

/** Why checkFor refused `v`: the message the caller sees. */
function whyBad(f: Field, v: unknown): string {
  switch (f.kind) {
    case 'string':
      if (typeof v !== 'string') return 'must be a string';
      if (f.shape) return `must be ${f.shape.says}`;
      if (v.length > MAX_STRING) return `must be at most ${MAX_STRING} characters`;
      return 'must not be empty or only spaces: it names the record';
    case 'int':
      if (typeof v !== 'number' || !Number.isInteger(v)) return 'must be an integer (money is in minor units)';
      if (f.min !== undefined && v < f.min) return f.min === 0 ? 'must not be negative' : `must be ${f.min} or more`;
      if (f.max !== undefined && v > f.max && Number.isSafeInteger(v)) return `must be at most ${f.max}${f.maxWhy ? `: ${f.maxWhy}` : ''}`;
      // A whole number all the same, but past 2^53 a double no longer holds every integer: 9007199254740993
      // arrives as ...992, so it is refused for its size rather than called "not an integer".
      return v > 0
        ? `must be a whole number no larger than ${Number.MAX_SAFE_INTEGER}: a larger one cannot be held exactly`
        : `must be a whole number no smaller than ${-Number.MAX_SAFE_INTEGER}: a smaller one cannot be held exactly`;
    case 'boolean':
      return 'must be true or false';
    case 'timestamp':
      return timeProblem(v);
    case 'date':
      return 'must be a date YYYY-MM-DD';
    case 'currency':
      // Well formed but not in use ('GPB', 'ZZZ') is most likely a typo: say so apart from a value that is no code at all.
      return isCurrencyShaped(v) ? 'is not an ISO 4217 currency code in use (e.g. GBP, EUR, USD)' : 'must be an ISO 4217 currency code';
    case 'enum': {
      const list = `must be one of ${f.values!.join(', ')}`;
      if (!f.normalised) return list;
      const aliases = Object.entries(f.aliases ?? {}).map(([from, to]) => `; ${from} means ${to}`).join('');
      return `${list} (in any case${aliases})`;
    }
    case 'json':
      return 'must be JSON';
  }
}

const TIME_EXAMPLE = 'an ISO-8601 time with a zone, e.g. 2026-11-29T20:15:00Z or 2026-11-29T20:15:00+01:00';
/** A date and time as ISO_INSTANT has them, whatever follows (to tell a missing zone from a time that is no time). */
const DATE_AND_TIME = /^\d{4}-\d{2}-\d{2}[Tt ]\d{2}:\d{2}(:\d{2}([.,]\d+)?)?/;

/** Why a value is not a time a contract takes, saying what to send: a sender's own format most often differs by one thing. */
function timeProblem(v: unknown): string {
  if (typeof v === 'number') return `must be ${TIME_EXAMPLE}, not a number (convert seconds or milliseconds since 1970 to a time in UTC)`;
  if (typeof v !== 'string') return `must be ${TIME_EXAMPLE}`;
  // Well formed, but a day past its month's end, an hour past 23 or a zone past 23:59.
  if (ISO_INSTANT.test(v)) return 'is not a valid time';
  const head = DATE_AND_TIME.exec(v);
  if (!head) return `must be ${TIME_EXAMPLE}`;
  if (v.charAt(10) !== 'T') return `must have a capital T between the date and the time, e.g. 2026-11-29T20:15:00Z`;
  const rest = v.slice(head[0].length);
  if (rest === '') return 'has no zone: add Z if it is UTC, or the offset it was read in (+01:00 for British Summer Time); without one it could be any of 26 hours';
  return `has a zone that is not Z or an offset such as +01:00 (a lower-case z, or a name such as BST or Europe/London): send ${TIME_EXAMPLE}`;
}

/** Fields as arrays, built once per schema: validation runs per event on the producer and again per row when landing. */
interface CompiledFields {
  names: string[];
  fields: Field[];
  checks: Check[];
  known: Set<string>;
  /** The whole check for a good input, in one generated function; undefined for any bad one. */
  valid: (src: Record<string, unknown>) => Record<string, unknown> | undefined;
}

const compiled = new WeakMap<Fields, CompiledFields>();

function compile(fields: Fields): CompiledFields {
  let c = compiled.get(fields);
  if (!c) {
    const names: string[] = [];
    for (const name in fields) names.push(name);
    const list = names.map((n) => fields[n]!);
    const checks = list.map(checkFor);
    c = { names, fields: list, checks, known: new Set(names), valid: generate(names, list, checks) };
    compiled.set(fields, c);
  }
  return c;
}

/**
 * The good-input path as straight-line code: one local per field, one check call per field (each its own
 * call site, so each is inlined), and the output built as one object literal with the contract's key
 * order. Names come from contract definitions in code and are written as JSON string literals. About 4x
 * faster than the loop, which now only runs to say what is wrong with a bad input.
 */
function generate(names: string[], fields: Field[], checks: Check[]): CompiledFields['valid'] {
  const body: string[] = ['let present = 0;'];
  names.forEach((name, i) => {
    const key = JSON.stringify(name);
    body.push(
      `let o${i} = null;`,
      `{ const v = src[${key}];`,
      `  if (v === undefined || v === null) { ${fields[i]!.isOptional ? '' : 'return undefined; '}if (v === null || ${key} in src) present++; }`,
      `  else { present++; o${i} = c${i}(v); if (o${i} === BAD) return undefined; } }`,
    );
  });
  // Any key the contract does not name makes the input bad (the loop says which).
  body.push('let n = 0;', 'for (const k in src) n++;', 'if (n !== present) return undefined;');
  body.push(`return { ${names.map((name, i) => `${JSON.stringify(name)}: o${i}`).join(', ')} };`);
  const params = checks.map((_, i) => `c${i}`);
  const make = new Function('BAD', ...params, `return function valid(src) {\n${body.join('\n')}\n};`) as (
    bad: typeof BAD,
    ...c: Check[]
  ) => CompiledFields['valid'];
  return make(BAD, ...checks);
}

/**
 * Validates `input` against `fields` and returns a normalised copy (timestamps as UTC `...Z`,
 * currencies upper case, absent optionals as null) or the list of errors. Unknown fields are
 * errors: a contract is a promise about shape, and silently dropping data hides producer bugs.
 */
export function validateFields(
  fields: Fields,
  input: unknown,
  prefix = 'payload',
): { value: Record<string, unknown>; errors: null } | { value: null; errors: FieldError[] } {
  if (input === null || typeof input !== 'object' || Array.isArray(input)) {
    // A payload sent as text holding JSON (serialised twice) is the usual way to get here: say so.
    const message = typeof input === 'string' ? 'must be an object, not a string: send the payload as JSON itself, not as text holding JSON' : 'must be an object';
    return { value: null, errors: [{ path: prefix, message }] };
  }
  const { names, fields: list, checks, known, valid } = compile(fields);
  const src = input as Record<string, unknown>;
  const value = valid(src);
  if (value) return { value, errors: null };
  const errors: FieldError[] = [];
  for (let i = 0; i < names.length; i++) {
    const name = names[i]!;
    const v = src[name];
    if (v === undefined || v === null) {
      if (!list[i]!.isOptional) errors.push({ path: `${prefix}.${name}`, message: 'is required' });
    } else if (checks[i]!(v) === BAD) errors.push({ path: `${prefix}.${name}`, message: whyBad(list[i]!, v) });
  }
  for (const name in src) {
    if (!known.has(name)) errors.push({ path: `${prefix}.${name}`, message: NOT_A_FIELD });
  }
  return { value: null, errors };
}
