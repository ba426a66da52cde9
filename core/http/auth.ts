import { createHmac, hash, timingSafeEqual } from 'node:crypto';
import { ConfigError } from '../errors.js';
import { log } from '../log.js';

// Bearer API keys and their scopes. Keys are compared as SHA-256 digests with timingSafeEqual, so neither
// the content nor the length of a configured key leaks through response timing; every key is compared on
// every call (no early exit) for the same reason. A key is never logged: callers see only its label.

/**
 * What a key may do: write events; read totals, reports and the dashboard; read only the totals and the TV page
 * (the key a charity hands a broadcaster, who must not see reconciliation breaks or the journey); or read some
 * named feeds.
 */
export type KeyScope = 'producer' | 'read' | 'tv' | 'feed' | 'retired';

/** The variable each scope's keys are set in, so that an error about a key names where it is (never the key). */
export const KEY_VARIABLES: Readonly<Record<KeyScope, string>> = {
  producer: 'PUDDLE_API_KEYS',
  read: 'PUDDLE_READ_KEYS',
  tv: 'PUDDLE_TV_KEYS',
  feed: 'PUDDLE_FEED_KEYS',
  retired: 'PUDDLE_RETIRED_KEYS',
};

/** Who presented a key: its scope and a label safe to log and audit (`read#2`: the second read key, `tv#1`). */
export interface KeyIdentity {
  scope: KeyScope;
  label: string;
  /** For a feed key: the feeds it may read. */
  feeds: readonly string[];
  /** For a producer key: its events' envelope source, `producer:<name>` for a named key, else `producer`. */
  source?: string;
}

export interface KeyRingConfig {
  /** PUDDLE_API_KEYS's entries as written: `key` or `key:name` (producerKeyEntry). */
  producer?: readonly string[];
  read?: readonly string[];
  tv?: readonly string[];
  feeds?: readonly FeedKey[];
  /**
   * Keys taken out of use (PUDDLE_RETIRED_KEYS): they open nothing, but a client still sending one gets 401
   * `key_retired` and is not counted as guessing (auth-failures.ts), so after a rotation a supplier's machine still
   * on the old key cannot get the address it shares with everyone (a proxy, an office) refused for the others.
   */
  retired?: readonly string[];
  /**
   * Producer keys the hub makes for producers of its own (the sandboxes' pretend website): they write events,
   * but nobody configured them, so `has` does not count them and a 401 still says to set PUDDLE_API_KEYS.
   */
  hubProducer?: readonly string[];
}

export interface FeedKey {
  key: string;
  feeds: readonly string[];
}

export interface KeyRing {
  /** The identity of a presented key, or null for none or an unknown key. */
  identify(presented: string | undefined): KeyIdentity | null;
  /** Whether any key of this scope exists (a 401 then says which variable to set). */
  has(scope: KeyScope): boolean;
  /**
   * `message` signed with a key (HMAC-SHA256 under the key's digest, base64url), given as presented or as the identity
   * the ring gave it: what a dashboard pass carries. Undefined for an identity not of this ring.
   */
  sign(by: string | KeyIdentity, message: string): string | undefined;
  /** The identity of the ring's key that signed `message` as `signature`, or null (every key tried, no early exit). */
  signer(message: string, signature: string): KeyIdentity | null;
}

// One-shot hash: no Hash object per request (this runs on every producer request).
const digest = (s: string): Buffer => hash('sha256', s, 'buffer') as unknown as Buffer;
// Keyed by the key's digest, which is as secret as the key and is all the ring keeps of it.
const mac = (keyDigest: Buffer, message: string): Buffer => createHmac('sha256', keyDigest).update(message).digest();

/** The key in `Bearer <key>` (RFC 7235 schemes are case-insensitive), or undefined. */
export function bearerKey(authorization: string | undefined): string | undefined {
  if (authorization === undefined || authorization.length < 8 || authorization.slice(0, 7).toLowerCase() !== 'bearer ') return undefined;
  const key = authorization.slice(7).trim();
  return key === '' ? undefined : key;
}

/** A producer key's name: lower-case letters, digits, `-`, `_` and `.`, up to 40, starting with a letter or digit. */
const PRODUCER_NAME = /^[a-z0-9][a-z0-9_.-]{0,39}$/;

/**
 * A PUDDLE_API_KEYS entry: `key`, or `key:name` to name the supplier the key is given to. A named key's events
 * have the envelope source `producer:<name>` (the lake's `_source`), so finance can tell which supplier sent a
 * donation, and two keys of one supplier (the old and the new, while it rotates) share its name. The name is
 * what follows the last colon; an entry whose last colon is not followed by a valid name is refused at start
 * (checkProducerEntries), so a key that itself holds a colon is never cut short silently.
 */
export function producerKeyEntry(entry: string): { key: string; name?: string } {
  const at = entry.lastIndexOf(':');
  return at < 0 ? { key: entry } : { key: entry.slice(0, at).trim(), name: entry.slice(at + 1).trim() };
}

