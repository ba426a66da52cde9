import { describe, expect, it, vi } from 'vitest';
import { FatalError, RetriableError, WindowTooLargeError } from '../core/errors.js';
import {
  CALL_GRACE_MS, defineConnector, defineStream, loadBookmark, RequestBudget, runStream, saveBookmark, stopRuns, type RunSettings, type StreamDef,
} from '../core/engine/index.js';
import type { Clock, Queue } from '../core/ports.js';
import { SqliteQueue } from '../infra/local/sqlite-queue.js';
import { SqliteStateStore } from '../infra/local/sqlite-state-store.js';

// A tiny provider in memory: records with a time axis, listed newest first in pages of `pageSize`,
// like Stripe's list API. It stands in for the provider only to exercise the engine's own logic;
// the real SDKs against their sandboxes are tested in the connectors' suites.
interface Rec { id: string; created: number; amount: number; pending?: boolean }

function provider(records: Rec[], pageSize = 3) {
  const calls: { from: number; to: number; after: string | null }[] = [];
  const faults: (Error | null)[] = [];
  return {
    calls,
    faults,
    records,
    list(from: number, to: number, after: string | null) {
      calls.push({ from, to, after });
      const f = faults.shift();
      if (f) throw f;
      const inWindow = records.filter((r) => r.created >= from && r.created < to).sort((a, b) => b.created - a.created);
      const start = after ? inWindow.findIndex((r) => r.id === after) + 1 : 0;
      const data = inWindow.slice(start, start + pageSize);
      return { data, has_more: start + pageSize < inWindow.length };
    },
  };
}

type P = ReturnType<typeof provider>;
const DAY = 86_400_000;
const T0 = Date.parse('2026-11-01T00:00:00Z');

function stream(overrides: Partial<StreamDef<P, Rec>> = {}) {
  return defineStream<P, Rec>({
    name: 'things',
    contract: 'donation',
    primaryKey: (r) => r.id,
    cursor: (r) => new Date(r.created),
    windows: { sizeMs: DAY },
    async fetchPage(ctx, { window, token }) {
      const res = await ctx.call('list', async () => ctx.client.list(window!.from.getTime(), window!.to.getTime(), token));
      return { records: res.data, next: res.has_more ? res.data[res.data.length - 1]!.id : null };
    },
    toContract: (r) => [
      {
        contract: 'donation', version: 1,
        payload: { donation_id: r.id, occurred_at: new Date(r.created).toISOString(), channel: 'online', amount_minor: r.amount, currency: 'GBP', status: r.pending ? 'pending' : 'paid' },
      },
    ],
    revisit: (r) => Boolean(r.pending),
    ...overrides,
  });
}

function setup(records: Rec[], now = T0 + 5 * DAY) {
  const queue = new SqliteQueue(':memory:');
  const state = new SqliteStateStore(':memory:');
  const clock: Clock & { t: number } = { t: now, now() { return new Date(this.t); } };
  const p = provider(records);
  const connector = defineConnector<P>({
    name: 'fake',
    streams: [],
    classifyError: (err) => (err instanceof Error && /flaky/.test(err.message) ? new RetriableError('flaky', 10) : new FatalError(String(err))),
  });
  const run = (s: StreamDef<P, Rec>, settings: Partial<RunSettings> = {}, onQueue: Queue = queue, budget = new RequestBudget({ requestsPerSecond: 0 })) =>
    runStream({
      connector, stream: s as never, client: p, runtime: { queue: onQueue, state, clock },
      budget,
      settings: { startDate: new Date(T0), retry: { maxAttempts: 3, baseMs: 1, maxMs: 5 }, ...settings },
    });
  const published = async () => {
    const out = [];
    for (;;) {
      const batch = await queue.claim('all', { max: 1000, visibilityMs: 60_000 });
      if (!batch.length) return out;
      out.push(...batch.map((m) => m.envelope));
      await queue.ack('all', batch.map((m) => m.receipt));
    }
  };
  return { queue, state, clock, p, run, published, ready: queue.subscribe({ name: 'all', contracts: '*' }) };
}

