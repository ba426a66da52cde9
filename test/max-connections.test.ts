// A bound on the connections the hub holds at once (PUDDLE_MAX_CONNECTIONS). A security review (2026-12-06): about
// 20,000 idle connections with no key took every file descriptor, and producers could no longer connect.
import { connect, type Socket } from 'node:net';
import type { FastifyInstance } from 'fastify';
import { afterAll, describe, expect, it, vi } from 'vitest';
import { loadConfig } from '../core/config.js';
import { buildServer, closeServer } from '../core/http/server.js';
import { log } from '../core/log.js';
import { SqliteQueue } from '../infra/local/sqlite-queue.js';

const KEY = 'pk_conn_0123456789abcdef';

/** A connection that sent half a request and waits; resolves once connected, `closed` once the hub closes it. */
async function idle(port: number): Promise<{ socket: Socket; closed: Promise<void> }> {
  const socket = connect(port, '127.0.0.1');
  socket.on('error', () => {});
  const closed = new Promise<void>((r) => socket.on('close', () => r()));
  await new Promise<void>((r) => socket.on('connect', () => r()));
  socket.write('GET /healthz HTTP/1.1\r\nHost: x\r\n');
  return { socket, closed };
}

describe('connections held at once', () => {
  const queue = new SqliteQueue(':memory:');
  let app: FastifyInstance;
  const warned = vi.spyOn(log, 'warn');
  afterAll(async () => {
    await closeServer(app, 100);
    await queue.close();
    warned.mockRestore();
  });

  it('are bounded: one more is closed at once and said in the log, and once one ends another is served', async () => {
    app = buildServer({ queue, apiKeys: [KEY], maxConnections: 2 });
    const url = await app.listen({ port: 0, host: '127.0.0.1' });
    const port = Number(new URL(url).port);
    const [a, b] = [await idle(port), await idle(port)];
    const third = await idle(port);
    await third.closed;
    expect(warned.mock.calls.filter(([m]) => m.startsWith('connections refused')).map(([, f]) => f)).toEqual([{ max: 2 }]);
    a.socket.destroy();
    await a.closed;
    // Node counts the closed one out on its next turn.
    await new Promise((r) => setTimeout(r, 50));
    const health = await fetch(`${url}/healthz`);
    expect(health.status).toBe(200);
    b.socket.destroy();
  });

  it('are read from PUDDLE_MAX_CONNECTIONS, 4096 by default', () => {
    expect(loadConfig({}).maxConnections).toBe(4096);
    expect(loadConfig({ PUDDLE_MAX_CONNECTIONS: '10000' }).maxConnections).toBe(10000);
    expect(() => loadConfig({ PUDDLE_MAX_CONNECTIONS: '0' })).toThrow(/PUDDLE_MAX_CONNECTIONS/);
  });
});
