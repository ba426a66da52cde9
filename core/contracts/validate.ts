import type { Field, Fields } from './schema.js';

export interface FieldError {
  path: string;
  message: string;
}

const ISO_INSTANT = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d{1,9})?)?(Z|[+-]\d{2}:?\d{2})$/;
const ISO_DATE = /^\d{4}-\d{2}-\d{2}$/;
const CURRENCY = /^[A-Z]{3}$/;
const MAX_STRING = 4096;

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
  const src = input as Record<string, unknown>;
  const out: Record<string, unknown> = {};
  const errors: FieldError[] = [];
  for (const name in fields) {
    const f = fields[name]!;
    const v = src[name];
    if (v === undefined || v === null) {
      if (!f.isOptional) errors.push({ path: `${prefix}.${name}`, message: 'is required' });
      out[name] = null;
      continue;
    }
    const r = checkValue(f, v);
    if (typeof r === 'string') errors.push({ path: `${prefix}.${name}`, message: r });
    else out[name] = r.ok;
  }
  for (const name in src) {
    if (!(name in fields)) errors.push({ path: `${prefix}.${name}`, message: 'is not a field of this contract' });
  }
  return errors.length ? { value: null, errors } : { value: out, errors: null };
}

function checkValue(f: Field, v: unknown): { ok: unknown } | string {
  switch (f.kind) {
    case 'string':
      if (typeof v !== 'string') return 'must be a string';
      if (v.length > MAX_STRING) return `must be at most ${MAX_STRING} characters`;
      return { ok: v };
    case 'int':
      if (typeof v !== 'number' || !Number.isSafeInteger(v)) return 'must be an integer (money is in minor units)';
      return { ok: v };
    case 'boolean':
      if (typeof v !== 'boolean') return 'must be true or false';
      return { ok: v };
    case 'timestamp': {
      if (typeof v !== 'string' || !ISO_INSTANT.test(v)) return 'must be an ISO-8601 time with a zone, e.g. 2026-11-29T20:15:00Z';
      const ms = Date.parse(v);
      if (Number.isNaN(ms)) return 'is not a valid time';
      return { ok: new Date(ms).toISOString() };
    }
    case 'date':
      if (typeof v !== 'string' || !ISO_DATE.test(v) || Number.isNaN(Date.parse(v))) return 'must be a date YYYY-MM-DD';
      return { ok: v };
    case 'currency': {
      if (typeof v !== 'string') return 'must be an ISO 4217 currency code';
      const up = v.toUpperCase();
      if (!CURRENCY.test(up)) return 'must be an ISO 4217 currency code';
      return { ok: up };
    }
    case 'enum':
      if (typeof v !== 'string' || !f.values!.includes(v)) return `must be one of ${f.values!.join(', ')}`;
      return { ok: v };
    case 'json':
      return { ok: typeof v === 'string' ? v : JSON.stringify(v) };
  }
}
