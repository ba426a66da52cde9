import { connect } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import type { Envelope } from '../core/envelope.js';
import { buildServer, closeServer } from '../core/http/server.js';
import type { Queue } from '../core/ports.js';
import { SqliteQueue } from '../infra/local/sqlite-queue.js';

// Stopping the HTTP server (the hub's Ctrl-C): what is under way finishes, and nothing keeps it open.
const KEY = 'close-key';
const body = JSON.stringify({
  events: [{ contract: 'donation', version: 1, payload: { donation_id: 'd-close-1', occurred_at: '2026-11-29T20:15:00Z', channel: 'sms', amount_minor: 500, currency: 'GBP' } }],
});

/** A file-less queue whose commits take `ms`: a request is under way for that long. `publishing` settles when one starts. */
function slowQueue(ms: number): Queue & { publishing: Promise<void> } {
  const queue = new SqliteQueue(':memory:');
  const publish = queue.publish.bind(queue);
  let started!: () => void;
  const publishing = new Promise<void>((r) => (started = r));
  return Object.assign(queue, {
    publishing,
    publish: async (envelopes: readonly Envelope[]) => {
      started();
      await new Promise((r) => setTimeout(r, ms));
      return publish(envelopes);
    },
  });
}

describe('closing the HTTP server', () => {
  const queues: Queue[] = [];
  afterEach(async () => {
    for (const q of queues.splice(0)) await q.close();
  });

  it('answers a request under way, then closes its keep-alive connection instead of waiting out the keep-alive timeout', async () => {
    const queue = slowQueue(500);
    queues.push(queue);
    await queue.subscribe({ name: 'all', contracts: '*' });
    const app = buildServer({ queue, apiKeys: [KEY] });
    const url = await app.listen({ port: 0, host: '127.0.0.1' });
    // fetch keeps its connection alive (undici), as producers and the sandboxes' webhook senders do.
    const answer = fetch(`${url}/v1/events`, { method: 'POST', headers: { 'content-type': 'application/json', authorization: `Bearer ${KEY}` }, body });
    // The request is under way once its publish has begun (a fixed sleep lost that race on a loaded host: the
    // close came first and the request got 503).
    await queue.publishing;
    const started = Date.now();
    const closing = closeServer(app, 30_000);
    const res = await answer;
    expect(res.status).toBe(202);
    await res.arrayBuffer();
    // Closed as soon as the connection fell idle: long before the 72 s keep-alive timeout, or the 30 s grace.
    expect(await closing).toBe(0);
    expect(Date.now() - started).toBeLessThan(10_000);
    expect(await queue.depth('all')).toBe(1);
  }, 20_000);

  it('cuts a client that stopped halfway through its body once the grace period is over', async () => {
    const queue = new SqliteQueue(':memory:');
    queues.push(queue);
    const app = buildServer({ queue, apiKeys: [KEY] });
    await app.listen({ port: 0, host: '127.0.0.1' });
    const { port } = app.server.address() as { port: number };
    const socket = connect(port, '127.0.0.1');
    const closed = new Promise<void>((r) => socket.on('close', () => r()));
    socket.on('error', () => {});
    await new Promise<void>((r) => socket.on('connect', () => r()));
    socket.write(`POST /v1/events HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nAuthorization: Bearer ${KEY}\r\nContent-Length: ${body.length}\r\n\r\n${body.slice(0, 20)}`);
    await new Promise((r) => setTimeout(r, 100));
    expect(await closeServer(app, 300)).toBe(1);
    await closed;
  }, 20_000);
});
