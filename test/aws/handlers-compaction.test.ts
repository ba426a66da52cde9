import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { latestVersion } from '../../core/contracts/index.js';
import { makeEnvelope } from '../../core/envelope.js';
import { ConfigError } from '../../core/errors.js';
import { compactionSettings, makeCompactionHandler } from '../../infra/aws/handlers/compaction.js';
import type { AwsRuntime } from '../../infra/aws/runtime.js';
import type { SqliteCatalog } from '../../infra/local/sqlite-catalog.js';
import { PUDDLES } from '../../puddles/definitions.js';
import { foldCurrentState } from '../../puddles/current-state.js';
import { landEnvelopes } from '../../puddles/land.js';
import { startShapeWithEmbeddedCatalog } from '../support/aws-shape.js';

// The catalog and query engine are the embedded ones standing in for Glue and Athena (no emulator);
// the lake is S3 on fauxqs.
let rt: AwsRuntime;
let catalog: SqliteCatalog;

let stop: () => Promise<void>;

beforeAll(async () => {
  ({ rt, catalog, stop } = await startShapeWithEmbeddedCatalog());
});

afterAll(() => stop());

const transactions = PUDDLES.find((p) => p.name === 'transactions')!;
const donation = (i: number, amount: number, occurredAt = '2026-11-27T20:15:03Z') =>
  makeEnvelope({
    contract: 'donation',
    version: 1,
    source: 'producer',
    delivery_id: `req-${i}`,
    payload: { donation_id: `don_k${i}`, occurred_at: occurredAt, channel: 'ivr', amount_minor: amount, currency: 'GBP', campaign: 'compact' },
  });