const recs = (n: number, spacingMs = DAY / 4): Rec[] =>
  Array.from({ length: n }, (_, i) => ({ id: `r${String(i).padStart(3, '0')}`, created: T0 + i * spacingMs, amount: 100 + i }));

/** The stream, calling `atPage` before each page it fetches (its count from 1). */
function counting(atPage: (page: number) => void) {
  let pages = 0;
  return stream({
    async fetchPage(ctx, req) {
      atPage(++pages);
      return stream().fetchPage!(ctx, req);
    },
  });
}

describe('connector engine', () => {
  it('backfills in date windows, pages each window, and checkpoints the cursor', async () => {
    const t = setup(recs(18)); // 4 a day over 4.5 days
    await t.ready;
    const r = await t.run(stream());
    expect(r.outcome).toBe('succeeded');
    expect(r.records).toBe(18);
    const donations = (await t.published()).filter((e) => e.contract === 'donation');
    expect(new Set(donations.map((e) => e.key)).size).toBe(18);
    expect(new Set(t.p.calls.map((c) => c.from)).size).toBe(5); // five day windows
    const bm = await loadBookmark(t.state, 'fake', 'things');
    expect(bm.cursor).toBe(new Date(T0 + 5 * DAY).toISOString());
    expect(bm.window).toBeNull();
  });

  it('publishes nothing and moves nothing on an empty range, and the next run reads only new records', async () => {
    const t = setup([]);
    await t.ready;
    expect((await t.run(stream())).records).toBe(0);
    t.p.records.push({ id: 'late', created: T0 + 5 * DAY + 1000, amount: 5 });
    t.clock.t += DAY;
    const r = await t.run(stream());
    expect(r.records).toBe(1);
    expect(t.p.calls.at(-1)!.from).toBe(T0 + 5 * DAY);
  });

  it('fails loudly when a page token comes back twice', async () => {
    const t = setup(recs(10));
    await t.ready;
    const looping = stream({
      async fetchPage(ctx, { window }) {
        const res = await ctx.call('list', async () => ctx.client.list(window!.from.getTime(), window!.to.getTime(), null));
        return { records: res.data, next: 'same-token' };
      },
    });
    const r = await t.run(looping);
    expect(r.outcome).toBe('failed');
    expect(r.error).toMatch(/pagination loop/);
    // A token may name a person (a Stripe cursor is a customer's id): never in the error.
    expect(r.error).not.toContain('same-token');
  });

  it('retries retriable errors with backoff and stops on fatal ones without moving the bookmark', async () => {
    const t = setup(recs(6));
    await t.ready;
    t.p.faults.push(new Error('flaky'), new Error('flaky'));
    const ok = await t.run(stream());
    expect(ok.outcome).toBe('succeeded');
    expect(ok.retries).toBe(2);

    const t2 = setup(recs(6));
    await t2.ready;
    t2.p.faults.push(new Error('401 unauthorized'));
    const lines: string[] = [];
    const stderr = vi.spyOn(process.stderr, 'write').mockImplementation((chunk) => (lines.push(String(chunk)), true));
    let bad;
    try {
      bad = await t2.run(stream());
    } finally {
      stderr.mockRestore();
    }
    expect(bad.outcome).toBe('failed');
    expect(bad.retries).toBe(0);
    // One log line for the failure (the engine's, with the run id), not a second one from the ops event.
    const failed = lines.map((l) => JSON.parse(l) as Record<string, unknown>).filter((l) => l.msg === 'sync run failed');
    expect(failed).toEqual([expect.objectContaining({ level: 'error', run_id: bad.runId, stream: 'things', auth_failed: bad.authFailed })]);
    expect((await loadBookmark(t2.state, 'fake', 'things')).cursor).toBeNull();
  });

  it('stops at the time box, checkpointed mid-window, and the next run continues with no gap and no duplicate', async () => {
    const t = setup(recs(18));
    await t.ready;
    const boxed = counting((page) => {
      if (page === 4) t.clock.t = T0 + 100 * DAY; // time passes: the deadline is behind us
    });
    const first = await t.run(boxed, { deadline: new Date(T0 + 50 * DAY), to: new Date(T0 + 5 * DAY) });
    expect(first.outcome).toBe('partial');
    expect(first.error).toBe('time box reached; the next run continues from the checkpoint');
    const bm = await loadBookmark(t.state, 'fake', 'things');
    expect(bm.window).not.toBeNull();
    const second = await t.run(stream(), { to: new Date(T0 + 5 * DAY) });
    expect(second.outcome).toBe('succeeded');
    const keys = (await t.published()).filter((e) => e.contract === 'donation').map((e) => e.key);
    expect(new Set(keys).size).toBe(18);
    expect(keys.length).toBe(18);
  });

  it('does not retry a call that fails once the deadline has passed: the run has stopped and left it behind', async () => {
    const t = setup(recs(18));
    await t.ready;
    const boxed = counting((page) => {
      // The prefetch of page two starts after the deadline, and the provider is down for it.
      if (page === 2) {
        t.clock.t = T0 + 100 * DAY;
        t.p.faults.push(new RetriableError('provider down'));
      }
    });
    const run = await t.run(boxed, { deadline: new Date(T0 + 50 * DAY), to: new Date(T0 + 5 * DAY) });
    expect(run.outcome).toBe('partial');
    // Retries here are 1-5 ms apart: any would have happened by now.
    await new Promise((r) => setTimeout(r, 100));
    expect(t.p.calls).toHaveLength(2);
    expect(run.retries).toBe(0);
    // Before the deadline the same fault is retried, as always.
    const t2 = setup(recs(4));
    await t2.ready;
    t2.p.faults.push(new RetriableError('provider down'));
    const ok = await t2.run(stream(), { to: new Date(T0 + 5 * DAY) });
    expect(ok.outcome).toBe('succeeded');
    expect(ok.retries).toBe(1);
  });

  it('does not count rate limits (429) against the attempts for failures; its own cap ends a provider that only says 429', async () => {
    const limited = () => new RetriableError('rate limited', 1, { status: 429 });
    // maxAttempts 3: two failures and four rate limits on one call still get through.
    const t = setup(recs(4));
    await t.ready;
    t.p.faults.push(new Error('flaky'), limited(), limited(), new Error('flaky'), limited(), limited());
    const ok = await t.run(stream(), { to: new Date(T0 + DAY) });
    expect(ok).toMatchObject({ outcome: 'succeeded', retries: 6, rateLimited: 4 });
    // A third failure is one too many, rate limits between them or not.
    const t2 = setup(recs(4));
    await t2.ready;
    t2.p.faults.push(new Error('flaky'), limited(), new Error('flaky'), limited(), new Error('flaky'));
    const failed = await t2.run(stream(), { to: new Date(T0 + DAY) });
    expect(failed).toMatchObject({ outcome: 'failed', retries: 4 });
    // Rate limits have a cap of their own: the fourth of maxRateLimited 3 ends the call.
    const t3 = setup(recs(4));
    await t3.ready;
    t3.p.faults.push(...Array.from({ length: 10 }, limited));
    const capped = await t3.run(stream(), { to: new Date(T0 + DAY), retry: { maxAttempts: 3, baseMs: 1, maxMs: 5, maxRateLimited: 3 } });
    expect(capped).toMatchObject({ outcome: 'failed', retries: 3, rateLimited: 4 });
    expect(t3.p.calls).toHaveLength(4);
  });

  it("stops waiting out a provider's Retry-After once its deadline is moved to now (the scheduler's stop), checkpointed", async () => {
    const t = setup(recs(8));
    await t.ready;
    // The provider asks for a minute's pause at the first page: the retry would wait it out.
    t.p.faults.push(new RetriableError('rate limited', 60_000, { status: 429 }));
    const deadline = new Date(T0 + 50 * DAY);
    const running = t.run(stream(), { deadline, to: new Date(T0 + 5 * DAY) });
    setTimeout(() => stopRuns(deadline), 200);
    const run = await running;
    expect(run.outcome).toBe('partial');
    // Its record says someone stopped it, not that its time ran out.
    expect(run.error).toBe('stopped; the next run continues from the checkpoint');
    expect(t.p.calls).toHaveLength(1);
    // The next run reads from where this one stopped: everything, once.
    const next = await t.run(stream(), { to: new Date(T0 + 5 * DAY) });
    expect(next.outcome).toBe('succeeded');
    expect((await t.published()).filter((e) => e.contract === 'donation')).toHaveLength(8);
  }, 10_000);

  it('stops waiting for a provider call that never answers once its deadline is moved to now, and the next run reads it all once', async () => {
    const t = setup(recs(8));
    await t.ready;
    // The third page's call hangs (the SDK would wait out its own timeout: jsforce's is 30 minutes).
    let hung = 0;
    const list = t.p.list.bind(t.p);
    t.p.list = (from, to, after) => (t.p.calls.length === 2 && hung++ === 0 ? (t.p.calls.push({ from, to, after }), new Promise<never>(() => {})) as never : list(from, to, after));
    const deadline = new Date(T0 + 50 * DAY);
    const running = t.run(stream(), { deadline, to: new Date(T0 + 5 * DAY) });
    await vi.waitFor(() => expect(hung).toBe(1));
    const stoppedAt = Date.now();
    deadline.setTime(0);
    const run = await running;
    // It polls every 200 ms; the bound is wide for a loaded machine, and far from the SDK's 30 minutes.
    expect(Date.now() - stoppedAt).toBeLessThan(5_000);
    expect(run.outcome).toBe('partial');
    const next = await t.run(stream(), { to: new Date(T0 + 5 * DAY) });
    expect(next.outcome).toBe('succeeded');
    const ids = (await t.published()).filter((e) => e.contract === 'donation').map((e) => e.key);
    expect(new Set(ids).size).toBe(8);
    expect(ids).toHaveLength(8);
  }, 10_000);

  it('gives a call in flight at the end of its time box a grace period, then stops waiting for it', async () => {
    const t = setup(recs(8));
    await t.ready;
    let answer: ((v: ReturnType<P['list']>) => void) | null = null;
    const list = t.p.list.bind(t.p);
    t.p.list = (from, to, after) => (t.p.calls.length === 1 && !answer ? new Promise((r) => (answer = r)) as never : list(from, to, after));
    const deadline = new Date(T0 + 50 * DAY);
    let outcome: string | null = null;
    const running = t.run(stream(), { deadline, to: new Date(T0 + 5 * DAY) }).then((r) => (outcome = r.outcome));
    await vi.waitFor(() => expect(answer).not.toBeNull());
    // The time box ends while the call is in flight: within the grace the run still waits for the answer.
    t.clock.t = deadline.getTime() + CALL_GRACE_MS - 1_000;
    await new Promise((r) => setTimeout(r, 500));
    expect(outcome).toBeNull();
    // Past the grace it stops waiting.
    t.clock.t = deadline.getTime() + CALL_GRACE_MS;
    await running;
    expect(outcome).toBe('partial');
  }, 10_000);

  it("stops waiting for its turn in a budget paused by another caller's Retry-After once its deadline is moved to now", async () => {
    const t = setup(recs(8));
    await t.ready;
    const deadline = new Date(T0 + 50 * DAY);
    const budget = new RequestBudget({ requestsPerSecond: 0 });
    budget.pauseFor(60_000); // another stream of the connector was told to wait a minute
    const running = t.run(stream(), { deadline, to: new Date(T0 + 5 * DAY) }, t.queue, budget);
    setTimeout(() => deadline.setTime(0), 200);
    expect((await running).outcome).toBe('partial');
    expect(t.p.calls).toHaveLength(0);
  }, 10_000);

  it('stops on a publish the queue refuses, the bookmark on the last page it confirmed, and the next run has no gap', async () => {
    const t = setup(recs(18)); // 4 a day: pages of 3, so each day takes a page of 3 and a page of 1
    await t.ready;
    // The sync maps and publishes pages while the queue commits the ones before: when the queue refuses
    // day two's first page, later pages may already be on the queue, but the bookmark must not pass it.
    let publishes = 0;
    const refusing: Queue = Object.assign(Object.create(t.queue) as Queue, {
      publish: (envelopes: Parameters<Queue['publish']>[0]) =>
        ++publishes === 3 ? Promise.reject(new Error('disk full')) : t.queue.publish(envelopes),
    });
    const first = await t.run(stream(), { to: new Date(T0 + 5 * DAY) }, refusing);
    expect(first.outcome).toBe('failed');
    expect(first.error).toContain('disk full');
    const bm = await loadBookmark(t.state, 'fake', 'things');
    expect(bm.cursor).toBe(new Date(T0 + DAY).toISOString()); // day one, and nothing after
    expect(bm.window).toBeNull();
    const before = new Set((await t.published()).filter((e) => e.contract === 'donation').map((e) => e.key));
    expect(before.size).toBeGreaterThanOrEqual(4);
    const second = await t.run(stream(), { to: new Date(T0 + 5 * DAY) });
    expect(second.outcome).toBe('succeeded');
    const after = (await t.published()).filter((e) => e.contract === 'donation').map((e) => e.key);
    expect(new Set([...before, ...after]).size).toBe(18);
    expect(after).toHaveLength(14); // read on from day two: nothing of day one again
  });

  it('fails the run, not the process, when a publish or a prefetched page fails while the loop waits elsewhere', async () => {
    // A slow queue: pages queue up in flight, and the loop waits for room while the next page is fetched.
    const slowly = (t: ReturnType<typeof setup>, failAt: number | null): Queue => {
      let n = 0;
      return Object.assign(Object.create(t.queue) as Queue, {
        publish: async (envelopes: Parameters<Queue['publish']>[0]) => {
          await new Promise((r) => setTimeout(r, 20));
          if (++n === failAt) throw new Error('disk full');
          return t.queue.publish(envelopes);
        },
      });
    };
    const a = setup(recs(40, DAY / 10)); // ten a day: four pages a day
    await a.ready;
    a.p.faults.push(null, null, null, null, null, new Error('401 token revoked')); // the sixth page
    const fetchFails = await a.run(stream(), { to: new Date(T0 + 4 * DAY) }, slowly(a, null));
    expect(fetchFails).toMatchObject({ outcome: 'failed', error: expect.stringContaining('401') });
    const b = setup(recs(40, DAY / 10));
    await b.ready;
    const publishFails = await b.run(stream(), { to: new Date(T0 + 4 * DAY) }, slowly(b, 1));
    expect(publishFails).toMatchObject({ outcome: 'failed', error: 'disk full', pages: 0 });
    expect((await loadBookmark(b.state, 'fake', 'things')).cursor).toBeNull();
  });

  it('refuses a second run while the first holds the lease', async () => {
    const t = setup(recs(4));
    await t.ready;
    await t.state.acquireLease('sync:fake:things', 'someone-else', 60_000);
    const r = await t.run(stream());
    expect(r.outcome).toBe('refused');
    expect(t.p.calls.length).toBe(0);
  });

  it('reads pending records again on the next run until they settle', async () => {
    const records = recs(12);
    records[2]!.pending = true;
    const t = setup(records);
    await t.ready;
    await t.run(stream());
    records[2]!.pending = false;
    t.clock.t += DAY;
    const before = t.p.calls.length;
    await t.run(stream());
    expect(t.p.calls[before]!.from).toBeLessThanOrEqual(records[2]!.created);
    const versions = (await t.published()).filter((e) => e.key === 'r002').map((e) => e.payload.status);
    expect(versions).toEqual(['pending', 'paid']);
    expect((await loadBookmark(t.state, 'fake', 'things')).revisitFrom).toBeNull();
  });

  it('reads a few pending records again by id, and lists only from its bookmark (not from the oldest pending)', async () => {
    const records = recs(12);
    records[2]!.pending = true;
    const t = setup(records);
    const byId: string[] = [];
    const withById = stream({ fetchById: async (_ctx, id) => (byId.push(id), t.p.records.find((r) => r.id === id) ?? null) });
    await t.ready;
    await t.run(withById);
    const saved = await loadBookmark(t.state, 'fake', 'things');
    expect(saved.revisitIds).toEqual(['r002']);
    expect(Date.parse(saved.revisitFrom!)).toBe(records[2]!.created);

    // Still pending a day on: read by id, and the list starts at the bookmark, past it.
    t.clock.t += DAY;
    let before = t.p.calls.length;
    expect((await t.run(withById)).outcome).toBe('succeeded');
    expect(byId).toEqual(['r002']);
    expect(Math.min(...t.p.calls.slice(before).map((c) => c.from))).toBeGreaterThan(records[2]!.created);
    expect((await loadBookmark(t.state, 'fake', 'things')).revisitIds).toEqual(['r002']);

    // Settled: read once more by id, its settled version published, and nothing is left to revisit.
    records[2]!.pending = false;
    t.clock.t += DAY;
    before = t.p.calls.length;
    await t.run(withById);
    expect(byId).toEqual(['r002', 'r002']);
    expect(Math.min(...t.p.calls.slice(before).map((c) => c.from))).toBeGreaterThan(records[2]!.created);
    // Each read publishes what it read: the first list, the read by id while pending, the settled one.
    const versions = (await t.published()).filter((e) => e.key === 'r002').map((e) => e.payload.status);
    expect(versions).toEqual(['pending', 'pending', 'paid']);
    expect(await loadBookmark(t.state, 'fake', 'things')).toMatchObject({ revisitFrom: null, revisitIds: null });
  });

  it('forgets a pending record the provider no longer has, and lists from the oldest when more than 100 are pending', async () => {
    const records = recs(102, DAY / 50);
    for (const r of records) r.pending = true;
    const t = setup(records, T0 + 3 * DAY);
    const byId: string[] = [];
    const withById = stream({ fetchById: async (_ctx, id) => (byId.push(id), t.p.records.find((r) => r.id === id) ?? null) });
    await t.ready;
    await t.run(withById);
    // 102 pending: too many to read one by one.
    expect(await loadBookmark(t.state, 'fake', 'things')).toMatchObject({ revisitFrom: new Date(T0).toISOString(), revisitIds: null });
    t.clock.t += DAY;
    let before = t.p.calls.length;
    await t.run(withById);
    expect(byId).toEqual([]);
    expect(t.p.calls[before]!.from).toBe(T0);
    // The next run, a minute on, does not list them again (at most hourly), and keeps the point; an hour on it does.
    t.clock.t += 60_000;
    before = t.p.calls.length;
    expect((await t.run(withById)).outcome).toBe('succeeded');
    expect(Math.min(...t.p.calls.slice(before).map((c) => c.from))).toBeGreaterThan(T0 + DAY);
    expect(await loadBookmark(t.state, 'fake', 'things')).toMatchObject({ revisitFrom: new Date(T0).toISOString(), revisitIds: null });
    t.clock.t += 60 * 60_000;
    before = t.p.calls.length;
    await t.run(withById);
    expect(t.p.calls[before]!.from).toBe(T0);

    // Two left pending, and one of them deleted at the provider: the other is read by id, the deleted one forgotten.
    for (const r of records) r.pending = false;
    records[5]!.pending = true;
    records[7]!.pending = true;
    t.clock.t += DAY;
    await t.run(withById);
    expect((await loadBookmark(t.state, 'fake', 'things')).revisitIds).toEqual(['r007', 'r005']);
    t.p.records.splice(5, 1);
    t.clock.t += DAY;
    before = t.p.calls.length;
    const lines: string[] = [];
    const stderr = vi.spyOn(process.stderr, 'write').mockImplementation((chunk) => (lines.push(String(chunk)), true));
    try {
      await t.run(withById);
    } finally {
      stderr.mockRestore();
    }
    // It is said, once, naming the stream and the record: it stays in the lake as it last landed (pending).
    const gone = lines.map((l) => JSON.parse(l) as Record<string, unknown>).filter((l) => String(l.msg).includes('gone from the provider'));
    expect(gone).toMatchObject([{ level: 'warn', connector: 'fake', stream: 'things', records: 1, ids: ['r005'] }]);
    expect(byId.sort()).toEqual(['r005', 'r007']);
    expect(Math.min(...t.p.calls.slice(before).map((c) => c.from))).toBeGreaterThan(records[7]!.created);
    expect(await loadBookmark(t.state, 'fake', 'things')).toMatchObject({ revisitFrom: new Date(records[6]!.created).toISOString(), revisitIds: ['r007'] });
  });

  it('keeps the pending records a run read before it failed part-way, and reads them again once the next run has finished its window', async () => {
    const records = recs(12);
    records[2]!.pending = true; // on the first page of the first day
    const t = setup(records);
    await t.ready;
    const failing = counting((page) => {
      if (page === 4) throw new Error('provider gone'); // the second day's second page
    });
    expect((await t.run(failing)).outcome).toBe('failed');
    expect((await loadBookmark(t.state, 'fake', 'things')).window).not.toBeNull();
    // The next run continues that window from its page, past the pending record, and reads to the end.
    expect((await t.run(stream())).outcome).toBe('succeeded');
    records[2]!.pending = false;
    t.clock.t += DAY;
    expect((await t.run(stream())).outcome).toBe('succeeded');
    const versions = (await t.published()).filter((e) => e.key === 'r002').map((e) => e.payload.status);
    expect(versions).toEqual(['pending', 'paid']);
    expect((await loadBookmark(t.state, 'fake', 'things')).revisitFrom).toBeNull();
  });

  it('quarantines a record its mapping cannot handle and goes on, keeping no personal data in either', async () => {
    const records = recs(4);
    // Provider records carry people's details no contract takes; neither path may keep them.
    for (const r of records) Object.assign(r, { billing_details: { name: 'Jo Bloggs' }, receipt_email: 'jo@example.org' });
    const t = setup(records);
    await t.ready;
    const picky = stream({
      toContract: (r) => {
        if (r.id === 'r001' || r.id === 'r002') throw new Error('provider sent garbage');
        return stream().toContract(r, undefined);
      },
    });
    const r = await t.run(picky);
    expect(r.outcome).toBe('succeeded');
    expect(r.quarantined).toBe(2);
    const all = await t.published();
    const quarantined = all.filter((e) => e.contract === 'quarantine');
    // One each, named by the source's key and dated by the record's own time: a re-read is the same envelope.
    expect(quarantined.map((e) => e.payload.quarantine_id).sort()).toEqual(['fake:donation:r001', 'fake:donation:r002']);
    expect(quarantined.find((e) => e.key === 'fake:donation:r001')!.payload.occurred_at).toBe(new Date(T0 + DAY / 4).toISOString());
    expect(all.filter((e) => e.contract === 'donation')).toHaveLength(2);
    expect(all.filter((e) => e.contract === 'sync_run')).toHaveLength(1);
    const text = JSON.stringify(all);
    expect(text).not.toMatch(/Jo Bloggs|jo@example\.org/);
    expect(all.find((e) => e.key === 'fake:donation:r001')!.raw).toMatchObject({ id: 'r001', billing_details: '[redacted]', receipt_email: '[redacted]' });
    const again = await t.run(picky, { full: true });
    expect(again.quarantined).toBe(2);
    const reread = (await t.published()).filter((e) => e.contract === 'quarantine');
    expect(reread.map((e) => e.id).sort()).toEqual(quarantined.map((e) => e.id).sort());
  });

  it('splits a window the provider finds too large, and never skips one', async () => {
    const t = setup(recs(40, DAY / 10)); // ten a day
    await t.ready;
    const capped = stream({
      async fetchPage(ctx, req) {
        const n = t.p.records.filter((r) => r.created >= req.window!.from.getTime() && r.created < req.window!.to.getTime()).length;
        if (req.token === null && n > 4) throw new WindowTooLargeError(`${n} results`);
        return stream().fetchPage!(ctx, req);
      },
    });
    const r = await t.run(capped);
    expect(r.outcome).toBe('succeeded');
    const keys = (await t.published()).filter((e) => e.contract === 'donation').map((e) => e.key);
    expect(new Set(keys).size).toBe(40);
    expect(keys.length).toBe(40);
  });
});

