import type { FastifyInstance } from 'fastify';
import Stripe from 'stripe';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { stripeConnector } from '../connectors/stripe/connector.js';
import type { StripeConfig } from '../connectors/stripe/config.js';
import { startStripeSandbox, type SandboxCharge, type StripeSandbox } from '../connectors/stripe/sandbox/index.js';
import { movableClock } from '../connectors/stripe/sandbox/test-client.js';
import { stripeWebhookRoutes } from '../connectors/stripe/webhook.js';
import { loadBookmark } from '../core/engine/bookmark.js';
import { Refetcher } from '../core/engine/refetch.js';
import { syncConnector, type ConnectorInstance } from '../core/engine/sync.js';
import { buildServer } from '../core/http/server.js';
import type { Row } from '../core/ports.js';
import { PuddleConsumer } from '../puddles/consumer.js';
import { PUDDLES } from '../puddles/definitions.js';
import { tempLake } from './support/temp-lake.js';

// Webhooks are prompts (issue 8): the real Stripe SDK re-reads what a signed webhook names from the Stripe
// sandbox, through the engine; the real SQLite queue, consumers landing Parquet, and DuckDB answer.
const SECRET = 'whsec_reread_test_secret';
const NOW = new Date('2026-11-29T12:00:00Z');
const RETRY = { maxAttempts: 3, baseMs: 20, maxMs: 100 };

function signedEvent(id: string, type: string, object: unknown): { body: string; signature: string } {
  const body = JSON.stringify({ id, object: 'event', api_version: '2024-06-20', created: Math.floor(NOW.getTime() / 1000), livemode: false, type, data: { object } });
  return { body, signature: Stripe.webhooks.generateTestHeaderString({ payload: body, secret: SECRET }) };
}

