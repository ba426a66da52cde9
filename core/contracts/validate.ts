import type { Field, Fields } from './schema.js';

export interface FieldError {
  path: string;
  message: string;
}

const ISO_INSTANT = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d{1,9})?)?(Z|[+-]\d{2}:?\d{2})$/;
const ISO_DATE = /^\d{4}-\d{2}-\d{2}$/;
const CURRENCY = /^[A-Z]{3}$/;
const MAX_STRING = 4096;

/** A check's verdict on a bad value; a class, so a good value (any JSON value) can never be mistaken for it. */
class Invalid {
  constructor(readonly message: string) {}
}

/** Fields as arrays, built once per schema: validation runs per event on the producer and again per row when landing. */
interface CompiledFields {
  names: string[];
  fields: Field[];
  known: Set<string>;
}

const compiled = new WeakMap<Fields, CompiledFields>();

function compile(fields: Fields): CompiledFields {
  let c = compiled.get(fields);
  if (!c) {
    const names: string[] = [];
    for (const name in fields) names.push(name);
    c = { names, fields: names.map((n) => fields[n]!), known: new Set(names) };
    compiled.set(fields, c);
  }
  return c;
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
    return { value: null, errors: [{ path: prefix, message: 'must be an object' }] };
  }
  const { names, fields: list, known } = compile(fields);
  const src = input as Record<string, unknown>;
  const out: Record<string, unknown> = {};
  let errors: FieldError[] | null = null;
  for (let i = 0; i < names.length; i++) {
    const name = names[i]!;
    const f = list[i]!;
    const v = src[name];
    if (v === undefined || v === null) {
      if (!f.isOptional) (errors ??= []).push({ path: `${prefix}.${name}`, message: 'is required' });
      out[name] = null;
      continue;
    }
    const r = checkValue(f, v);
    if (r instanceof Invalid) (errors ??= []).push({ path: `${prefix}.${name}`, message: r.message });
    else out[name] = r;
  }
  for (const name in src) {
    if (!known.has(name)) (errors ??= []).push({ path: `${prefix}.${name}`, message: 'is not a field of this contract' });
  }
  return errors ? { value: null, errors } : { value: out, errors: null };
}

function checkValue(f: Field, v: unknown): unknown {
  switch (f.kind) {
    case 'string':
      if (typeof v !== 'string') return new Invalid('must be a string');
      if (v.length > MAX_STRING) return new Invalid(`must be at most ${MAX_STRING} characters`);
      return v;
    case 'int':
      if (typeof v !== 'number' || !Number.isSafeInteger(v)) return new Invalid('must be an integer (money is in minor units)');
      return v;
    case 'boolean':
      if (typeof v !== 'boolean') return new Invalid('must be true or false');
      return v;
    case 'timestamp': {
      if (typeof v !== 'string' || !ISO_INSTANT.test(v)) return new Invalid('must be an ISO-8601 time with a zone, e.g. 2026-11-29T20:15:00Z');
      const ms = Date.parse(v);
      if (Number.isNaN(ms) || !onTheCalendar(v)) return new Invalid('is not a valid time');
      // Already what toISOString writes (UTC, milliseconds): keep the string, skip a Date per field.
      if (v.length === 24 && v.charCodeAt(23) === 90 /* Z */) return v;
      return new Date(ms).toISOString();
    }
    case 'date':
      if (typeof v !== 'string' || !ISO_DATE.test(v) || !onTheCalendar(v)) return new Invalid('must be a date YYYY-MM-DD');
      return v;
    case 'currency': {
      if (typeof v !== 'string') return new Invalid('must be an ISO 4217 currency code');
      const up = v.toUpperCase();
      if (!CURRENCY.test(up)) return new Invalid('must be an ISO 4217 currency code');
      return up;
    }
    case 'enum':
      if (typeof v !== 'string' || !f.values!.includes(v)) return new Invalid(`must be one of ${f.values!.join(', ')}`);
      return v;
    case 'json':
      return typeof v === 'string' ? v : JSON.stringify(v);
  }
}

const DAYS_IN_MONTH = [31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31];

/**
 * Date.parse rolls impossible dates over ('2026-02-30' is 2 March, hour 24 the next day): a contract
 * must refuse them, not move a donation to another day. `v` already matched ISO_DATE or ISO_INSTANT.
 */
function onTheCalendar(v: string): boolean {
  const year = Number(v.slice(0, 4));
  const month = Number(v.slice(5, 7));
  const day = Number(v.slice(8, 10));
  if (month < 1 || month > 12 || day < 1) return false;
  const leap = year % 4 === 0 && (year % 100 !== 0 || year % 400 === 0);
  if (day > (month === 2 && leap ? 29 : DAYS_IN_MONTH[month - 1]!)) return false;
  return v.length === 10 || (Number(v.slice(11, 13)) < 24 && Number(v.slice(14, 16)) < 60);
}
