// What the read API lets through on a running hub: the broadcaster's TV key opens the totals and /tv and
// nothing else, and a query the routes could only answer by guessing is a 400 naming the parameter.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Hub } from '../../infra/local/hub.js';
import { postEvents } from '../support/hub-process.js';
import { FEED_KEY, getJson, PRODUCER_KEY, READ_KEY, startLiveHub, TV_KEY, waitLanded } from './live-hub.js';

const donation = (id: string, campaign: string, occurred: string) => ({
  contract: 'donation',
  version: 1,
  payload: { donation_id: id, occurred_at: occurred, channel: 'online', amount_minor: 2500, currency: 'GBP', campaign, cta: 'tv-qr' },
});

const TV_ONLY = 'a tv key reads only /tv, GET /v1/totals and GET /v1/totals/stream';

interface ErrorAnswer {
  error: { code: string; message: string };
}

describe('the read API on a running hub', () => {
  const home = mkdtempSync(join(tmpdir(), 'puddle-read-access-'));
  let hub: Hub;

  /** The first bytes of an event stream, then the connection is dropped. */
  const streamStart = async (path: string, headers: Record<string, string>) => {
    const stop = new AbortController();
    const res = await fetch(`${hub.url}${path}`, { headers, signal: stop.signal });
    let text = '';
    if (res.status === 200) {
      const reader = res.body!.getReader();
      while (!text.includes('event: totals')) text += new TextDecoder().decode((await reader.read()).value);
    } else text = await res.text();
    stop.abort();
    return { status: res.status, type: res.headers.get('content-type'), text };
  };

  /** The cookie `/tv?key=` or `/?key=` hands out, or the page it answers instead. */
  const swapKey = async (page: string, key: string, headers: Record<string, string> = {}) => {
    const res = await fetch(`${hub.url}${page}?key=${key}`, { redirect: 'manual', headers });
    const body = await res.text();
    return { status: res.status, cookie: res.headers.get('set-cookie')?.split(';')[0] ?? null, attributes: res.headers.get('set-cookie')?.split(';').slice(1).map((a) => a.trim()) ?? [], body };
  };

  beforeAll(async () => {
    hub = await startLiveHub(home);
    const res = await postEvents(hub.url, PRODUCER_KEY, [
      donation('access-1', 'winter', '2026-11-27T20:05:00Z'),
      donation('access-2', 'summer', '2026-11-27T20:20:00Z'),
    ]);
    expect(res.status).toBe(202);
    await res.arrayBuffer();
    await waitLanded(hub);
  });
  afterAll(async () => {
    await hub?.stop();
    rmSync(home, { recursive: true, force: true });
  });

  describe('the pass cookie', () => {
    // The hub listens on plain http: TLS ends at the proxy in front of it, which says so. Without Secure the
    // browser sent the read key in clear on any http:// request to the hub's name.
    it('is Secure when a TLS proxy says the page came over https', async () => {
      expect((await swapKey('/tv', TV_KEY, { 'x-forwarded-proto': 'https' })).attributes).toContain('Secure');
      expect((await swapKey('/', READ_KEY, { forwarded: 'for=192.0.2.60;proto=https;by=203.0.113.43' })).attributes).toContain('Secure');
    });

    it('is not Secure over plain http, where the browser could not send it back', async () => {
      const plain = await swapKey('/tv', TV_KEY);
      expect(plain.status).toBe(303);
      expect(plain.attributes).toEqual(expect.arrayContaining(['HttpOnly', 'SameSite=Strict']));
      expect(plain.attributes).not.toContain('Secure');
      expect((await swapKey('/tv', TV_KEY, { 'x-forwarded-proto': 'http' })).attributes).not.toContain('Secure');
    });
  });

  describe('a TV key (PUDDLE_TV_KEYS)', () => {
    it('reads the live totals and their stream, as a read key does', async () => {
      const tv = await getJson(`${hub.url}/v1/totals?by=campaign`, TV_KEY);
      expect(tv.status).toBe(200);
      const doc = await tv.json();
      expect(doc).toMatchObject({ currency: 'GBP', total: { amount_minor: 5000, count: 2 } });
      expect(doc).toEqual(await (await getJson(`${hub.url}/v1/totals?by=campaign`, READ_KEY)).json());
      const stream = await streamStart('/v1/totals/stream', { authorization: `Bearer ${TV_KEY}` });
      expect(stream.status).toBe(200);
      expect(stream.type).toMatch(/^text\/event-stream/);
      expect(stream.text).toContain('"amount_minor":5000');
    });

    it('opens /tv with its cookie, and the stream the page reads with that cookie', async () => {
      const swapped = await swapKey('/tv', TV_KEY);
      expect(swapped.status).toBe(303);
      expect(swapped.cookie).toMatch(/^puddle_pass_tv=p1\.\d+\.[\w-]{43}$/);
      expect(swapped.cookie).not.toContain(TV_KEY);
      const page = await fetch(`${hub.url}/tv`, { headers: { cookie: swapped.cookie! } });
      expect(page.status).toBe(200);
      expect(await page.text()).toMatch(/<html/i);
      expect((await streamStart('/v1/totals/stream', { cookie: swapped.cookie! })).status).toBe(200);
    });

    it('is refused the operations dashboard and its data (breaks, journey, status) with a 403 saying what it opens', async () => {
      for (const path of ['/v1/ops/status', '/v1/ops/breaks', '/v1/ops/journey', '/v1/ops/ctas']) {
        const res = await getJson(`${hub.url}${path}`, TV_KEY);
        expect(res.status, path).toBe(403);
        const body = (await res.json()) as ErrorAnswer;
        expect(body.error, path).toEqual({ code: 'forbidden', message: `this tv key may not read the dashboard: ${TV_ONLY}` });
        expect(JSON.stringify(body), path).not.toContain(TV_KEY);
      }
      const asCookie = await fetch(`${hub.url}/`, { headers: { cookie: (await swapKey('/tv', TV_KEY)).cookie! } });
      expect(asCookie.status).toBe(403);
      expect(await asCookie.text()).toContain(`This page needs a read key (PUDDLE_READ_KEYS); ${TV_ONLY}.`);
      const swapped = await swapKey('/', TV_KEY);
      expect(swapped.status).toBe(403);
      expect(swapped.cookie).toBeNull();
      expect(swapped.body).not.toContain(TV_KEY);
    });

    it('cannot read a feed or write events', async () => {
      const feed = await getJson(`${hub.url}/v1/feeds/giro_requests`, TV_KEY);
      expect(feed.status).toBe(403);
      expect(((await feed.json()) as ErrorAnswer).error.message).toBe(`this tv key may not read this feed: ${TV_ONLY}`);
      const write = await postEvents(hub.url, TV_KEY, [donation('access-tv', 'winter', '2026-11-27T20:05:00Z')]);
      expect(write.status).toBe(403);
      expect(((await write.json()) as ErrorAnswer).error.message).toBe('a tv key cannot write events; use a producer key (PUDDLE_API_KEYS)');
    });

    it('leaves a read key opening everything it opened: /tv, the dashboard and its data', async () => {
      const tv = await swapKey('/tv', READ_KEY);
      expect(tv.status).toBe(303);
      expect((await fetch(`${hub.url}/tv`, { headers: { cookie: tv.cookie! } })).status).toBe(200);
      expect((await fetch(`${hub.url}/`, { headers: { cookie: tv.cookie! } })).status).toBe(200);
      for (const path of ['/v1/ops/status', '/v1/ops/breaks', '/v1/ops/journey', '/v1/totals']) {
        const res = await getJson(`${hub.url}${path}`, READ_KEY);
        expect(res.status, path).toBe(200);
        await res.arrayBuffer();
      }
    });
  });

  describe('a method the path does not take', () => {
    const send = async (method: string, path: string, headers: Record<string, string> = {}) => {
      const res = await fetch(`${hub.url}${path}`, { method, headers, redirect: 'manual' });
      const text = await res.text();
      return { status: res.status, allow: res.headers.get('allow'), type: res.headers.get('content-type'), cors: res.headers.get('access-control-allow-origin'), body: text ? (JSON.parse(text) as ErrorAnswer) : null };
    };
    const keys: Record<string, Record<string, string>> = { none: {}, read: { authorization: `Bearer ${READ_KEY}` }, feed: { authorization: `Bearer ${FEED_KEY}` } };

    it('is a 405 naming the methods it takes in Allow, on the read routes, the pages, the assets, the webhooks and /healthz, key or none', async () => {
      const cases: [string, string, string][] = [
        ['DELETE', '/v1/totals', 'GET, HEAD'],
        ['POST', '/v1/totals?campaign=winter', 'GET, HEAD'],
        ['POST', '/v1/totals/stream', 'GET'],
        ['PUT', '/v1/ops/breaks', 'GET, HEAD'],
        ['PUT', '/v1/feeds/giro_requests', 'GET'],
        ['DELETE', '/v1/feeds/giro_requests?after=1', 'GET'],
        ['POST', '/', 'GET, HEAD'],
        ['POST', '/tv', 'GET, HEAD'],
        ['POST', '/assets/index.js', 'GET, HEAD'],
        ['GET', '/webhooks/stripe', 'POST'],
        ['PUT', '/webhooks/braintree', 'POST'],
        ['GET', '/webhooks/freshdesk', 'POST'],
        ['POST', '/healthz', 'GET, HEAD'],
      ];
      for (const [method, path, allow] of cases) {
        for (const [who, headers] of Object.entries(keys)) {
          const what = `${method} ${path} (${who})`;
          const res = await send(method, path, headers);
          expect([res.status, res.allow], what).toEqual([405, allow]);
          expect(res.type, what).toMatch(/^application\/json/);
          expect(res.body, what).toEqual({ error: { code: 'method_not_allowed', message: `this path does not take ${method}; it takes ${allow} (see Allow)` } });
        }
      }
    });

    it('says the same for a feed that exists and one that does not, to a client without a key', async () => {
      const real = await send('PUT', '/v1/feeds/giro_requests');
      const none = await send('PUT', '/v1/feeds/no_such_feed');
      expect(real.status).toBe(405);
      expect(none).toEqual(real);
    });

    it('answers an OPTIONS preflight with 405 and Allow, and still no CORS header', async () => {
      const preflight = { origin: 'https://graphics.example', 'access-control-request-method': 'GET', 'access-control-request-headers': 'authorization' };
      for (const path of ['/v1/totals', '/v1/totals/stream', '/v1/events']) {
        const res = await send('OPTIONS', path, preflight);
        expect([res.status, res.cors], path).toEqual([405, null]);
        expect(res.body?.error.code, path).toBe('method_not_allowed');
      }
      expect((await send('OPTIONS', '/v1/totals', preflight)).allow).toBe('GET, HEAD');
    });

    it('leaves a path no route has a 404, whatever the method', async () => {
      for (const [method, path] of [['GET', '/v1/totalz'], ['DELETE', '/v1/totals/'], ['OPTIONS', '/v1/nothing'], ['POST', '/webhooks/paypal']]) {
        const res = await send(method!, path!, keys.read);
        expect([res.status, res.allow, res.body], `${method} ${path}`).toEqual([404, null, { error: { code: 'not_found', message: 'no such route' } }]);
      }
    });
  });

  describe('a query that could only be answered by guessing', () => {
    const refused = async (path: string, key: string) => {
      const res = await getJson(`${hub.url}${path}`, key);
      expect(res.status, path).toBe(400);
      return ((await res.json()) as ErrorAnswer).error;
    };

    it('refuses a parameter given twice, naming it, where the first value used to be answered alone', async () => {
      for (const path of ['/v1/totals', '/v1/totals/stream']) {
        expect(await refused(`${path}?campaign=winter&campaign=summer`, READ_KEY)).toEqual({ code: 'invalid_query', message: 'campaign is given 2 times: give it once' });
      }
      expect((await refused('/v1/totals?by=campaign&by=cta', TV_KEY)).message).toBe('by is given 2 times: give it once');
      expect((await refused('/v1/feeds/giro_requests?limit=1&limit=500', FEED_KEY)).message).toBe('limit is given 2 times: give it once');
      expect((await refused('/v1/feeds/giro_requests?after=1&after=2', FEED_KEY)).message).toBe('after is given 2 times: give it once');
    });

    it('refuses a range whose to is not after its from, naming to, where it used to answer zeros', async () => {
      for (const q of ['?from=2026-11-27T02:00:00Z&to=2026-11-27T01:00:00Z', '?from=2026-11-27T20:00:00Z&to=2026-11-27T20:00:00Z', '?from=2026-11-28&to=2026-11-27']) {
        expect((await refused(`/v1/totals${q}`, READ_KEY)).message, q).toBe('to must be after from (boxes whose start is in [from, to) are counted)');
      }
      expect((await refused('/v1/totals/stream?from=2026-11-27T21:00:00Z&to=2026-11-27T20:00:00Z', TV_KEY)).message).toMatch(/^to must be after from/);
      // A date as to is the whole day: from and to on one day is that day, not an empty range.
      const day = await getJson(`${hub.url}/v1/totals?from=2026-11-27&to=2026-11-27`, READ_KEY);
      expect(day.status).toBe(200);
      expect(((await day.json()) as { total: unknown }).total).toEqual({ amount_minor: 5000, count: 2 });
    });
  });
});
