import { timingSafeEqual } from 'node:crypto';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import { closeServer, headerValue, listenOnLoopback } from '../../sandbox-kit/local-server.js';
import { RateLimiter } from '../../sandbox-kit/rate-limiter.js';
import { BoundedRequestLog } from '../../sandbox-kit/request-log.js';
import {
  BraintreeApiError,
  forbidden,
  injected422,
  notFound,
  serverError,
  tooManyRequests,
  unauthenticated,
  upgradeRequired,
} from './api-errors.js';
import { disburseDue } from './disbursement-run.js';
import { openDispute, winDispute } from './disputes.js';
import type { Ledger } from './ledger.js';
import { route, type RouteContext } from './routes.js';
import { seedLedger, syntheticSale } from './seed.js';
import { settleDue } from './settlement.js';
import { cancelSubscription, chargeSubscription, createSubscription } from './subscriptions.js';
import { createSale, refundSale, SandboxStateError } from './transactions.js';
import type { BraintreeSandbox, BraintreeSandboxData, BraintreeSandboxOptions, FaultInjection, SandboxSubscription, SandboxTransaction } from './types.js';
import { voidSale } from './void.js';
import { WebhookSender } from './webhook-sender.js';

/** The SDK sends X-ApiVersion 6; older versions are refused with 426 (SDK: upgradeRequired). */
const MIN_API_VERSION = 6;
const CUSTOM_FIELDS = new Set(['donation_id', 'supporter_id', 'campaign', 'click_id']);
const MAX_BODY_BYTES = 1_000_000;

/**
 * A local gateway speaking Braintree's wire protocol over a seeded merchant. Point the official SDK at it:
 * `new braintree.Environment('127.0.0.1', String(port), url, false, '127.0.0.1', String(port))`.
 */
