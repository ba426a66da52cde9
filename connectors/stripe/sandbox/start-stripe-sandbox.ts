import { randomBytes } from 'node:crypto';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import { closeServer, headerValue, listenOnLoopback } from '../../sandbox-kit/local-server.js';
import { RateLimiter } from '../../sandbox-kit/rate-limiter.js';
import { BoundedRequestLog } from '../../sandbox-kit/request-log.js';
import { addBankDebit, addDonation } from './donation-flow.js';
import { SandboxStateError, deleteCustomer, openDispute, refundCharge } from './late-changes.js';
import { SANDBOX_API_VERSION, type Ledger } from './ledger.js';
import { runPayouts } from './payout-run.js';
import { parseParams } from './query-params.js';
import { JsonText, handleGet } from './resources.js';
import { seedLedger, syntheticDonation } from './seed.js';
import { addSubscription, cancelSubscription, renewSubscription } from './subscription-flow.js';
import { deleteSubscription } from './subscription-cancel-route.js';
import { StripeApiError, apiError, invalidKey, rateLimited, unknownUrl } from './stripe-errors.js';
import type { FaultInjection, SandboxCharge, SandboxSubscriptionObject, StripeSandbox, StripeSandboxData, StripeSandboxOptions } from './types.js';
import { WebhookSender } from './webhook-sender.js';

/**
 * A local server speaking Stripe's wire protocol over a seeded account: point the official SDK at it
 * with `{ host: '127.0.0.1', port, protocol: 'http', maxNetworkRetries: 0 }`.
 */
export async function startStripeSandbox(opts: StripeSandboxOptions = {}): Promise<StripeSandbox> {
  const apiKey = opts.apiKey ?? 'sk_test_sandbox';
  const clock = opts.now ?? (() => new Date());
  const nowSec = () => Math.floor(clock().getTime() / 1000);
  const ledger = seedLedger({ scenario: opts.scenario, charges: opts.charges, nowSec });
  if (opts.liveSeed !== undefined) ledger.rand.reseed(opts.liveSeed);
  const currency = ledger.charges.items[0]?.currency ?? 'gbp';
  const limiter = new RateLimiter(opts.rateLimit ?? 25);
  const requests = new BoundedRequestLog();
  const faults = { status5xx: opts.faults?.status5xxNext ?? 0, status429: 0, retryAfterSeconds: 1, status401: false, latencyMs: opts.faults?.latencyMs ?? 0 };
  const webhooks = opts.webhook ? new WebhookSender(opts.webhook.url, opts.webhook.secret) : null;
  if (webhooks) ledger.onEvent = (event) => webhooks.enqueue(event);

  const server = createServer((req, res) => {
    if (opts.control?.(req, res)) return;
    void answer(req, res);
  });

  async function answer(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const requestId = `req_${randomBytes(7).toString('hex')}`;
    const url = new URL(req.url ?? '/', 'http://sandbox');
    const method = req.method ?? 'GET';
    req.resume(); // GETs carry no body; anything else is drained and ignored
    let status = 200;
    let body: unknown;
    let headers: Record<string, string> = {};
    try {
      if (faults.latencyMs > 0) await new Promise((r) => setTimeout(r, faults.latencyMs));
      body = route(req, method, url);
    } catch (err) {
      const e = err instanceof StripeApiError ? err : new StripeApiError(500, 'api_error', 'Sandbox failure.');
      if (!(err instanceof StripeApiError)) console.error('stripe sandbox:', err);
      status = e.status;
      headers = e.headers;
      body = e.toJSON();
    }
    const json = body instanceof JsonText ? body.text : JSON.stringify(body);
    res.writeHead(status, {
      ...headers,
      'content-type': 'application/json',
      'content-length': Buffer.byteLength(json),
      'request-id': requestId,
      'stripe-version': headerValue(req, 'stripe-version') ?? SANDBOX_API_VERSION,
    });
    res.end(json);
    requests.record({ method, path: url.pathname, status, requestId });
  }

  function route(req: IncomingMessage, method: string, url: URL): unknown {
    if (faults.status401) throw invalidKey(bearer(req));
    if (faults.status5xx > 0) {
      faults.status5xx--;
      throw apiError();
    }
    if (faults.status429 > 0) {
      faults.status429--;
      throw rateLimited(faults.retryAfterSeconds);
    }
    const key = bearer(req);
    if (key !== apiKey) throw invalidKey(key);
    const wait = limiter.take();
    if (wait > 0) throw rateLimited(wait);
    const now = nowSec();
    if (method === 'DELETE') {
      ledger.settle(now);
      const out = deleteSubscription(ledger, url, now);
      if (out === null) throw unknownUrl(method, url.pathname);
      return out;
    }
    if (method !== 'GET' || !url.pathname.startsWith('/v1/')) throw unknownUrl(method, url.pathname);
    ledger.settle(now);
    const out = handleGet(url.pathname, parseParams(url.search), { ledger, now, eventLagSeconds: opts.eventLagSeconds ?? 0 });
    if (out === null) throw unknownUrl(method, url.pathname);
    return out;
  }

  const port = await listenOnLoopback(server, opts.port);

  let liveTimer: NodeJS.Timeout | null = null;
  const stopLive = () => {
    if (liveTimer) clearInterval(liveTimer);
    liveTimer = null;
  };
  const addCharges = (n: number): SandboxCharge[] => {
    const out: SandboxCharge[] = [];
    for (let i = 0; i < n; i++) out.push(addDonation(ledger, syntheticDonation(ledger.rand, nowSec(), currency, ledger.campaign)));
    return out;
  };
  const addBankDebits = (n: number): SandboxCharge[] => {
    const out: SandboxCharge[] = [];
    for (let i = 0; i < n; i++) out.push(addBankDebit(ledger, { ...syntheticDonation(ledger.rand, nowSec(), currency, ledger.campaign), channel: 'other', click_id: null }));
    return out;
  };

  return {
    url: `http://127.0.0.1:${port}`,
    port,
    apiKey,
    data: dataView(ledger, nowSec),
    requests,
    get webhookDeliveries() {
      return webhooks?.deliveries ?? [];
    },
    injectFaults(f: FaultInjection) {
      if (f.status5xx !== undefined) faults.status5xx = f.status5xx;
      if (f.status429 !== undefined) faults.status429 = f.status429;
      if (f.retryAfterSeconds !== undefined) faults.retryAfterSeconds = f.retryAfterSeconds;
      if (f.status401 !== undefined) faults.status401 = f.status401;
      if (f.latencyMs !== undefined) faults.latencyMs = f.latencyMs;
    },
    clearFaults() {
      Object.assign(faults, { status5xx: 0, status429: 0, retryAfterSeconds: 1, status401: false, latencyMs: 0 });
    },
    refundCharge(chargeId, amount) {
      return refundCharge(ledger, chargeOrThrow(ledger, chargeId), nowSec(), amount);
    },
    openDispute(chargeId) {
      return openDispute(ledger, chargeOrThrow(ledger, chargeId), nowSec());
    },
    deleteCustomer(customerId) {
      return deleteCustomer(ledger, customerId, nowSec());
    },
    runPayouts(upTo) {
      const payouts = runPayouts(ledger, Math.floor(upTo.getTime() / 1000));
      ledger.settle(nowSec());
      return payouts;
    },
    addCharges,
    addBankDebits,
    addSubscription(o = {}) {
      return addSubscription(ledger, { ...o, lastAt: nowSec(), currency });
    },
    cancelSubscription(id, reason = 'cancellation_requested') {
      return cancelSubscription(ledger, subscriptionOrThrow(ledger, id), nowSec(), { reason });
    },
    renewSubscription(id) {
      return renewSubscription(ledger, subscriptionOrThrow(ledger, id), nowSec());
    },
    startLive({ chargesPerSecond, bankDebitShare = 0 }) {
      stopLive();
      // Real elapsed time paces the generator; the sandbox clock only stamps what it creates.
      let last = performance.now();
      let owed = 0;
      liveTimer = setInterval(() => {
        const t = performance.now();
        owed += ((t - last) / 1000) * chargesPerSecond;
        last = t;
        const n = Math.floor(owed);
        owed -= n;
        for (let i = 0; i < n; i++) {
          if (bankDebitShare > 0 && ledger.rand.chance(bankDebitShare)) addBankDebits(1);
          else addCharges(1);
        }
      }, 100);
      liveTimer.unref();
    },
    stopLive,
    webhooksIdle() {
      return webhooks?.idle() ?? Promise.resolve();
    },
    async close() {
      stopLive();
      webhooks?.close();
      await closeServer(server);
    },
  };
}

