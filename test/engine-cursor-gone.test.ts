import { describe, expect, it, vi } from 'vitest';
import { CursorGoneError, FatalError } from '../core/errors.js';
import { defineConnector, defineStream, loadBookmark, RequestBudget, runStream, saveBookmark, type RunSettings } from '../core/engine/index.js';
import type { Clock } from '../core/ports.js';
import { SqliteQueue } from '../infra/local/sqlite-queue.js';
import { SqliteStateStore } from '../infra/local/sqlite-state-store.js';

// A list API in memory, newest first, whose page token is the last id of the page before, as Stripe's
// `starting_after`: a token naming a record deleted since is refused. It stands in for a provider only to
// exercise the engine; the connectors' suites run the real SDKs against their sandboxes.
interface Rec { id: string; created: number }

const DAY = 86_400_000;
const T0 = Date.parse('2026-11-01T00:00:00Z');
const PAGE = 3;

function provider(n: number) {
  const records: Rec[] = Array.from({ length: n }, (_, i) => ({ id: `r${String(i).padStart(3, '0')}`, created: T0 + i * 60_000 }));
  const calls: (string | null)[] = [];
  const p = {
    records,
    calls,
    faults: [] as Error[],
    /** After a page is served (its number from 1, in each pass), before its answer reaches the engine. */
    afterPage: null as ((page: number, data: Rec[]) => void) | null,
    served: 0,
    list(from: number, to: number, after: string | null) {
      calls.push(after);
      const fault = p.faults.shift();
      if (fault) throw fault;
      const rows = records.filter((r) => r.created >= from && r.created < to).sort((a, b) => b.created - a.created);
      const at = after === null ? 0 : rows.findIndex((r) => r.id === after) + 1;
      if (at === 0 && after !== null) throw new Error('gone: no such record');
      p.served = after === null ? 1 : p.served + 1;
      const data = rows.slice(at, at + PAGE);
      p.afterPage?.(p.served, data);
      return { data, has_more: at + PAGE < rows.length };
    },
    remove(id: string) {
      records.splice(records.findIndex((r) => r.id === id), 1);
    },
  };
  return p;
}

type P = ReturnType<typeof provider>;

const things = defineStream<P, Rec>({
  name: 'things',
  contract: 'donation',
  primaryKey: (r) => r.id,
  cursor: (r) => new Date(r.created),
  windows: { sizeMs: DAY },
  async fetchPage(ctx, { window, token }) {
    const res = await ctx.call('list', async () => ctx.client.list(window!.from.getTime(), window!.to.getTime(), token));
    return { records: res.data, next: res.has_more ? res.data.at(-1)!.id : null };
  },
  toContract: (r) => [
    { contract: 'donation', version: 1, payload: { donation_id: r.id, occurred_at: new Date(r.created).toISOString(), channel: 'online', amount_minor: 500, currency: 'GBP', status: 'paid' } },
  ],
});

async function setup(n: number) {
  const queue = new SqliteQueue(':memory:');
  const state = new SqliteStateStore(':memory:');
  const clock: Clock = { now: () => new Date(T0 + DAY + 60_000) };
  const p = provider(n);
  // The connector's classifier, as Stripe's: a refused token is CursorGoneError; anything else fatal.
  const connector = defineConnector<P>({
    name: 'fake',
    streams: [],
    classifyError: (err) => (err instanceof Error && err.message.startsWith('gone') ? new CursorGoneError('fake: 400 the page token no longer exists') : new FatalError(String(err))),
  });
  await queue.subscribe({ name: 'all', contracts: '*' });
  const run = (settings: Partial<RunSettings> = {}) =>
    runStream({
      connector, stream: things as never, client: p, runtime: { queue, state, clock }, budget: new RequestBudget({ requestsPerSecond: 0 }),
      settings: { startDate: new Date(T0), retry: { maxAttempts: 2, baseMs: 1, maxMs: 2 }, ...settings },
    });
  const keys = async () => {
    const out = new Set<string>();
    for (;;) {
      const batch = await queue.claim('all', { max: 1000, visibilityMs: 60_000 });
      if (!batch.length) return out;
      for (const m of batch) if (m.envelope.contract === 'donation') out.add(m.envelope.key);
      await queue.ack('all', batch.map((m) => m.receipt));
    }
  };
  return { p, state, run, keys };
}

/** Runs `fn` and returns what it wrote to the log as parsed lines. */
async function logged<T>(fn: () => Promise<T>): Promise<{ out: T; lines: Record<string, unknown>[] }> {
  const raw: string[] = [];
  const spy = vi.spyOn(process.stderr, 'write').mockImplementation((chunk: string | Uint8Array) => raw.push(String(chunk)) > 0);
  try {
    const out = await fn();
    return { out, lines: raw.map((l) => JSON.parse(l) as Record<string, unknown>) };
  } finally {
    spy.mockRestore();
  }
}

