import { ConfigError } from '../../core/errors.js';
import { rangeWords, readNumber } from '../../core/settings.js';

/**
 * A whole-number option of at least `min` (and at most `max`), or undefined when it was not given. Read with
 * Number() alone, `--min-files abc` was NaN, which every comparison takes as false: compact merged nothing and
 * exited 0. It is read as every number setting is (core/settings.ts readNumber: only digits, not `1e3`, `0x10`,
 * `2.5` or `-1`); anything else is a ConfigError naming the option, which the CLI prints and exits 2 on.
 */
export function wholeNumberOption(values: Record<string, string | boolean | undefined>, name: string, range: { min: number; max?: number }): number | undefined {
  const text = values[name];
  if (text === undefined) return undefined;
  const whole = { ...range, whole: true };
  const n = typeof text === 'string' ? readNumber(text, whole) : undefined;
  if (n === undefined) throw new ConfigError(`--${name} takes ${rangeWords(whole)}, not ${JSON.stringify(text)}`);
  return n;
}
