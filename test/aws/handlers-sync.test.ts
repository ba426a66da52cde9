import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';

import { CONNECTORS } from '../../connectors/registry.js';
import { startStripeSandbox, type StripeSandbox } from '../../connectors/stripe/sandbox/index.js';
import { ConfigError } from '../../core/errors.js';
import { CALL_GRACE_MS } from '../../core/engine/run-stream.js';
import { EMPTY_BOOKMARK, loadBookmark, saveBookmark } from '../../core/engine/bookmark.js';
import { readStreamStatus } from '../../core/engine/stream-status.js';
import { lastRunKey } from '../../core/engine/sync-run.js';
import { connectorLagSeconds } from '../../infra/aws/connector-lag-metric.js';
import { makeConnectorSyncHandler, parseInvocation, syncDeadline } from '../../infra/aws/handlers/connector-sync.js';
import { makeProducerHandler } from '../../infra/aws/handlers/producer.js';
import { METRICS, stackOfQueuePrefix } from '../../infra/aws/shape.js';
import { connectorHealth } from '../../puddles/http/connector-health.js';
import { createAwsRuntime, type AwsRuntime } from '../../infra/aws/runtime.js';
import { startTestShape, type TestShape } from '../support/aws-shape.js';
import { httpApiEvent, lambdaContext } from '../support/lambda-events.js';

const DAY = 86_400_000;
let shape: TestShape;
let sandbox: StripeSandbox;
let rt: AwsRuntime;

beforeAll(async () => {
  shape = await startTestShape();
  sandbox = await startStripeSandbox({ rateLimit: 0, scenario: { seed: 11, donations: 120 } });
  // Provider settings as the function reads them: from its secrets (here the environment, no secret id).
  vi.stubEnv('STRIPE_API_KEY', sandbox.apiKey);
  vi.stubEnv('STRIPE_API_BASE', sandbox.url);
  vi.stubEnv('STRIPE_START_DATE', new Date(Date.now() - 40 * 86_400_000).toISOString());
  vi.stubEnv('STRIPE_REQUESTS_PER_SECOND', '0');
  rt = await createAwsRuntime();
});

afterAll(async () => {
  await rt.close();
  await sandbox.close();
  await shape.stop();
});

async function drainIds(puddle: string): Promise<string[]> {
  const ids: string[] = [];
  for (;;) {
    const got = await rt.queue.claim(puddle, { max: 100, visibilityMs: 60_000 });
    if (got.length === 0) return ids;
    ids.push(...got.map((m) => m.envelope.id));
    await rt.queue.ack(puddle, got.map((m) => m.receipt));
  }
}

