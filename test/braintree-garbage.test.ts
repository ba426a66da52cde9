import { createServer as createHttpServer, type Server } from 'node:http';
import { createServer } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { loadBookmark } from '../core/engine/bookmark.js';
import { AuthError, FatalError, RetriableError } from '../core/errors.js';
import { classifyBraintreeError, createBraintreeGateway } from '../connectors/braintree/client.js';
import type { SandboxSubscription } from '../connectors/braintree/sandbox/index.js';
import { braintreeHarness, BT_NOW } from './support/braintree-harness.js';

// Provider garbage, through the real SDK against the sandbox: what a proxy, a broken record or an odd
// status does to a run. None of it may move a bookmark past data, or stop a stream for good.
type H = Awaited<ReturnType<typeof braintreeHarness>>;
const DAY = 86_400_000;
const byStream = <T extends { stream: string }>(results: T[], name: string) => results.find((r) => r.stream === name)!;

describe('Braintree connector on provider garbage', () => {
  let h: H | undefined;
  afterEach(async () => {
    await h?.close();
    h = undefined;
  });

  it('retries a 200 that is an HTML page (a proxy in the way), and never reads it as an empty window', async () => {
    h = await braintreeHarness({ scenario: { seed: 5, donations: 200 } });
    h.sandbox.injectFaults({ htmlPage: 1 });
    const once = byStream(await h.sync({ streams: ['transactions'] }), 'transactions');
    expect(once).toMatchObject({ outcome: 'succeeded', retries: 1 });
    expect(once.records).toBe(h.sandbox.data.transactions.length);

    // Every answer an HTML page: the run fails and the bookmark stays where it was.
    const before = await loadBookmark(h.engineRuntime.state, 'braintree', 'transactions');
    h.clock.advance(DAY);
    h.sandbox.addTransactions(3);
    h.sandbox.injectFaults({ htmlPage: 1_000 });
    const blocked = byStream(await h.sync({ streams: ['transactions'] }, { requestsPerSecond: 0 }), 'transactions');
    expect(blocked.outcome).toBe('failed');
    expect(blocked.error).toContain('not a gateway searchResults document');
    expect(await loadBookmark(h.engineRuntime.state, 'braintree', 'transactions')).toEqual(before);
  });

  it('fails a run on a page labelled JSON that is not JSON, or not the gateway\'s, saying so: never the process, never quoting it', async () => {
    h = await braintreeHarness({ scenario: { seed: 5, donations: 20 } });
    // A proxy in front of the gateway answering 200 with its own page, cut short: the SDK parsed a body labelled
    // JSON with a bare JSON.parse in an event listener, which ended the process (the hub's too), printing the body.
    const pages = ['{"error":{"message":"maintenance","contact":"bob@example.org"', '<html><body>Maintenance: write to bob@example.org</body></html>'];
    const proxies: Server[] = [];
    try {
      for (const [i, body] of pages.entries()) {
        const proxy = createHttpServer((_req, res) => {
          res.writeHead(200, { 'content-type': i === 0 ? 'application/json' : 'text/html' });
          res.end(body);
        });
        proxies.push(proxy);
        await new Promise<void>((r) => proxy.listen(0, '127.0.0.1', r));
        const apiBase = `http://127.0.0.1:${(proxy.address() as { port: number }).port}`;
        const runs = await h.sync({ streams: ['transactions', 'settlement_summaries'] }, { apiBase });
        expect(byStream(runs, 'transactions')).toMatchObject({ outcome: 'failed', retries: 4 });
        expect(byStream(runs, 'transactions').error).toBe('braintree: the answer to transaction search by created_at is not a gateway searchResults document');
        // The summaries' call set `success` on the page's text: a TypeError quoting it, not retried.
        const summaries = byStream(runs, 'settlement_summaries');
        expect(summaries).toMatchObject({ outcome: 'failed', retries: 4 });
        expect(summaries.error).toMatch(/^braintree: the answer to settlement batch summary for \d{4}-\d\d-\d\d is not a gateway settlementBatchSummary document$/);
      }
    } finally {
      for (const p of proxies) await new Promise((r) => p.close(r));
    }
  });

  it('quarantines a disbursed transaction with a bad amount, withholds only its day\'s payout, and goes on', async () => {
    h = await braintreeHarness();
    h.clock.set(new Date(BT_NOW.getTime() + 3 * DAY));
    const days = h.sandbox.data.disbursements;
    expect(days.length).toBeGreaterThan(1);
    const broken = days[0]!;
    const tx = h.sandbox.data.transaction(broken.transaction_ids[0]!)!;
    tx.disbursement_details!.settlement_amount = '10.005'; // more decimals than GBP has
    const run = byStream(await h.sync({ streams: ['disbursements'] }), 'disbursements');
    expect(run.outcome).toBe('succeeded');
    expect(run.quarantined).toBeGreaterThanOrEqual(1);
    await h.land();
    const payout = (d: (typeof days)[number]) => h!.q(`SELECT amount_minor FROM payout WHERE payout_id = '${d.merchant_account_id}:${d.disbursement_date}'`);
    expect(await payout(broken)).toEqual([]);
    for (const d of days.slice(1)) expect(await payout(d)).toHaveLength(1);
    expect(await h.q(`SELECT count(*) AS n FROM quarantine WHERE quarantine_id LIKE '%${tx.id}%'`)).toEqual([{ n: 1 }]);
    expect((await loadBookmark(h.engineRuntime.state, 'braintree', 'disbursements')).cursor).not.toBeNull();
  });

  it('quarantines a subscription with provider garbage in it (an inexact price, an unknown status) and lands the others', async () => {
    h = await braintreeHarness({ scenario: { seed: 5, donations: 20 }, subscriptions: 3 });
    const [inexact, odd, fine] = h.sandbox.data.subscriptions as SandboxSubscription[];
    inexact!.price = '10.005'; // more decimals than GBP has
    (odd as { status: string }).status = 'On hold per jo@example.org';
    const run = byStream(await h.sync({ streams: ['subscriptions'] }, { startDate: new Date('2026-01-01T00:00:00Z') }), 'subscriptions');
    expect(run).toMatchObject({ outcome: 'succeeded', records: 3, quarantined: 2 });
    await h.land();
    expect(await h.q(`SELECT recurring_donation_id AS id FROM recurring_donation`)).toEqual([{ id: fine!.id }]);
    const reasons = await h.q(`SELECT reasons FROM quarantine WHERE contract = 'recurring_donation' ORDER BY quarantine_id`);
    expect(reasons).toHaveLength(2);
    expect(JSON.stringify(reasons)).toMatch(/more decimals than GBP allows/);
    expect(JSON.stringify(reasons)).toMatch(/not one of Braintree's five/);
    // The status is not repeated: whatever it holds stays out of the reasons.
    expect(JSON.stringify(reasons)).not.toContain('example.org');
    expect((await loadBookmark(h.engineRuntime.state, 'braintree', 'subscriptions')).cursor).not.toBeNull();
  });

  it('quarantines settlement summaries of a merchant account whose currency it was not told, never guessing one', async () => {
    h = await braintreeHarness({ scenario: { seed: 5, donations: 200 } });
    h.clock.set(new Date(BT_NOW.getTime() + DAY));
    const accounts = [...new Set(h.sandbox.data.transactions.map((t) => t.merchant_account_id))];
    const known = accounts[0]!;
    const [listed] = await h.sync({ streams: ['settlement_summaries'] }, { accountCurrencies: { [`${known}-not-this-one`]: 'JPY' } });
    expect(listed).toMatchObject({ outcome: 'succeeded' });
    expect(listed!.quarantined).toBeGreaterThan(0);
    expect(listed!.quarantined).toBe(listed!.records);
    await h.land();
    expect(await h.q(`SELECT count(*) AS n FROM settlement_summary`)).toEqual([{ n: 0 }]);
    const reasons = await h.q(`SELECT DISTINCT reasons FROM quarantine WHERE contract = 'settlement_summary'`);
    expect(JSON.stringify(reasons)).toContain('BRAINTREE_ACCOUNT_CURRENCIES');
  });

  it('treats a status the SDK does not name by its class: another 4xx is fatal, a 5xx or an unreadable answer retriable', () => {
    const unexpected = (message: string) => Object.assign(new Error(message), { type: 'unexpectedError' });
    expect(classifyBraintreeError(unexpected('Unexpected HTTP response: 400'))).toBeInstanceOf(FatalError);
    expect(classifyBraintreeError(unexpected('Unexpected HTTP response: 409')).message).toBe('braintree: 409 unexpected response');
    const bad = classifyBraintreeError(unexpected('Unexpected HTTP response: 502'));
    expect(bad).toBeInstanceOf(RetriableError);
    expect((bad as RetriableError).status).toBe(502);
    expect(classifyBraintreeError(unexpected('Unexpected HTTP response: 408'))).toBeInstanceOf(RetriableError);
    expect(classifyBraintreeError(unexpected('some body that is not XML'))).toBeInstanceOf(RetriableError);
    expect(classifyBraintreeError(Object.assign(new Error('x'), { type: 'authenticationError' }))).toBeInstanceOf(AuthError);
    // Named by status and words, not the SDK's type name (until 2026-12-03 `braintree: serverError`).
    const typed = (type: string) => classifyBraintreeError(Object.assign(new Error('x'), { type })) as RetriableError;
    expect(['serverError', 'serviceUnavailableError', 'gatewayTimeoutError', 'requestTimeoutError'].map((t) => [typed(t).message, typed(t).status])).toEqual([
      ['braintree: 500 server error', 500], ['braintree: 503 service unavailable', 503], ['braintree: 504 gateway timeout', 504], ['braintree: 408 request timeout', 408],
    ]);
  });

  it('names a connection refused a retriable network error (the SDK types it unexpectedError), in the run too', async () => {
    h = await braintreeHarness({ scenario: { seed: 5, donations: 20 } });
    // A port nothing listens on: taken, then let go.
    const closed = createServer();
    await new Promise<void>((r) => closed.listen(0, '127.0.0.1', r));
    const apiBase = `http://127.0.0.1:${(closed.address() as { port: number }).port}`;
    await new Promise((r) => closed.close(r));

    const raw = await createBraintreeGateway(h.config({ apiBase })).transaction.find('tx1').then(() => null, (e: unknown) => e);
    expect(raw).toMatchObject({ type: 'unexpectedError' });
    const err = classifyBraintreeError(raw);
    expect(err).toBeInstanceOf(RetriableError);
    expect(err.message).toMatch(/^braintree: network error \(connect ECONNREFUSED 127\.0\.0\.1:\d+\)$/);

    // The engine retries it, then records the run failed with that message (what status and sync_run show).
    const run = byStream(await h.sync({ streams: ['transactions'] }, { apiBase }), 'transactions');
    expect(run).toMatchObject({ outcome: 'failed', retries: 4 });
    expect(run.error).toMatch(/^braintree: network error \(connect ECONNREFUSED/);
  });
});
