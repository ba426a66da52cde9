import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Hub } from '../../infra/local/hub.js';
import type { TotalsDocument } from '../../puddles/live-totals.js';
import { postEvents } from '../support/hub-process.js';
import { postLanded, PRODUCER_KEY, READ_KEY, startLiveHub, TV_KEY, waitLanded } from './live-hub.js';
import { openSse, type SseClient } from './sse-client.js';

const auth = { authorization: `Bearer ${READ_KEY}` };
const donation = (id: string, amount: number) => ({
  contract: 'donation',
  version: 1,
  payload: { donation_id: id, occurred_at: '2026-11-27T20:01:00Z', channel: 'sms', amount_minor: amount, currency: 'GBP', campaign: 'stream-test', cta: 'tv-sms' },
});
const docOf = (m: { data?: string }) => JSON.parse(m.data!) as TotalsDocument;
const seq = (id: string) => Number(id.split('-')[1]);

describe('GET /v1/totals/stream', () => {
  const home = mkdtempSync(join(tmpdir(), 'puddle-stream-'));
  let hub: Hub;
  const open: SseClient[] = [];
  const sse = async (query = '', headers: Record<string, string> = {}) => {
    const c = await openSse(`${hub.url}/v1/totals/stream${query}`, { ...auth, ...headers });
    open.push(c);
    return c;
  };
  const post = (events: unknown[]) => postLanded(hub, events);

  beforeAll(async () => {
    hub = await startLiveHub(home, { heartbeatMs: 300, driftCheckMs: 200 });
  });
  afterAll(async () => {
    for (const c of open) c.close();
    await hub.stop();
    rmSync(home, { recursive: true, force: true });
  });

  it('is refused without a read key', async () => {
    const c = await openSse(`${hub.url}/v1/totals/stream`, {});
    expect(c.status).toBe(401);
    c.close();
  });

  it('answers no HEAD (405, Allow: GET): one would have held a stream open, and its place, for a client that reads nothing', async () => {
    const res = await fetch(`${hub.url}/v1/totals/stream`, { method: 'HEAD', headers: auth });
    expect([res.status, res.headers.get('allow'), res.headers.get('content-type')]).toEqual([405, 'GET', 'application/json; charset=utf-8']);
  });

  it('sends the current document at once, then each change in order, with increasing ids', async () => {
    const c = await sse('?campaign=stream-test');
    expect(c.status).toBe(200);
    const first = await c.next((m) => m.event === 'totals');
    expect(docOf(first).total).toEqual({ amount_minor: 0, count: 0 });
    await post([donation('s-1', 500)]);
    const second = await c.next((m) => m.event === 'totals' && docOf(m).total.count === 1);
    expect(docOf(second).total.amount_minor).toBe(500);
    await post([donation('s-2', 700)]);
    const third = await c.next((m) => m.event === 'totals' && docOf(m).total.count === 2);
    expect(docOf(third).total.amount_minor).toBe(1200);
    const ids = c.messages.filter((m) => m.event === 'totals').map((m) => seq(m.id!));
    expect(ids).toEqual([...ids].sort((a, b) => a - b));
    expect(new Set(ids).size).toBe(ids.length);
    // Every pushed document equals what GET /v1/totals answers for the same question.
    const res = await fetch(`${hub.url}/v1/totals?campaign=stream-test`, { headers: auth });
    expect(await res.json()).toEqual(docOf(c.messages.filter((m) => m.event === 'totals').at(-1)!));
  });

  it('sends heartbeats on an idle stream, as events a page can see, the first at once saying how often they come', async () => {
    const c = await sse();
    // A comment until 2026-12-03, which EventSource hides from the page: a hung hub then read "live" for good.
    const first = await c.next((m) => m.event === 'heartbeat');
    expect(c.messages.indexOf(first)).toBeLessThanOrEqual(1);
    expect(JSON.parse(first.data!)).toEqual({ at: expect.stringMatching(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/), every_ms: 300 });
    await c.next((m) => m.event === 'heartbeat', c.messages.indexOf(first) + 1);
  });

  it('resumes with Last-Event-ID: the current id gets only later changes, an old one the current document', async () => {
    const a = await sse('?campaign=stream-test');
    const latest = await a.next((m) => m.event === 'totals');
    a.close();

    const resumed = await sse('?campaign=stream-test', { 'last-event-id': latest.id! });
    // Two heartbeats and no document: it already had this one.
    await resumed.next((m) => m.event === 'heartbeat');
    await resumed.next((m) => m.event === 'heartbeat', resumed.messages.findIndex((m) => m.event === 'heartbeat') + 1);
    expect(resumed.messages.some((m) => m.event === 'totals')).toBe(false);
    await post([donation('s-3', 300)]);
    const change = await resumed.next((m) => m.event === 'totals');
    expect(docOf(change).total).toEqual({ amount_minor: 1500, count: 3 });
    expect(seq(change.id!)).toBeGreaterThan(seq(latest.id!));

    const stale = await sse('?campaign=stream-test', { 'last-event-id': `${latest.id!.split('-')[0]}-0` });
    expect(docOf(await stale.next((m) => m.event === 'totals')).total.count).toBe(3);
    const otherProcess = await sse('?campaign=stream-test', { 'last-event-id': 'zzz-999999' });
    expect(docOf(await otherProcess.next((m) => m.event === 'totals')).total.count).toBe(3);
  });

  it('coalesces a burst of changes into few pushes, the last one right', async () => {
    const c = await sse('?campaign=stream-test');
    await c.next((m) => m.event === 'totals');
    const at = c.messages.length;
    const events = Array.from({ length: 40 }, (_, i) => donation(`burst-${i}`, 100));
    for (let i = 0; i < 40; i += 4) await postEvents(hub.url, PRODUCER_KEY, events.slice(i, i + 4)).then((r) => r.arrayBuffer());
    await waitLanded(hub);
    const last = await c.next((m) => m.event === 'totals' && docOf(m).total.count === 43, at);
    expect(docOf(last).total.amount_minor).toBe(1500 + 4000);
    const pushes = c.messages.slice(at).filter((m) => m.event === 'totals');
    // Never the same document twice in a row.
    for (let i = 1; i < pushes.length; i++) expect(pushes[i]!.data).not.toBe(pushes[i - 1]!.data);
  });

  it('checks the live totals against totals_by_box on its own, on a timer', async () => {
    for (let i = 0; i < 100 && !hub.totals.drift().lastConclusive; i++) await new Promise((r) => setTimeout(r, 100));
    expect(hub.totals.drift().lastConclusive).toMatchObject({ against: 'totals_by_box', ok: true });
  });
});

