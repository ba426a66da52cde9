import { createServer, type Server } from 'node:http';
import { connect, type Socket } from 'node:net';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { RetriableError } from '../core/errors.js';

// An outbound proxy, as a charity's network may require: it tunnels CONNECT requests and notes them.
const tunnels: string[] = [];
const sockets = new Set<Socket>();
const proxy = createServer().on('connect', (req, client: Socket, head: Buffer) => {
  tunnels.push(req.url!);
  const [host, port] = req.url!.split(':');
  const up = connect(Number(port), host, () => {
    client.write('HTTP/1.1 200 Connection Established\r\n\r\n');
    up.write(head);
    up.pipe(client).pipe(up);
  });
  for (const s of [client, up]) {
    sockets.add(s);
    s.on('error', () => {});
  }
});
await new Promise<void>((r) => proxy.listen(0, '127.0.0.1', r));

// jsforce's timeout and proxy are read when the client module loads: set them before the (dynamic) import.
vi.stubEnv('HTTP_TIMEOUT', '300');
vi.stubEnv('HTTPS_PROXY', `http://127.0.0.1:${(proxy.address() as { port: number }).port}`);
const { SalesforceClient, classifySalesforceError, SALESFORCE_TIMEOUT_MS } = await import('../connectors/salesforce/client.js');
const { salesforceConfig } = await import('../connectors/salesforce/config.js');

describe('a Salesforce call that never answers', () => {
  // Accepts every request and never answers it: a hung org.
  let server: Server;
  let url = '';
  let seen = 0;
  beforeAll(async () => {
    server = createServer(() => void seen++);
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    url = `http://127.0.0.1:${(server.address() as { port: number }).port}`;
  });
  afterAll(() => {
    for (const s of sockets) s.destroy();
    server.closeAllConnections();
    server.close();
    proxy.close();
  });

  it("times out after HTTP_TIMEOUT (not jsforce's 30 minutes) as a retriable error, through the proxy in HTTPS_PROXY", async () => {
    expect(SALESFORCE_TIMEOUT_MS).toBe(300);
    const secrets = new Map([['SALESFORCE_INSTANCE_URL', url], ['SALESFORCE_ACCESS_TOKEN', 'token-never-logged']]);
    const client = new SalesforceClient(salesforceConfig({ get: (k: string) => secrets.get(k) }));
    const started = Date.now();
    const err = await client.query('SELECT Id FROM Contact', false).then(() => null, (e: unknown) => e);
    expect(Date.now() - started).toBeLessThan(5_000);
    expect(seen).toBe(1);
    // jsforce's proxy setting survives ours (setDefaults replaces its defaults).
    expect(tunnels).toEqual([new URL(url).host]);
    const classified = classifySalesforceError(err);
    expect(classified).toBeInstanceOf(RetriableError);
    expect(classified.message).toBe('salesforce: no answer within 300 ms');
    expect(classified.message).not.toContain('token-never-logged');
  });

  it('classifies a timed-out fetch of our own (a Bulk results page) the same way', async () => {
    const err = await fetch(url, { signal: AbortSignal.timeout(100) }).then(() => null, (e: unknown) => e);
    expect(classifySalesforceError(err)).toBeInstanceOf(RetriableError);
  });
});
