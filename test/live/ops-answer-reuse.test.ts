// How long the dashboard's journey and breaks answers are reused. They were reused for five times as long as
// they took, with no cap: on a loaded hub a journey that took 4 minutes (queued behind the totals rebuild) was
// then served for 20. Now at most REUSE_CAP_MS, and once due the last answer is served, with its `computed_at`,
// while the next is worked out, unless nobody asked for that long (a quiet spell): then the caller waits for a new
// one. The clock is faked (Date only); what is asserted is which answer comes and how
// many times the engine was asked, never how long anything took.
import Fastify, { type FastifyInstance } from 'fastify';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';

import { createKeyRing } from '../../core/http/auth.js';
import type { QueryEngine, QueryPriority, QueryResult, Row } from '../../core/ports.js';
import { OPS_SQL, opsRoutes, REUSE_CAP_MS, STATUS_REUSE_CAP_MS } from '../../puddles/http/ops-routes.js';
import type { TotalsKeeper } from '../../puddles/totals-keeper.js';
import type { WebhookFreshness } from '../../puddles/webhook-freshness.js';

const READ_KEY = 'read-key-ops-reuse-000001';
const T0 = Date.parse('2026-12-03T19:00:00Z');

/** An engine whose every query waits until the test answers it, noting on which side it was asked. */
function heldEngine() {
  const asked: { sql: string; priority: QueryPriority; answer: (rows: Row[]) => void; fail: (err: Error) => void }[] = [];
  const side = (priority: QueryPriority): QueryEngine => {
    const query = (sql: string) => new Promise<Row[]>((answer, fail) => asked.push({ sql, priority, answer, fail }));
    return {
      query,
      queryWithColumns: async (sql): Promise<QueryResult> => ({ columns: [], types: [], rows: await query(sql) }),
      close: async () => undefined,
      withPriority: side,
    };
  };
  return { engine: side('interactive'), asked };
}

describe('the journey answer on a slow lake', () => {
  let app: FastifyInstance;
  let held: ReturnType<typeof heldEngine>;
  beforeEach(async () => {
    vi.useFakeTimers({ toFake: ['Date'] });
    vi.setSystemTime(T0);
    held = heldEngine();
    app = Fastify();
    const unused = {} as never;
    await app.register(opsRoutes, { keys: createKeyRing({ read: [READ_KEY] }), query: held.engine, keeper: unused as TotalsKeeper, webhooks: unused as WebhookFreshness, queueDepths: async () => ({}), state: unused, connectors: {} });
  });
  afterEach(async () => {
    await app.close();
    vi.useRealTimers();
  });
  const journey = async () => {
    const res = await app.inject({ url: '/v1/ops/journey', headers: { authorization: `Bearer ${READ_KEY}` } });
    expect(res.statusCode).toBe(200);
    return res.json<{ computed_at: string; stages: { stage: string; count: number }[] }>();
  };
  const stage = (count: number) => [{ stage: 'paid', currency: 'GBP', count, amount_minor: count * 100 }];

  it('is reused for at most a minute however long it took, then served while the next one is worked out', async () => {
    const first = journey();
    await vi.waitFor(() => expect(held.asked).toHaveLength(1));
    // It takes 5 minutes (behind other work): five times that would be 25 minutes of reuse.
    vi.setSystemTime(T0 + 300_000);
    held.asked[0]!.answer(stage(10));
    const answer = await first;
    expect(answer.stages).toEqual(stage(10));
    // computed_at is when it was asked: the figures hold at least what had landed by then. Until 2026-12-05 it was
    // when the answer came, 5 minutes later here, which claimed a lake newer than the one read.
    expect(Date.parse(answer.computed_at)).toBeLessThan(T0 + 300_000);

    // Within the minute: the same answer, nothing asked.
    vi.setSystemTime(T0 + 300_000 + REUSE_CAP_MS - 20_000);
    expect(await journey()).toEqual(answer);
    expect(held.asked).toHaveLength(1);

    // Past it: a new query is asked, and this request gets the last answer at once, with its age.
    vi.setSystemTime(T0 + 300_000 + REUSE_CAP_MS + 20_000);
    expect(await journey()).toEqual(answer);
    expect(held.asked).toHaveLength(2);
    // The first answer was waited for; this one is not, so it waits for the hub's background work too.
    expect(held.asked.map((a) => a.priority)).toEqual(['interactive', 'idle']);
    // Polls while it runs ask nothing more.
    expect(await journey()).toEqual(answer);
    expect(held.asked).toHaveLength(2);

    held.asked[1]!.answer(stage(12));
    await vi.waitFor(async () => expect((await journey()).stages).toEqual(stage(12)));
    expect(Date.parse((await journey()).computed_at)).toBeGreaterThanOrEqual(T0 + 300_000 + REUSE_CAP_MS + 20_000);
    expect(held.asked).toHaveLength(2);
  });

  it('after a quiet spell waits for a new answer instead of serving one from whenever someone last looked', async () => {
    const first = journey();
    await vi.waitFor(() => expect(held.asked).toHaveLength(1));
    held.asked[0]!.answer(stage(10));
    await first;
    // Nobody asks for 114 s: nothing refreshed it. The next two callers (two screens opened together) both wait
    // for the new answer, asked once and ahead of the background work, and get it.
    vi.setSystemTime(T0 + 114_000);
    const a = journey();
    const b = journey();
    await vi.waitFor(() => expect(held.asked).toHaveLength(2));
    expect(held.asked[1]!.priority).toBe('interactive');
    held.asked[1]!.answer(stage(11));
    for (const answer of await Promise.all([a, b])) {
      expect(answer.stages).toEqual(stage(11));
      expect(Date.parse(answer.computed_at)).toBeGreaterThanOrEqual(T0 + 114_000);
    }
    expect(held.asked).toHaveLength(2);
  });

  it('forgets the last answer when the next one fails, so the request after that is told, not served old figures', async () => {
    const first = journey();
    await vi.waitFor(() => expect(held.asked).toHaveLength(1));
    held.asked[0]!.answer(stage(10));
    await first;
    // Due (reused 10 s), and asked within the minute: served while the next is worked out.
    vi.setSystemTime(T0 + 15_000);
    expect((await journey()).stages).toEqual(stage(10));
    expect(held.asked).toHaveLength(2);
    held.asked[1]!.fail(new Error('disk on fire'));
    // Its failure is handled in microtasks; after an event-loop turn it has been.
    await new Promise((r) => setImmediate(r));
    // The request after it asks again, waits for that answer, and is told it failed.
    const next = app.inject({ url: '/v1/ops/journey', headers: { authorization: `Bearer ${READ_KEY}` } });
    await vi.waitFor(() => expect(held.asked).toHaveLength(3));
    held.asked[2]!.fail(new Error('still on fire'));
    expect((await next).statusCode).toBe(500);
  });
});

