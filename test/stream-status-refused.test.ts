// A sync stops at refused credentials (an AuthError on its first stream), so the streams after it keep their last
// run from before, often `succeeded`. Until 2026-12-05 that was all `puddle status`, /healthz and the dashboard
// showed of them: one failing stream of nine, with the connector stopped whole (user test). Now each stream not
// run since the refusal says so, and counts among the failing.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { readStreamStatus } from '../core/engine/stream-status.js';
import { lastRunKey, type RunResult } from '../core/engine/sync-run.js';
import { SqliteStateStore } from '../infra/local/sqlite-state-store.js';
import { connectorHealth, failingConnectors } from '../puddles/http/connector-health.js';

const STREAMS = { stripe: { streams: ['customers', 'charges', 'payouts', 'events'] }, braintree: { streams: ['transactions'] } };
const run = (connector: string, stream: string, startedAt: string, outcome: RunResult['outcome'], authFailed = false): RunResult => ({
  runId: `${connector}:${stream}:${startedAt}`, connector, stream, startedAt, endedAt: new Date(Date.parse(startedAt) + 1000).toISOString(),
  outcome, error: outcome === 'failed' ? (authFailed ? 'stripe: 401 api_key_invalid' : 'stripe: 500') : null, authFailed,
  records: 0, pages: 0, requests: 1, retries: 0, rateLimited: 0, quarantined: 0,
});

describe('streams not run since their connector was refused its credentials', () => {
  const dir = mkdtempSync(join(tmpdir(), 'puddle-refused-'));
  const state = new SqliteStateStore(join(dir, 'state.db'));
  beforeAll(async () => {
    // 19:00 every stream ran well; 19:01 customers was refused, and the sync stopped there; 19:02 a sync of
    // events alone (its own schedule row) ran after the refusal, and failed for another reason.
    for (const s of STREAMS.stripe.streams) await state.set(lastRunKey('stripe', s), run('stripe', s, '2026-12-05T19:00:00.000Z', 'succeeded'));
    await state.set(lastRunKey('stripe', 'customers'), run('stripe', 'customers', '2026-12-05T19:01:00.000Z', 'failed', true));
    await state.set(lastRunKey('stripe', 'events'), run('stripe', 'events', '2026-12-05T19:02:00.000Z', 'failed'));
    await state.set(lastRunKey('braintree', 'transactions'), run('braintree', 'transactions', '2026-12-05T18:00:00.000Z', 'succeeded'));
  });
  afterAll(() => {
    state.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('marks the streams whose last run began before the refusal, and no other', async () => {
    const status = await readStreamStatus(state, STREAMS, Date.parse('2026-12-05T19:05:00Z'));
    expect(Object.fromEntries(status.map((s) => [`${s.connector}/${s.stream}`, s.refusedSince]))).toEqual({
      'stripe/customers': null,
      'stripe/charges': { stream: 'customers', at: '2026-12-05T19:01:01.000Z' },
      'stripe/payouts': { stream: 'customers', at: '2026-12-05T19:01:01.000Z' },
      'stripe/events': null,
      'braintree/transactions': null,
    });
  });

  it('counts them among the failing streams on the dashboard and /healthz, with why', async () => {
    const health = connectorHealth(await readStreamStatus(state, STREAMS, Date.parse('2026-12-05T19:05:00Z')));
    const stripe = health.find((c) => c.source === 'stripe')!;
    expect(stripe.failing_streams).toEqual(['customers', 'charges', 'payouts', 'events']);
    expect(stripe.streams.find((s) => s.stream === 'charges')).toMatchObject({
      last_outcome: 'succeeded',
      error: 'not run since the provider refused the credentials on customers at 2026-12-05T19:01:01.000Z: check them; this stream\'s last run is older',
    });
    expect(failingConnectors(health)).toEqual({ stripe: { streams: ['customers', 'charges', 'payouts', 'events'], last_failed_at: '2026-12-05T19:02:01.000Z' } });
  });

  it('clears once the refused stream runs again with good credentials', async () => {
    await state.set(lastRunKey('stripe', 'customers'), run('stripe', 'customers', '2026-12-05T19:10:00.000Z', 'succeeded'));
    const status = await readStreamStatus(state, STREAMS, Date.parse('2026-12-05T19:11:00Z'));
    expect(status.map((s) => s.refusedSince)).toEqual([null, null, null, null, null]);
  });
});