export async function startBraintreeSandbox(opts: BraintreeSandboxOptions = {}): Promise<BraintreeSandbox> {
  const merchantId = opts.merchantId ?? 'puddle_merchant';
  const publicKey = opts.publicKey ?? 'sandbox_public';
  const privateKey = opts.privateKey ?? 'sandbox_private';
  const clock = opts.now ?? (() => new Date());
  const nowMs = () => clock().getTime();
  const { ledger, currency, campaign } = seedLedger({ scenario: opts.scenario, transactions: opts.transactions, subscriptions: opts.subscriptions, now: nowMs() });
  if (opts.liveSeed !== undefined) ledger.rand.reseed(opts.liveSeed);
  const ctx: RouteContext = {
    ledger,
    pageSize: opts.pageSize ?? 50,
    disputePageSize: opts.disputePageSize ?? 10,
    maxSearchResults: opts.maxSearchResults ?? 50_000,
    onTooManyResults: opts.onTooManyResults ?? 'error',
    customFields: CUSTOM_FIELDS,
    now: nowMs,
  };
  const limiter = new RateLimiter(opts.rateLimit ?? 0);
  const requests = new BoundedRequestLog();
  const noFaults = { status429: 0, status5xx: 0, status5xxCode: 500, status401: false, status422: 0, htmlPage: 0, retryAfterSeconds: 1, latencyMs: 0 };
  const faults = { ...noFaults };
  const webhooks = opts.webhook ? new WebhookSender(opts.webhook.url, { publicKey, privateKey }, opts.webhook.attempts) : null;
  if (webhooks) ledger.onNotification = (n) => webhooks.enqueue(n);
  const expectedAuth = Buffer.from(`Basic ${Buffer.from(`${publicKey}:${privateKey}`).toString('base64')}`);
  let requestCounter = 0;

  // The clock may have moved since the last look: run the settlement and disbursement that are due.
  const catchUp = () => {
    const now = nowMs();
    settleDue(ledger, now);
    disburseDue(ledger, now);
  };

  const server = createServer((req, res) => {
    if (opts.control?.(req, res)) return;
    void answer(req, res);
  });

  async function answer(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const requestId = `req_${++requestCounter}`;
    const url = new URL(req.url ?? '/', 'http://sandbox');
    const method = req.method ?? 'GET';
    let status = 200;
    let body = '';
    let headers: Record<string, string> = {};
    try {
      const raw = await readBody(req);
      if (faults.latencyMs > 0) await new Promise((r) => setTimeout(r, faults.latencyMs));
      if (faults.htmlPage > 0) {
        faults.htmlPage--;
        const page = '<html><body><h1>Please wait</h1></body></html>';
        res.writeHead(200, { 'content-type': 'text/html; charset=utf-8', 'content-length': Buffer.byteLength(page) });
        res.end(page);
        requests.record({ method, path: url.pathname, status: 200, requestId });
        return;
      }
      body = handle(req, method, url, raw);
    } catch (err) {
      const e = err instanceof BraintreeApiError ? err : serverError();
      if (!(err instanceof BraintreeApiError)) console.error('braintree sandbox:', err);
      status = e.status;
      body = e.body;
      headers = e.headers;
    }
    // Anything but application/xml makes the SDK give up with an opaque unexpectedError.
    res.writeHead(status, { ...headers, 'content-type': 'application/xml; charset=utf-8', 'content-length': Buffer.byteLength(body) });
    res.end(body);
    requests.record({ method, path: url.pathname, status, requestId });
  }

  function handle(req: IncomingMessage, method: string, url: URL, raw: string): string {
    if (faults.status401) throw unauthenticated();
    if (faults.status5xx > 0) {
      faults.status5xx--;
      throw serverError(faults.status5xxCode);
    }
    if (faults.status429 > 0) {
      faults.status429--;
      throw tooManyRequests(faults.retryAfterSeconds);
    }
    const auth = Buffer.from(headerValue(req, 'authorization') ?? '');
    if (auth.length !== expectedAuth.length || !timingSafeEqual(auth, expectedAuth)) throw unauthenticated();
    const version = Number(headerValue(req, 'x-apiversion'));
    if (!Number.isInteger(version) || version < MIN_API_VERSION) throw upgradeRequired();
    const wait = limiter.take();
    if (wait > 0) throw tooManyRequests(wait);
    const m = /^\/merchants\/([^/]+)(\/.*)$/.exec(url.pathname);
    if (!m) throw notFound();
    // Right keys, someone else's merchant: the keys are not authorised for it.
    if (decodeURIComponent(m[1]!) !== merchantId) throw forbidden();
    if (faults.status422 > 0) {
      faults.status422--;
      throw injected422();
    }
    let parsed: unknown = undefined;
    if (raw.trim() !== '') {
      try {
        parsed = JSON.parse(raw);
      } catch {
        throw new BraintreeApiError(400);
      }
    }
    catchUp();
    const out = route(ctx, method, m[2]!, url.searchParams, parsed);
    if (out === null) throw notFound();
    return out;
  }

  const port = await listenOnLoopback(server, opts.port);

  const txOrThrow = (id: string): SandboxTransaction => {
    const tx = ledger.byId.get(id);
    if (!tx) throw new SandboxStateError(`no such transaction: ${id}`);
    return tx;
  };
  const subOrThrow = (id: string): SandboxSubscription => {
    const sub = ledger.subscriptionsById.get(id);
    if (!sub) throw new SandboxStateError(`no such subscription: ${id}`);
    return sub;
  };
  const data = dataView(ledger, catchUp);

  return {
    url: `http://127.0.0.1:${port}`,
    port,
    merchantId,
    publicKey,
    privateKey,
    data,
    get bankLines() {
      return data.bankLines;
    },
    requests,
    get webhookDeliveries() {
      return webhooks?.deliveries ?? [];
    },
    injectFaults(f: FaultInjection) {
      for (const key of Object.keys(f) as (keyof FaultInjection)[]) {
        if (f[key] !== undefined) (faults as Record<string, unknown>)[key] = f[key];
      }
    },
    clearFaults() {
      Object.assign(faults, noFaults);
    },
    settle(upTo) {
      return settleDue(ledger, upTo.getTime());
    },
    disburse(upTo) {
      settleDue(ledger, upTo.getTime());
      return disburseDue(ledger, upTo.getTime());
    },
    refund(transactionId, amountMinor) {
      catchUp();
      return refundSale(ledger, txOrThrow(transactionId), nowMs(), amountMinor);
    },
    voidTransaction(transactionId) {
      catchUp();
      return voidSale(ledger, txOrThrow(transactionId), nowMs());
    },
    openDispute(transactionId) {
      catchUp();
      return openDispute(ledger, txOrThrow(transactionId), nowMs());
    },
    winDispute(disputeId) {
      catchUp();
      const dispute = ledger.disputesById.get(disputeId);
      if (!dispute) throw new SandboxStateError(`no dispute ${disputeId}`);
      return winDispute(ledger, dispute, nowMs());
    },
    addSubscription({ amountMinor = 1000, customerId, cycles } = {}) {
      catchUp();
      return createSubscription(ledger, { at: nowMs(), amountMinor, currency, customerId: customerId ?? ledger.rand.id(9, '0123456789'), cycles });
    },
    chargeSubscription(subscriptionId, { declined = false } = {}) {
      catchUp();
      return chargeSubscription(ledger, subOrThrow(subscriptionId), nowMs(), declined);
    },
    cancelSubscription(subscriptionId) {
      catchUp();
      return cancelSubscription(ledger, subOrThrow(subscriptionId), nowMs(), 'control_panel');
    },
    addTransactions(n, { subscriptionId } = {}) {
      const out: SandboxTransaction[] = [];
      for (let i = 0; i < n; i++) out.push(createSale(ledger, { ...syntheticSale(ledger.rand, nowMs(), currency, campaign), subscriptionId }));
      return out;
    },
    webhooksIdle() {
      return webhooks?.idle() ?? Promise.resolve();
    },
    async close() {
      webhooks?.close();
      await closeServer(server);
    },
  };
}

function readBody(req: IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    req.on('data', (c: Buffer) => {
      size += c.length;
      if (size > MAX_BODY_BYTES) {
        req.destroy();
        reject(new BraintreeApiError(413));
        return;
      }
      chunks.push(c);
    });
    req.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
    req.on('error', reject);
  });
}

/** Read-only views that first bring time-driven state up to the clock, so assertions see what a request would. */
function dataView(ledger: Ledger, catchUp: () => void): BraintreeSandboxData {
  // A thunk, so that what is read is taken after the catch-up, not before it.
  const fresh = <T>(read: () => T): T => {
    catchUp();
    return read();
  };
  return {
    get transactions() {
      return fresh(() => ledger.transactions);
    },
    get disputes() {
      return fresh(() => ledger.disputes);
    },
    get disbursements() {
      return fresh(() => ledger.disbursements);
    },
    get settlementBatches() {
      return fresh(() => [...ledger.settlementBatches.values()]);
    },
    get bankLines() {
      return fresh(() => ledger.bankLines);
    },
    get donations() {
      return ledger.donations;
    },
    get subscriptions() {
      return fresh(() => ledger.subscriptions);
    },
    transaction(id) {
      catchUp();
      return ledger.byId.get(id);
    },
  };
}
