import { describe, expect, it } from 'vitest';
import { FatalError, RetriableError } from '../core/errors.js';
import { defineConnector, defineStream, RequestBudget, runStream, type RunSettings, type StreamDef } from '../core/engine/index.js';
import { RecentlyPublished } from '../core/engine/recent.js';
import type { Clock, Queue } from '../core/ports.js';
import { SqliteQueue } from '../infra/local/sqlite-queue.js';
import { SqliteStateStore } from '../infra/local/sqlite-state-store.js';

// A windowed stream reads its lookback again every run. What an earlier run published (and the queue confirmed)
// is not published again unchanged (core/engine/recent.ts); a changed record, a failed publish, --full and a
// backfill still are.

interface Rec { id: string; created: number; amount: number }
const HOUR = 3_600_000;
const T0 = Date.parse('2026-11-01T00:00:00Z');

function setup() {
  const records: Rec[] = Array.from({ length: 8 }, (_, i) => ({ id: `r${i}`, created: T0 + i * HOUR, amount: 100 + i }));
  const queue = new SqliteQueue(':memory:');
  const state = new SqliteStateStore(':memory:');
  const clock: Clock & { t: number } = { t: T0 + 8 * HOUR, now() { return new Date(this.t); } };
  const stream = defineStream<Rec[], Rec>({
    name: 'things',
    contract: 'donation',
    primaryKey: (r) => r.id,
    cursor: (r) => new Date(r.created),
    windows: { sizeMs: 24 * HOUR, lookbackMs: 4 * HOUR },
    async fetchPage(ctx, { window }) {
      const data = ctx.client.filter((r) => r.created >= window!.from.getTime() && r.created < window!.to.getTime());
      return { records: data.map((r) => ({ ...r })), next: null };
    },
    toContract: (r) => [{
      contract: 'donation', version: 1,
      payload: { donation_id: r.id, occurred_at: new Date(r.created).toISOString(), channel: 'online', amount_minor: r.amount, currency: 'GBP', status: 'paid' },
    }],
  });
  const connector = defineConnector<Rec[]>({ name: 'fake', streams: [], classifyError: (err) => new FatalError(String(err)) });
  const recent = new RecentlyPublished(clock, 4 * HOUR);
  const run = (settings: Partial<RunSettings> = {}, onQueue: Queue = queue, memory: RecentlyPublished | undefined = recent) =>
    runStream({
      connector, stream: stream as StreamDef<Rec[], never>, client: records, runtime: { queue: onQueue, state, clock },
      budget: new RequestBudget({ requestsPerSecond: 0 }), recent: memory,
      settings: { startDate: new Date(T0), retry: { maxAttempts: 1, baseMs: 1, maxMs: 1 }, ...settings },
    });
  const published = async () => {
    const keys: string[] = [];
    for (;;) {
      const batch = await queue.claim('all', { max: 1000, visibilityMs: 60_000 });
      if (!batch.length) return keys.sort();
      keys.push(...batch.filter((m) => m.envelope.contract === 'donation').map((m) => m.envelope.key));
      await queue.ack('all', batch.map((m) => m.receipt));
    }
  };
  return { records, clock, run, published, recent, queue, ready: queue.subscribe({ name: 'all', contracts: '*' }) };
}

describe('connector engine: records read again unchanged', () => {
  it('publishes only what changed or is new when the lookback reads records an earlier run published', async () => {
    const t = setup();
    await t.ready;
    expect((await t.run()).records).toBe(8);
    expect(await t.published()).toHaveLength(8);
    // An hour on: the lookback (4 hours before the cursor) reads r4..r7 again; r6 changed, r8 is new.
    t.clock.t += HOUR;
    t.records[6]!.amount = 999;
    t.records.push({ id: 'r8', created: T0 + 8.5 * HOUR, amount: 108 });
    const r = await t.run();
    expect(r.outcome).toBe('succeeded');
    expect(r.records).toBe(5); // read: r4, r5, r6, r7, r8
    expect(await t.published()).toEqual(['r6', 'r8']);
    // Without the memory (a restarted hub), everything the lookback reads is published: from 5 hours, r5..r8.
    t.clock.t += HOUR;
    expect((await t.run({}, undefined, new RecentlyPublished(t.clock, HOUR))).records).toBe(4);
    expect(await t.published()).toEqual(['r5', 'r6', 'r7', 'r8']);
  });

  it('publishes again what a failed publish left out, and everything under --full or a backfill', async () => {
    const t = setup();
    await t.ready;
    // The queue refuses the first run's page: nothing of it is remembered.
    const refusing: Queue = Object.create(t.queue, { publish: { value: async () => { throw new RetriableError('disk full', 10); } } });
    expect((await t.run({}, refusing)).outcome).toBe('failed');
    expect((await t.run()).records).toBe(8);
    expect(await t.published()).toHaveLength(8);
    t.clock.t += HOUR;
    expect((await t.run({ full: true })).records).toBe(8);
    expect(await t.published()).toHaveLength(8);
    expect((await t.run({ from: new Date(T0), to: new Date(T0 + 4 * HOUR) })).records).toBe(4);
    expect(await t.published()).toEqual(['r0', 'r1', 'r2', 'r3']);
    // And an incremental run after them still leaves the unchanged out.
    expect((await t.run()).records).toBeGreaterThan(0);
    expect(await t.published()).toEqual([]);
  });
});

describe('RecentlyPublished', () => {
  it('remembers an id for its span at least, then forgets it; a full generation turns over early', () => {
    const clock: Clock & { t: number } = { t: 0, now() { return new Date(this.t); } };
    const recent = new RecentlyPublished(clock, 1000, 3);
    recent.add(['a']);
    clock.t = 999;
    recent.add(['b']);
    expect(recent.has('a')).toBe(true);
    clock.t = 1000; // the first generation is a span old: it becomes the older one, still remembered
    recent.add(['c']);
    expect(['a', 'b', 'c'].map((id) => recent.has(id))).toEqual([true, true, true]);
    clock.t = 2000; // and is dropped a span later
    recent.add(['d']);
    expect(['a', 'b', 'c', 'd'].map((id) => recent.has(id))).toEqual([false, false, true, true]);
    // Three ids fill a generation: the fourth starts a new one, the first three stay, the older go.
    recent.add(['e', 'f', 'g']);
    expect(['c', 'd', 'e', 'f', 'g'].map((id) => recent.has(id))).toEqual([false, true, true, true, true]);
  });
});
