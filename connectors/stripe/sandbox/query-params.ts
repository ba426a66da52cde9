import { invalidParam, unknownParam } from './stripe-errors.js';

/**
 * Stripe's form-style parameters grouped by name: `created[gte]=1` is keyed, `expand[0]=a` and
 * `expand[]=a` are a list, `limit=10` is a scalar. The SDK sends brackets unencoded in GET query strings.
 */
export interface Param {
  scalar?: string;
  keyed: Record<string, string>;
  list: string[];
}

export type Params = Map<string, Param>;

export function parseParams(search: string): Params {
  const params: Params = new Map();
  for (const [rawKey, value] of new URLSearchParams(search)) {
    const m = /^([^[\]]+)(?:\[([^\]]*)\])?$/.exec(rawKey);
    if (!m) throw invalidParam(rawKey, `Invalid parameter name: ${rawKey}`);
    const name = m[1]!;
    const sub = m[2];
    let p = params.get(name);
    if (!p) params.set(name, (p = { keyed: {}, list: [] }));
    if (sub === undefined) p.scalar = value;
    else if (sub === '' || /^\d+$/.test(sub)) p.list.push(value);
    else p.keyed[sub] = value;
  }
  return params;
}

export function rejectUnknown(params: Params, allowed: ReadonlySet<string>): void {
  for (const name of params.keys()) if (!allowed.has(name)) throw unknownParam(name);
}

export function intParam(params: Params, name: string): number | undefined {
  const v = params.get(name)?.scalar;
  if (v === undefined) return undefined;
  if (!/^-?\d+$/.test(v)) throw invalidParam(name, `Invalid integer: ${v}`);
  return Number(v);
}

export function stringParam(params: Params, name: string): string | undefined {
  const p = params.get(name);
  if (!p) return undefined;
  if (p.scalar === undefined) throw invalidParam(name, `Invalid string: ${name} must be a string`);
  return p.scalar;
}

/** An inclusive [min, max] range from `name=<int>` or `name[gt|gte|lt|lte]=<int>`. */
export function rangeParam(params: Params, name: string): { min: number; max: number } | undefined {
  const p = params.get(name);
  if (!p) return undefined;
  const int = (key: string, v: string): number => {
    if (!/^-?\d+$/.test(v)) throw invalidParam(`${name}${key}`, `Invalid integer: ${v}`);
    return Number(v);
  };
  if (p.scalar !== undefined) {
    const t = int('', p.scalar);
    return { min: t, max: t };
  }
  let min = -Infinity;
  let max = Infinity;
  for (const [op, v] of Object.entries(p.keyed)) {
    const t = int(`[${op}]`, v);
    if (op === 'gte') min = Math.max(min, t);
    else if (op === 'gt') min = Math.max(min, t + 1);
    else if (op === 'lte') max = Math.min(max, t);
    else if (op === 'lt') max = Math.min(max, t - 1);
    else throw unknownParam(`${name}[${op}]`);
  }
  return { min, max };
}

export function listParam(params: Params, name: string): string[] {
  const p = params.get(name);
  if (!p) return [];
  return p.scalar !== undefined ? [p.scalar, ...p.list] : p.list;
}
