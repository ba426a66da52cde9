import { ConfigError } from '../../core/errors.js';

/**
 * A whole-number option of at least `min` (and at most `max`), or undefined when it was not given. Read with
 * Number() alone, `--min-files abc` was NaN, which every comparison takes as false: compact merged nothing and
 * exited 0. Only digits are taken (not `1e3`, `0x10`, `2.5` or `-1`); anything else is a ConfigError naming the
 * option, which the CLI prints and exits 2 on.
 */
export function wholeNumberOption(values: Record<string, string | boolean | undefined>, name: string, range: { min: number; max?: number }): number | undefined {
  const text = values[name];
  if (text === undefined) return undefined;
  const n = typeof text === 'string' && /^\d+$/.test(text) ? Number(text) : Number.NaN;
  const { min, max = Number.MAX_SAFE_INTEGER } = range;
  if (!Number.isSafeInteger(n) || n < min || n > max) {
    const bounds = max < Number.MAX_SAFE_INTEGER ? `from ${min} to ${max}` : `of ${min} or more`;
    throw new ConfigError(`--${name} takes a whole number ${bounds}, not ${JSON.stringify(text)}`);
  }
  return n;
}

/** A listen port: 0 picks a free one. */
export const PORT_RANGE = { min: 0, max: 65_535 };
