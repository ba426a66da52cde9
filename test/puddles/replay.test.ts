import { describe, expect, it } from 'vitest';

import { makeEnvelope } from '../../core/envelope.js';
import { replay } from '../../puddles/replay.js';
import { donation, useLake } from './lake-fixture.js';

const lake = useLake();

const SNAPSHOT = `SELECT occurred_at::DATE AS d, count(*) AS n, sum(amount_minor) AS total,
  (SELECT count(*) FROM donation_history h WHERE h.occurred_at::DATE = donation.occurred_at::DATE) AS versions
  FROM donation GROUP BY ALL ORDER BY d`;

describe('replay', () => {
  it('re-derives a contract from raw after its files are lost', async () => {
    const envs = [
      ...Array.from({ length: 150 }, (_, i) => donation(`r${i}`, 100 + i, { occurred_at: i % 3 ? '2026-11-29T20:00:00Z' : '2026-11-28T20:00:00Z' })),
      ...Array.from({ length: 20 }, (_, i) => donation(`r${i}`, 7, { updated_at: '2026-11-30T01:00:00Z', received_at: '2026-11-30T01:00:01Z' })),
      // Invalid: in raw and quarantine, not replayed into donation.
      makeEnvelope({ contract: 'donation', version: 1, source: 'producer', payload: { donation_id: 'bad' }, delivery_id: 'x', received_at: '2026-11-29T20:00:00Z' }),
    ];
    await lake.queue.publish(envs);
    await lake.queue.publish(envs.slice(0, 10)); // re-published: 10 more raw rows, still 170 donations
    await lake.consumer('transactions', { batchSize: 40 }).drain();
    await lake.consumer('raw', { batchSize: 50 }).drain();
    const before = await lake.engine.query(SNAPSHOT);
    expect(before.map((r) => r.d)).toEqual(['2026-11-28', '2026-11-29']);

    // Lose the donation files: drop them from the catalog and corrupt one object.
    const files = await lake.catalog.listFiles({ contract: 'donation' });
    await lake.catalog.replaceFiles(files.map((f) => f.key), []);
    await lake.store.put(files[0]!.key, 'not parquet');
    expect(await lake.engine.query(`SELECT count(*) AS n FROM donation`)).toEqual([{ n: 0 }]);

    const result = await replay({ store: lake.store, catalog: lake.catalog, contract: 'donation' });
    expect(result).toMatchObject({ contract: 'donation', read: 181, rows: 170, invalid: 1, filesRemoved: 0, filesAdded: 2, partitions: ['2026-11-28', '2026-11-29'] });
    for (const f of await lake.catalog.listFiles({ contract: 'donation' })) expect(f.key).toMatch(/\/r-[0-9a-f]{32}\.parquet$/);
    expect(await lake.engine.query(SNAPSHOT)).toEqual(before);
    expect((await lake.catalog.takeGarbage(0)).sort()).toEqual(files.map((f) => f.key).sort());

    // Replaying one partition again swaps only that partition and is idempotent.
    const again = await replay({ store: lake.store, catalog: lake.catalog, contract: 'donation', from: '2026-11-29', to: '2026-11-29' });
    expect(again).toMatchObject({ filesRemoved: 1, filesAdded: 1, partitions: ['2026-11-29'] });
    expect(await lake.catalog.takeGarbage(0)).toEqual([]); // same key came back: still live, not garbage
    expect(await lake.engine.query(SNAPSHOT)).toEqual(before);
  });

  it('replaces stale partition files in range, leaves others alone', async () => {
    await lake.queue.publish([
      donation('a', 1, { occurred_at: '2026-11-28T10:00:00Z' }),
      donation('b', 2, { occurred_at: '2026-11-29T10:00:00Z' }),
    ]);
    await lake.consumer('transactions').drain();
    await lake.consumer('raw').drain();
    const oldKeys = (await lake.catalog.listFiles({ contract: 'donation' })).map((f) => f.key).sort();
    const res = await replay({ store: lake.store, catalog: lake.catalog, contract: 'donation', from: '2026-11-29' });
    expect(res).toMatchObject({ rows: 1, filesRemoved: 1, filesAdded: 1 });
    const keys = (await lake.catalog.listFiles({ contract: 'donation' })).map((f) => f.key).sort();
    expect(keys[0]).toBe(oldKeys[0]); // the 28th untouched
    expect(keys[1]).toMatch(/dt=2026-11-29\/r-/);
    expect(await lake.catalog.takeGarbage(0)).toEqual([oldKeys[1]]);
    expect(await lake.engine.query(`SELECT donation_id, amount_minor FROM donation ORDER BY 1`)).toEqual([
      { donation_id: 'a', amount_minor: 1 },
      { donation_id: 'b', amount_minor: 2 },
    ]);
  });

  it('keeps every readable file when raw has landed nothing at all for the contract', async () => {
    await lake.queue.publish([donation('a', 100), donation('b', 200)]);
    await lake.consumer('transactions').drain();
    const total = `SELECT count(*) AS n, sum(amount_minor) AS total FROM donation`;
    const result = await replay({ store: lake.store, catalog: lake.catalog, contract: 'donation' });
    expect(result).toMatchObject({ read: 0, rows: 0, filesRemoved: 0 });
    expect(await lake.engine.query(total)).toEqual([{ n: 2, total: 300 }]);
  });

  it('keeps files holding rows raw has not landed yet, so a replay beside a running hub drops nothing', async () => {
    await lake.queue.publish([donation('first', 500)]);
    await lake.consumer('transactions').drain();
    await lake.consumer('raw').drain();
    // The next donation is landed by its puddle, and raw (a separate consumer) is a batch behind.
    await lake.queue.publish([donation('second', 500)]);
    await lake.consumer('transactions').drain();
    const total = `SELECT count(*) AS n, sum(amount_minor) AS total FROM donation`;
    expect(await lake.engine.query(total)).toEqual([{ n: 2, total: 1000 }]);

    const during = await replay({ store: lake.store, catalog: lake.catalog, contract: 'donation' });
    expect(during).toMatchObject({ rows: 1, filesKept: 1 });
    expect(await lake.engine.query(total)).toEqual([{ n: 2, total: 1000 }]);

    // Once raw has caught up, a replay takes every file over.
    await lake.consumer('raw').drain();
    const after = await replay({ store: lake.store, catalog: lake.catalog, contract: 'donation' });
    expect(after).toMatchObject({ rows: 2, filesKept: 0 });
    expect(await lake.engine.query(total)).toEqual([{ n: 2, total: 1000 }]);
    expect((await lake.catalog.listFiles({ contract: 'donation' })).every((f) => /\/r-/.test(f.key))).toBe(true);
  });
});