function chargeOrThrow(ledger: Ledger, id: string): SandboxCharge {
  const charge = ledger.charges.get(id);
  if (!charge) throw new SandboxStateError(`no such charge: ${id}`);
  return charge;
}

function subscriptionOrThrow(ledger: Ledger, id: string): SandboxSubscriptionObject {
  const sub = ledger.subscriptions.get(id);
  if (!sub) throw new SandboxStateError(`no such subscription: ${id}`);
  return sub;
}

/** Stripe takes the key as a Bearer token or as the Basic-auth user name. */
function bearer(req: IncomingMessage): string | null {
  const auth = headerValue(req, 'authorization');
  if (!auth) return null;
  if (auth.startsWith('Bearer ')) return auth.slice(7).trim();
  if (auth.startsWith('Basic ')) return Buffer.from(auth.slice(6), 'base64').toString().split(':')[0] ?? null;
  return auth;
}

/** The ledger's collections the data view lists, under the same names on both. */
const LISTED = ['charges', 'paymentIntents', 'refunds', 'disputes', 'payouts', 'balanceTransactions', 'customers', 'checkoutSessions', 'invoices', 'subscriptions', 'events'] as const satisfies readonly (
  keyof StripeSandboxData & keyof Ledger
)[];

/** Read-only views that first bring payouts and balances up to the clock, so assertions see what a request would. */
function dataView(ledger: Ledger, nowSec: () => number): StripeSandboxData {
  const fresh = <T>(items: T): T => {
    ledger.settle(nowSec());
    return items;
  };
  const view = {} as StripeSandboxData;
  for (const name of LISTED) {
    Object.defineProperty(view, name, { enumerable: true, configurable: true, get: () => fresh(ledger[name].items) });
  }
  Object.defineProperty(view, 'bankLines', { enumerable: true, configurable: true, get: () => fresh(ledger.bankLines) });
  Object.defineProperty(view, 'donations', { enumerable: true, configurable: true, get: () => ledger.donations });
  view.payoutOf = (id) => ledger.payoutByBalanceTransaction.get(id);
  view.payoutMembers = (id) => ledger.payoutMembers.get(id)?.items ?? [];
  return view;
}