/** The envelope source of a producer key's events. */
export const producerSource = (name: string | undefined): string => (name === undefined ? 'producer' : `producer:${name}`);

/**
 * The source of what the sandboxes' pretend website sends with the key the hub makes for it (`hubProducer`): its
 * made-up donations are told apart from a real producer's in SQL (until 2026-12-06 they were `producer`, as an
 * unnamed key's are; a security review).
 */
export const SANDBOX_WEBSITE_SOURCE = producerSource('sandbox-website');

/**
 * Refuses a PUDDLE_API_KEYS entry with an empty key, a name that is not one, or a named key shorter than
 * MIN_KEY_LENGTH. Named by position, never the key. The last is how a key made before names, which itself holds a
 * colon (`sms:0f3a...`), is told from `key:name`: its part before the colon is short, and taken as `key:name` it
 * would have been cut short and its secret half written into every event's source (a user test, the day names
 * came). An unnamed short key is only warned about (shortKeys), so a hub set up so still starts on the night.
 */
export function checkProducerEntries(entries: readonly string[]): void {
  entries.forEach((entry, i) => {
    const { key, name } = producerKeyEntry(entry);
    if (key !== '' && (name === undefined || (PRODUCER_NAME.test(name) && key.length >= MIN_KEY_LENGTH && !looksLikeSecret(name)))) return;
    throw new ConfigError(
      `PUDDLE_API_KEYS entry ${i + 1} must be key or key:name, the key at least ${MIN_KEY_LENGTH} characters when named, the name in ` +
        'lower-case letters, digits, -, _ and . (up to 40, not a run of hex digits like part of a key), naming who the key is given ' +
        'to (a supplier, the website); the name is what follows the last colon, so a key made before names that holds a colon is ' +
        'read as a key and a name: make a new key for its producer and retire the old one',
    );
  });
}

/**
 * Whether a name looks like the secret half of a key made before names (`charity-website:0f3a9b2c7d4e5f60`): eight or
 * more hex characters in a row, three or more of them digits (`openssl rand -hex` gives such runs nearly always; a
 * supplier's name, `sms-agency`, `appeal-2026`, does not).
 */
function looksLikeSecret(name: string): boolean {
  return (name.match(/[0-9a-f]{8,}/g) ?? []).some((run) => run.replace(/[a-f]/g, '').length >= 3);
}

const producerKeysOf = (entries: readonly string[] | undefined): string[] => (entries ?? []).map((e) => producerKeyEntry(e).key);

/**
 * Refuses a key listed more than once (in two variables, or twice in one). A key has one scope: the ring
 * identified such a key by its first listing, so a broadcaster given a key that was also a producer key was
 * refused the totals (403) with nothing at start to say why. Named by variable and position, never the key.
 */
export function checkDistinctKeys(config: KeyRingConfig): void {
  const seen = new Map<string, string>();
  const list = (scope: KeyScope, keys: readonly string[]) => {
    const word = scope === 'feed' ? 'entry' : 'key';
    keys.forEach((k, i) => {
      if (k.length === 0) return;
      const here = `${KEY_VARIABLES[scope]} ${word} ${i + 1} (${scope}#${i + 1})`;
      const first = seen.get(k);
      if (first !== undefined) throw new ConfigError(`${first} and ${here} are the same key: list each key once (a key has one scope), and give each use a key of its own`);
      seen.set(k, here);
    });
  };
  list('producer', producerKeysOf(config.producer));
  list('read', config.read ?? []);
  list('tv', config.tv ?? []);
  list('feed', (config.feeds ?? []).map((f) => f.key));
  list('retired', config.retired ?? []);
}

/** Keys shorter than this are warned about at start (shortKeys). */
export const MIN_KEY_LENGTH = 16;

/**
 * The keys shorter than MIN_KEY_LENGTH, named by variable and position (`PUDDLE_TV_KEYS key 1 (tv#1)`), never by
 * the key or its length. A short key can be guessed: the hub limits failed attempts per address (auth-failures.ts),
 * but many addresses can still guess a short one. Warned about, not refused, so that a hub set up with short keys
 * still starts on the night; `openssl rand -hex 24` makes a good one.
 */
export function shortKeys(config: KeyRingConfig): string[] {
  const out: string[] = [];
  const list = (scope: KeyScope, keys: readonly string[]) => {
    const word = scope === 'feed' ? 'entry' : 'key';
    keys.forEach((k, i) => {
      if (k.length > 0 && k.length < MIN_KEY_LENGTH) out.push(`${KEY_VARIABLES[scope]} ${word} ${i + 1} (${scope}#${i + 1})`);
    });
  };
  list('producer', producerKeysOf(config.producer));
  list('read', config.read ?? []);
  list('tv', config.tv ?? []);
  list('feed', (config.feeds ?? []).map((f) => f.key));
  return out;
}

