// The erasure's swap under a crash, as compaction's is tested (test/puddles/compaction.test.ts): a catalog whose
// replaceFiles throws stands for a process killed between writing the rewrites and swapping them in, a store whose
// delete throws for one killed between the swap and deleting the old files.
import { readdirSync } from 'node:fs';
import path from 'node:path';

import { describe, expect, it } from 'vitest';

import { makeEnvelope } from '../../core/envelope.js';
import type { Catalog, ObjectStore } from '../../core/ports.js';
import { eraseFromLake, ErasureRefused, planErasure } from '../../puddles/erasure.js';
import { erasureNeedles } from '../../puddles/erasure-match.js';
import { useLake } from './lake-fixture.js';

const lake = useLake();

function gift(id: string, supporter: string, amount: number) {
  return makeEnvelope({
    contract: 'donation',
    version: 1,
    source: 'producer',
    stream: 'web',
    payload: { donation_id: id, occurred_at: '2026-11-29T20:15:00Z', channel: 'online', amount_minor: amount, currency: 'GBP', supporter_id: supporter },
    received_at: '2026-11-29T20:15:01.000Z',
    delivery_id: `req-${id}`,
  });
}

const SNAPSHOT = `SELECT count(*) AS n, count(DISTINCT donation_id) AS ids, sum(amount_minor) AS total,
  (SELECT count(*) FROM donation_history) AS versions, (SELECT count(*) FROM raw) AS raw FROM donation`;
const JOS = `SELECT count(*) AS n FROM donation_history WHERE supporter_id = 'sup_1'`;

async function landTwoSupporters(): Promise<void> {
  // Several batches, so several files per table.
  for (let b = 0; b < 3; b++) {
    await lake.queue.publish([gift(`jo-${b}`, 'sup_1', 100 + b), gift(`sam-${b}`, 'sup_10', 200 + b)]);
    await lake.consumer('transactions').drain();
    await lake.consumer('raw').drain();
  }
}

/** The lake's catalog and store as plain objects of bound methods, for a test to replace one step with a crash. */
function catalogOf(): Catalog {
  const c = lake.catalog;
  return { addFiles: c.addFiles.bind(c), replaceFiles: c.replaceFiles.bind(c), listFiles: c.listFiles.bind(c), tables: c.tables.bind(c), takeGarbage: c.takeGarbage.bind(c) };
}
function storeOf(): ObjectStore {
  const s = lake.store;
  return { put: s.put.bind(s), putIfAbsent: s.putIfAbsent.bind(s), get: s.get.bind(s), list: s.list.bind(s), delete: s.delete.bind(s), localRoot: s.localRoot };
}

const parquetOnDisk = (dir: string): string[] =>
  readdirSync(dir, { recursive: true, encoding: 'utf8' }).filter((f) => f.endsWith('.parquet')).map((f) => path.join(dir, f));

