// The live totals' rebuild from the lake: read column by column with the same result as row by row, and left
// unfinished when the keeper or the hub stops (a Ctrl-C mid-rebuild waited for every page until 2026-12-03).
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';

import { describe, expect, it, vi } from 'vitest';

import { loadConfig } from '../../core/config.js';
import { log } from '../../core/log.js';
import type { QueryEngine } from '../../core/ports.js';
import { startHub } from '../../infra/local/hub.js';
import { SqliteCatalog } from '../../infra/local/sqlite-catalog.js';
import { LiveTotals } from '../../puddles/live-totals.js';
import { TotalsKeeper } from '../../puddles/totals-keeper.js';
import { ARRIVALS_SQL, arrivalOf, checkDrift, REBUILD_SQL, rebuildTotals } from '../../puddles/totals-sql.js';
import { writeDonations } from '../bench/totals-bench.js';
import { donation, useLake } from '../puddles/lake-fixture.js';

const lake = useLake();

const sorted = (t: LiveTotals) => t.cells().map((c) => JSON.stringify(c)).sort();

/** The rebuild's temporary tables still on the engine's connection. */
async function tempTables(engine: QueryEngine): Promise<number> {
  const [row] = await engine.query(`SELECT count(*) AS n FROM duckdb_tables() WHERE table_name LIKE '_puddle_totals%'`);
  return Number(row?.n);
}