/** The ring of every scope's keys; a key listed twice is a ConfigError (checkDistinctKeys). */
export function createKeyRing(config: KeyRingConfig): KeyRing {
  checkDistinctKeys(config);
  const entries: { digest: Buffer; identity: KeyIdentity; configured: boolean }[] = [];
  const add = (scope: KeyScope, keys: readonly string[], feedsOf: (i: number) => readonly string[], label: string = scope, configured = true, sourceOf?: (i: number) => string) => {
    keys.forEach((k, i) => {
      if (k.length === 0) return;
      const identity: KeyIdentity = { scope, label: `${label}#${i + 1}`, feeds: feedsOf(i) };
      if (sourceOf) identity.source = sourceOf(i);
      entries.push({ digest: digest(k), identity, configured });
    });
  };
  const producers = (config.producer ?? []).map(producerKeyEntry);
  add('producer', producers.map((p) => p.key), () => [], 'producer', true, (i) => producerSource(producers[i]!.name));
  add('producer', config.hubProducer ?? [], () => [], 'hub-producer', false, () => SANDBOX_WEBSITE_SOURCE);
  add('read', config.read ?? [], () => []);
  add('tv', config.tv ?? [], () => []);
  const feedKeys = config.feeds ?? [];
  add('feed', feedKeys.map((f) => f.key), (i) => feedKeys[i]!.feeds);
  add('retired', config.retired ?? [], () => []);
  return {
    has: (scope) => entries.some((e) => e.configured && e.identity.scope === scope),
    identify(presented) {
      if (presented === undefined || presented === '' || entries.length === 0) return null;
      const d = digest(presented);
      let found: KeyIdentity | null = null;
      // No early exit: the time taken does not say which key (or whether any) matched.
      for (const e of entries) if (timingSafeEqual(d, e.digest) && found === null) found = e.identity;
      return found;
    },
    sign(by, message) {
      const keyDigest = typeof by === 'string' ? digest(by) : entries.find((e) => e.identity === by)?.digest;
      return keyDigest && mac(keyDigest, message).toString('base64url');
    },
    signer(message, signature) {
      const given = Buffer.from(signature, 'base64url');
      if (given.length !== 32) return null;
      let found: KeyIdentity | null = null;
      for (const e of entries) if (timingSafeEqual(given, mac(e.digest, message)) && found === null) found = e.identity;
      return found;
    },
  };
}

/**
 * `PUDDLE_FEED_KEYS`: `key:feed1+feed2,key2:feed3`. Errors name the entry by position, never its key.
 */
export function parseFeedKeys(text: string | undefined): FeedKey[] {
  if (text === undefined || text.trim() === '') return [];
  return text.split(',').map((entry, i) => {
    const at = entry.lastIndexOf(':');
    const key = at < 0 ? '' : entry.slice(0, at).trim();
    const feeds = at < 0 ? [] : entry.slice(at + 1).split('+').map((f) => f.trim()).filter(Boolean);
    if (key === '' || feeds.length === 0) {
      throw new ConfigError(`PUDDLE_FEED_KEYS entry ${i + 1} must be key:feed1+feed2 (a key, a colon, one or more feed names joined by +)`);
    }
    return { key, feeds };
  });
}

/**
 * PUDDLE_RETIRED_KEYS's entries as keys. An entry copied from PUDDLE_API_KEYS or PUDDLE_FEED_KEYS with its
 * `:sms-agency` or `:giro_requests+...` retires the key before the colon: until 2026-12-06 it retired nothing, and the
 * old key, taken out of PUDDLE_API_KEYS, was counted as a guess against its address (a user test). Read as
 * producerKeyEntry reads a named key (a name after the last colon, not a run of hex digits, the key at least
 * MIN_KEY_LENGTH), with `+` for a feed list; any other entry, a key holding a colon of its own, is the key as written.
 */
export function retiredKeyOf(entry: string): string {
  const { key, name } = producerKeyEntry(entry);
  const named = name !== undefined && name.split('+').every((part) => PRODUCER_NAME.test(part) && !looksLikeSecret(part));
  return named && key.length >= MIN_KEY_LENGTH ? key : entry;
}

/** The 401 for a retired key: what it is, never which. */
export const RETIRED_KEY = { code: 'key_retired', message: 'this key was retired (PUDDLE_RETIRED_KEYS): use the key that replaced it' } as const;

const retiredLoggedAt = new Map<string, number>();

/**
 * Says in the log that a retired key is still in use, at most once a minute a key (its label and the address,
 * never the key): how the operator finds the supplier still on the old key.
 */
export function retiredKeyUsed(who: KeyIdentity, address: string | undefined, now = Date.now()): void {
  if ((retiredLoggedAt.get(who.label) ?? -Infinity) > now - 60_000) return;
  retiredLoggedAt.set(who.label, now);
  // `label`, not `key`: the log masks any field named like a secret, and the label is no secret (user check: `"key":"[redacted]"`).
  log.warn('a retired key is still in use: refused with 401 key_retired', { label: who.label, address });
}
