import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';

import { startStripeSandbox, type StripeSandbox } from '../../connectors/stripe/sandbox/index.js';
import { ConfigError } from '../../core/errors.js';
import { CALL_GRACE_MS } from '../../core/engine/run-stream.js';
import type { RunResult } from '../../core/engine/sync-run.js';
import { connectorLagSeconds, goodRunKey } from '../../infra/aws/connector-lag-metric.js';
import { makeConnectorSyncHandler, parseInvocation, syncDeadline } from '../../infra/aws/handlers/connector-sync.js';
import { METRICS } from '../../infra/aws/shape.js';
import { createAwsRuntime, type AwsRuntime } from '../../infra/aws/runtime.js';
import { startTestShape, type TestShape } from '../support/aws-shape.js';
import { lambdaContext } from '../support/lambda-events.js';

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

  it('publishes the staleness alarm\'s figure as one EMF line: seconds since the connector\'s last good run', async () => {
    const lines: string[] = [];
    const at = Date.parse('2030-01-01T00:00:00Z');
    const handler = makeConnectorSyncHandler(async () => rt, undefined, { writeMetric: (l) => lines.push(l), now: () => at });
    const out = await handler({ connector: 'stripe', streams: ['charges'] }, lambdaContext());
    expect(out.runs.map((r) => r.outcome)).toEqual(['succeeded']);
    expect(lines).toHaveLength(1);
    const line = JSON.parse(lines[0]!) as Record<string, unknown>;
    // The namespace, metric and dimension the stack's alarm watches (the template test checks the alarm's side).
    expect(line._aws).toEqual({
      Timestamp: at,
      CloudWatchMetrics: [{ Namespace: METRICS.namespace, Dimensions: [['Connector']], Metrics: [{ Name: METRICS.connectorLag, Unit: 'Seconds' }] }],
    });
    expect(line.Connector).toBe('stripe');
    const lastRun = (await rt.state.get<{ endedAt: string }>('lastrun:stripe:charges'))!;
    expect(await rt.state.get(goodRunKey('stripe', 'charges'))).toBe(lastRun.endedAt);
    expect(line[METRICS.connectorLag]).toBe(Math.floor((at - Date.parse(lastRun.endedAt)) / 1000));
    expect(lines[0]).not.toContain('\n');
  });

  it('measures lag from the last good run: failures and quota let it grow, refusals say nothing, a stream never good counts from its first try', async () => {
    const run = (stream: string, outcome: RunResult['outcome'], at: string) =>
      ({ connector: 'lagtest', stream, outcome, startedAt: at, endedAt: at, runId: `r-${at}`, error: null }) as unknown as RunResult;
    const now = Date.parse('2026-11-30T12:00:00Z');
    expect(await connectorLagSeconds(rt.state, [run('a', 'refused', '2026-11-30T11:00:00Z')], now)).toBeNull();
    expect(await connectorLagSeconds(rt.state, [run('a', 'failed', '2026-11-30T11:00:00Z')], now)).toBe(3600);
    expect(await connectorLagSeconds(rt.state, [run('a', 'failed', '2026-11-30T11:30:00Z')], now)).toBe(3600);
    expect(await connectorLagSeconds(rt.state, [run('a', 'partial', '2026-11-30T11:50:00Z')], now)).toBe(600);
    expect(await connectorLagSeconds(rt.state, [run('a', 'quota', '2026-11-30T11:55:00Z'), run('b', 'succeeded', '2026-11-30T11:59:00Z')], now)).toBe(600);
    expect(await connectorLagSeconds(rt.state, [run('a', 'succeeded', '2026-11-30T11:59:30Z'), run('b', 'refused', '2026-11-30T11:59:50Z')], now)).toBe(60);
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
