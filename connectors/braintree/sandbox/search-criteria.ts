import { dayOf, parseSearchTime } from './time.js';

/** A criterion the gateway would refuse; answered as a 422 api-error-response under `search`. */
export class SearchCriteriaError extends Error {
  constructor(
    readonly attribute: string,
    message: string,
  ) {
    super(message);
  }
}

/** How one search field reads a record. Range values are ISO datetimes, dates or decimal strings. */
export type FieldSpec<T> =
  | { kind: 'datetime' | 'date' | 'amount'; values: (r: T) => readonly (string | null)[] }
  | { kind: 'multiple'; values: (r: T) => readonly string[] }
  | { kind: 'text'; value: (r: T) => string | null }
  | { kind: 'boolean'; value: (r: T) => boolean };

export interface CompiledSearch<T> {
  matches: (r: T) => boolean;
  /** The `ids` criterion (the second step of a search), for direct lookup. */
  ids: readonly string[] | null;
  /** Inclusive bounds on `created_at` in ms, to narrow the scan. */
  created: { min: number; max: number } | null;
}

const RANGE_KEYS = new Set(['min', 'max', 'is']);
const TEXT_OPS: Record<string, (have: string, want: string) => boolean> = {
  is: (h, w) => h === w,
  is_not: (h, w) => h !== w,
  starts_with: (h, w) => h.startsWith(w),
  ends_with: (h, w) => h.endsWith(w),
  contains: (h, w) => h.includes(w),
};

function isPlainObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/**
 * Turn the SDK's `{search: {...}}` criteria into a predicate: ranges (`min`/`max`/`is`, inclusive, as
 * Braintree's are), multiple-value lists, text operators and booleans. Unknown fields and unreadable
 * values throw SearchCriteriaError instead of matching nothing, so a connector's typo fails loudly.
 */
export function compileSearch<T>(search: unknown, fields: Readonly<Record<string, FieldSpec<T>>>): CompiledSearch<T> {
  if (!isPlainObject(search)) throw new SearchCriteriaError('search', 'Search criteria must be an object.');
  const tests: ((r: T) => boolean)[] = [];
  let ids: string[] | null = null;
  let created: { min: number; max: number } | null = null;
  for (const [name, criterion] of Object.entries(search)) {
    if (name === 'ids') {
      ids = stringList(name, criterion);
      const wanted = new Set(ids);
      const idOf = fields.id?.kind === 'text' ? fields.id.value : null;
      if (idOf) tests.push((r) => wanted.has(idOf(r) ?? ''));
      continue;
    }
    const spec = fields[name];
    if (!spec) throw new SearchCriteriaError(name, `${name} is not a search field.`);
    if (spec.kind === 'multiple') {
      const wanted = new Set(stringList(name, criterion));
      tests.push((r) => spec.values(r).some((v) => wanted.has(v)));
    } else if (spec.kind === 'text') {
      tests.push(textTest(name, criterion, spec.value));
    } else if (spec.kind === 'boolean') {
      const want = criterion === true || criterion === 'true' ? true : criterion === false || criterion === 'false' ? false : null;
      if (want === null) throw new SearchCriteriaError(name, `${name} must be true or false.`);
      tests.push((r) => spec.value(r) === want);
    } else {
      const bounds = rangeBounds(name, criterion, spec.kind);
      if (name === 'created_at' && spec.kind === 'datetime') created = { min: bounds.min as number, max: bounds.max as number };
      tests.push(rangeTest(spec.kind, bounds, spec.values));
    }
  }
  return { matches: (r) => tests.every((t) => t(r)), ids, created };
}

function stringList(name: string, value: unknown): string[] {
  const list = typeof value === 'string' ? [value] : value;
  if (!Array.isArray(list) || !list.every((v) => typeof v === 'string' || typeof v === 'number')) {
    throw new SearchCriteriaError(name, `${name} must be a list of values.`);
  }
  return list.map(String);
}

function textTest<T>(name: string, criterion: unknown, value: (r: T) => string | null): (r: T) => boolean {
  if (!isPlainObject(criterion) || Object.keys(criterion).length === 0) throw new SearchCriteriaError(name, `${name} needs one of ${Object.keys(TEXT_OPS).join(', ')}.`);
  const checks = Object.entries(criterion).map(([op, want]) => {
    const test = TEXT_OPS[op];
    if (!test || typeof want !== 'string') throw new SearchCriteriaError(name, `${name} ${op} is not a text search.`);
    return (have: string | null) => have !== null && test(have, want);
  });
  return (r) => checks.every((check) => check(value(r)));
}

type Bound = number | string;

function rangeBounds(name: string, criterion: unknown, kind: 'datetime' | 'date' | 'amount'): { min: Bound; max: Bound } {
  if (!isPlainObject(criterion) || Object.keys(criterion).length === 0 || !Object.keys(criterion).every((k) => RANGE_KEYS.has(k))) {
    throw new SearchCriteriaError(name, `${name} needs min, max or is.`);
  }
  const read = (v: unknown): Bound => {
    const parsed = typeof v === 'string' || typeof v === 'number' ? readBound(String(v), kind) : null;
    if (parsed === null) throw new SearchCriteriaError(name, `${name} value ${JSON.stringify(v)} is not a valid ${kind}.`);
    return parsed;
  };
  const low: Bound = kind === 'date' ? '0000-00-00' : -Infinity;
  const high: Bound = kind === 'date' ? '9999-99-99' : Infinity;
  if ('is' in criterion) {
    const at = read(criterion.is);
    return { min: at, max: at };
  }
  return { min: 'min' in criterion ? read(criterion.min) : low, max: 'max' in criterion ? read(criterion.max) : high };
}

function readBound(text: string, kind: 'datetime' | 'date' | 'amount'): Bound | null {
  if (kind === 'amount') {
    const n = Number(text);
    return text.trim() !== '' && Number.isFinite(n) ? n : null;
  }
  if (kind === 'date' && /^\d{4}-\d{2}-\d{2}$/.test(text)) return text;
  const ms = parseSearchTime(text);
  if (Number.isNaN(ms)) return null;
  // Datetimes are compared to the second, as the gateway stores them.
  return kind === 'date' ? dayOf(ms) : Math.floor(ms / 1000) * 1000;
}

function rangeTest<T>(kind: 'datetime' | 'date' | 'amount', bounds: { min: Bound; max: Bound }, values: (r: T) => readonly (string | null)[]): (r: T) => boolean {
  const toBound = (v: string): Bound => (kind === 'date' ? v.slice(0, 10) : kind === 'amount' ? Number(v) : Date.parse(v));
  return (r) =>
    values(r).some((v) => {
      if (v === null) return false;
      const b = toBound(v);
      return b >= bounds.min && b <= bounds.max;
    });
}
