import { mkdtemp, readdir, rm, truncate } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';

import { describe, expect, it } from 'vitest';

import type { Catalog, ObjectStore } from '../../core/ports.js';
import { DuckDbQueryEngine } from '../../infra/local/duckdb-query-engine.js';
import { collectGarbage, compactAll } from '../../puddles/compact.js';
import { namedViews } from '../../puddles/named-views.js';
import { fileViews } from '../../puddles/views.js';
import { donation, useLake } from './lake-fixture.js';

const lake = useLake();

/** The same objects, seen through a store with no local folder (as S3 would be). */
function remoteView(store: ObjectStore): ObjectStore {
  return {
    put: (k, b) => store.put(k, b),
    putIfAbsent: (k, b) => store.putIfAbsent(k, b),
    get: (k) => store.get(k),
    list: (p) => store.list(p),
    delete: (k) => store.delete(k),
  };
}

describe('DuckDbQueryEngine', () => {
  it('returns JSON-safe values', async () => {
    const [row] = await lake.engine.query(
      `SELECT 42::BIGINT AS small, 9007199254740993::HUGEINT AS big, sum(x) AS s, DATE '2026-11-29' AS d,
              TIMESTAMP '2026-11-29 20:15:00.123' AS t, 1.5::DECIMAL(10,2) AS dec, [1::BIGINT, 2] AS list, NULL AS n
       FROM (VALUES (1::BIGINT), (2::BIGINT)) v(x)`,
    );
    expect(row).toEqual({ small: 42, big: '9007199254740993', s: 3, d: '2026-11-29', t: '2026-11-29T20:15:00.123Z', dec: 1.5, list: [1, 2], n: null });
    expect(() => JSON.stringify(row)).not.toThrow();
    // Column by column over several rows: types passed through as they are, NULLs among them, a non-finite
    // double as null, a struct converted inside.
    const rows = await lake.engine.query(
      `SELECT i::INTEGER AS i, 'v' || i AS s, i % 2 = 0 AS b, CASE WHEN i = 2 THEN 'inf'::DOUBLE ELSE i / 2 END AS f,
              CASE WHEN i = 1 THEN NULL ELSE DATE '2026-11-29' + i::INTEGER END AS d, {'n': i::BIGINT} AS st
       FROM range(1, 4) t(i) ORDER BY i`,
    );
    expect(rows).toEqual([
      { i: 1, s: 'v1', b: false, f: 0.5, d: null, st: { n: 1 } },
      { i: 2, s: 'v2', b: true, f: null, d: '2026-12-01', st: { n: 2 } },
      { i: 3, s: 'v3', b: false, f: 1.5, d: '2026-12-02', st: { n: 3 } },
    ]);
  });

  it('gives the same values column by column (queryColumns) as row by row, over several chunks', async () => {
    // 5,000 rows: three of DuckDB's chunks. Text, numbers, a BIGINT past 2^53, NULLs, dates, times, decimals, lists.
    const sql = `SELECT 'v' || i AS s, CASE WHEN i % 7 = 0 THEN NULL ELSE i::BIGINT * 1000 END AS big,
              CASE WHEN i = 4999 THEN 9007199254740993::BIGINT END AS unsafe, i::INTEGER AS n, i / 3 AS f, i % 2 = 0 AS b,
              DATE '2026-11-29' + (i % 40)::INTEGER AS d, TIMESTAMP '2026-11-29 20:15:00.123' + to_seconds(i) AS t,
              (i / 100)::DECIMAL(10,2) AS dec, [i::BIGINT] AS list, repeat('x', i % 30) AS long, 1 AS s
       FROM range(5000) r(i)`;
    const { columns: names, rows } = await lake.engine.queryWithColumns(sql);
    const got = await lake.engine.queryColumns(sql);
    expect(got.names).toEqual(names);
    expect(got.rowCount).toBe(5000);
    expect(got.columns.map((c) => c.length)).toEqual(names.map(() => 5000));
    expect(rows.map((_, r) => Object.fromEntries(names.map((n, c) => [n, got.columns[c]![r]])))).toEqual(rows);
    expect(got.columns[names.indexOf('unsafe')]![4999]).toBe('9007199254740993');
    // With no rows: the names all the same.
    expect(await lake.engine.withPriority('background').queryColumns!(`${sql} LIMIT 0`)).toEqual({ names, columns: names.map(() => []), rowCount: 0 });
  });

  it('interrupts a statement whose signal aborts while it runs, and runs the next as usual', async () => {
    const stop = new AbortController();
    const cpu = () => {
      const u = process.cpuUsage();
      return (u.user + u.system) / 1e6;
    };
    const before = cpu();
    // Hours of work: still running whenever it is stopped.
    const running = lake.engine.queryColumns('SELECT count(*) AS n FROM range(10000000000000) r(i) WHERE hash(i) = 0', { signal: stop.signal });
    const outcome = running.then(() => 'finished', (err: unknown) => String(err));
    // Running: DuckDB's threads (this process's CPU time) have worked on it.
    while (cpu() - before < 0.5) await new Promise((r) => setTimeout(r, 20));
    stop.abort(new Error('stopped'));
    expect(await outcome).toMatch(/interrupt/i);
    expect(await lake.engine.query('SELECT 42 AS x')).toEqual([{ x: 42 }]);
    // Aborted before its turn: never started.
    await expect(lake.engine.withPriority('background').queryColumns!('SELECT 1', { signal: stop.signal })).rejects.toThrow('stopped');
    expect((await lake.engine.queryColumns('SELECT 1 AS one')).columns).toEqual([[1]]);
  }, 120_000);

  it('names the columns of a result, in its order, with rows or none', async () => {
    // No rows: the names come from the result, not from rows; a view over an empty lake has its contract's.
    expect(await lake.engine.queryWithColumns(`SELECT 2 AS b, 'x' AS "1" WHERE false`)).toEqual({ columns: ['b', '1'], types: ['INTEGER', 'VARCHAR'], rows: [] });
    expect((await lake.engine.queryWithColumns('SELECT donation_id, amount_minor FROM donation')).columns).toEqual(['donation_id', 'amount_minor']);
    // With rows: the keys of each row, in the result's order (an object lists "1" before "b" whatever the SQL said).
    const { columns, rows } = await lake.engine.queryWithColumns(`SELECT 2 AS b, 'x' AS "1", 3 AS b`);
    expect(columns).toEqual(['b', '1', 'b:1']);
    expect(rows).toEqual([{ b: 2, 1: 'x', 'b:1': 3 }]);
  });

  it('sees newly landed files on the next query', async () => {
    expect(await lake.engine.query('SELECT count(*) AS n FROM donation')).toEqual([{ n: 0 }]);
    await lake.queue.publish([donation('a', 1)]);
    await lake.consumer('transactions').drain();
    expect(await lake.engine.query('SELECT count(*) AS n FROM donation')).toEqual([{ n: 1 }]);
    await lake.queue.publish([donation('b', 2)]);
    await lake.consumer('transactions').drain();
    expect(await lake.engine.query('SELECT sum(amount_minor) AS s FROM donation')).toEqual([{ s: 3 }]);
  });

  it('never shows a half-landed state to concurrent queries', async () => {
    const consumer = lake.consumer('transactions', { batchSize: 20 });
    await lake.queue.publish(Array.from({ length: 200 }, (_, i) => donation(`p${i}`, 1)));
    const landing = consumer.drain();
    const seen: number[] = [];
    let done = false;
    void landing.then(() => (done = true));
    while (!done) {
      const [a, b] = await Promise.all([
        lake.engine.query('SELECT count(*) AS n, sum(amount_minor) AS s FROM donation'),
        lake.engine.query('SELECT count(*) AS n FROM donation_history'),
      ]);
      expect(a![0]!.n).toBe(a![0]!.s ?? 0);
      seen.push(a![0]!.n as number, b![0]!.n as number);
    }
    await landing;
    expect(await lake.engine.query('SELECT count(*) AS n FROM donation')).toEqual([{ n: 200 }]);
    for (let i = 1; i < seen.length; i++) expect(seen[i]! >= seen[i - 1]!).toBe(true);
  });

  it('reads a store without a local folder through a cache, and follows compaction', async () => {
    const cacheDir = await mkdtemp(path.join(tmpdir(), 'puddle-cache-test-'));
    const remote = new DuckDbQueryEngine({ catalog: lake.catalog, store: remoteView(lake.store), cacheDir });
    try {
      await lake.queue.publish(Array.from({ length: 90 }, (_, i) => donation(`r${i}`, 2)));
      await lake.consumer('transactions', { batchSize: 30 }).drain();
      expect(await remote.query('SELECT count(*) AS n, sum(amount_minor) AS s FROM donation')).toEqual([{ n: 90, s: 180 }]);
      await compactAll({ store: lake.store, catalog: lake.catalog, minFiles: 2 });
      await collectGarbage({ store: lake.store, catalog: lake.catalog, olderThanMs: 0 });
      expect(await remote.query('SELECT count(*) AS n, sum(amount_minor) AS s FROM donation')).toEqual([{ n: 90, s: 180 }]);
      const cached = await readdir(path.join(cacheDir, 'lake/transactions/donation/v1/dt=2026-11-29'));
      expect(cached).toHaveLength(1); // the three batch copies were dropped with the catalog entries
      expect(cached[0]).toMatch(/^c-/);
    } finally {
      await remote.close();
      await rm(cacheDir, { recursive: true, force: true });
    }
  });

  it('gives a fresh engine the views a query names and the views those read, whatever their case', async () => {
    await lake.queue.publish([donation('a', 1)]);
    await lake.consumer('transactions').drain();
    const engine = new DuckDbQueryEngine({ catalog: lake.catalog, store: lake.store });
    try {
      expect(await engine.query('select 1 AS one')).toEqual([{ one: 1 }]);
      expect(await engine.query('SELECT count(*) AS n FROM "DONATION"')).toEqual([{ n: 1 }]);
      // recon_journey reads recon_params, donation, recon_payment_link (which reads payment, payout_item), ...
      expect(await engine.query('SELECT donation_id FROM recon_journey')).toEqual([{ donation_id: 'a' }]);
    } finally {
      await engine.close();
    }
  });

  it('gives a view only the views its SQL reads, not those its comments name (a damaged donation file leaves quarantine_open answering)', async () => {
    // recon_statement_corrected's comment names recon_breaks, which reads donation: counted, quarantine_open
    // (the dashboard's count) created donation's view and failed with the donation file damaged.
    await lake.queue.publish([donation('d1', 1)]);
    await lake.consumer('transactions').drain();
    const [file] = await lake.catalog.listFiles({ contract: 'donation' });
    await truncate(path.join(lake.dir, file!.key), 100);
    const engine = new DuckDbQueryEngine({ catalog: lake.catalog, store: lake.store });
    try {
      expect(await engine.query('SELECT count(*) AS n FROM quarantine_open')).toEqual([{ n: 0 }]);
      await expect(engine.query('SELECT count(*) AS n FROM donation')).rejects.toThrow(/damaged/);
    } finally {
      await engine.close();
    }
  });

  it('lists every view to SQL that asks what exists, from a fresh engine', async () => {
    const engine = new DuckDbQueryEngine({ catalog: lake.catalog, store: lake.store });
    try {
      const all = [...fileViews([], (k) => k), ...namedViews()].map((v) => v.name).sort();
      const listed = await engine.query('SELECT view_name FROM duckdb_views() WHERE NOT internal ORDER BY view_name');
      expect(listed.map((r) => r.view_name)).toEqual(all);
    } finally {
      await engine.close();
    }
  });

  it('takes a current view\'s snapshot again when files land (materializeCurrent)', async () => {
    const engine = new DuckDbQueryEngine({ catalog: lake.catalog, store: lake.store, materializeCurrent: true });
    try {
      await lake.queue.publish([donation('m1', 1)]);
      await lake.consumer('transactions').drain();
      expect(await engine.query('SELECT count(*) AS n FROM donation')).toEqual([{ n: 1 }]);
      await lake.queue.publish([donation('m2', 2)]);
      await lake.consumer('transactions').drain();
      expect(await engine.query('SELECT count(*) AS n, sum(amount_minor) AS s FROM donation')).toEqual([{ n: 2, s: 3 }]);
    } finally {
      await engine.close();
    }
  });

  it('works with a catalog that has no change counter', async () => {
    const plain: Catalog = {
      addFiles: (f) => lake.catalog.addFiles(f),
      replaceFiles: (r, a) => lake.catalog.replaceFiles(r, a),
      listFiles: (f) => lake.catalog.listFiles(f),
      tables: () => lake.catalog.tables(),
      takeGarbage: (ms) => lake.catalog.takeGarbage(ms),
    };
    const engine = new DuckDbQueryEngine({ catalog: plain, store: lake.store });
    try {
      await lake.queue.publish([donation('z', 5)]);
      await lake.consumer('transactions').drain();
      expect(await engine.query('SELECT sum(amount_minor) AS s FROM donation')).toEqual([{ s: 5 }]);
    } finally {
      await engine.close();
    }
  });
});