describe('compaction handler (schedule)', () => {
  it('merges a partition of small files into one in S3, the totals unchanged, and deletes the retired files', async () => {
    // Three consumer batches, one overlapping another (a redelivery): three files, four distinct donations.
    for (const batch of [[donation(1, 100), donation(2, 200)], [donation(3, 300)], [donation(3, 300), donation(4, 400)]]) {
      await landEnvelopes({ puddle: transactions, store: rt.store, catalog, envelopes: batch });
    }
    const before = await catalog.listFiles({ contract: 'donation', dt: '2026-11-27' });
    expect(before).toHaveLength(3);
    const sum = "SELECT count(*) AS n, sum(amount_minor) AS total FROM donation WHERE campaign = 'compact'";
    expect(await rt.query.query(sum)).toEqual([{ n: 4, total: 1000 }]);

    const res = await makeCompactionHandler(async () => rt, () => ({ minFiles: 2, garbageAfterMs: 0 }))();
    expect(res).toMatchObject({ partitions: 1, filesMerged: 3, deleted: 3 });
    const after = await catalog.listFiles({ contract: 'donation', dt: '2026-11-27' });
    expect(after).toHaveLength(1);
    expect(after[0]!.rows).toBe(4);
    for (const f of before) expect(await rt.store.get(f.key)).toBeNull();
    expect(await rt.store.get(after[0]!.key)).not.toBeNull();
    expect(await rt.query.query(sum)).toEqual([{ n: 4, total: 1000 }]);
  });

  it('folds a state left in an older contract version into the latest as soon as one row has landed (a v2 donation)', async () => {
    // The lake as a stack from before donation v2 left it: the state registered under v1, every file folded into it.
    await landEnvelopes({ puddle: transactions, store: rt.store, catalog, envelopes: [donation(30, 5, '2026-11-28T10:00:00Z'), donation(31, 5, '2026-11-28T10:00:00Z')] });
    expect((await foldCurrentState({ store: rt.store, catalog, contract: 'donation', minRows: 0 })).folded).toBeGreaterThan(0);
    const [state] = (await catalog.listFiles({ contract: 'donation' })).filter((f) => f.current);
    const history = (await catalog.listFiles({ contract: 'donation' })).filter((f) => !f.current);
    const older = { ...state!, key: state!.key.replace(/\/v\d+\/current\//, '/v1/current/'), version: 1 };
    await rt.store.put(older.key, (await rt.store.get(state!.key))!);
    expect(await catalog.replaceFiles([state!.key], [older], { fold: history.map((f) => f.key) })).toBe(true);

    // One SMS gift in v2: far fewer rows than a fold waits for, but the state is in a table Athena's view did not read.
    const sms = makeEnvelope({
      contract: 'donation',
      version: 2,
      source: 'producer',
      delivery_id: 'req-sms',
      payload: { donation_id: 'don_sms1', occurred_at: '2026-11-28T10:00:00Z', channel: 'sms', amount_minor: 300, currency: 'GBP', campaign: 'compact', sms_network: 'EE' },
    });
    await landEnvelopes({ puddle: transactions, store: rt.store, catalog, envelopes: [sms] });
    const res = await makeCompactionHandler(async () => rt, () => ({ minFiles: 20, garbageAfterMs: 0 }))();
    expect(res.foldedContracts).toBe(1);
    const after = (await catalog.listFiles({ contract: 'donation' })).filter((f) => f.current);
    expect(after.map((f) => f.version)).toEqual([latestVersion('donation')!.version]);
    // The four donations of the test before, the two here and the SMS gift: v1 rows read with no network.
    expect(await rt.query.query("SELECT sms_network, count(*) AS n FROM donation WHERE campaign = 'compact' GROUP BY 1 ORDER BY 1 NULLS FIRST")).toEqual([
      { sms_network: null, n: 6 },
      { sms_network: 'EE', n: 1 },
    ]);
  });

  it('fails the run after maintaining the rest when a lake file cannot be read, so its errors alarm fires', async () => {
    // Two days of two files each, then one file of 2026-11-25 overwritten with bytes that are no Parquet.
    for (const i of [10, 20]) {
      await landEnvelopes({ puddle: transactions, store: rt.store, catalog, envelopes: [donation(i, 10, '2026-11-25T10:00:00Z'), donation(i + 1, 10, '2026-11-26T10:00:00Z')] });
    }
    const damaged = (await catalog.listFiles({ contract: 'donation', dt: '2026-11-25' }))[0]!.key;
    await rt.store.put(damaged, 'not a parquet file, as a bad restore leaves it');

    const run = makeCompactionHandler(async () => rt, () => ({ minFiles: 2, garbageAfterMs: 0 }))();
    await expect(run).rejects.toThrow(
      `compaction maintained the rest of the lake, but left 1 lake file(s) it cannot read:\nlake file ${damaged} is listed in the catalog but is missing or damaged: re-derive it from raw with puddle replay --contract donation, which replaces it (or restore it from a backup)`,
    );
    // The other day was merged and its retired files deleted; the damaged day waits, as it was, for a replay.
    expect(await catalog.listFiles({ contract: 'donation', dt: '2026-11-26' })).toHaveLength(1);
    expect((await catalog.listFiles({ contract: 'donation', dt: '2026-11-25' })).map((f) => f.key)).toContain(damaged);
  });

  it('reads its settings from the environment, refusing a wrong one by name', () => {
    expect(compactionSettings({})).toEqual({ minFiles: 20, garbageAfterMs: 3_600_000 });
    expect(compactionSettings({ PUDDLE_COMPACT_MIN_FILES: '5', PUDDLE_GC_AFTER_MINUTES: '90' })).toEqual({ minFiles: 5, garbageAfterMs: 5_400_000 });
    expect(() => compactionSettings({ PUDDLE_GC_AFTER_MINUTES: 'soon' })).toThrow(new ConfigError('PUDDLE_GC_AFTER_MINUTES must be a whole number of minutes, at least 0 (got "soon")'));
    // A partition needs two files to merge: 1 was taken as 2 without a word.
    expect(() => compactionSettings({ PUDDLE_COMPACT_MIN_FILES: '1', PUDDLE_GC_AFTER_MINUTES: 'soon' })).toThrow(
      new ConfigError('PUDDLE_COMPACT_MIN_FILES must be a whole number of 2 or more (got "1")\nPUDDLE_GC_AFTER_MINUTES must be a whole number of minutes, at least 0 (got "soon")'),
    );
  });
});
