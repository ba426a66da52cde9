import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AuthError, FatalError, NotFoundError, RetriableError } from '../errors.js';
import { getJson, getText, httpErrorClassifier, httpRate, HttpStatusError, type JsonGetOptions } from './json-http.js';

// A provider on 127.0.0.1 answering each path its own way; the helper is used as a connector uses it.
const PERSON = 'jane.doe@example.org';
const KEY = 'sk_live_not_for_messages';

async function listen(server: Server): Promise<string> {
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
}

function close(server: Server): Promise<void> {
  return new Promise((resolve) => {
    server.close(() => resolve());
    server.closeAllConnections();
  });
}

describe('getJson and httpErrorClassifier: the engine\'s HTTP for a connector with no SDK', () => {
  const seen: Record<string, string | undefined>[] = [];
  let retryAt = '';
  const server = createServer((req, res) => {
    seen.push({ authorization: req.headers.authorization, accept: req.headers.accept });
    const url = new URL(req.url ?? '/', 'http://x.invalid');
    const json = (status: number, body: unknown, headers: Record<string, string> = {}) =>
      res.writeHead(status, { 'content-type': 'application/json', 'x-left': '3', 'x-total': '10', ...headers }).end(JSON.stringify(body));
    const status = /^\/status\/(\d{3})$/.exec(url.pathname);
    if (status) return json(Number(status[1]), { code: 'invalid_value', message: `you sent ${PERSON}` });
    switch (url.pathname) {
      case '/ok': return json(200, { items: [1, 2] });
      case '/empty': return res.writeHead(200).end();
      case '/csv': return res.writeHead(200, { 'content-type': 'text/csv', 'sforce-locator': 'MTAw' }).end('Id\n001\n');
      case '/later-seconds': return json(429, { code: 'slow_down' }, { 'retry-after': '7' });
      case '/later-date': return json(429, { code: 'slow_down' }, { 'retry-after': retryAt });
      case '/gateway': return res.writeHead(502, { 'content-type': 'text/html' }).end(`<html>bad gateway for ${PERSON}</html>`);
      case '/not-json': return res.writeHead(200, { 'content-type': 'text/html' }).end(`<html>Hello ${PERSON}, your key ${KEY}</html>`);
      case '/hang': return; // never answers
      case '/stall': return res.writeHead(200, { 'content-type': 'application/json' }).write('{"items": ['); // headers, then nothing
      default: return json(404, { code: 'not_found' });
    }
  });
  let base = '';
  let refused = '';
  const opts: JsonGetOptions = {
    provider: 'acme',
    headers: { authorization: `Bearer ${KEY}` },
    timeoutMs: 10_000,
    rateOf: (h) => (h.has('x-left') ? { remaining: Number(h.get('x-left')), total: Number(h.get('x-total')) } : null),
    detailOf: (body) => String((body as { code?: string } | null)?.code ?? ''),
  };
  const classify = httpErrorClassifier({ provider: 'acme', authHint: 'check ACME_KEY' });
  const failure = (path: string, o: JsonGetOptions = opts) => getJson(base, path, o).then(() => { throw new Error(`${path} answered`); }, (e: unknown) => e);

  beforeAll(async () => {
    base = await listen(server);
    const gone = createServer();
    refused = await listen(gone);
    await close(gone);
  });
  afterAll(() => close(server));

  it('reads a JSON answer with its headers and rate, sending the connector\'s headers and accept', async () => {
    const answer = await getJson<{ items: number[] }>(base, '/ok?limit=2', opts);
    expect(answer.body).toEqual({ items: [1, 2] });
    expect(answer.rate).toEqual({ remaining: 3, total: 10 });
    expect(answer.headers.get('content-type')).toBe('application/json');
    expect(httpRate(answer)).toEqual({ remaining: 3, total: 10 });
    expect(seen.at(-1)).toEqual({ authorization: `Bearer ${KEY}`, accept: 'application/json' });
    expect((await getJson(base, '/empty', opts)).body).toBeNull();
    // A connector's own Accept, however it spells it, is the one sent.
    await getJson(base, '/ok', { ...opts, headers: { Accept: 'application/vnd.acme+json' } });
    expect(seen.at(-1)!.accept).toBe('application/vnd.acme+json');
  });

  it('maps statuses to the engine\'s kinds, naming provider, status, path and the safe detail only', async () => {
    const kinds: [number, unknown][] = [[500, RetriableError], [503, RetriableError], [401, AuthError], [403, AuthError], [404, NotFoundError], [400, FatalError], [409, FatalError], [422, FatalError]];
    for (const [status, kind] of kinds) {
      const err = await failure(`/status/${status}?email=${encodeURIComponent(PERSON)}`);
      expect(err, String(status)).toBeInstanceOf(HttpStatusError);
      const e = classify(err);
      expect(e, String(status)).toBeInstanceOf(kind);
      expect(e.message).toBe(`acme: ${status} on /status/${status} (invalid_value)${status === 401 || status === 403 ? ': check ACME_KEY' : ''}`);
      if (e instanceof RetriableError) expect(e.status).toBe(status);
      expect(httpRate(err)).toEqual({ remaining: 3, total: 10 });
    }
    // 404 and 4xx are fatal: never retried.
    expect(classify(await failure('/status/400'))).not.toBeInstanceOf(RetriableError);
  });

  it('reads Retry-After in seconds and as an HTTP date, and a connector\'s own header in its place', async () => {
    const seconds = classify(await failure('/later-seconds')) as RetriableError;
    expect(seconds).toBeInstanceOf(RetriableError);
    expect([seconds.status, seconds.retryAfterMs, seconds.message]).toEqual([429, 7_000, 'acme: 429 on /later-seconds (slow_down)']);
    retryAt = new Date(Date.now() + 120_000).toUTCString();
    const dated = classify(await failure('/later-date')) as RetriableError;
    expect(dated.status).toBe(429);
    // An HTTP date has whole seconds, and the call took some: about two minutes, never more.
    expect(dated.retryAfterMs).toBeGreaterThan(60_000);
    expect(dated.retryAfterMs).toBeLessThanOrEqual(120_000);
    // A provider that says it elsewhere (GoCardless's RateLimit-Reset): the connector names the header.
    const own = classify(await failure('/later-seconds', { ...opts, retryAfter: (h) => h.get('x-left') })) as RetriableError;
    expect(own.retryAfterMs).toBe(3_000);
  });

  it('answers a 2xx that is not JSON with a retriable error that does not quote the body', async () => {
    const err = await failure('/not-json');
    expect(err).toBeInstanceOf(HttpStatusError);
    const e = classify(err) as RetriableError;
    expect(e).toBeInstanceOf(RetriableError);
    expect(e.message).toBe('acme: 502 on /not-json (answer is not JSON)');
    for (const m of [(err as Error).message, e.message, String((err as Error).stack)]) {
      expect(m).not.toContain(PERSON);
      expect(m).not.toContain(KEY);
    }
    // An error status with an HTML page: the status is what counts, and the page is not named either.
    const gateway = classify(await failure('/gateway')) as RetriableError;
    expect([gateway.constructor, gateway.status, gateway.message]).toEqual([RetriableError, 502, 'acme: 502 on /gateway']);
  });

  it('without detailOf names nothing of an error body', async () => {
    const e = classify(await failure('/status/400', { ...opts, detailOf: undefined }));
    expect(e.message).toBe('acme: 400 on /status/400');
  });

  it('times out a call that never answers, or stalls in its body, as a retriable network error', async () => {
    for (const path of ['/hang', '/stall']) {
      const err = await failure(path, { ...opts, timeoutMs: 300 });
      expect((err as Error).name, path).toBe('TimeoutError');
      const e = classify(err);
      expect(e, path).toBeInstanceOf(RetriableError);
      expect(e.message).toBe('acme: network error (timeout)');
      expect((e as RetriableError).status).toBeUndefined();
    }
  });

  it('getText reads an answer that is not JSON whole, and leaves its status to the caller', async () => {
    const csv = await getText(`${base}/csv`, { headers: { accept: 'text/csv' }, timeoutMs: 10_000 });
    expect([csv.status, csv.ok, csv.text, csv.headers.get('sforce-locator')]).toEqual([200, true, 'Id\n001\n', 'MTAw']);
    expect(seen.at(-1)!.accept).toBe('text/csv');
    const refusedAnswer = await getText(`${base}/status/401`, { headers: {}, timeoutMs: 10_000 });
    expect([refusedAnswer.status, refusedAnswer.ok]).toEqual([401, false]);
    const stalled = await getText(`${base}/stall`, { headers: {}, timeoutMs: 300 }).then(() => null, (e: unknown) => e);
    expect((stalled as Error).name).toBe('TimeoutError');
  });

  it('calls a refused connection a retriable network error; anything else passes on as it came', async () => {
    const e = classify(await getJson(refused, '/ok', opts).then(() => null, (x: unknown) => x));
    expect(e).toBeInstanceOf(RetriableError);
    expect(e.message).toMatch(/^acme: network error \(/);
    expect(e.message).not.toContain(KEY);
    const own = new FatalError('acme: something of its own');
    expect(classify(own)).toBe(own);
    expect(classify('odd')).toEqual(new Error('odd'));
    expect(httpRate(new Error('x'))).toBeNull();
  });
});
