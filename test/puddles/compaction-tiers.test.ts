// Size-tiered compaction (puddles/compact.ts pickTier): what one maintenance run rewrites, counted in rows
// and files, not timed. Merging a partition whole on every run rewrote the day's big file for a few small ones.
import { describe, expect, it } from 'vitest';

import { compactAll, pickTier } from '../../puddles/compact.js';
import { landEnvelopes } from '../../puddles/land.js';
import { donation, useLake } from './lake-fixture.js';

const lake = useLake();
const DT = '2026-11-29';

/** One landed file of `n` new donations (ids from `from`), as one batch of the consumer writes it. */
async function landFile(from: number, n: number): Promise<void> {
  await landEnvelopes({
    puddle: lake.puddle('transactions'),
    store: lake.store,
    catalog: lake.catalog,
    envelopes: Array.from({ length: n }, (_, i) => donation(`t${from + i}`, from + i + 1)),
  });
}

const partition = async () => (await lake.catalog.listFiles({ contract: 'donation', dt: DT })).filter((f) => !f.current);

describe('size-tiered compaction', () => {
  it('picks the small files, and a bigger one only once the smaller ones hold as many rows', () => {
    const f = (key: string, rows: number) => ({ key, rows });
    const tier = (floorRows: number, ceilingRows = 1e9) => ({ floorRows, ceilingRows });
    expect(pickTier([f('big', 5000), f('a', 10), f('b', 12), f('c', 9)], tier(100)).map((x) => x.key)).toEqual(['c', 'a', 'b']);
    // 3 x 40 = 120 rows reach a 110-row file but not the 1000-row one above it.
    expect(pickTier([f('k', 1000), f('j', 110), f('a', 40), f('b', 40), f('c', 40)], tier(10)).map((x) => x.key)).toEqual(['a', 'b', 'c', 'j']);
    // Under the floor everything goes; one file alone, or one small beside a big one, is nothing to merge.
    expect(pickTier([f('a', 90), f('b', 5)], tier(100)).map((x) => x.key)).toEqual(['b', 'a']);
    expect(pickTier([f('a', 5), f('big', 500)], tier(100))).toEqual([]);
    expect(pickTier([f('a', 5)], tier(100))).toEqual([]);
    // A file at the ceiling is at its target size: never merged again, however many small ones gather.
    expect(pickTier([f('full', 1000), f('a', 500), f('b', 500)], tier(10, 1000)).map((x) => x.key)).toEqual(['a', 'b']);
    expect(pickTier([f('full', 1000), f('full2', 1200), f('a', 600)], tier(10, 1000))).toEqual([]);
  });

  it("a run with the day's big file and 19 small ones rewrites the small ones only", async () => {
    await landFile(0, 2000);
    for (let i = 0; i < 19; i++) await landFile(10_000 + i * 10, 10);
    const before = await partition();
    expect(before).toHaveLength(20);
    const big = before.find((f) => f.rows === 2000)!;

    const run = await compactAll({ store: lake.store, catalog: lake.catalog, minFiles: 20, tier: { floorRows: 100, ceilingRows: 1_000_000 } });
    // Merging whole, this run read and rewrote all 2,190 rows and 20 files.
    expect(run.compacted.map((c) => [c.inputs, c.rowsIn, c.rowsOut])).toEqual([[19, 190, 190]]);
    expect(run.compacted[0]!.bytesIn).toBe(before.filter((f) => f !== big).reduce((n, f) => n + f.bytes, 0));
    expect(run.compacted[0]!.bytesOut).toBeGreaterThan(0);
    const after = await partition();
    expect(after.map((f) => f.key)).toContain(big.key);
    expect(after).toHaveLength(2);
    // `puddle compact` (by hand or nightly) still merges the partition whole, big file included.
    const whole = await compactAll({ store: lake.store, catalog: lake.catalog, minFiles: 2, whole: true, tier: { floorRows: 100, ceilingRows: 1_000 } });
    expect(whole.compacted.map((c) => [c.inputs, c.rowsIn])).toEqual([[2, 2190]]);
    expect(await partition()).toHaveLength(1);
    expect(await lake.engine.query('SELECT count(*) AS n, sum(amount_minor) AS s FROM donation')).toEqual([{ n: 2190, s: (2000 * 2001) / 2 + 190 * 10_000 + (190 * 189) / 2 + 190 }]);
  });

  it('over a night of runs no merge reads past the target size, and every answer stays right', async () => {
    // 30 runs; before each, 4 landed files of 25 rows; a fold every run, so folded files gather as on the hub.
    const ROUNDS = 30;
    const tier = { floorRows: 200, ceilingRows: 1000 };
    let rewritten = 0;
    let largest = 0;
    let next = 0;
    for (let round = 0; round < ROUNDS; round++) {
      for (let i = 0; i < 4; i++, next += 25) await landFile(next, 25);
      const run = await compactAll({ store: lake.store, catalog: lake.catalog, minFiles: 4, tier, foldMinRows: 0 });
      for (const c of run.compacted) {
        rewritten += c.rowsIn;
        largest = Math.max(largest, c.rowsIn);
      }
    }
    const landed = ROUNDS * 100;
    // Merged whole, every third run read the whole day's folded rows again: 17,400 rows read in all (5.8 times what
    // landed), the last merge 2,800. By tier: 9,200 (each run's 100 unfolded rows, then the tiers), at most 1,200 at once.
    expect(largest).toBeLessThan(2 * tier.ceilingRows);
    expect(rewritten).toBeLessThan(landed * 4);
    // The partition keeps a file per target size besides the small ones.
    expect((await partition()).length).toBeLessThanOrEqual(4 + Math.ceil(landed / tier.ceilingRows));
    const total = (landed * (landed + 1)) / 2;
    expect(await lake.engine.query('SELECT count(*) AS n, sum(amount_minor) AS s FROM donation')).toEqual([{ n: landed, s: total }]);
    expect(await lake.engine.query('SELECT count(*) AS n, count(DISTINCT _id) AS ids FROM donation_history')).toEqual([{ n: landed, ids: landed }]);
  });
});