/** Every record the provider started with: each was published, those deleted later too (before their deletion). */
const ALL = new Set(Array.from({ length: 10 }, (_, i) => `r${String(i).padStart(3, '0')}`));
const WINDOW = `[${new Date(T0).toISOString()}, ${new Date(T0 + DAY).toISOString()})`;

describe('connector engine: a page token that is no longer valid at the provider (CursorGoneError)', () => {
  it('reads the window again from its start when the token goes stale between two pages of one run, and succeeds', async () => {
    const t = await setup(10); // pages of 3: 4 pages in the one window
    // The record page 2 ends with (the next page's token) is deleted as page 2 is served: page 3's request is refused.
    let removed = '';
    t.p.afterPage = (page, data) => {
      if (page !== 2 || removed) return;
      removed = data.at(-1)!.id;
      t.p.remove(removed);
    };
    const { out: r, lines } = await logged(() => t.run());
    // Records read counts the window's pages read again (6 + 9): re-reading is not free.
    expect(r).toMatchObject({ outcome: 'succeeded', error: null, records: 15 });
    // page 1, page 2, page 3 refused, then the window from its start: page 1 again hands out the same token as
    // the first time, which is no pagination loop.
    expect(t.p.calls.slice(0, 4)).toEqual([null, 'r007', removed, null]);
    expect(t.p.calls.filter((c) => c === null)).toHaveLength(3); // twice for the window, once for the next (empty) one
    expect(await t.keys()).toEqual(ALL);
    const warnings = lines.filter((l) => l.level === 'warn');
    expect(warnings).toEqual([expect.objectContaining({ msg: expect.stringContaining('reading the window again from its start'), connector: 'fake', stream: 'things', window: WINDOW })]);
    expect(JSON.stringify(warnings)).not.toContain(removed);
    const bm = await loadBookmark(t.state, 'fake', 'things');
    expect(bm).toMatchObject({ window: null, cursor: new Date(T0 + DAY + 60_000).toISOString() });
  });

  it('gives up if the token goes stale again in the same window and run (no loop), and the next run recovers', async () => {
    const t = await setup(10);
    // Every pass loses the record its page 1 ends with: reading from the start cannot get past it in this run.
    t.p.afterPage = (page, data) => {
      if (page === 1 && t.p.calls.filter((c) => c === null).length <= 2) t.p.remove(data.at(-1)!.id);
    };
    const { out: r, lines } = await logged(() => t.run());
    expect(r.outcome).toBe('failed');
    expect(r.error).toMatch(/fake\/things: the page token was no longer valid again after reading the window .* from its start: stopping/);
    expect(t.p.calls).toHaveLength(4); // page 1, refused, page 1 again, refused again: then it stops
    expect(lines.filter((l) => l.level === 'warn')).toHaveLength(1);
    // The bookmark names the token of the last confirmed page (the re-read's page 1), never a position past it.
    expect((await loadBookmark(t.state, 'fake', 'things')).window).toMatchObject({ from: new Date(T0).toISOString(), token: t.p.calls[3] });

    t.p.afterPage = null;
    const again = await t.run();
    expect(again.outcome).toBe('succeeded');
    expect(await t.keys()).toEqual(ALL);
  });

  it('clears the refused token from the bookmark at once: a run that fails before its next page resumes from the start', async () => {
    const t = await setup(10);
    // A run stopped mid-window saved the token; its record is deleted before the next run.
    await saveBookmark(t.state, 'fake', 'things', { cursor: null, window: { from: new Date(T0).toISOString(), to: new Date(T0 + DAY).toISOString(), token: 'r007' }, revisitFrom: null, updatedAt: '' });
    t.p.remove('r007');
    // The refused request, then the re-read's first page fails for another reason (a fatal 4xx).
    t.p.afterPage = () => {
      throw new Error('403 forbidden');
    };
    const { out: r } = await logged(() => t.run());
    expect(r.outcome).toBe('failed');
    expect(r.error).toContain('403');
    expect(t.p.calls).toEqual(['r007', null]);
    expect((await loadBookmark(t.state, 'fake', 'things')).window).toEqual({ from: new Date(T0).toISOString(), to: new Date(T0 + DAY).toISOString(), token: null });
  });

  it('is a plain fatal error on a request that carried no token: nothing to read again without it', async () => {
    const t = await setup(10);
    t.p.faults.push(new Error('gone: the provider says so anyway'));
    const { out: r, lines } = await logged(() => t.run());
    expect(r).toMatchObject({ outcome: 'failed', error: 'fake: 400 the page token no longer exists' });
    expect(t.p.calls).toEqual([null]);
    expect(lines.filter((l) => l.level === 'warn')).toHaveLength(0);
  });
});