describe('Stripe webhooks prompt a re-read of the object', () => {
  const clock = movableClock(NOW);
  let lake: Awaited<ReturnType<typeof tempLake>>;
  let sandbox: StripeSandbox;
  let app: FastifyInstance;
  let url: string;
  let refetcher: Refetcher;
  const instances: Record<string, ConnectorInstance<never>> = {};
  const consumers: PuddleConsumer[] = [];
  let config: StripeConfig;

  beforeAll(async () => {
    lake = await tempLake({ now: clock.now });
    refetcher = new Refetcher({ runtime: lake.engineRuntime, instances, retry: RETRY });
    app = buildServer({ queue: lake.rt.queue, apiKeys: [], plugins: [stripeWebhookRoutes({ queue: lake.rt.queue, secret: SECRET, refetch: refetcher })] });
    url = await app.listen({ port: 0, host: '127.0.0.1' });
    sandbox = await startStripeSandbox({ rateLimit: 0, now: clock.now, scenario: { seed: 11, donations: 120 }, webhook: { url: `${url}/webhooks/stripe`, secret: SECRET } });
    config = {
      apiKey: sandbox.apiKey, apiBase: sandbox.url, webhookSecret: SECRET, startDate: new Date('2026-10-01T00:00:00Z'),
      requestsPerSecond: 0, concurrency: 4, donationIdKey: 'donation_id', lookbackMs: 300_000,
    };
    instances.stripe = stripeConnector(config) as ConnectorInstance<never>;
    for (const puddle of PUDDLES) {
      const c = new PuddleConsumer({ puddle, queue: lake.rt.queue, store: lake.rt.store, catalog: lake.rt.catalog });
      await c.start();
      consumers.push(c);
    }
  });

  afterAll(async () => {
    await refetcher.stop();
    await sandbox.close();
    await app.close();
    for (const c of consumers) await c.stop();
    await lake.close();
  });

  const post = (e: { body: string; signature: string }) =>
    fetch(`${url}/webhooks/stripe`, { method: 'POST', headers: { 'content-type': 'application/json', 'stripe-signature': e.signature }, body: e.body });

  /**
   * Poll a query until `done` holds or the deadline passes; the last rows either way. The deadline is generous:
   * it waits for the event, and how fast it comes is the benchmarks' business, not a test's.
   */
  async function until(sql: string, done: (rows: Row[]) => boolean, ms = 45_000): Promise<Row[]> {
    const deadline = Date.now() + ms;
    for (;;) {
      const rows = await lake.q(sql);
      if (done(rows) || Date.now() >= deadline) return rows;
      await new Promise((r) => setTimeout(r, 100));
    }
  }

  const audits = (eventIds: string[]) =>
    `SELECT key, json_extract_string(envelope, '$.payload.type') AS type, json_extract_string(envelope, '$.payload.reason') AS reason,
            json_extract_string(envelope, '$.raw.detail') AS detail
     FROM raw WHERE stream = 'reread' AND delivery_id IN (${eventIds.map((id) => `'${id}'`).join(',')}) ORDER BY key`;

  const chargeReads = (id: string) => sandbox.requests.entries.filter((r) => r.path === `/v1/charges/${id}`);
  const seededCharges = () => sandbox.data.charges.filter((c) => c.status === 'succeeded' && !c.refunded && !c.disputed);

  it('lands a new charge with its fee from its webhook, without a sync, leaving lease and bookmark alone', async () => {
    // A sync of charges is under way elsewhere (it holds the stream's lease): the re-read never takes it.
    expect(await lake.rt.state.acquireLease('sync:stripe:charges', 'a-sync-in-progress', 120_000)).toBe(true);
    const bookmarkBefore = await loadBookmark(lake.rt.state, 'stripe', 'charges');
    sandbox.requests.reset();

    // An online gift that succeeded: its click comes from the checkout session, which its own webhook prompts.
    const sessionOf = (c: SandboxCharge) => sandbox.data.checkoutSessions.find((s) => s.payment_intent === c.payment_intent && s.client_reference_id);
    let charge: SandboxCharge;
    do [charge] = sandbox.addCharges(1) as [SandboxCharge];
    while (charge.status !== 'succeeded' || !sessionOf(charge));
    const bt = sandbox.data.balanceTransactions.find((b) => b.id === charge.balance_transaction)!;
    const session = sessionOf(charge)!;
    // The sandbox signs and posts charge.succeeded (and the customer, session and payment intent events) to the route.
    const rows = await until(`SELECT fee_minor, net_minor, available_on, donation_id, click_id, payout_id FROM payment WHERE payment_id = '${charge.id}'`, (r) => r.length > 0);
    expect(rows).toEqual([
      {
        fee_minor: bt.fee,
        net_minor: bt.net,
        available_on: new Date(bt.available_on * 1000).toISOString(),
        donation_id: charge.metadata.donation_id,
        click_id: session.client_reference_id,
        payout_id: null,
      },
    ]);

    // No sync ran: the provider saw reads by id only, one per object, and no list.
    expect(sandbox.requests.entries.filter((r) => !/^\/v1\/[a-z_/]+\/[A-Za-z0-9_]+$/.test(r.path))).toEqual([]);
    expect(chargeReads(charge.id)).toHaveLength(1);
    expect(await lake.q('SELECT count(*) AS n FROM sync_run')).toEqual([{ n: 0 }]);
    expect(await loadBookmark(lake.rt.state, 'stripe', 'charges')).toEqual(bookmarkBefore);
    expect(await lake.rt.state.acquireLease('sync:stripe:charges', 'another-run', 120_000)).toBe(false);
    await lake.rt.state.releaseLease('sync:stripe:charges', 'a-sync-in-progress');

    // raw shows the webhook's re-read succeeded.
    const event = sandbox.data.events.find((e) => e.type === 'charge.succeeded' && e.data.object.id === charge.id)!;
    const audit = await until(audits([event.id]), (r) => r.length > 0);
    expect(audit).toEqual([{ key: `${event.id}:reread:${charge.id}`, type: 'reread.succeeded', reason: null, detail: null }]);
  });

  it('makes one provider read for a burst of ten webhooks about one charge, and records each', async () => {
    await sandbox.webhooksIdle();
    await refetcher.idle();
    sandbox.requests.reset();
    const charge = seededCharges()[0]!;
    const events = Array.from({ length: 10 }, (_, i) => signedEvent(`evt_burst_${i}`, i % 2 ? 'charge.updated' : 'charge.captured', charge));
    const answers = await Promise.all(events.map(post));
    expect(answers.map((a) => a.status)).toEqual(events.map(() => 200));
    await refetcher.idle();
    expect(chargeReads(charge.id)).toHaveLength(1);
    expect(sandbox.requests.total).toBe(1);

    const bt = sandbox.data.balanceTransactions.find((b) => b.id === charge.balance_transaction)!;
    const rows = await until(`SELECT fee_minor, net_minor FROM payment WHERE payment_id = '${charge.id}'`, (r) => r.length > 0);
    expect(rows).toEqual([{ fee_minor: bt.fee, net_minor: bt.net }]);
    const ids = events.map((_, i) => `evt_burst_${i}`);
    const recorded = await until(audits(ids), (r) => r.length === 10);
    expect(recorded.map((r) => [r.key, r.type])).toEqual(ids.sort().map((id) => [`${id}:reread:${charge.id}`, 'reread.succeeded']));
  });

  it("keeps each delivery of a redelivered webhook and each re-read in raw, and the query in docs/connectors.md lists the outcome once", async () => {
    await sandbox.webhooksIdle();
    await refetcher.idle();
    sandbox.requests.reset();
    const charge = seededCharges()[7]!;
    expect((await post(signedEvent('evt_sent_twice', 'charge.succeeded', charge))).status).toBe(200);
    await refetcher.idle();
    // Stripe sends it again a minute later (the same event, signed anew): the hub reads the charge again.
    clock.set(new Date(clock.now().getTime() + 60_000));
    expect((await post(signedEvent('evt_sent_twice', 'charge.succeeded', charge))).status).toBe(200);
    await refetcher.idle();
    expect(chargeReads(charge.id)).toHaveLength(2);

    // raw is the immutable trail of arrivals: both deliveries of the webhook and both re-reads' records,
    // each under one id (landing is idempotent by id; the trail is not).
    const trail = await until(
      `SELECT stream, count(*) AS n, count(DISTINCT id) AS ids FROM raw WHERE delivery_id = 'evt_sent_twice' GROUP BY stream ORDER BY stream`,
      (r) => r.length === 2 && r.every((x) => x.n === 2),
    );
    expect(trail).toEqual([
      { stream: 'charge.succeeded', n: 2, ids: 1 },
      { stream: 'reread', n: 2, ids: 1 },
    ]);
    // The query docs/connectors.md gives ("Audit" under "Webhooks are prompts"): one row per webhook, object and outcome.
    const readme = `SELECT key, json_extract_string(envelope, '$.payload.type') AS outcome,
                      json_extract_string(envelope, '$.payload.reason') AS reason,
                      count(*) AS recorded, max(received_at) AS last_at
                    FROM raw WHERE stream = 'reread' GROUP BY id, key, outcome, reason ORDER BY last_at DESC LIMIT 20`;
    const listed = await lake.q(`SELECT key, outcome, reason, recorded FROM (${readme}) AS r WHERE key LIKE 'evt_sent_twice:%'`);
    expect(listed).toEqual([{ key: `evt_sent_twice:reread:${charge.id}`, outcome: 'reread.succeeded', reason: null, recorded: 2 }]);
  });

  it('retries a provider outage with backoff, then defers to the next sync, which lands the charge', async () => {
    await refetcher.idle();
    sandbox.requests.reset();
    const charge = seededCharges()[1]!;
    sandbox.injectFaults({ status5xx: 1_000 });
    const answer = await post(signedEvent('evt_outage', 'charge.succeeded', charge));
    expect(answer.status).toBe(200);
    expect(await answer.json()).toEqual({ received: true });
    await refetcher.idle();
    sandbox.clearFaults();
    // The engine's retries: every attempt reached the provider and got a 500.
    expect(chargeReads(charge.id).map((r) => r.status)).toEqual([500, 500, 500]);
    const recorded = await until(audits(['evt_outage']), (r) => r.length > 0);
    expect(recorded).toEqual([
      { key: `evt_outage:reread:${charge.id}`, type: 'reread.deferred', reason: 'provider_unreachable', detail: 'stripe: 500 StripeAPIError' },
    ]);
    expect(await lake.q(`SELECT count(*) AS n FROM payment WHERE payment_id = '${charge.id}'`)).toEqual([{ n: 0 }]);

    // Nothing is lost: the next sync reads it.
    const results = await syncConnector(instances.stripe!, lake.engineRuntime, { streams: ['checkout_sessions', 'payment_intents', 'charges'] });
    expect(results.map((r) => r.outcome)).toEqual(['succeeded', 'succeeded', 'succeeded']);
    const bt = sandbox.data.balanceTransactions.find((b) => b.id === charge.balance_transaction)!;
    expect(await until(`SELECT fee_minor FROM payment WHERE payment_id = '${charge.id}'`, (r) => r.length > 0)).toEqual([{ fee_minor: bt.fee }]);
  });

  it('re-reads payouts from their webhooks, and a charge re-read keeps the payout it went out in', async () => {
    await refetcher.idle();
    sandbox.requests.reset();
    // Days later, the charges taken since the seeded history have become available and are paid out.
    clock.set(new Date(NOW.getTime() + 4 * 86_400_000));
    const payouts = sandbox.runPayouts(clock.now());
    expect(payouts.length).toBeGreaterThan(0);
    await sandbox.webhooksIdle();
    await refetcher.idle();
    // payout.created, payout.paid and payout.reconciliation_completed of one payout within the window: one read.
    expect(payouts.map((po) => sandbox.requests.entries.filter((r) => r.path === `/v1/payouts/${po.id}`).length)).toEqual(payouts.map(() => 1));
    const ids = payouts.map((po) => `'${po.id}'`).join(',');
    const landed = await until(`SELECT payout_id, amount_minor, status FROM payout WHERE payout_id IN (${ids}) ORDER BY payout_id`, (r) => r.length === payouts.length);
    expect(landed).toEqual(
      [...payouts].sort((a, b) => (a.id < b.id ? -1 : 1)).map((po) => ({ payout_id: po.id, amount_minor: po.amount, status: sandbox.data.payouts.find((p) => p.id === po.id)!.status })),
    );

    // Which payout paid a charge out is known from the payout's side only (its members, read by a sync):
    // a later re-read of the charge keeps it instead of wiping it.
    const payout = payouts[0]!;
    const member = sandbox.data.payoutMembers(payout.id).find((b) => b.type === 'charge')!;
    const charge = sandbox.data.charges.find((c) => c.id === member.source)!;
    expect((await syncConnector(instances.stripe!, lake.engineRuntime, { streams: ['payout_items'] })).map((r) => r.outcome)).toEqual(['succeeded']);
    expect((await post(signedEvent('evt_paid_out', 'charge.updated', charge))).status).toBe(200);
    await refetcher.idle();
    expect(await until(audits(['evt_paid_out']), (r) => r.length > 0)).toMatchObject([{ type: 'reread.succeeded' }]);
    expect(chargeReads(charge.id)).toHaveLength(1);
    // The re-read's own version (raw keeps every envelope as delivered) names the payout.
    const reread = await until(
      `SELECT json_extract_string(envelope, '$.payload.payout_id') AS payout_id, json_extract(envelope, '$.payload.fee_minor')::INTEGER AS fee_minor
       FROM raw WHERE contract = 'payment' AND key = '${charge.id}' AND delivery_id LIKE 'reread:stripe:charges:%' AND received_at >= TIMESTAMP '${clock.now().toISOString().slice(0, 19)}'`,
      (r) => r.length > 0,
    );
    expect(reread).toEqual([{ payout_id: payout.id, fee_minor: member.fee }]);
    // Raw and payment land on their own: the re-read is in raw first as often as not (a loaded machine).
    expect(await until(`SELECT payout_id FROM payment WHERE payment_id = '${charge.id}'`, (r) => r[0]?.payout_id === payout.id)).toEqual([{ payout_id: payout.id }]);
  });

  it('re-reads the refund and the dispute their webhooks name, and the charge they changed', async () => {
    await sandbox.webhooksIdle();
    await refetcher.idle();
    sandbox.requests.reset();
    const [refunded, disputed] = seededCharges().slice(5, 7) as [SandboxCharge, SandboxCharge];
    const refund = sandbox.refundCharge(refunded.id, 100);
    const dispute = sandbox.openDispute(disputed.id);
    await sandbox.webhooksIdle();
    await refetcher.idle();
    const paths = sandbox.requests.entries.map((r) => r.path).sort();
    expect(paths).toEqual([`/v1/charges/${refunded.id}`, `/v1/charges/${disputed.id}`, `/v1/disputes/${dispute.id}`, `/v1/refunds/${refund.id}`].sort());
    expect(await until(`SELECT payment_id, amount_minor FROM refund WHERE refund_id = '${refund.id}'`, (r) => r.length > 0)).toEqual([{ payment_id: refunded.id, amount_minor: 100 }]);
    expect(await until(`SELECT payment_id, status FROM dispute WHERE dispute_id = '${dispute.id}'`, (r) => r.length > 0)).toEqual([
      { payment_id: disputed.id, status: sandbox.data.disputes.find((d) => d.id === dispute.id)!.status },
    ]);
  });

  it("leaves out of the events stream's next run the versions its webhooks queued (the same event, the same ids)", async () => {
    await sandbox.webhooksIdle();
    await refetcher.idle();
    // The events stream catches up on everything before this test (the seeded account, earlier tests' events).
    clock.set(new Date(clock.now().getTime() + 120_000));
    expect((await syncConnector(instances.stripe!, lake.engineRuntime, { streams: ['events'] })).map((r) => r.outcome)).toEqual(['succeeded']);
    // New supporters give: their customer.created webhooks (each a supporter version as of its event), posted now.
    const added = sandbox.addCharges(4);
    await sandbox.webhooksIdle();
    await refetcher.idle();
    const customers = new Set(added.flatMap((c) => c.customer ?? []));
    const created = sandbox.data.events.filter((e) => e.type === 'customer.created' && customers.has(e.data.object.id));
    expect(created.length).toBeGreaterThan(0);

    // A minute later (the events stream reads a minute behind) it lists those events again and maps them to the
    // same supporter versions: none is queued a second time.
    clock.set(new Date(clock.now().getTime() + 120_000));
    const publish = vi.spyOn(lake.rt.queue, 'publish');
    try {
      const [run] = await syncConnector(instances.stripe!, lake.engineRuntime, { streams: ['events'] });
      expect(run!.outcome).toBe('succeeded');
      const queued = publish.mock.calls.flatMap(([envelopes]) => envelopes);
      expect(queued.filter((e) => e.contract === 'supporter' && e.stream === 'events')).toEqual([]);
      // It did read them: the run is not empty because it saw nothing.
      expect(run!.records).toBeGreaterThanOrEqual(created.length);
    } finally {
      publish.mockRestore();
    }
    // The webhook's versions are the supporters in the lake, once each.
    const rows = await until(
      `SELECT count(*) AS n, count(DISTINCT id) AS ids FROM raw WHERE contract = 'supporter' AND delivery_id IN (${created.map((e) => `'${e.id}'`).join(',')})`,
      (r) => Number(r[0]!.n) === created.length,
    );
    expect(rows).toEqual([{ n: created.length, ids: created.length }]);
  });

  it("re-reads the invoice an invoice.paid webhook names, with its payments: the charge it pays lands with its subscription", async () => {
    await sandbox.webhooksIdle();
    await refetcher.idle();
    sandbox.requests.reset();
    // A monthly gift's instalment: the sandbox posts invoice.finalized, payment_intent.succeeded, charge.succeeded,
    // invoice.paid and invoice.payment_succeeded, in Stripe's order, within the re-reads' coalescing second. The
    // finalized invoice already names its payment intent, so its re-read is in the charge's batch or an earlier one.
    const monthly = sandbox.addSubscription({ instalments: 1 });
    const [invoice, charge] = [monthly.invoices[0]!, monthly.charges[0]!];
    await sandbox.webhooksIdle();
    await refetcher.idle();
    // The invoice's three events make one read of it, by id (its snapshots lack the payments).
    expect(sandbox.requests.entries.filter((r) => r.path === `/v1/invoices/${invoice.id}`)).toHaveLength(1);
    const rows = await until(`SELECT recurring_donation_id FROM payment WHERE payment_id = '${charge.id}'`, (r) => r[0]?.recurring_donation_id === monthly.id);
    expect(rows).toEqual([{ recurring_donation_id: monthly.id }]);
    const paid = sandbox.data.events.find((e) => e.type === 'invoice.paid' && e.data.object.id === invoice.id)!;
    expect(await until(audits([paid.id]), (r) => r.length > 0)).toEqual([{ key: `${paid.id}:reread:${invoice.id}`, type: 'reread.succeeded', reason: null, detail: null }]);

    // A later webhook about the charge (its payout, a dispute) re-reads it: it keeps its subscription.
    expect((await post(signedEvent('evt_instalment_updated', 'charge.updated', charge))).status).toBe(200);
    await refetcher.idle();
    const reread = await until(
      `SELECT json_extract_string(envelope, '$.payload.recurring_donation_id') AS recurring_donation_id, json_extract(envelope, '$.version')::INTEGER AS version
       FROM raw WHERE contract = 'payment' AND key = '${charge.id}' AND delivery_id LIKE 'reread:stripe:charges:%'`,
      (r) => r.length > 0,
    );
    expect(new Set(reread.map((r) => JSON.stringify(r)))).toEqual(new Set([JSON.stringify({ recurring_donation_id: monthly.id, version: 4 })]));
  });

  it('takes a cancellation from its webhook: the subscription closed as of the event, and read again by id', async () => {
    const monthly = sandbox.addSubscription({ instalments: 2 });
    await sandbox.webhooksIdle();
    await refetcher.idle();
    sandbox.requests.reset();
    // The supporter cancels in the customer portal: customer.subscription.deleted comes by webhook, no sync runs.
    const canceled = sandbox.cancelSubscription(monthly.id);
    await sandbox.webhooksIdle();
    await refetcher.idle();
    expect(sandbox.requests.entries.filter((r) => r.path === `/v1/subscriptions/${monthly.id}`)).toHaveLength(1);
    const at = new Date(canceled.canceled_at! * 1000).toISOString().replace('T', ' ').replace('.000Z', '');
    const rows = await until(`SELECT status, updated_at::VARCHAR AS updated_at FROM recurring_donation WHERE recurring_donation_id = '${monthly.id}'`, (r) => r[0]?.status === 'canceled');
    expect(rows).toEqual([{ status: 'canceled', updated_at: at }]);
  });

  it('warns and leaves objects beyond the queue cap to the next sync; without credentials it records that too', async () => {
    const capped = new Refetcher({ runtime: lake.engineRuntime, instances, retry: RETRY, maxPending: 2, coalesceMs: 2_000 });
    const bare = new Refetcher({ runtime: lake.engineRuntime, instances: {}, retry: RETRY, coalesceMs: 10 });
    const inject = (refetch: Refetcher) => buildServer({ queue: lake.rt.queue, apiKeys: [], plugins: [stripeWebhookRoutes({ queue: lake.rt.queue, secret: SECRET, refetch })] });
    const cappedApp = inject(capped);
    const bareApp = inject(bare);
    const send = (a: FastifyInstance, e: { body: string; signature: string }) =>
      a.inject({ method: 'POST', url: '/webhooks/stripe', headers: { 'content-type': 'application/json', 'stripe-signature': e.signature }, payload: e.body });
    const stderr = vi.spyOn(process.stderr, 'write');
    try {
      sandbox.requests.reset();
      const charges = seededCharges().slice(2, 5);
      for (const [i, c] of charges.entries()) expect((await send(cappedApp, signedEvent(`evt_cap_${i}`, 'charge.succeeded', c))).statusCode).toBe(200);
      expect(capped.stats()).toMatchObject({ pending: 2, deferred: { queue_full: 1 } });
      const warnings = stderr.mock.calls.map(([line]) => String(line)).filter((l) => l.includes('re-read queue is full'));
      expect(warnings).toHaveLength(1);
      expect(JSON.parse(warnings[0]!)).toMatchObject({ level: 'warn', msg: 're-read queue is full: the next sync covers these objects', maxPending: 2, setting: 'PUDDLE_REFETCH_MAX_PENDING' });
      await capped.idle();
      expect(charges.map((c) => chargeReads(c.id).length)).toEqual([1, 1, 0]);

      expect((await send(bareApp, signedEvent('evt_bare', 'charge.succeeded', charges[0]))).statusCode).toBe(200);
      await bare.idle();
    } finally {
      stderr.mockRestore();
      await capped.stop();
      await bare.stop();
      await cappedApp.close();
      await bareApp.close();
    }
    const recorded = await until(audits(['evt_cap_0', 'evt_cap_1', 'evt_cap_2', 'evt_bare']), (r) => r.length === 4);
    expect(recorded.map((r) => [r.key, r.type, r.reason])).toEqual([
      [`evt_bare:reread:${seededCharges()[2]!.id}`, 'reread.deferred', 'not_configured'],
      [`evt_cap_0:reread:${seededCharges()[2]!.id}`, 'reread.succeeded', null],
      [`evt_cap_1:reread:${seededCharges()[3]!.id}`, 'reread.succeeded', null],
      [`evt_cap_2:reread:${seededCharges()[4]!.id}`, 'reread.deferred', 'queue_full'],
    ]);
  });
});
