import { createServer, type Server } from 'node:http';
import { createServer as createNetServer } from 'node:net';
import Stripe from 'stripe';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { classifyStripeError } from '../connectors/stripe/client.js';
import { loadBookmark } from '../core/engine/bookmark.js';
import { RetriableError } from '../core/errors.js';
import { stripeHarness, type StripeHarness } from './support/stripe-harness.js';

// What a page in the way (a proxy, a load balancer, a maintenance page) does to a Stripe run, through the real SDK:
// retried like a 5xx, then the run fails naming the status and path and what was wrong, never the page's words,
// and the bookmark stays where it was.
const PAGES: Record<string, { status: number; type: string; body: string; headers?: Record<string, string> }> = {
  html: { status: 200, type: 'text/html', body: '<html><body>Maintenance: write to bob@example.org</body></html>' },
  html502: { status: 502, type: 'text/html', body: '<html><body>502 Bad Gateway (bob@example.org)</body></html>' },
  truncated: { status: 200, type: 'application/json', body: '{"object":"list","data":[{"id":"cus_1","email":"bob@example.org"' },
  null: { status: 200, type: 'application/json', body: 'null' },
  notAList: { status: 200, type: 'application/json', body: '{"object":"list","data":{"id":"cus_1","email":"bob@example.org"},"has_more":false}' },
  nullItems: { status: 200, type: 'application/json', body: '{"object":"list","data":[null,"bob@example.org"],"has_more":false}' },
};

describe('Stripe connector on answers that are not Stripe\'s', () => {
  let h: StripeHarness;
  let server: Server;
  let apiBase: string;
  let page = PAGES.html!;
  beforeAll(async () => {
    h = await stripeHarness();
    server = createServer((_req, res) => {
      res.writeHead(page.status, { 'content-type': page.type, ...page.headers });
      res.end(page.body);
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    apiBase = `http://127.0.0.1:${(server.address() as { port: number }).port}`;
  });
  afterAll(async () => {
    await new Promise((r) => server.close(r));
    await h.close();
  });

  const cases: [keyof typeof PAGES, string][] = [
    // Until 2026-12-03: "stripe: no response StripeAPIError (connection failed)", a network failure named for an answer.
    ['html', "stripe: 200 on /v1/customers (answer is not JSON: something other than Stripe's API may be answering; check STRIPE_API_BASE and any proxy between)"],
    ['html502', "stripe: 502 on /v1/customers (answer is not JSON: something other than Stripe's API may be answering; check STRIPE_API_BASE and any proxy between)"],
    ['truncated', "stripe: 200 on /v1/customers (answer is not JSON: something other than Stripe's API may be answering; check STRIPE_API_BASE and any proxy between)"],
    // Until 2026-12-03: "Cannot read properties of null (reading 'error')", not retried.
    ['null', "stripe: 200 on /v1/customers (answer is not a JSON object: something other than Stripe's API may be answering; check STRIPE_API_BASE and any proxy between)"],
    // Until 2026-12-03: "records is not iterable", not retried; items that are not objects went to quarantine.
    ['notAList', 'stripe: unexpected answer from Stripe GET /v1/customers: no data list'],
    ['nullItems', 'stripe: unexpected answer from Stripe GET /v1/customers: an item without an id'],
  ];
  for (const [name, error] of cases) {
    it(`retries, then fails the run saying what came: ${name}`, async () => {
      page = PAGES[name]!;
      const before = await loadBookmark(h.engineRuntime.state, 'stripe', 'customers');
      const [run] = await h.sync({ streams: ['customers'] }, { apiBase });
      expect(run).toMatchObject({ stream: 'customers', outcome: 'failed', retries: 4, quarantined: 0 });
      expect(run!.error).toBe(error);
      expect(await loadBookmark(h.engineRuntime.state, 'stripe', 'customers')).toEqual(before);
    });
  }

  it('counts a 429 page that is not JSON (a CDN\'s) as a rate limit, with its Retry-After', async () => {
    let limited = 2;
    const empty = { status: 200, type: 'application/json', body: '{"object":"list","data":[],"has_more":false}' };
    const tooMany = { status: 429, type: 'text/html', body: '<html>Too many requests</html>', headers: { 'retry-after': '1' } };
    page = tooMany;
    server.on('request', () => {
      if (--limited <= 0) page = empty;
    });
    const [run] = await h.sync({ streams: ['customers'] }, { apiBase });
    expect(run).toMatchObject({ outcome: 'succeeded', rateLimited: 2, retries: 2 });
  });

  it('names what a connection failure was: refused, or no answer within the timeout', async () => {
    // A port nothing listens on: taken, then let go.
    const closed = createNetServer();
    await new Promise<void>((r) => closed.listen(0, '127.0.0.1', r));
    const port = (closed.address() as { port: number }).port;
    await new Promise((r) => closed.close(r));
    const [run] = await h.sync({ streams: ['customers'] }, { apiBase: `http://127.0.0.1:${port}` });
    // Until 2026-12-03: "stripe: no response StripeConnectionError (connection failed)", whatever had failed.
    expect(run).toMatchObject({ outcome: 'failed', retries: 4 });
    expect(run!.error).toBe(`stripe: network error (connect ECONNREFUSED 127.0.0.1:${port})`);

    const late = classifyStripeError(new Stripe.errors.StripeConnectionError({ message: 'Request aborted due to timeout being reached (30000ms)' }));
    expect(late).toBeInstanceOf(RetriableError);
    expect(late.message).toBe('stripe: no answer within 30 s (the request timeout)');
  });
});
