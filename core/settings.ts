// A connector's settings, read so that every one that is set but wrong is named, all at once, before anything
// runs. Until 2026-12-02 a wrong setting was thrown as if the connector were not configured (FRESHDESK_PLAN=
// enterprize) or not seen at all (a rate limit of "ten" became NaN), so `puddle start` ran without the connector
// behind one log line, and the charity found out hours later. An unset setting takes its default; credentials
// that are missing are the connector's to call "not configured" (the hub then runs its sandbox, or goes without),
// but a group of credentials set in part is a mistake (credentials() below).
//
// The same reader takes the hub's own environment (PORT, PUDDLE_*: core/config.ts) and the CLI's whole-number
// options go through readNumber: one reading of a number everywhere, so `PORT=abc` is refused as
// `--port abc` is, instead of running with NaN.
import { ConfigError } from './errors.js';
import { isSecretName } from './log.js';
import { isCurrencyCode } from './money.js';
import type { SecretStore } from './ports.js';
import { utcInstantMs } from './time.js';

/**
 * The range a number setting accepts: `above` excludes its bound, `min` and `max` include theirs. `unit` is only
 * for the words (`a whole number of seconds, at least 1`).
 */
export interface NumberRange {
  min?: number;
  above?: number;
  max?: number;
  whole?: boolean;
  unit?: string;
}

/** What a range accepts, in words: `a whole number from 0 to 65535`. */
export function rangeWords(r: NumberRange): string {
  const kind = `${r.whole ? 'a whole number' : 'a number'}${r.unit ? ` of ${r.unit}` : ''}`;
  // After a unit, "of 1 or more" would read "a whole number of seconds of 1 or more".
  const of = r.unit ? ',' : ' of';
  const low = r.above !== undefined ? `above ${r.above}` : r.min !== undefined ? `${r.min}` : null;
  if (low !== null && r.max !== undefined) return r.above !== undefined ? `${kind} ${low} and at most ${r.max}` : `${kind} from ${low} to ${r.max}`;
  if (low !== null) return r.above !== undefined ? `${kind} ${low}` : r.unit ? `${kind}, at least ${low}` : `${kind} of ${low} or more`;
  return r.max !== undefined ? `${kind}${of} at most ${r.max}` : kind;
}

/**
 * Plain decimal digits only. Number() alone reads `abc` as NaN, which every comparison takes as false (so a
 * bound check passed it), and takes '0x10', '1e3' and 'Infinity', which in a setting are more likely a mistake
 * than meant.
 */
const WHOLE = /^-?\d+$/;
const DECIMAL = /^-?(?:\d+(?:\.\d*)?|\.\d+)$/;

/** The number `text` says when it is one in `range`; undefined otherwise. */
export function readNumber(text: string, range: NumberRange): number | undefined {
  if (!(range.whole ? WHOLE : DECIMAL).test(text)) return undefined;
  const n = Number(text);
  if (!Number.isFinite(n) || (range.whole && !Number.isSafeInteger(n))) return undefined;
  const out = (range.min !== undefined && n < range.min) || (range.above !== undefined && n <= range.above) || (range.max !== undefined && n > range.max);
  return out ? undefined : n;
}

const YEAR_MS = 365 * 86_400_000;

/**
 * A connector's start date setting (`STRIPE_START_DATE`, ...), read as `puddle sync --from` reads its time: a
 * date (its midnight UTC) or an ISO time, no zone meaning UTC. `new Date(text)` read a time without a zone in
 * the machine's zone, so one setting started the backfill at different hours on a laptop and on a server, and
 * it rolled 2026-02-30 over to 2 March. Unset or empty: a year before `now`.
 */
export function startDateSetting(secrets: SecretStore, name: string, now: Date): Date {
  const text = secrets.get(name)?.trim();
  if (!text) return new Date(now.getTime() - YEAR_MS);
  const ms = utcInstantMs(text);
  if (Number.isNaN(ms)) {
    throw new ConfigError(`${name} must be a date YYYY-MM-DD or a time such as 2026-11-30T18:00:00Z (no zone: UTC), on the calendar (got ${JSON.stringify(text.slice(0, 40))})`);
  }
  return new Date(ms);
}

/** A connector's credentials: each entry a name, or names of which one is enough (a domain or a base URL). */
export type CredentialGroup = readonly (string | readonly string[])[];

/** Settings read from an environment (the hub's, a Lambda's, a CLI's). */
export function envSettings(env: NodeJS.ProcessEnv): SettingsReader {
  return new SettingsReader({ get: (name) => env[name] });
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
  number<F extends number | undefined>(name: string, fallback: F, range: NumberRange): number | F {
    const text = this.text(name);
    if (text === undefined) return fallback;
    const n = readNumber(text, range);
    if (n !== undefined) return n;
    this.problem(name, rangeWords(range), text);
    return fallback;
  }

  /**
   * Whether a connector's credentials are all set. None set is "not configured" (false, nothing recorded: the
   * hub runs its sandbox, or goes without). Some set and some not is a mistake, not a connector to skip: until
   * 2026-12-02 FRESHDESK_API_KEY without FRESHDESK_DOMAIN was only logged as "not configured" and the hub ran
   * the sandbox in its place. It is recorded naming what is missing (never a value); `alsoCounted` are
   * credentials that show the connector was meant to be configured without being needed (another auth mode's).
   */
  credentials(connector: string, group: CredentialGroup, alsoCounted: readonly string[] = []): boolean {
    const isSet = (names: string | readonly string[]) => (typeof names === 'string' ? [names] : names).some((n) => this.text(n) !== undefined);
    const missing = group.filter((names) => !isSet(names));
    if (missing.length === 0) return true;
    const given = [...new Set([...group.flat(), ...alsoCounted])].filter((n) => isSet(n));
    if (given.length === 0) return false;
    const words = (names: string | readonly string[]) => (typeof names === 'string' ? names : names.join(' or '));
    this.#problems.push(
      `${missing.map(words).join(', ')} must be set too: ${given.join(', ')} ${given.length === 1 ? 'is' : 'are'} set, and ${connector} needs all of ${group.map(words).join(', ')} (or none, to leave it unconfigured)`,
    );
    return false;
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

  /** A start date (startDateSetting); a wrong one is recorded and a year back is used meanwhile. */
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
