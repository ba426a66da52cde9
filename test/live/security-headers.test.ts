// Every answer of the hub carries X-Content-Type-Options: nosniff and Referrer-Policy: no-referrer, whatever answers
// it: the producer's fast path and Fastify's route, JSON and HTML, a live stream, errors, 404 and 405, the router's
// own refusal of a path it cannot read.
import { mkdtempSync, rmSync } from 'node:fs';
import { request } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildServer } from '../../core/http/server.js';
import type { Queue } from '../../core/ports.js';
import type { Hub } from '../../infra/local/hub.js';
import { fastPathRequests } from '../../core/http/server.js';
import { postEvents } from '../support/hub-process.js';
import { FEED_KEY, PRODUCER_KEY, READ_KEY, startLiveHub, TV_KEY } from './live-hub.js';

const SECURE = { 'x-content-type-options': 'nosniff', 'referrer-policy': 'no-referrer' };
const secureOf = (h: Headers | Record<string, unknown>) => {
  const get = (n: string) => (h instanceof Headers ? h.get(n) : h[n]);
  return { 'x-content-type-options': get('x-content-type-options'), 'referrer-policy': get('referrer-policy') };
};

/** Status and headers of a GET whose path is sent as is (fetch would normalise `%zz`), without reading a stream to its end. */
function rawGet(url: string, path: string, headers: Record<string, string> = {}): Promise<{ status: number; headers: Record<string, unknown> }> {
  return new Promise((resolve, reject) => {
    const req = request(`${url}${path}`, { headers }, (res) => {
      resolve({ status: res.statusCode ?? 0, headers: res.headers });
      res.destroy();
    });
    req.on('error', reject);
    req.end();
  });
}

describe('security headers on every answer', () => {
  const home = mkdtempSync(join(tmpdir(), 'puddle-security-headers-'));
  let hub: Hub;
  const bearer = (key: string) => ({ authorization: `Bearer ${key}` });

  beforeAll(async () => {
    hub = await startLiveHub(home);
  }, 120_000);
  afterAll(async () => {
    await hub?.stop();
    rmSync(home, { recursive: true, force: true });
  });

  it('the producer: a 202 from the fast path, a 401, a 415 through Fastify', async () => {
    const before = fastPathRequests(hub.server);
    const ok = await postEvents(hub.url, PRODUCER_KEY, [{ contract: 'donation', version: 1, payload: { donation_id: 'h-1', occurred_at: '2026-11-27T20:00:00Z', channel: 'sms', amount_minor: 500, currency: 'GBP' } }]);
    expect(ok.status).toBe(202);
    expect(fastPathRequests(hub.server)).toBe(before + 1);
    expect(secureOf(ok.headers)).toEqual(SECURE);
    const refused = await postEvents(hub.url, 'not-a-key-at-all-0000', []);
    expect([refused.status, secureOf(refused.headers)]).toEqual([401, SECURE]);
    const bad = await fetch(`${hub.url}/v1/events`, { method: 'POST', headers: { ...bearer(PRODUCER_KEY), 'content-type': 'text/plain' }, body: 'x' });
    expect([bad.status, secureOf(bad.headers)]).toEqual([415, SECURE]);
  });

  it('the read API, a feed, the live stream, health, and the dashboard pages and their refusals', async () => {
    for (const [path, key, status] of [
      ['/healthz', undefined, 200],
      ['/v1/totals', READ_KEY, 200],
      ['/v1/totals', undefined, 401],
      ['/v1/ops/status', TV_KEY, 403],
      ['/v1/feeds/giro_requests', FEED_KEY, 200],
      ['/v1/totals/stream', TV_KEY, 200],
      ['/tv', undefined, 401],
      [`/tv?key=${TV_KEY}`, undefined, 303],
      ['/assets/none.js', undefined, 404],
    ] as const) {
      const res = await rawGet(hub.url, path, key ? bearer(key) : {});
      expect([path, res.status, secureOf(res.headers)]).toEqual([path, status, SECURE]);
    }
  });

  it('404, 405 and a path the router cannot read', async () => {
    for (const [path, status] of [
      ['/no/such/route', 404],
      ['/tv/%zz', 400],
    ] as const) {
      const res = await rawGet(hub.url, path);
      expect([path, res.status, secureOf(res.headers)]).toEqual([path, status, SECURE]);
    }
    const res = await fetch(`${hub.url}/v1/totals`, { method: 'DELETE' });
    expect([res.status, secureOf(res.headers)]).toEqual([405, SECURE]);
  });

  it('through inject() too (the AWS HTTP function answers each event that way)', async () => {
    const app = buildServer({ queue: {} as Queue, apiKeys: [PRODUCER_KEY] });
    for (const url of ['/healthz', '/v1/events', '/nowhere']) {
      const res = await app.inject({ method: url === '/v1/events' ? 'POST' : 'GET', url });
      expect([url, secureOf(res.headers)]).toEqual([url, SECURE]);
    }
    await app.close();
  });
});