describe('rebuild of the live totals', () => {
  it('gives column by column what the rows give one by one: nulls, statuses, later versions and every page', async () => {
    // No campaign or cta (nulls in the columns the pages carry as one number), some failed, some in EUR, and
    // later versions of a few (one cancelled), over three channels.
    const events = Array.from({ length: 300 }, (_, i) =>
      donation(`d${i}`, 100 + i, {
        channel: ['online', 'sms', 'ivr'][i % 3],
        currency: i % 10 === 0 ? 'EUR' : 'GBP',
        ...(i % 11 === 0 ? { status: 'failed' } : {}),
        occurred_at: `2026-11-29T${String(18 + (i % 4)).padStart(2, '0')}:${String(i % 60).padStart(2, '0')}:00Z`,
      }),
    );
    const later = [3, 4, 5].map((i) => donation(`d${i}`, 999, { updated_at: '2026-11-30T09:00:00Z', received_at: '2026-11-30T09:00:01.000Z', delivery: 'req-2', ...(i === 4 ? { status: 'cancelled' } : {}) }));
    await lake.queue.publish(events);
    await lake.queue.publish(later);
    await lake.consumer('transactions').drain();

    // Row by row, as the rebuild applied its pages until 2026-12-03.
    const rows = new LiveTotals();
    for (const row of await lake.engine.query(`SELECT epoch_ms(CAST(ahead AS TIMESTAMP)) AS ahead, epoch_ms(received) AS received FROM (${ARRIVALS_SQL})`)) rows.arrivedAt(arrivalOf(row));
    rows.applyRows((await lake.engine.query(REBUILD_SQL)) as never);
    expect(rows.donations).toBe(300);

    const columns = new LiveTotals();
    expect(await rebuildTotals(columns, lake.engine, 7)).toBe(300);
    expect(sorted(columns)).toEqual(sorted(rows));
    expect(columns.asOf()).toBe(rows.asOf());
    expect(columns.document({ by: 'campaign' })).toEqual(rows.document({ by: 'campaign' }));
    // Every currency: 28 failed, one cancelled by its later version.
    expect(columns.document({ by: 'channel' }).currencies.reduce((n, c) => n + c.total.count, 0)).toBe(300 - 28 - 1);
    expect(await checkDrift(columns, lake.engine)).toMatchObject({ ok: true, skipped: 0 });
    expect(await tempTables(lake.engine)).toBe(0);
  });

  it('stops between pages when the keeper stops, and the engine answers the queries that follow', async () => {
    await lake.catalog.addFiles(await writeDonations(lake.dir, 2000));
    // 20 pages of 100: the keeper is stopped from the first page's change, so the rebuild is still running.
    const keeper = new TotalsKeeper(lake.engine, undefined, { pageRows: 100 });
    let stopping: Promise<void> | undefined;
    keeper.totals.onChange(() => {
      if (!stopping && keeper.totals.donations > 0) stopping = keeper.stop();
    });
    await keeper.start(3_600_000);
    expect(stopping).toBeDefined();
    await stopping;
    // Stop returned with pages left unread (it waited for all 20 before the fix).
    expect(keeper.totals.donations).toBeGreaterThan(0);
    expect(keeper.totals.donations).toBeLessThan(2000);
    expect(keeper.ready).toBe(false);
    // Not a failure: nothing is retried or reported.
    expect(keeper.rebuildFailing()).toBeNull();
    expect(keeper.rebuildError).toBeUndefined();
    // The temporary tables are dropped, and the engine is whole for what follows (a full rebuild here).
    expect(await tempTables(lake.engine)).toBe(0);
    const whole = new LiveTotals();
    expect(await rebuildTotals(whole, lake.engine, 100)).toBe(2000);
    expect(whole.donations).toBe(2000);
  });

  it('takes a statement interrupted by the stop for the stop, not for a failure', async () => {
    await lake.catalog.addFiles(await writeDonations(lake.dir, 500));
    let stopping: Promise<void> | undefined;
    // The real engine, but the second page's statement is interrupted as the keeper stops (DuckDB's own error).
    let pages = 0;
    const engine: QueryEngine = {
      query: (sql) => lake.engine.query(sql),
      queryWithColumns: (sql) => lake.engine.queryWithColumns(sql),
      queryColumns: (sql, opts) => {
        if (!/WHERE t\.rowid >=/.test(sql) || ++pages < 2) return lake.engine.queryColumns(sql, opts);
        stopping = keeper.stop();
        return Promise.reject(new Error('INTERRUPT Error: Interrupted!'));
      },
      close: async () => undefined,
    };
    const keeper = new TotalsKeeper(engine, undefined, { pageRows: 100 });
    await keeper.start(3_600_000);
    await stopping;
    expect(pages).toBe(2);
    expect(keeper.ready).toBe(false);
    expect(keeper.rebuildFailing()).toBeNull();
    expect(await tempTables(lake.engine)).toBe(0);
  });

  it('interrupts a drift check running when the keeper stops, and reports it as no failure', async () => {
    await lake.catalog.addFiles(await writeDonations(lake.dir, 200));
    // The real engine, but the drift check's statement (totals_by_box) runs until the stop interrupts it, as a
    // check over 10,000,000 donations runs for 15 s: DuckDB's interrupt error when the signal fires.
    let checking: (() => void) | undefined;
    const checkStarted = new Promise<void>((resolve) => (checking = resolve));
    const engine: QueryEngine = {
      query: (sql) => lake.engine.query(sql),
      queryWithColumns: (sql) => lake.engine.queryWithColumns(sql),
      queryColumns: (sql, opts) => {
        if (!/FROM totals_by_box/.test(sql)) return lake.engine.queryColumns(sql, opts);
        checking!();
        return new Promise((_, reject) => opts?.signal?.addEventListener('abort', () => reject(new Error('INTERRUPT Error: Interrupted!')), { once: true }));
      },
      close: async () => undefined,
    };
    const warned: string[] = [];
    const warn = vi.spyOn(log, 'warn');
    const keeper = new TotalsKeeper(engine, { emit: async (events) => void warned.push(...events.map((e) => e.type)) }, { pageRows: 100 });
    await keeper.start(3_600_000);
    expect(keeper.ready).toBe(true);
    const report = keeper.checkDrift();
    await checkStarted;
    // Before 2026-12-03 the check took no signal: stop waited for it (here, for ever).
    await keeper.stop();
    expect(await report).toBeUndefined();
    expect(keeper.drift().last).toBeUndefined();
    expect(warned).toEqual([]);
    expect(warn.mock.calls.filter(([msg]) => String(msg).includes('drift'))).toEqual([]);
    warn.mockRestore();
  });

  it('is left unfinished when the hub stops mid-rebuild', async () => {
    const home = await mkdtemp(path.join(tmpdir(), 'puddle-rebuild-stop-'));
    try {
      const catalog = new SqliteCatalog(path.join(home, 'catalog.db'));
      await catalog.addFiles(await writeDonations(home, 2000));
      catalog.close();
      const hub = await startHub({
        config: { ...loadConfig({}), home, port: 0, apiKeys: ['producer-key-rebuild-01'], readKeys: ['read-key-rebuild-02'], driftCheckMs: 3_600_000 },
        totalsInBackground: true,
        totalsPageRows: 100,
      });
      const live = hub.totals.totals;
      expect(hub.totals.ready).toBe(false);
      let stopping: Promise<void> | undefined;
      const stopped = new Promise<void>((resolve, reject) => {
        live.onChange(() => {
          if (stopping || live.donations === 0) return;
          // Ctrl-C after the first page: the hub stops with the other 19 pages unread.
          stopping = hub.stop(0);
          stopping.then(resolve, reject);
        });
      });
      await stopped;
      expect(live.donations).toBeGreaterThan(0);
      expect(live.donations).toBeLessThan(2000);
      expect(hub.totals.ready).toBe(false);
    } finally {
      await rm(home, { recursive: true, force: true });
    }
  });
});