describe("the status's lake counts on a slow lake", () => {
  let app: FastifyInstance;
  let held: ReturnType<typeof heldEngine>;
  beforeEach(async () => {
    vi.useFakeTimers({ toFake: ['Date'] });
    vi.setSystemTime(T0);
    held = heldEngine();
    app = Fastify();
    const keeper = { drift: () => ({}), driftFailing: () => null, ready: true, totals: { donations: 0, asOf: () => null } } as unknown as TotalsKeeper;
    const webhooks = { snapshot: () => ({}) } as unknown as WebhookFreshness;
    const state = { getMany: async () => new Map() } as never;
    await app.register(opsRoutes, { keys: createKeyRing({ read: [READ_KEY] }), query: held.engine, keeper, webhooks, queueDepths: async () => ({}), state, connectors: {} });
  });
  afterEach(async () => {
    await app.close();
    vi.useRealTimers();
  });
  const status = async () => {
    const res = await app.inject({ url: '/v1/ops/status', headers: { authorization: `Bearer ${READ_KEY}` } });
    expect(res.statusCode).toBe(200);
    return res.json<{ now: string; quarantine: number | null; computed_at: Record<string, string> }>();
  };
  /** Answers the queries asked so far and not yet answered: the runs (none) and the open quarantine (`n`). */
  const answerAll = (n: number) => {
    for (const q of held.asked.splice(0)) q.answer(q.sql.includes('quarantine_open') ? [{ n }] : []);
  };

  it('carry the time they were read at, kept while they are reused, as the journey and breaks do', async () => {
    const first = status();
    await vi.waitFor(() => expect(held.asked).toHaveLength(1));
    vi.setSystemTime(T0 + 10_000);
    answerAll(3);
    await vi.waitFor(() => expect(held.asked).toHaveLength(1));
    vi.setSystemTime(T0 + 50_000);
    answerAll(3);
    const answer = await first;
    expect(answer.quarantine).toBe(3);
    // Each part's time is when it was asked (give or take the real time that passed): the runs at T0, the
    // quarantine at T0 + 10 s, though it answered at T0 + 50 s.
    expect(Date.parse(answer.computed_at.sync_runs!)).toBeLessThan(T0 + 10_000);
    expect(Date.parse(answer.computed_at.quarantine!)).toBeGreaterThanOrEqual(T0 + 10_000);
    expect(Date.parse(answer.computed_at.quarantine!)).toBeLessThan(T0 + 50_000);

    // Reused: the same times, while the status's own `now` moves on. The runs' answer (reused 3 s) is due: it
    // is served, with its time, while the next is worked out; the quarantine's (it took 50 s: 60 s) is not.
    vi.setSystemTime(T0 + 51_000);
    const again = await status();
    expect(again.computed_at).toEqual(answer.computed_at);
    expect(Date.parse(again.now)).toBeGreaterThanOrEqual(T0 + 51_000);
    expect(held.asked.map((q) => q.sql)).toEqual([OPS_SQL.syncRuns]);

    // The new runs' answer, asked at T0 + 51 s, comes at T0 + 52 s: its time is when it was asked.
    vi.setSystemTime(T0 + 52_000);
    answerAll(3);
    await vi.waitFor(async () => expect(Date.parse((await status()).computed_at.sync_runs!)).toBeGreaterThanOrEqual(T0 + 51_000));
    expect((await status()).computed_at.quarantine).toBe(answer.computed_at.quarantine);

    // Two cheap counts: however long the quarantine's took (50 s, waiting behind other queries, say), it is asked
    // again after STATUS_REUSE_CAP_MS, not after a minute.
    vi.setSystemTime(T0 + 50_000 + STATUS_REUSE_CAP_MS + 1000);
    await status();
    expect(held.asked.map((q) => q.sql)).toContain(OPS_SQL.quarantine);
  });
});
