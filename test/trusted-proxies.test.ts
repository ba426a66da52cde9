// Behind the TLS proxy the deployment needs, every client comes from the proxy's address. A security review
// (2026-12-06): 21 junk keys from anyone refused, for 5 minutes at a time, every key not yet used since the hub
// started (a producer's, the TV's, the dashboard's). With PUDDLE_TRUSTED_PROXIES the limit counts the address the
// proxy names in X-Forwarded-For; without it the header is never read.
import type { FastifyInstance } from 'fastify';
import { afterEach, describe, expect, it } from 'vitest';
import { createKeyRing } from '../core/http/auth.js';
import { buildServer, closeServer } from '../core/http/server.js';
import { SqliteQueue } from '../infra/local/sqlite-queue.js';
import { totalsRoutes } from '../puddles/http/totals-routes.js';
import { LiveTotals } from '../puddles/live-totals.js';

const PRODUCER = 'pk_night_0123456789abcdef';
const TV = 'tv_night_0123456789abcdef';

describe('PUDDLE_TRUSTED_PROXIES', () => {
  let app: FastifyInstance | undefined;
  const queue = new SqliteQueue(':memory:');
  afterEach(async () => {
    if (app) await closeServer(app, 100);
    app = undefined;
  });

  async function serve(trustedProxies: string[]): Promise<string> {
    const keys = createKeyRing({ producer: [PRODUCER], tv: [TV] });
    const totals = new LiveTotals();
    app = buildServer({ queue, apiKeys: [PRODUCER], keys, trustedProxies, authFailures: { maxFailures: 3 }, plugins: [(a) => totalsRoutes(a, { keys, totals })] });
    return app.listen({ port: 0, host: '127.0.0.1' });
  }
  const from = (client: string, key: string) => ({ authorization: `Bearer ${key}`, 'x-forwarded-for': `198.18.0.1, ${client}` });
  const post = (base: string, headers: Record<string, string>) =>
    fetch(`${base}/v1/events`, {
      method: 'POST',
      headers: { ...headers, 'content-type': 'application/json' },
      body: JSON.stringify({ events: [{ contract: 'donation', version: 2, payload: { donation_id: `d-${Math.random()}`, occurred_at: '2026-12-06T20:00:00Z', amount_minor: 500, currency: 'GBP', channel: 'ivr' } }] }),
    });
  const guess = async (base: string, client: string) => {
    const codes: number[] = [];
    for (let i = 0; i < 5; i++) codes.push((await fetch(`${base}/v1/totals`, { headers: from(client, `guess_${i}_0123456789abcdef`) })).status);
    return codes;
  };

  it("refuses the guesser's address only: a producer and the TV behind the same proxy, new to it, are served", async () => {
    const base = await serve(['127.0.0.1']);
    expect(await guess(base, '203.0.113.9')).toEqual([401, 401, 401, 429, 429]);
    // The guesser stays refused, on the producer's fast path too.
    expect((await post(base, from('203.0.113.9', PRODUCER))).status).toBe(429);
    expect((await post(base, from('198.51.100.7', PRODUCER))).status).toBe(202);
    expect((await fetch(`${base}/v1/totals`, { headers: from('198.51.100.8', TV) })).status).toBe(200);
  });

  it('without it, reads no X-Forwarded-For: a guesser cannot pass for another address, and the proxy is refused for all', async () => {
    const base = await serve([]);
    expect(await guess(base, '203.0.113.9')).toEqual([401, 401, 401, 429, 429]);
    expect((await post(base, from('198.51.100.7', PRODUCER))).status).toBe(429);
    expect((await fetch(`${base}/v1/totals`, { headers: from('198.51.100.8', TV) })).status).toBe(429);
  });
});
