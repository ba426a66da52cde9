import { rangeWords, readNumber, type NumberRange } from '../settings.js';

/** The most of a parameter's name an error repeats: the name is the caller's text, of any length. */
const SHOWN_NAME = 40;
// eslint-disable-next-line no-control-regex
const CONTROL = /[\u0000-\u001f\u007f-\u009f]/g;

/** A parameter name as an error repeats it: control characters left out, at most 40 characters, then an ellipsis. */
export function shownName(name: string): string {
  const clean = name.replace(CONTROL, '');
  return clean.length > SHOWN_NAME ? `${clean.slice(0, SHOWN_NAME)}…` : clean;
}

/**
 * A read route's query string as one value per parameter, or what is wrong with it (a 400 naming the parameter).
 *
 * Fastify makes a repeated parameter an array. Taking its first value answered `?campaign=A&campaign=B` with
 * campaign A alone, as if B had not been asked; so a parameter given twice is refused, as one the route does not
 * take is.
 */
export function queryParams<K extends string>(query: Record<string, unknown>, names: readonly K[]): { params: Partial<Record<K, string>> } | { error: string } {
  const params: Partial<Record<K, string>> = {};
  for (const [k, v] of Object.entries(query)) {
    if (!(names as readonly string[]).includes(k)) return { error: `${shownName(k)} is not a parameter (${names.join(', ')})` };
    if (Array.isArray(v)) return { error: `${k} is given ${v.length} times: give it once` };
    if (v !== undefined) params[k as K] = String(v);
  }
  return { params };
}

/**
 * A number parameter, read as every number setting is (core/settings.ts readNumber: digits only, so `1e2`,
 * `0x10` and `100.0` are refused rather than taken as 100), or `fallback` when absent; else the 400's words.
 */
export function numberParam(name: string, text: string | undefined, fallback: number, range: NumberRange): { value: number } | { error: string } {
  if (text === undefined) return { value: fallback };
  const value = readNumber(text, range);
  return value === undefined ? { error: `${name} must be ${rangeWords(range)}` } : { value };
}
