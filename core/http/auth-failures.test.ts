import { describe, expect, it } from 'vitest';
import type { KeyIdentity } from './auth.js';
import { AuthFailures } from './auth-failures.js';

const TV: KeyIdentity = { scope: 'tv', label: 'tv#1', feeds: [] };

describe('AuthFailures', () => {
  const clocked = (opts: { maxAddresses?: number } = {}) => {
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
    expect(f.refusal('10.0.0.1', { scope: 'read', label: 'read#1', feeds: [] }, true)).toBeGreaterThan(0);
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
