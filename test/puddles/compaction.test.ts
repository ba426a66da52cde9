import { readFile, truncate } from 'node:fs/promises';
import path from 'node:path';

import { DuckDBInstance } from '@duckdb/node-api';
import { describe, expect, it } from 'vitest';

import { collectGarbage, compactAll, compactPartition } from '../../puddles/compact.js';
import { landEnvelopes } from '../../puddles/land.js';
import { donation, useLake } from './lake-fixture.js';

const lake = useLake();

const TABLE = { puddle: 'transactions', contract: 'donation', version: 1 };
const SNAPSHOT = `SELECT count(*) AS n, sum(amount_minor) AS total, count(DISTINCT donation_id) AS ids,
  (SELECT count(*) FROM donation_history) AS versions FROM donation`;

async function countRowsDirect(files: string[]): Promise<number> {
  const inst = await DuckDBInstance.create(':memory:');
  const conn = await inst.connect();
  try {
    const list = files.map((f) => `'${f}'`).join(', ');
    const rows = (await conn.runAndReadAll(`SELECT count(*) AS n FROM read_parquet([${list}], hive_partitioning = false)`)).getRowObjectsJS();
    return Number(rows[0]!.n);
  } finally {
    conn.closeSync();
    inst.closeSync();
  }
}

describe('compaction', () => {
  it('merges many small files into one with the same query results, deleting old objects only via garbage', async () => {
    // 12 small batches with overlapping redeliveries and a second version of some donations.
    await lake.queue.publish(Array.from({ length: 240 }, (_, i) => donation(`k${i}`, i + 1)));
    await lake.queue.publish(Array.from({ length: 30 }, (_, i) => donation(`k${i}`, 5000, { updated_at: '2026-11-29T21:00:00Z', received_at: '2026-11-29T21:00:01Z' })));
    const consumer = lake.consumer('transactions', { batchSize: 25 });
    await consumer.drain();
    // A redelivered batch in a different shape: duplicate rows in the files.
    const dup = await landEnvelopes({
      puddle: lake.puddle('transactions'),
      store: lake.store,
      catalog: lake.catalog,
      envelopes: Array.from({ length: 40 }, (_, i) => donation(`k${i * 3}`, i * 3 + 1)),
    });
    expect(dup.files).toHaveLength(1);

    const before = await lake.engine.query(SNAPSHOT);
    const oldFiles = await lake.catalog.listFiles({ contract: 'donation', dt: '2026-11-29' });
    expect(oldFiles.length).toBeGreaterThanOrEqual(12);
    const oldRows = oldFiles.reduce((n, f) => n + f.rows, 0);
    expect(oldRows).toBe(310);

    const result = await compactPartition({ store: lake.store, catalog: lake.catalog, table: TABLE, dt: '2026-11-29' });
    expect(result.inputs).toBe(oldFiles.length);
    expect(result.rowsIn).toBe(310);
    expect(result.rowsOut).toBe(270); // the 40 redelivered rows are gone, both versions of k0..k29 stay
    const after = await lake.catalog.listFiles({ contract: 'donation' });
    expect(after).toHaveLength(1);
    expect(after[0]!.key).toMatch(/^lake\/transactions\/donation\/v1\/dt=2026-11-29\/c-[0-9a-f]{32}\.parquet$/);
    expect(after[0]!.rows).toBe(270);
    expect(await lake.engine.query(SNAPSHOT)).toEqual(before);
    expect(before).toEqual([{ n: 240, total: (240 * 241) / 2 - (30 * 31) / 2 + 30 * 5000, ids: 240, versions: 270 }]);

    // A reader that listed the old files before the swap can still read them...
    const oldPaths = oldFiles.map((f) => path.join(lake.dir, f.key));
    expect(await countRowsDirect(oldPaths)).toBe(310);
    // ...until the garbage is collected (not yet old enough at first).
    expect(await collectGarbage({ store: lake.store, catalog: lake.catalog, olderThanMs: 60_000 })).toBe(0);
    expect(await countRowsDirect(oldPaths)).toBe(310);
    expect(await collectGarbage({ store: lake.store, catalog: lake.catalog, olderThanMs: 0 })).toBe(oldFiles.length);
    expect(await lake.store.get(oldFiles[0]!.key)).toBeNull();
    await expect(countRowsDirect(oldPaths)).rejects.toThrow();
    expect(await lake.engine.query(SNAPSHOT)).toEqual(before);
  });

  it('ignores an orphan left by a crash before the swap, and the next run overwrites it', async () => {
    await lake.queue.publish(Array.from({ length: 60 }, (_, i) => donation(`o${i}`, 1)));
    await lake.consumer('transactions', { batchSize: 20 }).drain();
    // Crash after the merged file is written but before replaceFiles: do the write half by hand.
    const catalogWithoutSwap = { ...lake.catalog, listFiles: lake.catalog.listFiles.bind(lake.catalog), replaceFiles: async () => { throw new Error('crash'); } };
    await expect(
      compactPartition({ store: lake.store, catalog: catalogWithoutSwap as unknown as typeof lake.catalog, table: TABLE, dt: '2026-11-29' }),
    ).rejects.toThrow('crash');
    const orphans = (await lake.store.list('lake/transactions/donation/v1/dt=2026-11-29/c-')).map((o) => o.key);
    expect(orphans).toHaveLength(1);
    expect(await lake.engine.query(`SELECT count(*) AS n FROM donation_history`)).toEqual([{ n: 60 }]);

    const res = await compactPartition({ store: lake.store, catalog: lake.catalog, table: TABLE, dt: '2026-11-29' });
    expect(res.key).toBe(orphans[0]);
    expect((await lake.catalog.listFiles({ contract: 'donation' })).map((f) => f.key)).toEqual(orphans);
    expect(await lake.engine.query(`SELECT count(*) AS n FROM donation_history`)).toEqual([{ n: 60 }]);
  });

  it('swaps nothing when a replay retired its inputs while it was merging them', async () => {
    await lake.queue.publish(Array.from({ length: 60 }, (_, i) => donation(`z${i}`, 1)));
    await lake.consumer('transactions', { batchSize: 20 }).drain();
    const inputs = await lake.catalog.listFiles({ contract: 'donation' });
    // Between compaction's listing and its swap, a replay takes the partition over.
    const replayed = { ...inputs[0]!, key: inputs[0]!.key.replace(/\/[^/]+$/, '/r-replayed.parquet') };
    const racing = {
      ...lake.catalog,
      listFiles: async (filter?: Parameters<typeof lake.catalog.listFiles>[0]) => {
        const files = await lake.catalog.listFiles(filter);
        await lake.store.put(replayed.key, (await lake.store.get(inputs[0]!.key))!);
        await lake.catalog.replaceFiles(inputs.map((f) => f.key), [replayed]);
        return files;
      },
      replaceFiles: lake.catalog.replaceFiles.bind(lake.catalog),
    };
    const res = await compactPartition({ store: lake.store, catalog: racing as unknown as typeof lake.catalog, table: TABLE, dt: '2026-11-29' });
    expect(res.inputs).toBe(0);
    expect((await lake.catalog.listFiles({ contract: 'donation' })).map((f) => f.key)).toEqual([replayed.key]);
  });

  it('compactAll leaves a partition with a damaged file as it was, names the file, and maintains the rest', async () => {
    // Two partitions of two files each, then one file of 2026-11-28 cut short, as a bad disk leaves it.
    for (const batch of [0, 1]) {
      await lake.queue.publish(Array.from({ length: 4 }, (_, i) => donation(`dmg${batch}-${i}`, 1, { occurred_at: i % 2 ? '2026-11-28T10:00:00Z' : '2026-11-29T10:00:00Z' })));
      await lake.consumer('transactions').drain();
    }
    const damaged = (await lake.catalog.listFiles({ contract: 'donation', dt: '2026-11-28' }))[0]!.key;
    await truncate(path.join(lake.dir, damaged), 100);
    const results = await compactAll({ store: lake.store, catalog: lake.catalog, minFiles: 2 });
    expect(results.unreadable.map((e) => [e.key, e.message])).toEqual([
      [damaged, `lake file ${damaged} is listed in the catalog but is missing or damaged: re-derive it from raw with puddle replay --contract donation, which replaces it (or restore it from a backup)`],
    ]);
    // The other day was merged; the damaged one's two files are still listed, for a replay to replace.
    expect(results.compacted.map((r) => [r.dt, r.inputs])).toEqual([['2026-11-29', 2]]);
    expect((await lake.catalog.listFiles({ contract: 'donation', dt: '2026-11-28' })).map((f) => f.key)).toContain(damaged);
    expect(results.folded).toEqual([]);
  });

  it('compactAll compacts busy partitions and never touches raw', async () => {
    await lake.queue.publish(Array.from({ length: 50 }, (_, i) => donation(`a${i}`, 1, { occurred_at: i % 2 ? '2026-11-28T10:00:00Z' : '2026-11-29T10:00:00Z' })));
    await lake.consumer('transactions', { batchSize: 10 }).drain();
    await lake.consumer('raw', { batchSize: 10 }).drain();
    const rawBefore = (await lake.catalog.listFiles({ puddle: 'raw' })).map((f) => f.key);
    expect(rawBefore.length).toBe(5);
    // A minimum that is no number (a caller's Number('abc')) compacted nothing and passed for a quiet lake.
    await expect(compactAll({ store: lake.store, catalog: lake.catalog, minFiles: Number('abc') })).rejects.toThrow('minFiles must be a whole number (got NaN)');
    const results = await compactAll({ store: lake.store, catalog: lake.catalog, minFiles: 3 });
    expect(results.compacted.map((r) => r.dt).sort()).toEqual(['2026-11-28', '2026-11-29']);
    // Two merged partitions, and the current state folded from them.
    // (In key order: the state is written under the contract's latest version, v2, after the v1 partitions.)
    expect((await lake.catalog.listFiles({ contract: 'donation' })).map((f) => [f.dt, !!f.current, !!f.folded])).toEqual([
      ['2026-11-28', false, true],
      ['2026-11-29', false, true],
      ['', true, false],
    ]);
    expect(results.folded).toMatchObject([{ contract: 'donation', folded: 2, rowsIn: 50, rowsOut: 50 }]);
    expect((await lake.catalog.listFiles({ puddle: 'raw' })).map((f) => f.key)).toEqual(rawBefore);
    expect(await compactPartition({ store: lake.store, catalog: lake.catalog, table: { puddle: 'raw', contract: 'envelope', version: 1 }, dt: '2026-11-29' })).toMatchObject({ inputs: 0 });
    expect(await lake.engine.query(`SELECT count(*) AS n FROM donation`)).toEqual([{ n: 50 }]);
    // The merged file is a real zstd Parquet file.
    const merged = (await lake.catalog.listFiles({ contract: 'donation', dt: '2026-11-29' }))[0]!;
    const bytes = await readFile(path.join(lake.dir, merged.key));
    expect(bytes.subarray(0, 4).toString()).toBe('PAR1');
  });
});
