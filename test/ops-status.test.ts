// The operations view of a connector whose runs fail, from real runs: the Braintree SDK against the sandbox,
// the engine's bookmarks and run records, the lake's sync_run read by DuckDB. On call, "fine" must mean fine.
import { truncateSync } from 'node:fs';
import { join } from 'node:path';
import Fastify from 'fastify';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import type { RunResult } from '../core/engine/sync-run.js';
import type { QueryEngine } from '../core/ports.js';
import { createKeyRing } from '../core/http/auth.js';
import { CONNECTORS } from '../connectors/registry.js';
import type { ConnectorHealth } from '../puddles/http/connector-health.js';
import { opsRoutes } from '../puddles/http/ops-routes.js';
import { replay } from '../puddles/replay.js';
import type { TotalsKeeper } from '../puddles/totals-keeper.js';
import { WebhookFreshness } from '../puddles/webhook-freshness.js';
import { braintreeHarness, BT_NOW } from './support/braintree-harness.js';

const READ_KEY = 'read-key-ops-status-0001';
const MIN = 60_000;

describe('GET /v1/ops/status on a connector with a failing stream', () => {
  let h: Awaited<ReturnType<typeof braintreeHarness>>;
  let second: RunResult[];
  beforeAll(async () => {
    h = await braintreeHarness({ scenario: { seed: 5, donations: 40 } });
    const first = await h.sync();
    expect(first.map((r) => r.outcome)).toEqual(first.map(() => 'succeeded'));
    // Three minutes on, the gateway fails every attempt of the first stream's first call; the streams after
    // it run and succeed, so the connector's newest run is a success.
    h.clock.advance(3 * MIN);
    h.sandbox.injectFaults({ status5xx: 5 });
    second = await h.sync();
    await h.land();
    h.clock.advance(5_000);
  }, 120_000);
  afterAll(async () => {
    await h?.close();
  });

  type Status = { sources: (ConnectorHealth & { runs: number })[]; quarantine: number | null; problems: Record<string, string>; computed_at: Record<string, string> };
  const opsApp = async (query: QueryEngine = h.rt.query) => {
    const app = Fastify();
    await app.register(opsRoutes, {
      keys: createKeyRing({ read: [READ_KEY] }), query, keeper: { drift: () => ({}), driftFailing: () => null, totals: { asOf: () => null } } as unknown as TotalsKeeper,
      webhooks: new WebhookFreshness(), queueDepths: async () => ({}), state: h.engineRuntime.state, connectors: { braintree: CONNECTORS.braintree! }, clock: h.clock,
    });
    return app;
  };
  const statusOf = async (app: Awaited<ReturnType<typeof opsApp>>) => {
    const res = await app.inject({ url: '/v1/ops/status', headers: { authorization: `Bearer ${READ_KEY}` } });
    expect(res.statusCode).toBe(200);
    expect(res.headers['cache-control']).toBe('no-store');
    return res.json<Status>();
  };
  /** The status from a hub just started (nothing reused). */
  const status = async () => {
    const app = await opsApp();
    try {
      return await statusOf(app);
    } finally {
      await app.close();
    }
  };

  it('shows it failing and names the stream, though streams that ran after it succeeded', async () => {
    expect(second[0]).toMatchObject({ stream: 'transactions', outcome: 'failed' });
    expect(second.slice(1).map((r) => r.outcome)).toEqual(second.slice(1).map(() => 'succeeded'));
    const { sources } = await status();
    expect(sources).toHaveLength(1);
    const bt = sources[0]!;
    expect(bt).toMatchObject({ source: 'braintree', runs: 2 * second.length, last_outcome: 'failed', failing_streams: ['transactions'] });
    expect(bt.streams.find((s) => s.stream === 'transactions')).toMatchObject({ last_outcome: 'failed', error: 'braintree: 500 server error' });
  });

  it("measures lag as puddle status does, from the bookmark: the failed stream's data is as old as its first run left it", async () => {
    const { sources } = await status();
    const bt = sources[0]!;
    // transactions read up to the first run's now minus its one-minute lag, and no further since.
    const now = BT_NOW.getTime() + 3 * MIN + 5_000;
    expect(bt.lag_seconds).toBe((now - (BT_NOW.getTime() - MIN)) / 1000);
    expect(bt.streams.find((s) => s.stream === 'transactions')!.lag_seconds).toBe(bt.lag_seconds);
    // A stream that succeeded just now (no lag of its own) is seconds behind.
    expect(bt.streams.find((s) => s.stream === 'disputes')!.lag_seconds).toBe(5);
    expect(Date.parse(bt.last_run_ended_at!)).toBe(BT_NOW.getTime() + 3 * MIN);
  });

  it('says when each of its lake counts was read, as the journey and breaks do', async () => {
    const s = await status();
    // Worked out now (the harness's clock stands still): a reused answer keeps the time it was read at.
    expect(s.computed_at).toEqual({ sync_runs: h.clock.now().toISOString(), quarantine: h.clock.now().toISOString() });
  });
  // Last: it damages the lake. Until 2026-12-03 one failing lake read failed the whole answer (503).
  it('answers each lake read on its own: a damaged sync_run file leaves the quarantine count and the streams as state has them', async () => {
    expect((await status()).problems).toEqual({});
    const files = await h.rt.catalog.listFiles({ contract: 'sync_run' });
    expect(files.length).toBeGreaterThan(0);
    for (const f of files) truncateSync(join(h.home, f.key), 100);
    const s = await status();
    expect(s.problems.sync_runs).toMatch(/^lake file lake\/.*sync_run.* is listed in the catalog but is missing or damaged: re-derive it from raw with puddle replay --contract sync_run/);
    expect(s.problems.quarantine).toBeUndefined();
    expect(s.quarantine).toBe(0);
    expect(s.sources[0]).toMatchObject({ source: 'braintree', last_outcome: 'failed', failing_streams: ['transactions'] });
    // A part that was not read has no time; the other keeps its own.
    expect(Object.keys(s.computed_at)).toEqual(['quarantine']);
  });

  // After the test above: its sync_run files are still damaged. Until 2026-12-03 each poll logged the file again.
  it('logs a damaged file once however often the status is asked, and once, at warn, when the replay mends it', async () => {
    const lines: { level: string; msg: string; file?: string; part?: string }[] = [];
    const spy = vi.spyOn(process.stderr, 'write').mockImplementation((chunk) => {
      for (const l of String(chunk).split('\n')) if (l.startsWith('{')) lines.push(JSON.parse(l) as (typeof lines)[number]);
      return true;
    });
    const app = await opsApp();
    try {
      for (let i = 0; i < 4; i++) expect((await statusOf(app)).problems.sync_runs).toMatch(/^lake file /);
      const damaged = lines.filter((l) => l.msg === 'a lake file is missing or damaged');
      expect(damaged).toHaveLength(1);
      expect(damaged[0]).toMatchObject({ level: 'error', part: 'sync_runs', file: expect.stringMatching(/^lake\/.*sync_run/) as unknown });

      await replay({ store: h.rt.store, catalog: h.rt.catalog, contract: 'sync_run' });
      const s = await statusOf(app);
      expect(s.problems).toEqual({});
      expect(s.sources[0]!.runs).toBe(2 * second.length);
      await statusOf(app);
      expect(lines.filter((l) => l.msg === 'a lake file is mended: the reads that failed on it answer again')).toEqual([
        expect.objectContaining({ level: 'warn', file: damaged[0]!.file }),
      ]);
      expect(lines.filter((l) => l.msg === 'a lake file is missing or damaged')).toHaveLength(1);
    } finally {
      spy.mockRestore();
      await app.close();
    }
  });

  // Until 2026-12-03 a read that failed for another cause than a damaged file was logged on every poll.
  it('logs a lake read that fails for another cause once while it goes on, and once, at warn, when it answers again', async () => {
    const lines: { level: string; msg: string; part?: string }[] = [];
    const spy = vi.spyOn(process.stderr, 'write').mockImplementation((chunk) => {
      for (const l of String(chunk).split('\n')) if (l.startsWith('{')) lines.push(JSON.parse(l) as (typeof lines)[number]);
      return true;
    });
    let broken = true;
    // An engine without turns, as Athena is: the lake's own engine while it answers.
    const query: QueryEngine = {
      query: (sql) => (broken ? Promise.reject(new Error('Out of Memory Error: failed to allocate')) : h.rt.query.query(sql)),
      queryWithColumns: (sql) => h.rt.query.queryWithColumns(sql),
      close: async () => undefined,
    };
    const app = await opsApp(query);
    try {
      for (let i = 0; i < 4; i++) expect(Object.keys((await statusOf(app)).problems).sort()).toEqual(['quarantine', 'sync_runs']);
      const failed = lines.filter((l) => l.msg === 'an operations read failed');
      expect(failed.map((l) => [l.level, l.part]).sort()).toEqual([['error', 'quarantine'], ['error', 'sync_runs']]);
      broken = false;
      expect((await statusOf(app)).problems).toEqual({});
      await statusOf(app);
      expect(lines.filter((l) => l.msg === 'an operations read answers again').map((l) => [l.level, l.part]).sort()).toEqual([['warn', 'quarantine'], ['warn', 'sync_runs']]);
    } finally {
      spy.mockRestore();
      await app.close();
    }
  });
});
