import { createServer, type Server } from 'node:http';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { RetriableError } from '../core/errors.js';
import { fetchThroughProxy } from '../core/http/proxy.js';
import { startConnectProxy, stubProxyEnv, type ConnectProxy } from './support/connect-proxy.js';

// jsforce's timeout is read when the client module loads: set it before the (dynamic) import.
vi.stubEnv('HTTP_TIMEOUT', '300');
const { SalesforceClient, classifySalesforceError, SALESFORCE_TIMEOUT_MS } = await import('../connectors/salesforce/client.js');
const { salesforceConfig } = await import('../connectors/salesforce/config.js');

/** Listens on `host`; 127.0.0.2 stands for a host elsewhere (it is not a loopback name, so a proxy applies). */
async function listen(server: Server, host: string): Promise<string> {
  await new Promise<void>((r) => server.listen(0, host, r));
  return `http://${host}:${(server.address() as { port: number }).port}`;
}

describe('Salesforce calls on the network: timeouts and the outbound proxy', () => {
  // Takes every request and never answers it: a hung org, reached as a host elsewhere and as this machine.
  const hung = createServer(() => void seen++);
  let seen = 0;
  let hungUrl = '';
  let hungHere = '';
  // Answers a Bulk result page.
  const pages = createServer((req, res) => {
    if (req.url === '/empty') res.writeHead(204).end();
    else res.writeHead(200, { 'content-type': 'text/csv', 'sforce-locator': 'MTAwMDA' }).end(`Id\n001\n${req.headers.authorization}\n`);
  });
  let pagesUrl = '';
  let proxy: ConnectProxy;
  let tunnels: string[] = [];
  beforeAll(async () => {
    proxy = await startConnectProxy();
    tunnels = proxy.tunnels;
    const port = new URL(await listen(hung, '0.0.0.0')).port;
    hungUrl = `http://127.0.0.2:${port}`;
    hungHere = `http://127.0.0.1:${port}`;
    pagesUrl = await listen(pages, '127.0.0.2');
    stubProxyEnv(proxy.url);
  });
  afterAll(() => {
    proxy.close();
    for (const s of [hung, pages]) {
      s.closeAllConnections();
      s.close();
    }
  });
  const client = (instanceUrl: string) => {
    const secrets = new Map([['SALESFORCE_INSTANCE_URL', instanceUrl], ['SALESFORCE_ACCESS_TOKEN', 'token-never-logged']]);
    return new SalesforceClient(salesforceConfig({ get: (k: string) => secrets.get(k) }));
  };

  it("times out after HTTP_TIMEOUT (not jsforce's 30 minutes) as a retriable error, through the proxy", async () => {
    expect(SALESFORCE_TIMEOUT_MS).toBe(300);
    tunnels.length = 0;
    const started = Date.now();
    const err = await client(hungUrl).query('SELECT Id FROM Contact', false).then(() => null, (e: unknown) => e);
    expect(Date.now() - started).toBeLessThan(5_000);
    expect(seen).toBe(1);
    expect(tunnels).toEqual([new URL(hungUrl).host]);
    const classified = classifySalesforceError(err);
    expect(classified).toBeInstanceOf(RetriableError);
    expect(classified.message).toBe('salesforce: no answer within 300 ms');
    expect(classified.message).not.toContain('token-never-logged');
  });

  it('leaves NO_PROXY hosts and loopback names (the hub\'s own sandboxes) off the proxy', async () => {
    tunnels.length = 0;
    const before = seen;
    vi.stubEnv('NO_PROXY', 'example.org, 127.0.0.2');
    try {
      await client(hungUrl).query('SELECT Id FROM Contact', false).catch(() => null);
    } finally {
      vi.stubEnv('NO_PROXY', '');
    }
    await client(hungHere).query('SELECT Id FROM Contact', false).catch(() => null);
    // Both reached the org, neither through the proxy.
    expect(seen - before).toBe(2);
    expect(tunnels).toEqual([]);
  });

  it('fetches a Bulk result page through the same proxy, headers and body intact', async () => {
    tunnels.length = 0;
    const res = await fetchThroughProxy(`${pagesUrl}/results?locator=x`, { headers: { Authorization: 'Bearer abc', Accept: 'text/csv' } });
    expect(tunnels).toEqual([new URL(pagesUrl).host]);
    expect(res.status).toBe(200);
    expect(res.headers.get('sforce-locator')).toBe('MTAwMDA');
    expect(await res.text()).toBe('Id\n001\nBearer abc\n');
    // An answer that must have no body still makes a Response.
    const empty = await fetchThroughProxy(`${pagesUrl}/empty`, { headers: {} });
    expect([empty.status, await empty.text()]).toEqual([204, '']);
  });

  it('classifies a timed-out fetch of our own (a Bulk results page) as retriable, proxied or not', async () => {
    for (const url of [hungUrl, hungHere]) {
      const err = await fetchThroughProxy(url, { headers: {}, signal: AbortSignal.timeout(100) }).then(() => null, (e: unknown) => e);
      expect(classifySalesforceError(err), url).toBeInstanceOf(RetriableError);
    }
  });
});
