import type { KeyIdentity } from './auth.js';
import { log } from '../log.js';

// A limit on failed key attempts per client address. Keys are long and random (see README, "Keys and scopes"), but
// without a limit anyone who reaches the hub could try them as fast as it answers (thousands a second).

export interface AuthFailuresOptions {
  /** Unknown keys an address may present within `windowMs` before it is refused (default 20). */
  maxFailures?: number;
  /** The window failures are counted in (default 60 s). */
  windowMs?: number;
  /** How long an address stays refused (default 5 minutes). */
  blockMs?: number;
  /** Addresses tracked at once (default 10,000); beyond, the oldest is forgotten. */
  maxAddresses?: number;
  now?: () => number;
}

interface Entry {
  windowStart: number;
  failures: number;
  blockedUntil: number;
  /** Labels of keys that were good from this address since its first failure: they still pass while it is refused. */
  good: Set<string>;
}

/**
 * Counts unknown keys per client address and refuses an address that presents too many (429 with Retry-After).
 *
 * While an address is refused, its requests are answered 429 unless their key already proved good from that
 * address since its first failure: letting through any good key would tell a guesser which guess was right (a 200
 * among 429s), so a refused address's new keys are not let through, right or wrong. A producer or a TV behind the
 * same address (a proxy, an office's NAT) keeps working, since it used its key there before the block, unless it had
 * not used it since that address's first failure. A missing key is not a guess and is not counted.
 *
 * Cheap on the hot path: with no address failing (the normal case) a good key costs one `Map.size` check.
 */
export class AuthFailures {
  private readonly entries = new Map<string, Entry>();
  private readonly max: number;
  private readonly windowMs: number;
  private readonly blockMs: number;
  private readonly maxAddresses: number;
  private readonly now: () => number;

  constructor(opts: AuthFailuresOptions = {}) {
    this.max = opts.maxFailures ?? 20;
    this.windowMs = opts.windowMs ?? 60_000;
    this.blockMs = opts.blockMs ?? 300_000;
    this.maxAddresses = opts.maxAddresses ?? 10_000;
    this.now = opts.now ?? Date.now;
  }

  /**
   * After a key was looked up: 0 to answer as the key deserves, or the seconds a 429's Retry-After should say.
   * `who` is the key's identity (null: none or unknown), `presented` whether a key was sent at all.
   */
  refusal(address: string | undefined, who: KeyIdentity | null, presented: boolean): number {
    if (who !== null && this.entries.size === 0) return 0;
    if (address === undefined) return 0;
    const e = this.entries.get(address);
    if (who !== null || !presented) {
      if (e === undefined) return 0;
      const now = this.now();
      if (e.blockedUntil > now) return who !== null && e.good.has(who.label) ? 0 : this.wait(e, now);
      if (now - e.windowStart >= this.windowMs) {
        // Nothing failed here lately: forget the address, so the hot path is back to its one check.
        this.entries.delete(address);
        return 0;
      }
      if (who !== null) e.good.add(who.label);
      return 0;
    }
    const now = this.now();
    if (e === undefined) {
      this.track(address, { windowStart: now, failures: 1, blockedUntil: 0, good: new Set() }, now);
      return 0;
    }
    if (e.blockedUntil > now) return this.wait(e, now);
    if (now - e.windowStart >= this.windowMs) {
      e.windowStart = now;
      e.failures = 0;
    }
    e.failures++;
    if (e.failures <= this.max) return 0;
    e.blockedUntil = now + this.blockMs;
    // The address, never the key: the operator may want to block it further out (a firewall).
    log.warn('too many unknown keys from one address: refusing its requests with new keys for a while', {
      address,
      failures: e.failures - 1,
      window_s: this.windowMs / 1000,
      refused_for_s: this.blockMs / 1000,
    });
    return this.wait(e, now);
  }

  private wait(e: Entry, now: number): number {
    return Math.max(1, Math.ceil((e.blockedUntil - now) / 1000));
  }

  private track(address: string, e: Entry, now: number): void {
    if (this.entries.size >= this.maxAddresses) {
      for (const [a, old] of this.entries) if (old.blockedUntil <= now && now - old.windowStart >= this.windowMs) this.entries.delete(a);
      // Still full: the oldest goes (Map keeps insertion order), so many addresses cannot grow the map without bound.
      if (this.entries.size >= this.maxAddresses) this.entries.delete(this.entries.keys().next().value!);
    }
    this.entries.set(address, e);
  }
}

/** The message of a 429 for too many unknown keys (never the key). */
export function tooManyFailuresMessage(seconds: number): string {
  return `too many requests with unknown keys from this address; retry in ${seconds} s`;
}

declare module 'fastify' {
  interface FastifyInstance {
    /** The server's count of unknown keys per address (buildServer); absent on a bare Fastify app. */
    authFailures?: AuthFailures;
  }
}
