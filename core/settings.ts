// A connector's settings, read so that every one that is set but wrong is named, all at once, before anything
// runs. Until 2026-12-02 a wrong setting was thrown as if the connector were not configured (FRESHDESK_PLAN=
// enterprize) or not seen at all (a rate limit of "ten" became NaN), so `puddle start` ran without the connector
// behind one log line, and the charity found out hours later. An unset setting takes its default; credentials
// that are missing are the connector's to call "not configured" (the hub then runs its sandbox, or goes without).
import { startDateSetting } from './config.js';
import { ConfigError } from './errors.js';
import { isSecretName } from './log.js';
import { isCurrencyCode } from './money.js';
import type { SecretStore } from './ports.js';

/** The range a number setting accepts: `above` excludes its bound, `min` and `max` include theirs. */
export interface NumberRange {
  min?: number;
  above?: number;
  max?: number;
  whole?: boolean;
}

function rangeWords(r: NumberRange): string {
  const kind = r.whole ? 'a whole number' : 'a number';
  const low = r.above !== undefined ? `above ${r.above}` : r.min !== undefined ? `${r.min}` : null;
  if (low !== null && r.max !== undefined) return r.above !== undefined ? `${kind} ${low} and at most ${r.max}` : `${kind} from ${low} to ${r.max}`;
  if (low !== null) return r.above !== undefined ? `${kind} ${low}` : `${kind} of ${low} or more`;
  return r.max !== undefined ? `${kind} of at most ${r.max}` : kind;
}

function inRange(n: number, r: NumberRange): boolean {
  if (!Number.isFinite(n) || (r.whole && !Number.isSafeInteger(n))) return false;
  return !((r.min !== undefined && n < r.min) || (r.above !== undefined && n <= r.above) || (r.max !== undefined && n > r.max));
}

export class SettingsReader {
  readonly #secrets: SecretStore;
  readonly #problems: string[] = [];

  constructor(secrets: SecretStore) {
    this.#secrets = secrets;
  }

  /** The setting as set, trimmed; undefined when unset or empty. */
  text(name: string): string | undefined {
    const value = this.#secrets.get(name)?.trim();
    return value ? value : undefined;
  }

  /**
   * Records a setting that is set but wrong: its name and what it accepts, then what it was, except for a
   * setting named like a secret, whose value is never shown (it would reach a terminal, a log, a CI page).
   */
  problem(name: string, accepts: string, value?: string): void {
    const got = value === undefined || isSecretName(name) ? '' : ` (got ${JSON.stringify(value.slice(0, 40))})`;
    this.#problems.push(`${name} must be ${accepts}${got}`);
  }

  /** A number in `range`, or `fallback` when unset (and when wrong: the problem is recorded). */
  number(name: string, fallback: number, range: NumberRange): number {
    const text = this.text(name);
    if (text === undefined) return fallback;
    const n = Number(text);
    if (inRange(n, range)) return n;
    this.problem(name, rangeWords(range), text);
    return fallback;
  }

  /** One of `values` (read in any case), or `fallback` when unset. */
  oneOf<T extends string>(name: string, values: readonly T[], fallback: T): T {
    const text = this.text(name);
    if (text === undefined) return fallback;
    const value = text.toLowerCase() as T;
    if (values.includes(value)) return value;
    this.problem(name, `one of ${values.join(', ')}`, text);
    return fallback;
  }

  /** `true` or `false` (in any case), or `fallback` when unset. */
  flag(name: string, fallback: boolean): boolean {
    return this.oneOf(name, ['true', 'false'] as const, fallback ? 'true' : 'false') === 'true';
  }

  /**
   * An http(s) URL with a host, or undefined when unset. `accepts` says what it should be, with an example. Its
   * value is not shown: a URL can carry a user and password.
   */
  url(name: string, accepts: string): string | undefined {
    const text = this.text(name);
    if (text === undefined) return undefined;
    let url: URL | null = null;
    try {
      url = new URL(text);
    } catch {
      // not a URL: recorded below
    }
    if (url && (url.protocol === 'http:' || url.protocol === 'https:') && url.hostname) return text;
    this.problem(name, accepts);
    return undefined;
  }

  /** Text that matches `pattern` whole, or undefined when unset. */
  matching(name: string, pattern: RegExp, accepts: string): string | undefined {
    const text = this.text(name);
    if (text === undefined || pattern.test(text)) return text;
    this.problem(name, accepts, text);
    return undefined;
  }

  /** An ISO 4217 code in use (any case, given upper case), or `fallback` when unset. */
  currency(name: string, fallback: string): string {
    const text = this.text(name);
    if (text === undefined) return fallback;
    if (isCurrencyCode(text)) return text.toUpperCase();
    this.problem(name, 'an ISO 4217 currency code in use, such as GBP', text);
    return fallback;
  }

  /** A start date (core/config.ts startDateSetting); a wrong one is recorded and a year back is used meanwhile. */
  startDate(name: string, now: Date): Date {
    try {
      return startDateSetting(this.#secrets, name, now);
    } catch (err) {
      if (!(err instanceof ConfigError)) throw err;
      this.#problems.push(err.message);
      return startDateSetting({ get: () => undefined }, name, now);
    }
  }

  /** Throws one ConfigError naming every setting that is wrong, a line each; nothing when all are right. */
  check(): void {
    if (this.#problems.length) throw new ConfigError(this.#problems.join('\n'));
  }
}
