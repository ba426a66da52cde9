import type { FastifyReply } from 'fastify';
import type { KeyIdentity } from './auth.js';
import { sendError } from './errors.js';
import { log } from '../log.js';

// A limit on failed key attempts per client address. Keys are long and random (see docs/live-totals-and-dashboard.md, "Keys and scopes"), but
// without a limit anyone who reaches the hub could try them as fast as it answers (thousands a second).

export interface AuthFailuresOptions {
  /** Unknown keys an address may present within `windowMs` before it is refused (default 20). */
  maxFailures?: number;
  /** The window failures are counted in (default 60 s). */
  windowMs?: number;
  /** How long an address stays refused (default 5 minutes). */
  blockMs?: number;
  /**
   * Addresses tracked at once (default 10,000), counted apart for failing addresses and for addresses that used a
   * good key; beyond, the one seen longest ago is forgotten.
   */
  maxAddresses?: number;
  /** Good keys remembered per address (default 8); beyond, the one first seen longest ago is forgotten. */
  maxKeysPerAddress?: number;
  now?: () => number;
}

interface Entry {
  windowStart: number;
  failures: number;
  blockedUntil: number;
}

/** The labels of the keys that were good from one address. */
interface Good {
  labels: string[];
  /** `AuthFailures.stamps` when the address was put (back) at the young end of `good`. */
  stamp: number;
}

/**
 * Counts unknown keys per client address and refuses an address that presents too many (429 with Retry-After).
 *
 * While an address is refused, its requests are answered 429 unless their key was good from that address before the
 * block, before its first failure or since: letting through any good key would tell a guesser which guess was right
 * (a 200 among 429s), so a key an address first presents during its block is not let through, right or wrong. A
 * producer or a TV behind the same address as a guesser (a proxy, an office's NAT) keeps working, however long before
 * the guessing it started. A missing key is not a guess and is not counted.
 *
 * To know which keys were good from an address before it first failed, every good key is remembered with its
 * address, from the first request: at most `maxAddresses` addresses (the ones that used a good key longest ago are
 * forgotten first) times `maxKeysPerAddress` key labels, the labels being the key ring's own strings (about 5 MB at
 * the defaults with long IPv6 addresses). On the hot path (a good key from an address that used it before, no address
 * failing) that is one `Map.get`, a scan of the address's few labels and one `Map.size` check: about 10 ns more than
 * the check alone, beside about 1 µs for looking the key up (auth.ts). Nothing is written there, but for moving an
 * address back to the young end of the map once more than half the map's size of addresses were put there after it
 * (a count, not a clock), so an address in use is not the one forgotten. A key first presented during a block is not
 * remembered: its 429 would otherwise become a 200 on the next try.
 */
export class AuthFailures {
  private readonly entries = new Map<string, Entry>();
  /** Addresses that used a good key, oldest first (Map keeps insertion order). */
  private readonly good = new Map<string, Good>();
  /** Addresses put at the young end of `good` so far. */
  private stamps = 0;
  private readonly max: number;
  private readonly windowMs: number;
  private readonly blockMs: number;
  private readonly maxAddresses: number;
  private readonly maxKeysPerAddress: number;
  private readonly now: () => number;

  constructor(opts: AuthFailuresOptions = {}) {
    this.max = opts.maxFailures ?? 20;
    this.windowMs = opts.windowMs ?? 60_000;
    this.blockMs = opts.blockMs ?? 300_000;
    this.maxAddresses = opts.maxAddresses ?? 10_000;
    this.maxKeysPerAddress = opts.maxKeysPerAddress ?? 8;
    this.now = opts.now ?? Date.now;
  }

  /**
   * After a key was looked up: 0 to answer as the key deserves, or the seconds a 429's Retry-After should say.
   * `who` is the key's identity (null: none or unknown), `presented` whether a key was sent at all.
   */
  refusal(address: string | undefined, who: Pick<KeyIdentity, 'label'> | null, presented: boolean): number {
    if (address === undefined) return 0;
    if (who !== null) {
      const known = this.wasGood(address, who.label);
      if (this.entries.size === 0) {
        if (!known) this.rememberGood(address, who.label);
        return 0;
      }
      const e = this.entries.get(address);
      if (e !== undefined) {
        const now = this.now();
        if (e.blockedUntil > now) return known ? 0 : this.wait(e, now);
        // Nothing failed here lately: forget the address, so the hot path no longer looks it up.
        if (now - e.windowStart >= this.windowMs) this.entries.delete(address);
      }
      if (!known) this.rememberGood(address, who.label);
      return 0;
    }
    const e = this.entries.get(address);
    if (!presented) {
      if (e === undefined) return 0;
      const now = this.now();
      if (e.blockedUntil > now) return this.wait(e, now);
      if (now - e.windowStart >= this.windowMs) this.entries.delete(address);
      return 0;
    }
    const now = this.now();
    if (e === undefined) {
      this.track(address, { windowStart: now, failures: 1, blockedUntil: 0 }, now);
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

  /** Whether `label` was good from `address`; keeps an address in use away from the end that is forgotten. */
  private wasGood(address: string, label: string): boolean {
    const g = this.good.get(address);
    if (g === undefined || !g.labels.includes(label)) return false;
    if (this.stamps - g.stamp > this.maxAddresses >> 1) {
      this.good.delete(address);
      this.good.set(address, g);
      g.stamp = ++this.stamps;
    }
    return true;
  }

  private rememberGood(address: string, label: string): void {
    const g = this.good.get(address);
    if (g !== undefined) {
      if (g.labels.length >= this.maxKeysPerAddress) g.labels.shift();
      g.labels.push(label);
      return;
    }
    if (this.good.size >= this.maxAddresses) this.good.delete(this.good.keys().next().value!);
    this.good.set(address, { labels: [label], stamp: ++this.stamps });
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

/** The JSON 429 a route sends an address refused for `seconds` (the key routes' and the Freshdesk webhook's alike). */
export function sendTooManyFailures(reply: FastifyReply, seconds: number): FastifyReply {
  return sendError(reply.header('retry-after', String(seconds)), 429, 'too_many_failed_keys', tooManyFailuresMessage(seconds));
}

declare module 'fastify' {
  interface FastifyInstance {
    /** The server's count of unknown keys per address (buildServer); absent on a bare Fastify app. */
    authFailures?: AuthFailures;
  }
}
