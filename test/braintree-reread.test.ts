import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createBraintreeGateway } from '../connectors/braintree/client.js';
import type { BraintreeConfig } from '../connectors/braintree/config.js';
import { braintreeConnector } from '../connectors/braintree/connector.js';
import { startBraintreeSandbox, type BraintreeSandbox } from '../connectors/braintree/sandbox/index.js';
import { movableClock } from '../connectors/braintree/sandbox/test-gateway.js';
import { braintreeWebhookRoutes } from '../connectors/braintree/webhook.js';
import { Refetcher } from '../core/engine/refetch.js';
import { syncConnector, type ConnectorInstance } from '../core/engine/sync.js';
import { buildServer } from '../core/http/server.js';
import { tempLake } from './support/temp-lake.js';

// A Braintree notification is a prompt too: the transaction it names is read again by id (the SDK's
// transaction.find, through the engine's budget and retries) from the Braintree sandbox.
const NOW = new Date('2026-11-29T12:00:00Z');
const DAY = 86_400_000;

describe('Braintree webhooks prompt a re-read of the transaction', () => {
  const clock = movableClock(NOW);
  let lake: Awaited<ReturnType<typeof tempLake>>;
  let sandbox: BraintreeSandbox;
  let app: FastifyInstance;
  let refetcher: Refetcher;
  let inst: ConnectorInstance<never>;
  const instances: Record<string, ConnectorInstance<never>> = {};
  const keys = { merchantId: 'reread_merchant', publicKey: 'reread_public_key', privateKey: 'reread_private_key' };
  let config: BraintreeConfig;

  beforeAll(async () => {
    lake = await tempLake({ now: clock.now });
    refetcher = new Refetcher({ runtime: lake.engineRuntime, instances, retry: { maxAttempts: 3, baseMs: 20, maxMs: 100 }, coalesceMs: 200 });
    config = {
      ...keys, environment: 'sandbox', apiBase: 'http://127.0.0.1:1', startDate: new Date('2026-11-01T00:00:00Z'), requestsPerSecond: 0, concurrency: 2,
      donationIdField: null, accountCurrencies: {}, defaultCurrency: 'GBP',
    };
    app = buildServer({ queue: lake.rt.queue, apiKeys: [], plugins: [braintreeWebhookRoutes({ queue: lake.rt.queue, gateway: createBraintreeGateway(config), refetch: refetcher })] });
    const url = await app.listen({ port: 0, host: '127.0.0.1' });
    sandbox = await startBraintreeSandbox({ ...keys, now: clock.now, scenario: { seed: 21, donations: 200 }, subscriptions: 1, webhook: { url: `${url}/webhooks/braintree` } });
    config.apiBase = sandbox.url;
    inst = braintreeConnector(config) as ConnectorInstance<never>;
    instances.braintree = inst;
  });

  afterAll(async () => {
    await refetcher.stop();
    await sandbox.close();
    await app.close();
    await lake.close();
  });

  const reads = (id: string) => sandbox.requests.entries.filter((r) => r.method === 'GET' && r.path === `/merchants/${keys.merchantId}/transactions/${id}`);
  const audits = () =>
    lake.q(`SELECT json_extract_string(envelope, '$.payload.object_id') AS id, json_extract_string(envelope, '$.payload.type') AS type,
                   json_extract_string(envelope, '$.payload.webhook_type') AS kind
            FROM raw WHERE source = 'webhook:braintree' AND stream = 'reread' AND json_extract_string(envelope, '$.payload.webhook_type') = 'transaction_settled'
            ORDER BY id`);

  it('re-reads each settled transaction by id once and lands the version a sync would', async () => {
    sandbox.addTransactions(3);
    clock.set(new Date(NOW.getTime() + DAY));
    sandbox.requests.reset();
    const settled = sandbox.settle(clock.now());
    expect(settled.length).toBeGreaterThanOrEqual(3);
    await sandbox.webhooksIdle();
    await refetcher.idle();

    // One GET transactions/{id} per transaction a notification named, and nothing else (no search: no sync
    // ran). The reads bring the gateway's clock-driven disbursement along, so transaction_disbursed ones come too.
    expect(settled.map((t) => reads(t.id).map((r) => r.status))).toEqual(settled.map(() => [200]));
    const named = [...new Set(sandbox.webhookDeliveries.filter((d) => d.kind.startsWith('transaction_')).map((d) => d.subjectId))];
    expect(sandbox.requests.entries.map((r) => r.path).sort()).toEqual(named.map((id) => `/merchants/${keys.merchantId}/transactions/${id}`).sort());
    await lake.land();
    const ids = settled.map((t) => `'${t.id}'`).join(',');
    const rows = await lake.q(`SELECT payment_id, status, settlement_batch_id, amount_minor, donation_id FROM payment WHERE payment_id IN (${ids}) ORDER BY payment_id`);
    expect(rows).toEqual(
      [...settled]
        .sort((a, b) => (a.id < b.id ? -1 : 1))
        .map((t) => ({ payment_id: t.id, status: 'settled', settlement_batch_id: t.settlement_batch_id, amount_minor: t.amount_minor, donation_id: t.order_id })),
    );
    expect(await audits()).toEqual([...settled].sort((a, b) => (a.id < b.id ? -1 : 1)).map((t) => ({ id: t.id, type: 'reread.succeeded', kind: 'transaction_settled' })));

    // The notification's snapshot, the re-read and a sync all give one version: the same mapping, the same id.
    const results = await syncConnector(inst, lake.engineRuntime, { streams: ['settlements'] });
    expect(results.map((r) => r.outcome)).toEqual(['succeeded']);
    expect(results[0]!.records).toBeGreaterThanOrEqual(settled.length);
    await lake.land();
    const versions = await lake.q(`SELECT payment_id, count(*) AS n FROM payment_history WHERE payment_id IN (${ids}) GROUP BY payment_id`);
    expect(versions.map((v) => v.n)).toEqual(settled.map(() => 1));
  });

  it('re-reads a dispute by id when it is opened, landing the version a sync would', async () => {
    const sale = sandbox.data.transactions.find((t) => t.type === 'sale' && t.status === 'settled' && !t.dispute_ids.length)!;
    sandbox.requests.reset();
    const dispute = sandbox.openDispute(sale.id);
    await sandbox.webhooksIdle();
    await refetcher.idle();
    expect(sandbox.requests.entries.map((r) => [r.method, r.path, r.status])).toEqual([['GET', `/merchants/${keys.merchantId}/disputes/${dispute.id}`, 200]]);
    await lake.land();
    expect(await lake.q(`SELECT payment_id, status, amount_minor FROM dispute WHERE dispute_id = '${dispute.id}'`)).toEqual([
      { payment_id: sale.id, status: 'open', amount_minor: dispute.amount_minor },
    ]);
    const results = await syncConnector(inst, lake.engineRuntime, { streams: ['disputes'] });
    expect(results[0]!.records).toBeGreaterThan(0);
    await lake.land();
    expect(await lake.q(`SELECT count(*) AS n FROM dispute_history WHERE dispute_id = '${dispute.id}'`)).toEqual([{ n: 1 }]);
  });

  it('quarantines nothing for a snapshot that cannot map (no created_at) when its transaction is read again', async () => {
    const tx = sandbox.data.transactions.find((t) => t.type === 'sale' && t.status === 'settled')!;
    // The SDK's own sample: a transaction with the id asked for and no created_at.
    const sample = await createBraintreeGateway(config).webhookTesting.sampleNotification('transaction_settled', tx.id);
    const res = await app.inject({ method: 'POST', url: '/webhooks/braintree', headers: { 'content-type': 'application/x-www-form-urlencoded' }, payload: new URLSearchParams({ bt_signature: sample.bt_signature, bt_payload: sample.bt_payload }).toString() });
    expect(res.statusCode).toBe(200);
    await refetcher.idle();
    await lake.land();
    expect(await lake.q(`SELECT status FROM payment WHERE payment_id = '${tx.id}'`)).toEqual([{ status: 'settled' }]);
    expect(await lake.q(`SELECT count(*) AS n FROM quarantine_open WHERE quarantine_id LIKE '%${tx.id}%' OR _stream = 'transaction_settled'`)).toEqual([{ n: 0 }]);
    // The snapshot is kept in raw, for audit.
    expect(await lake.q(`SELECT count(*) AS n FROM raw WHERE source = 'webhook:braintree' AND stream = 'transaction_settled' AND key LIKE 'btn_%'`)).not.toEqual([{ n: 0 }]);
  });

  it('retries a failed read through the engine (the SDK never retries)', async () => {
    sandbox.addTransactions(1);
    clock.set(new Date(NOW.getTime() + 2 * DAY));
    sandbox.requests.reset();
    sandbox.injectFaults({ status5xx: 1 });
    const settled = sandbox.settle(clock.now());
    expect(settled).toHaveLength(1);
    await sandbox.webhooksIdle();
    await refetcher.idle();
    expect(reads(settled[0]!.id).map((r) => r.status)).toEqual([500, 200]);
    expect(refetcher.stats()).toMatchObject({ deferred: {}, notFound: 0 });
    await lake.land();
    expect(await lake.q(`SELECT status FROM payment WHERE payment_id = '${settled[0]!.id}'`)).toEqual([{ status: 'settled' }]);
  });

  it('re-reads a subscription by id on its status notifications: past due, active again, cancelled', async () => {
    clock.set(new Date(NOW.getTime() + 3 * DAY));
    const monthly = sandbox.addSubscription({ amountMinor: 1200 });
    await sandbox.webhooksIdle();
    await refetcher.idle();
    const subReads = () => sandbox.requests.entries.filter((r) => r.method === 'GET' && r.path === `/merchants/${keys.merchantId}/subscriptions/${monthly.id}`);
    const status = async () => {
      await lake.land();
      return lake.q(`SELECT status, end_date::VARCHAR AS end_date FROM recurring_donation WHERE recurring_donation_id = '${monthly.id}'`);
    };

    // A declined charge: subscription_charged_unsuccessfully names the charge and the subscription, went_past_due the subscription.
    sandbox.requests.reset();
    clock.advance(DAY);
    const declined = sandbox.chargeSubscription(monthly.id, { declined: true });
    await sandbox.webhooksIdle();
    await refetcher.idle();
    expect(reads(declined.id).map((r) => r.status)).toEqual([200]);
    expect(subReads().length).toBeGreaterThanOrEqual(1);
    expect(await status()).toEqual([{ status: 'past_due', end_date: null }]);

    clock.advance(DAY);
    sandbox.chargeSubscription(monthly.id);
    await sandbox.webhooksIdle();
    await refetcher.idle();
    expect(await status()).toEqual([{ status: 'active', end_date: null }]);

    // Cancelled in the Control Panel: no sync runs, subscription_canceled has it read again, once.
    sandbox.requests.reset();
    clock.advance(DAY);
    sandbox.cancelSubscription(monthly.id);
    await sandbox.webhooksIdle();
    await refetcher.idle();
    // (The clock's day also settled its earlier charges: their transaction_settled notifications read those.)
    expect(sandbox.requests.entries.filter((r) => r.path.includes('/subscriptions')).map((r) => [r.method, r.path, r.status])).toEqual([['GET', `/merchants/${keys.merchantId}/subscriptions/${monthly.id}`, 200]]);
    expect(await status()).toEqual([{ status: 'canceled', end_date: clock.now().toISOString().slice(0, 10) }]);
  });

  it('re-reads the subscription the SDK\'s own subscription_canceled sample names (its snapshot holds only the id)', async () => {
    const sub = sandbox.data.subscriptions.find((s) => s.status === 'Active')!;
    const sample = await createBraintreeGateway(config).webhookTesting.sampleNotification('subscription_canceled', sub.id);
    sandbox.requests.reset();
    const res = await app.inject({ method: 'POST', url: '/webhooks/braintree', headers: { 'content-type': 'application/x-www-form-urlencoded' }, payload: new URLSearchParams({ bt_signature: sample.bt_signature, bt_payload: sample.bt_payload }).toString() });
    expect(res.statusCode).toBe(200);
    await refetcher.idle();
    expect(sandbox.requests.entries.map((r) => r.path)).toEqual([`/merchants/${keys.merchantId}/subscriptions/${sub.id}`]);
    await lake.land();
    // The gateway says it is active (the sample was not Braintree's word): the lake says what the gateway says.
    expect(await lake.q(`SELECT status FROM recurring_donation WHERE recurring_donation_id = '${sub.id}'`)).toEqual([{ status: 'active' }]);
  });
});
