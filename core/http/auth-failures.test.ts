import { describe, expect, it } from 'vitest';
import type { KeyIdentity } from './auth.js';
import { AuthFailures } from './auth-failures.js';

const TV: KeyIdentity = { scope: 'tv', label: 'tv#1', feeds: [] };
const PRODUCER: KeyIdentity = { scope: 'producer', label: 'producer#1', feeds: [] };
const READ: KeyIdentity = { scope: 'read', label: 'read#1', feeds: [] };
const feed = (i: number): KeyIdentity => ({ scope: 'feed', label: `feed#${i}`, feeds: ['f'] });

describe('AuthFailures', () => {
  const clocked = (opts: { maxAddresses?: number; maxKeysPerAddress?: number } = {}) => {
    let now = 1_000_000;
    const f = new AuthFailures({ maxFailures: 3, windowMs: 60_000, blockMs: 300_000, now: () => now, ...opts });
    return { f, tick: (ms: number) => (now += ms) };
  };

  it('refuses an address after maxFailures unknown keys in the window, for blockMs, then takes it again', () => {
    const { f, tick } = clocked();
    expect([1, 2, 3].map(() => f.refusal('10.0.0.1', null, true))).toEqual([0, 0, 0]);
    expect(f.refusal('10.0.0.1', null, true)).toBe(300);
    // Another address is not affected, nor is a missing key counted.
    expect(f.refusal('10.0.0.2', null, true)).toBe(0);
    expect(f.refusal('10.0.0.3', null, false)).toBe(0);
    tick(200_000);
    expect(f.refusal('10.0.0.1', TV, true)).toBe(100);
    tick(100_000);
    expect(f.refusal('10.0.0.1', TV, true)).toBe(0);
    expect(f.refusal('10.0.0.1', null, true)).toBe(0);
  });

  it('counts failures within a window only: a slow trickle of typos is never refused', () => {
    const { f, tick } = clocked();
    for (let i = 0; i < 10; i++) {
      expect(f.refusal('10.0.0.1', null, true)).toBe(0);
      tick(30_000);
    }
  });

  it('lets through, while refused, a key that worked from the address since its first failure, and no other', () => {
    const { f } = clocked();
    f.refusal('10.0.0.1', null, true);
    f.refusal('10.0.0.1', TV, true);
    for (let i = 0; i < 3; i++) f.refusal('10.0.0.1', null, true);
    expect(f.refusal('10.0.0.1', TV, true)).toBe(0);
    expect(f.refusal('10.0.0.1', { label: 'read#1' }, true)).toBeGreaterThan(0);
  });

  it('lets through, while refused, a key that was good from the address before its first failure, hours before', () => {
    const { f, tick } = clocked();
    // A producer (and a TV) working from an office address for hours, with no failure anywhere.
    for (let i = 0; i < 5; i++) {
      expect(f.refusal('10.0.0.1', PRODUCER, true)).toBe(0);
      expect(f.refusal('10.0.0.1', TV, true)).toBe(0);
      tick(3_600_000);
    }
    // Someone behind the same NAT guesses keys: the address is refused.
    for (let i = 0; i < 3; i++) f.refusal('10.0.0.1', null, true);
    expect(f.refusal('10.0.0.1', null, true)).toBe(300);
    expect(f.refusal('10.0.0.1', PRODUCER, true)).toBe(0);
    expect(f.refusal('10.0.0.1', TV, true)).toBe(0);
    // A right key first presented during the block is refused, and stays refused: a 429 does not make it good.
    tick(1_000);
    expect(f.refusal('10.0.0.1', READ, true)).toBe(299);
    expect(f.refusal('10.0.0.1', READ, true)).toBe(299);
    // A key good from another address only is no help here.
    expect(f.refusal('10.0.0.2', READ, true)).toBe(0);
    expect(f.refusal('10.0.0.1', READ, true)).toBe(299);
    // After the block, the new key is served and remembered like the others.
    tick(299_000);
    expect(f.refusal('10.0.0.1', READ, true)).toBe(0);
    for (let i = 0; i < 4; i++) f.refusal('10.0.0.1', null, true);
    expect([PRODUCER, TV, READ].map((k) => f.refusal('10.0.0.1', k, true))).toEqual([0, 0, 0]);
  });

  it('remembers good keys of at most maxAddresses addresses: an idle one is forgotten, one in use is kept', () => {
    const block = (f: AuthFailures, address: string) => {
      for (let i = 0; i < 4; i++) f.refusal(address, null, true);
    };
    // 10.0.0.1 goes on using its key while other addresses come, one between each of its requests; however many
    // came, its key is still remembered after maxAddresses / 2 - 1 more. 10.0.0.9, idle, is forgotten.
    for (let n = 0; n <= 40; n++) {
      const { f } = clocked({ maxAddresses: 10 });
      f.refusal('10.0.0.1', PRODUCER, true);
      f.refusal('10.0.0.9', PRODUCER, true);
      for (let i = 0; i < n; i++) {
        f.refusal(`10.0.1.${i}`, TV, true);
        f.refusal('10.0.0.1', PRODUCER, true);
      }
      for (let i = 0; i < 4; i++) f.refusal(`10.0.2.${i}`, TV, true);
      block(f, '10.0.0.1');
      block(f, '10.0.0.9');
      expect([n, f.refusal('10.0.0.1', PRODUCER, true)]).toEqual([n, 0]);
      if (n >= 10) expect([n, f.refusal('10.0.0.9', PRODUCER, true)]).toEqual([n, 300]);
    }
  });

  it('remembers at most maxKeysPerAddress good keys per address: the one first seen longest ago is forgotten', () => {
    const { f } = clocked({ maxKeysPerAddress: 3 });
    for (let i = 1; i <= 4; i++) f.refusal('10.0.0.1', feed(i), true);
    for (let i = 0; i < 4; i++) f.refusal('10.0.0.1', null, true);
    expect([1, 2, 3, 4].map((i) => f.refusal('10.0.0.1', feed(i), true))).toEqual([300, 0, 0, 0]);
  });

  it('tracks at most maxAddresses: the oldest is forgotten first', () => {
    const { f } = clocked({ maxAddresses: 2 });
    for (let i = 0; i < 4; i++) f.refusal('10.0.0.1', null, true);
    expect(f.refusal('10.0.0.1', null, true)).toBeGreaterThan(0);
    f.refusal('10.0.0.2', null, true);
    f.refusal('10.0.0.3', null, true);
    expect(f.refusal('10.0.0.1', null, true)).toBe(0);
  });
});
