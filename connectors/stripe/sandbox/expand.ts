import { invalidParam } from './stripe-errors.js';
import type { StripeObject } from './types.js';

/**
 * Replace id fields by the objects they name (`expand[]=balance_transaction`, nested with dots).
 * Works on copies: stored objects keep their ids, as Stripe's do.
 */
export function expandObject(obj: StripeObject, paths: readonly string[], lookup: (id: string) => StripeObject | undefined, param = 'expand'): StripeObject {
  let out = obj;
  for (const path of paths) out = expandPath(out, path.split('.'), path, lookup, param);
  return out;
}

function expandPath(obj: StripeObject, parts: string[], path: string, lookup: (id: string) => StripeObject | undefined, param: string): StripeObject {
  const [field, ...rest] = parts as [string, ...string[]];
  if (!(field in obj)) throw invalidParam(param, `This property cannot be expanded (${path}).`);
  const value = obj[field];
  if (value === null) return obj;
  let target: StripeObject | undefined;
  if (typeof value === 'string') target = lookup(value);
  else if (typeof value === 'object' && value !== null && 'id' in value) target = value as StripeObject;
  if (!target) throw invalidParam(param, `This property cannot be expanded (${path}).`);
  return { ...obj, [field]: rest.length ? expandPath(target, rest, path, lookup, param) : target };
}
