// How long the dashboard's journey and breaks answers are reused. They were reused for five times as long as
// they took, with no cap: on a loaded hub a journey that took 4 minutes (queued behind the totals rebuild) was
// then served for 20. Now at most REUSE_CAP_MS, and once due the last answer is served, with its `computed_at`,
// while the next is worked out. The clock is faked (Date only); what is asserted is which answer comes and how
// many times the engine was asked, never how long anything took.
import Fastify, { type FastifyInstance } from 'fastify';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';

import { createKeyRing } from '../../core/http/auth.js';
import type { QueryEngine, QueryPriority, QueryResult, Row } from '../../core/ports.js';
import { opsRoutes, REUSE_CAP_MS } from '../../puddles/http/ops-routes.js';
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
    // The faked clock still moves on in real time from where it was set.
    expect(Date.parse(answer.computed_at)).toBeGreaterThanOrEqual(T0 + 300_000);

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

  it('forgets the last answer when the next one fails, so the request after that is told, not served old figures', async () => {
    const first = journey();
    await vi.waitFor(() => expect(held.asked).toHaveLength(1));
    held.asked[0]!.answer(stage(10));
    await first;
    vi.setSystemTime(T0 + REUSE_CAP_MS + 1000);
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
