// The StateStore port contract, one suite for every adapter (DESIGN.md rule 6).
import { setTimeout as sleep } from 'node:timers/promises';
import { afterEach, describe, expect, it } from 'vitest';
import type { StateStore } from '../../core/ports.js';

export interface StateStoreUnderTest {
  /** A fresh, empty store. */
  store: StateStore;
  /** A second handle on the same store, as another process would have; omit if the adapter has none. */
  openAgain?: () => Promise<StateStore>;
  cleanup?: () => Promise<void>;
}

export interface StateStoreSuiteOptions {
  /**
   * A lease time short enough to wait out, yet longer than two of the adapter's round trips on a busy
   * machine: 1 s unless the adapter says otherwise.
   */
  shortLeaseMs?: number;
}

export function stateStorePortSuite(label: string, create: () => Promise<StateStoreUnderTest>, opts: StateStoreSuiteOptions = {}): void {
  const shortLeaseMs = opts.shortLeaseMs ?? 1000;
  describe(`StateStore port: ${label}`, () => {
    const opened: StateStoreUnderTest[] = [];
    async function fresh(): Promise<StateStoreUnderTest> {
      const s = await create();
      opened.push(s);
      return s;
    }
    afterEach(async () => {
      for (const s of opened.splice(0)) await s.cleanup?.();
    });

    it('gets many keys at once, leaving out the missing ones', async () => {
      const { store } = await fresh();
      expect(await store.getMany(['a', 'b'])).toEqual(new Map());
      await store.set('link:pi_1', { click_id: 'c1' });
      await store.set('link:pi_2', null);
      await store.set('link:pi_3', 'x');
      const keys = ['link:pi_1', 'link:pi_2', 'link:missing', 'link:pi_1', ...Array.from({ length: 40_000 }, (_, i) => `k${i}`)];
      const got = await store.getMany(keys);
      expect([...got.keys()].sort()).toEqual(['link:pi_1', 'link:pi_2']);
      expect(got.get('link:pi_1')).toEqual({ click_id: 'c1' });
      expect(got.get('link:pi_2')).toBeNull();
      expect(await store.getMany([])).toEqual(new Map());
    });

    it('gets, sets, overwrites and deletes JSON values', async () => {
      const { store } = await fresh();
      expect(await store.get('bookmark:stripe:charges')).toBeNull();
      const value = { cursor: 'ch_123', updated_at: '2026-11-29T10:00:00.000Z', pages: [1, 2], done: false };
      await store.set('bookmark:stripe:charges', value);
      expect(await store.get('bookmark:stripe:charges')).toEqual(value);
      await store.set('bookmark:stripe:charges', { cursor: 'ch_456' });
      expect(await store.get('bookmark:stripe:charges')).toEqual({ cursor: 'ch_456' });
      await store.set('n', 42);
      await store.set('s', 'text');
      expect(await store.get<number>('n')).toBe(42);
      expect(await store.get<string>('s')).toBe('text');
      await store.delete('bookmark:stripe:charges');
      expect(await store.get('bookmark:stripe:charges')).toBeNull();
      expect(await store.get('n')).toBe(42);
      await store.delete('never-set'); // not an error
    });

    it('gives a lease to one owner at a time, renews for the holder, and frees it on expiry', async () => {
      const { store } = await fresh();
      expect(await store.acquireLease('run:stripe:charges', 'runner-a', 60_000)).toBe(true);
      expect(await store.acquireLease('run:stripe:charges', 'runner-b', 60_000)).toBe(false);
      // Renewing: the holder gets it again, here with a short ttl (long enough that the next call, on a loaded
      // machine, still comes before it ends).
      expect(await store.acquireLease('run:stripe:charges', 'runner-a', shortLeaseMs)).toBe(true);
      expect(await store.acquireLease('run:stripe:charges', 'runner-b', 60_000)).toBe(false);
      // A different lease name is independent.
      expect(await store.acquireLease('run:stripe:refunds', 'runner-b', 60_000)).toBe(true);
      await sleep(shortLeaseMs * 1.5);
      expect(await store.acquireLease('run:stripe:charges', 'runner-b', 60_000)).toBe(true);
      expect(await store.acquireLease('run:stripe:charges', 'runner-a', 60_000)).toBe(false);
    });

    it('releases a lease only for its owner', async () => {
      const { store } = await fresh();
      expect(await store.acquireLease('l', 'a', 60_000)).toBe(true);
      await store.releaseLease('l', 'b'); // wrong owner: ignored
      expect(await store.acquireLease('l', 'b', 60_000)).toBe(false);
      await store.releaseLease('l', 'a');
      expect(await store.acquireLease('l', 'b', 60_000)).toBe(true);
      await store.releaseLease('never-taken', 'a'); // not an error
    });

    it('lets only one of many concurrent callers take a free lease', async () => {
      const { store, openAgain } = await fresh();
      const other = openAgain ? await openAgain() : store;
      const results = await Promise.all(
        Array.from({ length: 10 }, (_, i) => (i % 2 ? other : store).acquireLease('race', `owner-${i}`, 60_000)),
      );
      expect(results.filter(Boolean)).toHaveLength(1);
    });

    it('shares values and leases between two handles on the same store', async (ctx) => {
      const { store, openAgain } = await fresh();
      if (!openAgain) return ctx.skip();
      const other = await openAgain();
      await store.set('k', { v: 1 });
      expect(await other.get('k')).toEqual({ v: 1 });
      expect(await store.acquireLease('l', 'a', 60_000)).toBe(true);
      expect(await other.acquireLease('l', 'b', 60_000)).toBe(false);
    });
  });
}
