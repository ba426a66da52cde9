import { connect } from 'node:net';
import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { freshdeskWebhookRoutes } from '../connectors/freshdesk/webhook.js';
import { stripeWebhookRoutes } from '../connectors/stripe/webhook.js';
import { createKeyRing } from '../core/http/auth.js';
import { buildServer, closeServer } from '../core/http/server.js';
import { SqliteQueue } from '../infra/local/sqlite-queue.js';

// `Expect: 100-continue` (curl sends it for a body over 1 MB; .NET and Java clients for any POST): the client
// sends its headers and waits for `100 Continue` before the body. Node answers 100 itself unless the server
// listens for it, so a caller with a wrong key was told to go on and uploaded its body before the 401.
const KEY = 'pk_expect_continue_0123';
const READ_KEY = 'rk_expect_continue_0123';
const FRESHDESK = { user: 'puddle', secret: 'fd-expect-secret', header: 'x-puddle-token' };
const basic = (user: string, pass: string) => `Basic ${Buffer.from(`${user}:${pass}`).toString('base64')}`;
const event = JSON.stringify({ events: [{ contract: 'donation', version: 2, payload: { donation_id: 'don_expect_1', occurred_at: '2026-11-30T20:00:00Z', amount_minor: 500, currency: 'GBP', channel: 'online', status: 'pledged' } }] });

interface Exchange {
  /** What the server said before the client sent the body (or gave up waiting). */
  before: string;
  /** Everything the server said, up to its close or the final answer. */
  all: string;
  /** Whether the connection was closed by the server. */
  closed: boolean;
}

/**
 * Sends the head with `Expect: 100-continue`, waits for an interim or final answer (at most `waitMs`), then
 * sends the body only if the server said 100 and reads the final answer.
 */
async function expectContinue(port: number, head: string, body: string, waitMs = 2_000): Promise<Exchange> {
  const socket = connect(port, '127.0.0.1');
  socket.on('error', () => {});
  let said = '';
  let closed = false;
  const changed: Array<() => void> = [];
  const poke = () => changed.splice(0).forEach((f) => f());
  socket.on('data', (d: Buffer) => {
    said += d.toString('latin1');
    poke();
  });
  socket.on('close', () => {
    closed = true;
    poke();
  });
  const until = (done: () => boolean, ms: number) =>
    new Promise<void>((resolve) => {
      const timer = setTimeout(resolve, ms);
      const check = () => {
        if (done() || closed) {
          clearTimeout(timer);
          resolve();
        } else changed.push(check);
      };
      check();
    });
  await new Promise<void>((r) => socket.on('connect', () => r()));
  socket.write(`${head}Expect: 100-continue\r\nContent-Length: ${Buffer.byteLength(body)}\r\n\r\n`);
  await until(() => said.includes('\r\n\r\n'), waitMs);
  const before = said;
  if (before.startsWith('HTTP/1.1 100 ')) {
    socket.write(body);
    await until(() => finalAnswer(said) !== null, waitMs);
  } else await until(() => false, waitMs);
  const exchange = { before, all: said, closed };
  socket.destroy();
  return exchange;
}

/** The final answer's status line and body, once whole (Content-Length bodies only). */
function finalAnswer(said: string): string | null {
  const start = said.startsWith('HTTP/1.1 100 ') ? said.indexOf('\r\n\r\n') + 4 : 0;
  const rest = said.slice(start);
  const end = rest.indexOf('\r\n\r\n');
  if (end < 0) return null;
  const length = Number(/content-length: (\d+)/i.exec(rest.slice(0, end))?.[1] ?? 0);
  return rest.length >= end + 4 + length ? rest : null;
}

