import { afterEach, describe, expect, it, vi } from 'vitest';
import { SqliteQueue } from '../infra/local/sqlite-queue.js';
import { log, redact } from '../core/log.js';
import { Refusals } from '../core/http/refusals.js';
import { buildServer, closeServer } from '../core/http/server.js';

// A supplier whose every batch is refused drops off the totals: until 2026-12-05 no refusal reached the log at any
// level (user test). Now the first is said at once, then the counts at most once a minute, by status, by the source
// of the key (a named key's supplier) and by reason (the field broken, or the error's code): until 2026-12-06 the
// on-call engineer could not tell whose batches were dropping out of the total (user test).
describe('refused producer requests in the log', () => {
  const warned = vi.spyOn(log, 'warn');
  afterEach(() => warned.mockClear());
  const said = () => warned.mock.calls.filter(([msg]) => msg.startsWith('producer requests refused'));

  it('says the first at once, then what came since at most once a minute', () => {
    let now = Date.parse('2026-12-05T21:00:00Z');
    const r = new Refusals({ now: () => now });
    r.note(400);
    expect(said().map(([, f]) => f)).toEqual([{ refused: 1, by_status: { '400': 1 }, by_source: { 'unidentified': 1 }, by_reason: {}, since: '2026-12-05T21:00:00.000Z' }]);
    now += 1_000;
    r.note(400);
    r.note(401);
    r.note(400);
    expect(said()).toHaveLength(1);
    now += 60_000;
    r.flush();
    expect(said().map(([, f]) => f)[1]).toMatchObject({ refused: 3, by_status: { '400': 2, '401': 1 }, since: '2026-12-05T21:00:01.000Z' });
    r.flush();
    expect(said()).toHaveLength(2);
  });

  it('counts the refusals of both paths of POST /v1/events, and never what was sent', async () => {
    const queue = new SqliteQueue(':memory:');
    const key = 'pk_refusals_0123456789';
    const app = buildServer({ queue, apiKeys: [`${key}:sms-agency`] });
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
    const lines = said().map(([, f]) => f as Record<string, Record<string, number>>);
    // The first at once; the rest when the server closed. Whose (the named key's source) and why (the field, the code).
    expect(lines.map((f) => f.by_status)).toEqual([{ '400': 1 }, { '401': 1, '415': 1 }]);
    expect(lines.map((f) => f.by_source)).toEqual([{ 'producer:sms-agency': 1 }, { 'unidentified': 1, 'producer:sms-agency': 1 }]);
    expect(lines[0]!.by_reason).toEqual({ 'payload.occurred_at': 1, 'payload.amount_minor': 1, 'payload.currency': 1, 'payload.channel': 1 });
    expect(lines[1]!.by_reason).toEqual({ unauthorized: 1, unsupported_media_type: 1 });
    // As the log writes it: no source is taken for a secret and masked.
    expect(redact(lines[1]!)).toEqual(lines[1]);
    expect(JSON.stringify(warned.mock.calls)).not.toMatch(/donor@|pk_wrong|a=1/);
  });
});
