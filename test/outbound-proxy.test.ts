import { createServer } from 'node:http';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { createBraintreeGateway } from '../connectors/braintree/client.js';
import { startBraintreeSandbox, type BraintreeSandbox } from '../connectors/braintree/sandbox/index.js';
import { classifyFreshdeskError, FreshdeskClient } from '../connectors/freshdesk/client.js';
import { startFreshdeskSandbox, type FreshdeskSandbox } from '../connectors/freshdesk/sandbox/index.js';
import { createStripeClient } from '../connectors/stripe/client.js';
import { startStripeSandbox, type StripeSandbox } from '../connectors/stripe/sandbox/index.js';
import { RetriableError } from '../core/errors.js';
import { startConnectProxy, stubProxyEnv, type ConnectProxy } from './support/connect-proxy.js';

// Each provider's real client, against its sandbox under a name only the proxy can resolve: an answer means
// the call went through the proxy the environment names (HTTP_PROXY: the sandboxes speak plain HTTP).
describe('the connectors behind an outbound proxy (HTTP_PROXY / HTTPS_PROXY)', () => {
  let proxy: ConnectProxy;
  let stripe: StripeSandbox;
  let braintree: BraintreeSandbox;
  let freshdesk: FreshdeskSandbox;
  // Takes requests and never answers them.
  const hung = { server: createServer(() => {}), url: '' };
  const viaProxy = (name: string, url: string) => `http://${name}.sandbox.test:${new URL(url).port}`;

  beforeAll(async () => {
    [stripe, braintree, freshdesk] = await Promise.all([
      startStripeSandbox({ rateLimit: 0, scenario: { seed: 3, donations: 20 } }),
      startBraintreeSandbox({ merchantId: 'proxy_merchant', publicKey: 'proxy_public', privateKey: 'proxy_private', scenario: { seed: 3, donations: 20 } }),
      startFreshdeskSandbox({}),
    ]);
    await new Promise<void>((r) => hung.server.listen(0, '127.0.0.1', r));
    hung.url = `http://127.0.0.1:${(hung.server.address() as { port: number }).port}`;
    const hosts = Object.fromEntries(['stripe', 'braintree', 'freshdesk', 'hung'].map((n) => [`${n}.sandbox.test`, '127.0.0.1']));
    proxy = await startConnectProxy(hosts);
    stubProxyEnv(proxy.url);
  });
  afterAll(async () => {
    vi.unstubAllEnvs();
    proxy.close();
    hung.server.closeAllConnections();
    hung.server.close();
    await Promise.all([stripe.close(), braintree.close(), freshdesk.close()]);
  });

  it('Stripe: the SDK lists charges through the proxy', async () => {
    const base = viaProxy('stripe', stripe.url);
    const list = await createStripeClient({ apiKey: 'sk_test_sandbox', apiBase: base }).charges.list({ limit: 3 });
    expect(list.data).toHaveLength(3);
    expect(proxy.tunnels).toContain(new URL(base).host);
  });

  it('Braintree: the SDK finds a transaction through the proxy', async () => {
    const base = viaProxy('braintree', braintree.url);
    const gateway = createBraintreeGateway({
      merchantId: 'proxy_merchant', publicKey: 'proxy_public', privateKey: 'proxy_private', environment: 'sandbox', apiBase: base,
      startDate: new Date(0), requestsPerSecond: 0, concurrency: 1, donationIdField: null, accountCurrencies: {}, defaultCurrency: 'GBP',
    });
    const id = braintree.data.transactions[0]!.id;
    expect((await gateway.transaction.find(id)).id).toBe(id);
    expect(proxy.tunnels).toContain(new URL(base).host);
  });

  it('Freshdesk: a call the proxy never answers times out as a retriable error, as without a proxy', async () => {
    const base = `http://hung.sandbox.test:${new URL(hung.url).port}`;
    const err = await new FreshdeskClient(base, 'key', 200).get('/api/v2/ticket_fields').then(() => null, (e: unknown) => e);
    expect(classifyFreshdeskError(err)).toBeInstanceOf(RetriableError);
    expect(proxy.tunnels).toContain(new URL(base).host);
  });

  it('Freshdesk: our client reads the ticket fields through the proxy', async () => {
    const base = viaProxy('freshdesk', freshdesk.url);
    const page = await new FreshdeskClient(base, freshdesk.apiKey).get<{ name: string }[]>('/api/v2/ticket_fields');
    expect(page.body.map((f) => f.name)).toContain('status');
    expect(proxy.tunnels).toContain(new URL(base).host);
  });
});