describe('Expect: 100-continue', () => {
  const queue = new SqliteQueue(':memory:');
  let app: FastifyInstance;
  let port: number;

  beforeAll(async () => {
    await queue.subscribe({ name: 'all', contracts: '*' });
    app = buildServer({
      queue,
      apiKeys: [KEY],
      keys: createKeyRing({ producer: [KEY], read: [READ_KEY] }),
      plugins: [stripeWebhookRoutes({ queue, secret: 'whsec_expect_continue' }), freshdeskWebhookRoutes({ queue, auth: FRESHDESK })],
    });
    await app.listen({ port: 0, host: '127.0.0.1' });
    port = (app.server.address() as { port: number }).port;
  });
  afterAll(async () => {
    await closeServer(app, 100);
    await queue.close();
  });

  const producer = (key: string) => `POST /v1/events HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer ${key}\r\nContent-Type: application/json\r\n`;

  it('refuses a producer request with a wrong key before its body is sent, and closes the connection', async () => {
    const x = await expectContinue(port, producer('pk_wrong_0123456789abcdef'), event);
    // Closed: the client may still send the body it announced, which must not be read as a next request.
    expect(x.before).toMatch(/^HTTP\/1\.1 401 [^]*\r\nconnection: close\r\n/i);
    expect(x.all).not.toContain('100 Continue');
    expect(x.closed).toBe(true);
  });

  it('refuses a read key on the producer route with 403 before its body is sent', async () => {
    const x = await expectContinue(port, producer(READ_KEY), event);
    expect(x.before).toMatch(/^HTTP\/1\.1 403 [^]*\r\nconnection: close\r\n/i);
    expect(x.closed).toBe(true);
  });

  it('tells a producer with its key to go on, and accepts the body once (fast path)', async () => {
    const x = await expectContinue(port, producer(KEY), event);
    expect(x.before).toMatch(/^HTTP\/1\.1 100 Continue\r\n/);
    expect(x.all).toMatch(/\r\n\r\nHTTP\/1\.1 202 /);
    const queued = await queue.claim('all', { max: 10, visibilityMs: 60_000 });
    expect(queued.map((m) => m.envelope.payload.donation_id)).toEqual(['don_expect_1']);
  });

  it('tells a producer whose body Fastify reads (charset spelt otherwise) to go on too', async () => {
    const head = `POST /v1/events HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer ${KEY}\r\nContent-Type: application/json; charset="utf-8"\r\n`;
    const x = await expectContinue(port, head, event.replace('don_expect_1', 'don_expect_2'));
    expect(x.before).toMatch(/^HTTP\/1\.1 100 Continue\r\n/);
    expect(x.all).toMatch(/\r\n\r\nHTTP\/1\.1 202 /);
  });

  it('refuses a Freshdesk call without its credentials before the body', async () => {
    const head = `POST /webhooks/freshdesk HTTP/1.1\r\nHost: x\r\nAuthorization: ${basic('puddle', 'not-the-secret')}\r\nContent-Type: application/json\r\n`;
    const x = await expectContinue(port, head, JSON.stringify({ freshdesk_webhook: { ticket_id: '11' } }));
    expect(x.before).toMatch(/^HTTP\/1\.1 401 /);
    expect(x.all).not.toContain('100 Continue');
  });

  it('lets a Freshdesk call with its credentials send the body', async () => {
    const head = `POST /webhooks/freshdesk HTTP/1.1\r\nHost: x\r\nAuthorization: ${basic(FRESHDESK.user, FRESHDESK.secret)}\r\nContent-Type: application/json\r\n`;
    const x = await expectContinue(port, head, JSON.stringify({ freshdesk_webhook: { ticket_id: '11', triggered_event: '{status:{from:2,to:4}}' } }));
    expect(x.before).toMatch(/^HTTP\/1\.1 100 Continue\r\n/);
    expect(x.all).toMatch(/\r\n\r\nHTTP\/1\.1 200 /);
  });

  it('lets a Stripe call send the body its signature is over, then refuses a bad signature', async () => {
    const head = 'POST /webhooks/stripe HTTP/1.1\r\nHost: x\r\nStripe-Signature: t=1,v1=00\r\nContent-Type: application/json\r\n';
    const x = await expectContinue(port, head, JSON.stringify({ id: 'evt_1', type: 'charge.succeeded' }));
    expect(x.before).toMatch(/^HTTP\/1\.1 100 Continue\r\n/);
    expect(x.all).toMatch(/\r\n\r\nHTTP\/1\.1 400 /);
  });

  it('refuses a body over the limit with 413 before it is sent, even with a producer key', async () => {
    const big = `{"events":[],"pad":"${'x'.repeat(2 * 1024 * 1024)}"}`;
    for (const head of [producer(KEY), 'POST /webhooks/stripe HTTP/1.1\r\nHost: x\r\nStripe-Signature: t=1,v1=00\r\nContent-Type: application/json\r\n']) {
      const x = await expectContinue(port, head, big);
      expect(x.before).toMatch(/^HTTP\/1\.1 413 [^]*\r\nconnection: close\r\n/i);
      expect(x.closed).toBe(true);
    }
  });

  it('answers an unknown path 404 without asking for its body (until 2026-12-06 it read and parsed it first)', async () => {
    const x = await expectContinue(port, 'POST /nowhere HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n', '{}');
    expect(x.before).toMatch(/^HTTP\/1\.1 404 /);
    expect(x.before).not.toContain('100 Continue');
    expect(x.closed).toBe(true);
  });
});
