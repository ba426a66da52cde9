import { connect } from 'node:net';
import type { FastifyInstance } from 'fastify';
import { afterEach, describe, expect, it } from 'vitest';
import { stripeWebhookRoutes } from '../connectors/stripe/webhook.js';
import { buildServer, closeServer } from '../core/http/server.js';
import { SqliteQueue } from '../infra/local/sqlite-queue.js';

// A client that never finishes its body (slowloris). The webhook routes read a body before they can check its
// signature, so without a bound on a request's time anyone could hold a connection, and the body buffered for
// it, for ever: thousands of them took the hub's memory and sockets without any key or secret.
const KEY = 'slow-body-key';

/** Sends `head` and part of a body that `head` says is longer, then nothing: resolves with what the server said before it closed. */
async function stallMidBody(port: number, head: string): Promise<string> {
  const socket = connect(port, '127.0.0.1');
  socket.on('error', () => {});
  let said = '';
  socket.on('data', (d: Buffer) => (said += d.toString('latin1')));
  const closed = new Promise<void>((r) => socket.on('close', () => r()));
  await new Promise<void>((r) => socket.on('connect', () => r()));
  socket.write(`${head}Content-Type: application/json\r\nContent-Length: 100000\r\n\r\n{"id":"evt_slow","type":"charge.succeeded"`);
  await closed;
  return said;
}

describe('a request whose body never finishes', () => {
  const queue = new SqliteQueue(':memory:');
  let app: FastifyInstance | undefined;
  afterEach(async () => {
    if (app) await closeServer(app, 100);
    app = undefined;
  });

  async function listening(): Promise<number> {
    app = buildServer({ queue, apiKeys: [KEY], requestTimeoutMs: 300, plugins: [stripeWebhookRoutes({ queue, secret: 'whsec_slow_body' })] });
    await app.listen({ port: 0, host: '127.0.0.1' });
    return (app.server.address() as { port: number }).port;
  }

  it('is cut with 408 on a webhook route, which takes bodies from anyone', async () => {
    const said = await stallMidBody(await listening(), 'POST /webhooks/stripe HTTP/1.1\r\nHost: x\r\nStripe-Signature: t=1,v1=00\r\n');
    expect(said).toMatch(/^HTTP\/1\.1 408 /);
  }, 20_000);

  it('is cut with 408 on the producer fast path too', async () => {
    const said = await stallMidBody(await listening(), `POST /v1/events HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer ${KEY}\r\n`);
    expect(said).toMatch(/^HTTP\/1\.1 408 /);
  }, 20_000);

  it('is bounded by default, not left open for ever', async () => {
    app = buildServer({ queue, apiKeys: [KEY] });
    await app.listen({ port: 0, host: '127.0.0.1' });
    expect(app.server.requestTimeout).toBeGreaterThan(0);
    expect(app.server.headersTimeout).toBeLessThanOrEqual(app.server.requestTimeout);
  });
});