describe('eraseFromLake', () => {
  it('leaves the old files registered after a crash before the swap: readable, no duplicate rows; the next run finishes', async () => {
    await landTwoSupporters();
    const before = await lake.engine.query(SNAPSHOT);
    expect(before).toEqual([{ n: 6, ids: 6, total: 906, versions: 6, raw: 6 }]);
    const needles = erasureNeedles({ supporterIds: ['sup_1'], emails: [], texts: [] });
    const onDiskBefore = parquetOnDisk(lake.dir).length;

    const crashing: Catalog = { ...catalogOf(), replaceFiles: async () => { throw new Error('killed'); } };
    await expect(eraseFromLake({ store: lake.store, catalog: crashing, needles })).rejects.toThrow('killed');
    // The rewrites are on disk, unregistered: no query sees them.
    expect(parquetOnDisk(lake.dir).length).toBeGreaterThan(onDiskBefore);
    expect(await lake.engine.query(SNAPSHOT)).toEqual(before);
    expect(await lake.engine.query(JOS)).toEqual([{ n: 3 }]);

    // Run again as a new `puddle erase` would: new tokens, so the first run's rewrites are leftovers under other keys.
    const again = erasureNeedles({ supporterIds: ['sup_1'], emails: [], texts: [] });
    const result = await eraseFromLake({ store: lake.store, catalog: lake.catalog, needles: again });
    // Three donation files and three raw files held Jo.
    expect(result.filesRewritten).toBe(6);
    expect(result.rowsRewritten).toBe(6);
    expect(await lake.engine.query(SNAPSHOT)).toEqual(before);
    expect(await lake.engine.query(JOS)).toEqual([{ n: 0 }]);
    // Sam's id, which starts with Jo's, is untouched.
    expect(await lake.engine.query(`SELECT count(*) AS n FROM donation_history WHERE supporter_id = 'sup_10'`)).toEqual([{ n: 3 }]);
    expect(await planErasure({ store: lake.store, catalog: lake.catalog, needles })).toEqual({ files: [], unregistered: [] });
    // The first run's raw rewrites, never swapped in, are gone too: a catalog rebuild registers every raw file on disk.
    const registeredRaw = (await lake.catalog.listFiles({ puddle: 'raw' })).map((f) => path.join(lake.dir, f.key)).sort();
    expect(parquetOnDisk(path.join(lake.dir, 'lake', 'raw')).sort()).toEqual(registeredRaw);
  });

  it('after a crash between the swap and deleting the old files, the next run finds them on disk and deletes them', async () => {
    await landTwoSupporters();
    const before = await lake.engine.query(SNAPSHOT);
    const needles = erasureNeedles({ supporterIds: ['sup_1'], emails: [], texts: [] });
    const crashing: ObjectStore = { ...storeOf(), delete: async () => { throw new Error('killed'); } };
    await expect(eraseFromLake({ store: crashing, catalog: lake.catalog, needles })).rejects.toThrow('killed');
    // Swapped: the views hold the new files only, and no row twice.
    expect(await lake.engine.query(SNAPSHOT)).toEqual(before);
    expect(await lake.engine.query(JOS)).toEqual([{ n: 0 }]);
    const left = await planErasure({ store: lake.store, catalog: lake.catalog, needles });
    expect(left.files).toEqual([]);
    expect(left.unregistered).toHaveLength(6);
    // A crash's half-written file beside them (read with its table's other files, that read fails): the others are
    // still found, one by one, and it is left as it is.
    const half = `${left.unregistered[0]!.slice(0, left.unregistered[0]!.lastIndexOf('/'))}/b-halfwritten.parquet`;
    await lake.store.put(half, new TextEncoder().encode('PAR1 cut short'));
    expect((await planErasure({ store: lake.store, catalog: lake.catalog, needles })).unregistered.sort()).toEqual([...left.unregistered].sort());
    await lake.store.delete(half);

    const result = await eraseFromLake({ store: lake.store, catalog: lake.catalog, needles });
    expect(result).toMatchObject({ filesRewritten: 0, filesDeleted: 6 });
    expect(await planErasure({ store: lake.store, catalog: lake.catalog, needles })).toEqual({ files: [], unregistered: [] });
    expect(await lake.engine.query(SNAPSHOT)).toEqual(before);
  });
});

describe('an id that is also a number in raw\'s JSON', () => {
  it('is refused before anything is swapped, naming the raw file, instead of breaking the envelopes replay parses', async () => {
    // A refused pledge with the same id lands in the quarantine, whose file (lake/quarantine/...) is rewritten before raw's.
    await lake.queue.publish([gift('big', '12345678', 12345678), gift('bad', '12345678', -5)]);
    for (const p of ['transactions', 'quarantine', 'raw']) await lake.consumer(p).drain();
    const before = await lake.catalog.listFiles();
    const needles = erasureNeedles({ supporterIds: ['12345678'], emails: [], texts: [] });
    const err = await eraseFromLake({ store: lake.store, catalog: lake.catalog, needles }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ErasureRefused);
    expect((err as Error).message).toMatch(/would break 1 envelope\(s\) of raw file lake\/raw\/envelope\/v1\/dt=2026-11-29\/b-[0-9a-f]{32}\.parquet/);
    expect((err as Error).message).not.toContain('12345678');
    expect(await lake.catalog.listFiles()).toEqual(before);
    // The quarantine file rewritten before raw's was refused is not left behind.
    expect(parquetOnDisk(lake.dir).map((f) => path.basename(f)).filter((f) => f.startsWith('e-'))).toEqual([]);
    expect(await lake.engine.query(`SELECT supporter_id, amount_minor FROM donation`)).toEqual([{ supporter_id: '12345678', amount_minor: 12345678 }]);
  });
});

describe('catalog verify after an erasure', () => {
  it('passes the rewritten raw files, which it checks by their bytes, and names one changed since', async () => {
    const { verifyLake } = await import('../../puddles/lake-integrity.js');
    await landTwoSupporters();
    await eraseFromLake({ store: lake.store, catalog: lake.catalog, needles: erasureNeedles({ supporterIds: ['sup_1'], emails: [], texts: [] }) });
    expect((await verifyLake(lake.store, lake.catalog)).problems).toEqual([]);
    const erased = (await lake.catalog.listFiles({ puddle: 'raw' })).find((f) => /\/e-[0-9a-f]{32}\.parquet$/.test(f.key))!;
    const bytes = (await lake.store.get(erased.key))!;
    bytes[100] = bytes[100]! ^ 0xff;
    await lake.store.put(erased.key, bytes);
    const { problems } = await verifyLake(lake.store, lake.catalog);
    expect(problems.filter((p) => p.key === erased.key).map((p) => p.problem)).toContain('its bytes no longer hash to its name (an erasure wrote it): changed since');
  });
});
