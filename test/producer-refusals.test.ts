import { afterEach, describe, expect, it, vi } from 'vitest';
import { SqliteQueue } from '../infra/local/sqlite-queue.js';
import { log } from '../core/log.js';
import { Refusals } from '../core/http/refusals.js';
import { buildServer, closeServer } from '../core/http/server.js';

// A supplier whose every batch is refused drops off the totals: until 2026-12-05 no refusal reached the log at any
// level (user test). Now the first is said at once, then the counts at most once a minute, by status.
describe('refused producer requests in the log', () => {
  const warned = vi.spyOn(log, 'warn');
  afterEach(() => warned.mockClear());
  const said = () => warned.mock.calls.filter(([msg]) => msg.startsWith('producer requests refused'));

  it('says the first at once, then what came since at most once a minute', () => {
    let now = Date.parse('2026-12-05T21:00:00Z');
    const r = new Refusals({ now: () => now });
    r.note(400);
    expect(said().map(([, f]) => f)).toEqual([{ refused: 1, by_status: { '400': 1 }, since: '2026-12-05T21:00:00.000Z' }]);
    now += 1_000;
    r.note(400);
    r.note(401);
    r.note(400);
    expect(said()).toHaveLength(1);
    now += 60_000;
    r.flush();
    expect(said().map(([, f]) => f)[1]).toEqual({ refused: 3, by_status: { '400': 2, '401': 1 }, since: '2026-12-05T21:00:01.000Z' });
    r.flush();
    expect(said()).toHaveLength(2);
  });

  it('counts the refusals of both paths of POST /v1/events, and never what was sent', async () => {
    const queue = new SqliteQueue(':memory:');
    const key = 'pk_refusals_0123456789';
    const app = buildServer({ queue, apiKeys: [key] });
    const base = await app.listen({ port: 0, host: '127.0.0.1' });
    const post = (authorization: string, body: string, type = 'application/json') =>
      fetch(`${base}/v1/events`, { method: 'POST', headers: { authorization, 'content-type': type }, body });
    const secret = 'donor@example.org';
    // The fast path: an invalid event.
    expect((await post(`Bearer ${key}`, JSON.stringify({ events: [{ contract: 'donation', version: 2, payload: { donation_id: secret } }] }))).status).toBe(400);
    // Fastify's: a wrong key, a form body.
    expect((await post('Bearer pk_wrong_0123456789', '{"events":[]}')).status).toBe(401);
    expect((await post(`Bearer ${key}`, 'a=1', 'application/x-www-form-urlencoded')).status).toBe(415);
    await closeServer(app, 100);
    await queue.close();
    const counts = said().map(([, f]) => (f as { by_status: Record<string, number> }).by_status);
    // The first at once; the rest when the server closed.
    expect(counts).toEqual([{ '400': 1 }, { '401': 1, '415': 1 }]);
    expect(JSON.stringify(warned.mock.calls)).not.toMatch(/donor@|pk_wrong|a=1/);
  });
});