describe('connector engine: backfills (--from/--to) and the bookmark', () => {
  const LAG = 60_000;
  const lagged = () => stream({ windows: { sizeMs: DAY, lagMs: LAG } });
  const cursor = async (t: ReturnType<typeof setup>) => (await loadBookmark(t.state, 'fake', 'things')).cursor;

  it('reads a --to in the future only up to now minus the lag, and the next run reads what was made after it', async () => {
    const t = setup(recs(18));
    await t.ready;
    await t.run(lagged());
    t.clock.t += DAY;
    const now = t.clock.t;
    const backfill = await t.run(lagged(), { from: new Date(T0 + 3 * DAY), to: new Date(T0 + 60 * DAY) });
    expect(backfill.outcome).toBe('succeeded');
    expect(Math.max(...t.p.calls.map((c) => c.to))).toBe(now - LAG);
    expect(await cursor(t)).toBe(new Date(now - LAG).toISOString());
    // A charge made after the backfill: the next scheduled run reads it.
    t.p.records.push({ id: 'after', created: now + 3_600_000, amount: 7 });
    t.clock.t += DAY;
    const next = await t.run(lagged());
    expect(next.records).toBe(1);
    expect((await t.published()).some((e) => e.key === 'after')).toBe(true);
  });

  it('leaves a later bookmark where it was after a backfill of the past, and the next run reads on from it', async () => {
    const t = setup(recs(18));
    await t.ready;
    await t.run(lagged());
    const before = await cursor(t);
    const backfill = await t.run(lagged(), { from: new Date(T0 + DAY), to: new Date(T0 + 2 * DAY) });
    expect(backfill.records).toBe(4);
    expect(await cursor(t)).toBe(before);
    t.clock.t += DAY;
    const calls = t.p.calls.length;
    await t.run(lagged());
    expect(Math.min(...t.p.calls.slice(calls).map((c) => c.from))).toBe(Date.parse(before!));
  });

  it('does not move the bookmark over records nobody read when a backfill starts after it', async () => {
    const t = setup(recs(18), T0 + 2 * DAY);
    await t.ready;
    await t.run(stream());
    t.clock.t = T0 + 5 * DAY;
    await t.run(stream(), { from: new Date(T0 + 3 * DAY) });
    expect(await cursor(t)).toBe(new Date(T0 + 2 * DAY).toISOString());
  });

  it('puts a bookmark left in the future back to what it read on --full', async () => {
    const t = setup(recs(18));
    await t.ready;
    await saveBookmark(t.state, 'fake', 'things', { cursor: new Date(T0 + 60 * DAY).toISOString(), window: null, revisitFrom: null, updatedAt: '' });
    const full = await t.run(stream(), { full: true });
    expect(full.records).toBe(18);
    expect(await cursor(t)).toBe(new Date(T0 + 5 * DAY).toISOString());
  });

  it('resumes a backfill stopped part-way when it is run again, without touching the bookmark meanwhile', async () => {
    const t = setup(recs(18));
    await t.ready;
    await t.run(stream(), { to: new Date(T0 + 4 * DAY) });
    const bm = await loadBookmark(t.state, 'fake', 'things');
    const range = { from: new Date(T0), to: new Date(T0 + 3 * DAY) };
    const deadline = new Date(T0 + 50 * DAY);
    const stopped = await t.run(counting((page) => page === 4 && deadline.setTime(0)), { ...range, deadline });
    expect(stopped.outcome).toBe('partial');
    // It says who continues it: the same range, not the next (scheduled) run, which leaves its checkpoint be.
    expect(stopped.error).toBe(`stopped; the same range (--from ${range.from.toISOString()} --to ${range.to.toISOString()}) run again continues from its checkpoint; the scheduled runs do not`);
    const mid = await loadBookmark(t.state, 'fake', 'things');
    expect({ cursor: mid.cursor, window: mid.window }).toEqual({ cursor: bm.cursor, window: null });
    expect(mid.backfill?.window).not.toBeNull();
    const calls = t.p.calls.length;
    const again = await t.run(stream(), range);
    expect(again.outcome).toBe('succeeded');
    expect(t.p.calls[calls]!.after).not.toBeNull(); // from its page, not from the start
    expect((await loadBookmark(t.state, 'fake', 'things')).backfill).toBeNull();
    // Each of the 12 records of the range is published once by the two backfill runs.
    const keys = (await t.published()).filter((e) => e.contract === 'donation').map((e) => e.key);
    expect(keys.length - 16).toBe(12);
  });
});