describe('GET /v1/totals/stream: at most PUDDLE_MAX_STREAMS open at once', () => {
  const home = mkdtempSync(join(tmpdir(), 'puddle-stream-cap-'));
  let hub: Hub;
  const open: SseClient[] = [];
  const sse = async () => {
    const c = await openSse(`${hub.url}/v1/totals/stream`, auth);
    open.push(c);
    return c;
  };
  beforeAll(async () => {
    hub = await startLiveHub(home, { maxStreams: 2 });
  });
  afterAll(async () => {
    for (const c of open) c.close();
    await hub.stop();
    rmSync(home, { recursive: true, force: true });
  });

  it('ends a stream beyond the cap at once, saying why, with retry: 10 s (a 503 made EventSource give up), and takes one again when a stream ends', async () => {
    const a = await sse();
    const b = await sse();
    expect([a.status, b.status]).toEqual([200, 200]);
    await a.next((m) => m.event === 'totals');
    await b.next((m) => m.event === 'totals');
    const refused = await fetch(`${hub.url}/v1/totals/stream`, { headers: auth });
    expect(refused.status).toBe(200);
    // The whole answer: it ends, and EventSource comes back after `retry:` by itself.
    const [retry, event] = (await refused.text()).split('\n\n');
    expect(retry).toBe('retry: 10000');
    expect(event).toMatch(/^event: unavailable\ndata: /);
    expect(JSON.parse(event!.split('data: ')[1]!)).toMatchObject({ error: { code: 'too_many_streams', message: expect.stringContaining('PUDDLE_MAX_STREAMS') } });
    // The plain document is not a stream: still served.
    expect((await fetch(`${hub.url}/v1/totals`, { headers: auth })).status).toBe(200);
    a.close();
    // The server learns of the closed socket in its own time: ask until the slot is free.
    let c: SseClient | undefined;
    for (let i = 0; i < 100 && c?.status !== 200; i++) {
      c?.close();
      c = await sse();
      if (c.status !== 200) await new Promise((r) => setTimeout(r, 50));
    }
    expect(c!.status).toBe(200);
  });
});

describe('GET /v1/totals/stream: at most PUDDLE_MAX_STREAMS_PER_KEY open for one key', () => {
  const home = mkdtempSync(join(tmpdir(), 'puddle-stream-key-cap-'));
  let hub: Hub;
  const open: SseClient[] = [];
  const sse = async (key: string) => {
    const c = await openSse(`${hub.url}/v1/totals/stream`, { authorization: `Bearer ${key}` });
    open.push(c);
    return c;
  };
  beforeAll(async () => {
    hub = await startLiveHub(home, { maxStreams: 4, maxStreamsPerKey: 2 });
  });
  afterAll(async () => {
    for (const c of open) c.close();
    await hub.stop();
    rmSync(home, { recursive: true, force: true });
  });

  it('refuses a key its third stream with 429, Retry-After and a JSON error, while another key (the TV) still gets one', async () => {
    const a = await sse(READ_KEY);
    const b = await sse(READ_KEY);
    expect([a.status, b.status]).toEqual([200, 200]);
    await a.next((m) => m.event === 'totals');
    const refused = await fetch(`${hub.url}/v1/totals/stream`, { headers: auth });
    expect([refused.status, refused.headers.get('retry-after'), refused.headers.get('content-type')]).toEqual([429, '10', 'application/json; charset=utf-8']);
    expect(await refused.json()).toMatchObject({ error: { code: 'too_many_streams_for_key', message: expect.stringContaining('PUDDLE_MAX_STREAMS_PER_KEY') } });
    // The broadcaster's key has places left: the read key's streams did not take them.
    const tv = await sse(TV_KEY);
    expect(tv.status).toBe(200);
    await tv.next((m) => m.event === 'totals');
    // A stream that ends gives its key the place back (the server learns of the closed socket in its own time).
    a.close();
    let c: SseClient | undefined;
    for (let i = 0; i < 100 && c?.status !== 200; i++) {
      c?.close();
      c = await sse(READ_KEY);
      if (c.status !== 200) await new Promise((r) => setTimeout(r, 50));
    }
    expect(c!.status).toBe(200);
  });
});
