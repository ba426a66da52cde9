import { describe, expect, it } from 'vitest';
import { defineConnector, defineStream, loadBookmark, RequestBudget, runStream, saveBookmark, type StreamDef } from '../core/engine/index.js';
import type { Clock } from '../core/ports.js';
import { SqliteQueue } from '../infra/local/sqlite-queue.js';
import { SqliteStateStore } from '../infra/local/sqlite-state-store.js';

// The engine's side of a provider that keeps records only for a while (StreamDef.horizon): a gap found by the
// horizon stream's run is taken up by each stream it names, in that stream's own run. A tiny provider in memory
// stands in for the provider only to exercise the engine's own logic; Stripe's events against its sandbox are
// tested in the connector's suites.
interface Rec { id: string; created: number }

const DAY = 86_400_000;
const T0 = Date.parse('2026-06-01T00:00:00Z');

function windowed(name: string, records: Rec[], extra: Partial<StreamDef<null, Rec>> = {}) {
  return defineStream<null, Rec>({
    name,
    contract: 'donation',
    primaryKey: (r) => r.id,
    cursor: (r) => new Date(r.created),
    windows: { sizeMs: 7 * DAY },
    async fetchPage(_ctx, { window }) {
      return { records: records.filter((r) => r.created >= window!.from.getTime() && r.created < window!.to.getTime()), next: null };
    },
    toContract: (r) => [
      { contract: 'donation', version: 1, payload: { donation_id: r.id, occurred_at: new Date(r.created).toISOString(), channel: 'online', amount_minor: 100, currency: 'GBP', status: 'done' } },
    ],
    ...extra,
  });
}

describe('connector engine: a horizon', () => {
  it('reads from the first gap when a second is found before the stream took up the first', async () => {
    const things = windowed('things', [{ id: 'in-first-gap', created: T0 + 2 * DAY }]);
    const changes = windowed('changes', [], { horizon: { keptMs: 30 * DAY, marginMs: DAY, reread: ['things'] } });
    const connector = defineConnector<null>({ name: 'fake', streams: [things, changes] as never, classifyError: (e) => e as Error });
    const queue = new SqliteQueue(':memory:');
    const state = new SqliteStateStore(':memory:');
    await queue.subscribe({ name: 'all', contracts: '*' });
    const clock: Clock & { t: number } = { t: T0 + 40 * DAY, now() { return new Date(this.t); } };
    const run = (s: StreamDef<null, Rec>) =>
      runStream({ connector, stream: s as never, client: null, runtime: { queue, state, clock }, budget: new RequestBudget({ requestsPerSecond: 0 }), settings: { startDate: new Date(T0) } });
    const cursorOf = async (s: string) => (await loadBookmark(state, 'fake', s)).cursor;

    // things has read up to now; changes stopped 40 days ago, past the 30 the provider keeps.
    await saveBookmark(state, 'fake', 'things', { cursor: new Date(clock.t).toISOString(), window: null, revisitFrom: null, updatedAt: '' });
    await saveBookmark(state, 'fake', 'changes', { cursor: new Date(T0).toISOString(), window: null, revisitFrom: null, updatedAt: '' });
    expect(await run(changes)).toMatchObject({ outcome: 'succeeded' });
    // things did not run, and changes stopped again for longer than the provider keeps: a second gap.
    clock.t += 31 * DAY;
    const second = await cursorOf('changes');
    expect(await run(changes)).toMatchObject({ outcome: 'succeeded' });

    // things takes both up in its own run: back to where the first began, not only the second.
    const r = await run(things);
    expect(r).toMatchObject({ outcome: 'succeeded', records: 1 });
    const taken = await loadBookmark(state, 'fake', 'things');
    expect(taken.rereadFor).toBe(second);
    // Once: its next run reads on from its own position.
    expect(await run(things)).toMatchObject({ outcome: 'succeeded', records: 0 });
  });

  it('refuses a horizon naming a stream that could never take a re-read up', () => {
    const changes = windowed('changes', [], { horizon: { keptMs: 30 * DAY, marginMs: DAY, reread: ['nothing'] } });
    expect(() => defineConnector<null>({ name: 'fake', streams: [changes] as never, classifyError: (e) => e as Error })).toThrow(/re-reads nothing, which is not a windowed stream/);
  });
});