describe('connector sync handler (EventBridge Scheduler invocation)', () => {
  it('stops at a deadline taken from the Lambda context, then the next invocation resumes from the checkpoint', async () => {
    const handler = makeConnectorSyncHandler(async () => rt);
    // 5 s left is all reserve: the run stops at its first deadline check, checkpointed.
    const cut = await handler({ connector: 'stripe', streams: ['charges'] }, lambdaContext({ remainingMs: 5_000 }));
    expect(cut.runs).toEqual([expect.objectContaining({ stream: 'charges', outcome: 'partial' })]);
    const first = await drainIds('transactions');

    const rest = await handler({ connector: 'stripe', streams: ['charges'] }, lambdaContext({ remainingMs: 900_000 }));
    expect(rest.runs).toEqual([expect.objectContaining({ stream: 'charges', outcome: 'succeeded' })]);
    const second = await drainIds('transactions');
    const charges = new Set([...first, ...second]);
    expect(charges.size).toBe(cut.runs[0]!.records + rest.runs[0]!.records);
    expect(charges.size).toBeGreaterThan(0);
    // The run is recorded where `puddle status` looks: in the state table.
    expect(await rt.state.get('lastrun:stripe:charges')).toMatchObject({ outcome: 'succeeded' });
    // Run again: nothing new since the bookmark.
    const again = await handler({ connector: 'stripe', streams: ['charges'] }, lambdaContext());
    expect(again.runs[0]!.outcome).toBe('succeeded');
  });

  it('reads the schedule input directly or as a rule event detail, and names what is wrong', () => {
    expect(parseInvocation({ connector: 'stripe' })).toEqual({ connector: 'stripe' });
    expect(parseInvocation({ source: 'aws.events', 'detail-type': 'Scheduled Event', detail: { connector: 'braintree', streams: ['transactions'] } })).toEqual({
      connector: 'braintree',
      streams: ['transactions'],
    });
    expect(() => parseInvocation({ connector: 'paypal' })).toThrow(ConfigError);
    expect(() => parseInvocation({ connector: 'paypal' })).toThrow(/connector must be one of braintree, freshdesk, salesforce, stripe \(got "paypal"\)/);
    expect(() => parseInvocation({ connector: 'stripe', streams: 'charges' })).toThrow('sync invocation: streams must be a list of stream names');
    expect(() => parseInvocation(null)).toThrow(/must be an object/);
  });

  it('takes from, to and full as `puddle sync` does, and refuses any other key or a bad value, naming it', () => {
    expect(parseInvocation({ connector: 'stripe', streams: ['charges'], from: '2026-11-01' })).toEqual({
      connector: 'stripe', streams: ['charges'], from: new Date('2026-11-01T00:00:00Z'),
    });
    // No zone is UTC; an offset is kept; `full` alone.
    expect(parseInvocation({ connector: 'stripe', from: '2026-11-01T18:00', to: '2026-11-02T09:00+01:00' })).toEqual({
      connector: 'stripe', from: new Date('2026-11-01T18:00:00Z'), to: new Date('2026-11-02T08:00:00Z'),
    });
    expect(parseInvocation({ connector: 'braintree', full: true })).toEqual({ connector: 'braintree', full: true });
    expect(parseInvocation({ connector: 'braintree', full: false })).toEqual({ connector: 'braintree' });
    // Until 2026-12-07 each of these ran a scheduled (incremental) sync without a word.
    const refused: [unknown, string][] = [
      [{ connector: 'stripe', form: '2026-11-01' }, 'sync invocation: no key "form": it takes connector, streams, from, to, full'],
      [{ connector: 'stripe', from: '2026-02-30' }, 'sync invocation: "from" takes a date YYYY-MM-DD or a time such as 2026-11-30T18:00:00Z or 2026-11-30T18:00+01:00 (no zone: UTC), on the calendar; not "2026-02-30"'],
      [{ connector: 'stripe', to: 1764547200000 }, 'sync invocation: to must be a text, a date YYYY-MM-DD or an ISO time (got 1764547200000)'],
      [{ connector: 'stripe', full: 'yes' }, 'sync invocation: full must be true or false (got "yes")'],
      [{ connector: 'stripe', from: '2026-11-01', full: true }, 'sync invocation: "full" does not go with "from": "full" reads every stream again from its start date'],
      [{ connector: 'stripe', from: '2026-11-02', to: '2026-11-01' }, 'sync invocation: "to" is before "from" (2026-11-02T00:00:00.000Z to 2026-11-01T00:00:00.000Z)'],
      [{ connector: 'stripe', from: '2026-11-02', to: '2026-11-02T00:00Z' }, 'sync invocation: "to" is the same time as "from"'],
      [[{ connector: 'stripe' }], 'sync invocation must be an object'],
    ];
    for (const [input, message] of refused) {
      expect(() => parseInvocation(input)).toThrow(ConfigError);
      expect(() => parseInvocation(input)).toThrow(message);
    }
  });

  it('reads a range again without moving the bookmark, and the same input again resumes a range cut by the deadline', async () => {
    const handler = makeConnectorSyncHandler(async () => rt);
    // The bookmark first at its end: an incremental run now reads nothing, a range reads its charges again.
    await handler({ connector: 'stripe', streams: ['charges'] }, lambdaContext({ remainingMs: 900_000 }));
    await drainIds('transactions');
    const before = await loadBookmark(rt.state, 'stripe', 'charges');
    // A range ending before the bookmark: one reaching it moves the bookmark on to its end, as `puddle sync` does.
    const day = (daysAgo: number) => new Date(Date.now() - daysAgo * DAY).toISOString().slice(0, 10);
    const range = { connector: 'stripe', streams: ['charges'], from: day(45), to: day(2) };
    const whole = await handler(range, lambdaContext({ remainingMs: 900_000 }));
    expect(whole.runs).toEqual([expect.objectContaining({ stream: 'charges', outcome: 'succeeded' })]);
    const all = new Set(await drainIds('transactions'));
    expect(all.size).toBeGreaterThan(0);
    expect(all.size).toBe(whole.runs[0]!.records);
    expect((await loadBookmark(rt.state, 'stripe', 'charges')).cursor).toBe(before.cursor);

    const cut = await handler(range, lambdaContext({ remainingMs: 5_000 }));
    expect(cut.runs).toEqual([expect.objectContaining({ stream: 'charges', outcome: 'partial', error: expect.stringContaining('the same range') })]);
    expect((await loadBookmark(rt.state, 'stripe', 'charges')).backfill).toMatchObject({ from: `${range.from}T00:00:00.000Z`, to: `${range.to}T00:00:00.000Z` });
    const first = await drainIds('transactions');
    const rest = await handler(range, lambdaContext({ remainingMs: 900_000 }));
    expect(rest.runs).toEqual([expect.objectContaining({ stream: 'charges', outcome: 'succeeded' })]);
    const second = await drainIds('transactions');
    expect(new Set([...first, ...second])).toEqual(all);
    expect(cut.runs[0]!.records + rest.runs[0]!.records).toBe(all.size);
    const after = await loadBookmark(rt.state, 'stripe', 'charges');
    expect(after.cursor).toBe(before.cursor);
    expect(after.backfill ?? null).toBeNull();
  });

  it("publishes the staleness alarm's figure as one EMF line: the age of the connector's stalest stream's bookmark, as `puddle status` shows it", async () => {
    const lines: string[] = [];
    const at = Date.now();
    // Refunds' bookmark stands three days back (its runs read nothing past it, or fail), while charges run well.
    await saveBookmark(rt.state, 'stripe', 'refunds', { ...EMPTY_BOOKMARK, cursor: new Date(at - 3 * DAY).toISOString() });
    const handler = makeConnectorSyncHandler(async () => rt, undefined, { writeMetric: (l) => lines.push(l), now: () => at });
    const out = await handler({ connector: 'stripe', streams: ['charges'] }, lambdaContext());
    expect(out.runs.map((r) => r.outcome)).toEqual(['succeeded']);
    expect(lines).toHaveLength(1);
    const line = JSON.parse(lines[0]!) as Record<string, unknown>;
    // The namespace, metric and dimension the stack's alarm watches (the template test checks the alarm's side).
    expect(line._aws).toEqual({
      Timestamp: at,
      CloudWatchMetrics: [{ Namespace: METRICS.namespace, Dimensions: [['Stack', 'Connector']], Metrics: [{ Name: METRICS.connectorLag, Unit: 'Seconds' }] }],
    });
    expect(line.Connector).toBe('stripe');
    // The stack this function belongs to, from its queue prefix (`<prefix>-`): two stacks in one account keep apart.
    expect(line.Stack).toBe(stackOfQueuePrefix(rt.env.queuePrefix));
    expect(line.Stack).not.toMatch(/-$/);
    // Until 2026-12-02: seconds since the run that just succeeded (about 0), while refunds' data was 3 days old.
    expect(line[METRICS.connectorLag]).toBe(3 * 86_400);
    // One definition: the connector's lag on the dashboard, from the same bookmarks.
    const [health] = connectorHealth(await readStreamStatus(rt.state, { stripe: CONNECTORS.stripe! }, at));
    expect(health!.lag_seconds).toBe(line[METRICS.connectorLag]);
    expect(lines[0]).not.toContain('\n');
  });

  it('is the worst stream\'s lag (streamLagMs) over all the connector\'s streams; none while no stream has a bookmark', async () => {
    const now = Date.parse('2026-11-30T12:00:00Z');
    const at = (stream: string, cursor: string) => saveBookmark(rt.state, 'lagtest', stream, { ...EMPTY_BOOKMARK, cursor });
    expect(await connectorLagSeconds(rt.state, 'lagtest', { streams: ['a', 'b'] }, now)).toBeNull();
    await at('a', '2026-11-30T11:59:00Z');
    expect(await connectorLagSeconds(rt.state, 'lagtest', { streams: ['a', 'b'] }, now)).toBe(60);
    await at('b', '2026-11-30T11:00:00Z');
    expect(await connectorLagSeconds(rt.state, 'lagtest', { streams: ['a', 'b'] }, now)).toBe(3600);
    // A stream whose runs keep failing keeps its bookmark, so its lag grows with the clock.
    expect(await connectorLagSeconds(rt.state, 'lagtest', { streams: ['a', 'b'] }, now + 3600_000)).toBe(7200);
    // A stream that has run without a cursor yet (its first run failed): its data's age is unknown, so the
    // connector's is, and no figure is published (until 2026-12-05 the others' 7200 s were). One that keeps its
    // position its own way (ownPosition) never has a cursor, and counts for nothing.
    await rt.state.set(lastRunKey('lagtest', 'c'), { runId: 'c1', connector: 'lagtest', stream: 'c', startedAt: '2026-11-30T12:30:00.000Z', endedAt: '2026-11-30T12:30:01.000Z', outcome: 'failed', error: 'lagtest: 500', authFailed: false, records: 0, pages: 0, requests: 1, retries: 0, rateLimited: 0, quarantined: 0 });
    expect(await connectorLagSeconds(rt.state, 'lagtest', { streams: ['a', 'b', 'c'] }, now + 3600_000)).toBeNull();
    expect(await connectorLagSeconds(rt.state, 'lagtest', { streams: ['a', 'b', 'c'], ownPosition: ['c'] }, now + 3600_000)).toBe(7200);
  });

  it('holds each stream\'s lease for PUDDLE_LEASE_SECONDS, as `puddle sync` and the scheduled syncs do', async () => {
    // The real DynamoDB state store, watched: the lease it is asked to take. An hour, far from the 2-minute default.
    const leases = vi.spyOn(rt.state, 'acquireLease');
    try {
      const handler = makeConnectorSyncHandler(async () => rt, CONNECTORS, { env: { PUDDLE_LEASE_SECONDS: '3600' } });
      await handler({ connector: 'stripe', streams: ['refunds'] }, lambdaContext({ remainingMs: 900_000 }));
      expect(leases.mock.calls.length).toBeGreaterThan(0);
      expect(leases.mock.calls.every(([name, , ttlMs]) => name === 'sync:stripe:refunds' && ttlMs === 3_600_000)).toBe(true);
      // A wrong value is named before the sync takes any lease.
      leases.mockClear();
      const bad = makeConnectorSyncHandler(async () => rt, CONNECTORS, { env: { PUDDLE_LEASE_SECONDS: 'abc' } });
      await expect(bad({ connector: 'stripe' }, lambdaContext())).rejects.toThrow(
        new ConfigError('PUDDLE_LEASE_SECONDS must be a whole number of seconds, at least 1 (got "abc")'),
      );
      expect(leases).not.toHaveBeenCalled();
    } finally {
      leases.mockRestore();
    }
  });

  it("names a connector whose run the provider refused on the producer's /healthz, keeping ok and the 200", async () => {
    // What an uptime checker sees: the same state the sync function wrote, read by the producer function
    // (infra/aws/handlers/connectors-health.ts), as the embedded hub's /healthz says it.
    let now = Date.parse('2026-12-03T12:00:00Z');
    const producer = makeProducerHandler(async () => rt, { now: () => now });
    const healthz = async () => {
      const res = await producer(httpApiEvent({ method: 'GET', path: '/healthz' }));
      expect(res.statusCode).toBe(200);
      return JSON.parse(res.body!) as { ok: boolean; connectors: { failing: Record<string, { streams: string[]; last_failed_at: string | null }> } };
    };
    expect((await healthz()).connectors.failing.stripe).toBeUndefined();

    sandbox.injectFaults({ status401: true }); // the key was rolled at Stripe
    try {
      const out = await makeConnectorSyncHandler(async () => rt)({ connector: 'stripe', streams: ['charges'] }, lambdaContext());
      expect(out.runs).toEqual([expect.objectContaining({ stream: 'charges', outcome: 'failed' })]);
    } finally {
      sandbox.injectFaults({ status401: false });
    }
    // Read at most once a second: the answer within it is the one read before the failure.
    expect((await healthz()).connectors.failing.stripe).toBeUndefined();
    now += 1000;
    const failing = await healthz();
    expect(failing.ok).toBe(true);
    // Refused credentials are the connector's: its other streams, which have not run since, are named too (until
    // 2026-12-05 only the one that met the refusal was).
    const stripeStreams = ['customers', 'checkout_sessions', 'payment_intents', 'invoices', 'subscriptions', 'charges', 'refunds', 'disputes', 'payouts', 'payout_items', 'events'];
    expect(failing.connectors.failing.stripe).toEqual({ streams: stripeStreams, last_failed_at: expect.any(String) });
    // The error's words stay behind a key: /healthz is read by anyone.
    expect(JSON.stringify(failing)).not.toMatch(/api_key|invalid|401/i);

    const fixed = await makeConnectorSyncHandler(async () => rt)({ connector: 'stripe', streams: ['charges'] }, lambdaContext());
    expect(fixed.runs[0]!.outcome).toBe('succeeded');
    now += 1000;
    expect((await healthz()).connectors.failing.stripe).toBeUndefined();
    await drainIds('transactions');
    await drainIds('raw');
  });

  it('says the connectors are unknown, not that the producer is down, when the state cannot be read', async () => {
    const unreadable = { ...rt, state: { ...rt.state, getMany: () => Promise.reject(new Error('ProvisionedThroughputExceededException')) } } as AwsRuntime;
    const res = await makeProducerHandler(async () => unreadable)(httpApiEvent({ method: 'GET', path: '/healthz' }));
    expect(res.statusCode).toBe(200);
    expect(JSON.parse(res.body!)).toEqual({ ok: true, connectors: { unknown: true } });
  });

  it('keeps a tenth of the time left (5 to 60 s) for the last checkpoint, after the grace of a call in flight', () => {
    const at = (left: number) => syncDeadline({ getRemainingTimeInMillis: () => left }, 0).getTime();
    expect(CALL_GRACE_MS).toBe(5_000);
    expect(at(900_000)).toBe(835_000);
    expect(at(200_000)).toBe(175_000);
    expect(at(20_000)).toBe(10_000);
    expect(at(3_000)).toBe(0);
  });
});
