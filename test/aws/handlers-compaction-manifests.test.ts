// The compaction handler over the real Glue catalog (DynamoDB on dynalite, manifests and lake in S3 on fauxqs;
// Glue mocked, no emulator), with a process dying between a catalog write and its manifest PUT. Athena is
// stood in for by DuckDB reading exactly the files the symlink manifests name, fetched from S3 as Athena would.
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';

import { CreateTableCommand, EntityNotFoundException, GetTableCommand, GlueClient } from '@aws-sdk/client-glue';
import { DuckDBInstance } from '@duckdb/node-api';
import { mockClient } from 'aws-sdk-client-mock';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';

import { makeEnvelope } from '../../core/envelope.js';
import type { ObjectStore } from '../../core/ports.js';
import { GlueCatalog } from '../../infra/aws/glue-catalog.js';
import { makeCompactionHandler } from '../../infra/aws/handlers/compaction.js';
import { createAwsRuntime, type AwsRuntime } from '../../infra/aws/runtime.js';
import { S3ObjectStore } from '../../infra/aws/s3-object-store.js';
import { ENV } from '../../infra/aws/shape.js';
import { DuckDbQueryEngine } from '../../infra/local/duckdb-query-engine.js';
import { compactAll } from '../../puddles/compact.js';
import { PUDDLES } from '../../puddles/definitions.js';
import { landEnvelopes } from '../../puddles/land.js';
import { startTestShape, type TestShape } from '../support/aws-shape.js';
import { failNextPut } from '../support/failing-store.js';

const glue = mockClient(GlueClient);
let shape: TestShape;
let rt: AwsRuntime;
let catalog: GlueCatalog;
let manifests: ObjectStore & { armed: boolean };
let work: string;

beforeAll(async () => {
  shape = await startTestShape();
  work = await mkdtemp(path.join(tmpdir(), 'puddle-manifests-'));
  rt = await createAwsRuntime({
    catalog: ({ env, clients, store }) => {
      // As glue-athena-factory.ts makes it, with the manifests' store able to fail one PUT.
      manifests = failNextPut(new S3ObjectStore({ client: clients.s3, bucket: env.bucket }), 'manifests/');
      manifests.armed = false;
      catalog = new GlueCatalog({ dynamo: clients.dynamodb, tableName: shape.env[ENV.catalogTable]!, glue: clients.glue, manifests: { store: manifests, bucket: env.bucket } });
      return { catalog, query: new DuckDbQueryEngine({ catalog, store }) };
    },
  });
});
afterAll(async () => {
  await rt.close();
  await shape.stop();
  glue.restore();
  await rm(work, { recursive: true, force: true });
});
beforeEach(() => {
  glue.reset();
  glue.on(GetTableCommand).rejects(new EntityNotFoundException({ message: 'no such table', $metadata: {} }));
  glue.on(CreateTableCommand).resolves({});
});

const transactions = PUDDLES.find((p) => p.name === 'transactions')!;
const donation = (i: number, amount: number) =>
  makeEnvelope({
    contract: 'donation',
    version: 1,
    source: 'producer',
    delivery_id: `req-${i}`,
    payload: { donation_id: `don_m${i}`, occurred_at: '2026-11-27T20:15:03Z', channel: 'ivr', amount_minor: amount, currency: 'GBP', campaign: 'manifests' },
  });
const land = (envs: ReturnType<typeof donation>[]) => landEnvelopes({ puddle: transactions, store: rt.store, catalog, envelopes: envs });

/** Every `s3://` path the manifests under `prefix` name, as bucket keys. */
async function named(prefix: string): Promise<string[]> {
  const keys: string[] = [];
  // Every object under the folder, as the symlink input format reads them (raw has one per shard).
  for (const o of await rt.store.list(prefix)) {
    const text = new TextDecoder().decode((await rt.store.get(o.key))!);
    for (const line of text.split('\n').filter(Boolean)) keys.push(line.slice(`s3://${rt.env.bucket}/`.length));
  }
  return keys.sort();
}

/** What Athena would answer over `donation_v1`: DuckDB over exactly the files its manifests name. */
async function athenaTotals(): Promise<{ n: number; total: number }> {
  const paths: string[] = [];
  for (const key of await named('manifests/donation_v1/')) {
    const body = await rt.store.get(key);
    if (body === null) throw new Error(`a manifest names ${key}, which is gone from the bucket: Athena would fail`);
    const local = path.join(work, `${paths.length}.parquet`);
    await writeFile(local, body);
    paths.push(local);
  }
  if (!paths.length) return { n: 0, total: 0 };
  const instance = await DuckDBInstance.create(':memory:');
  const conn = await instance.connect();
  try {
    const sql = `SELECT count(*)::INTEGER AS n, sum(amount_minor)::INTEGER AS total FROM read_parquet([${paths.map((p) => `'${p}'`).join(', ')}]) WHERE campaign = 'manifests'`;
    return (await conn.runAndReadAll(sql)).getRowObjectsJson()[0] as { n: number; total: number };
  } finally {
    conn.closeSync();
    instance.closeSync();
  }
}

/** The manifests name exactly the catalog's live files, every one of them still in the bucket. */
async function expectManifestsMatchCatalog(): Promise<void> {
  const live = (await catalog.listFiles()).map((f) => f.key).sort();
  const listed = [...new Set(await named('manifests/'))].sort();
  expect(listed).toEqual(live);
  for (const key of listed) expect(await rt.store.get(key), key).not.toBeNull();
}

describe('compaction handler repairs manifests left behind by a crash', () => {
  it('a landing whose manifest PUT failed is invisible to Athena until the next run repairs it', async () => {
    await land([donation(1, 100), donation(2, 200)]);
    await land([donation(3, 300)]);
    manifests.armed = true;
    await expect(land([donation(4, 400)])).rejects.toThrow(/crash/);
    // The catalog holds the batch; Athena's list does not (nor would it ever, for a dt nothing lands in again).
    expect(await athenaTotals()).toEqual({ n: 3, total: 600 });
    expect((await catalog.listFiles({ contract: 'donation', dt: '2026-11-27' })).length).toBe(3);

    const res = await makeCompactionHandler(async () => rt, () => ({ minFiles: 100, garbageAfterMs: 0 }))();
    expect(res).toMatchObject({ manifestsRepaired: 1, partitions: 0, deleted: 0 });
    expect(await athenaTotals()).toEqual({ n: 4, total: 1000 });
    await expectManifestsMatchCatalog();
  });

  it('a compaction whose manifest PUT failed has its inputs deleted only after the manifest names the merged file', async () => {
    const before = (await catalog.listFiles({ contract: 'donation', dt: '2026-11-27' })).map((f) => f.key);
    manifests.armed = true;
    await expect(compactAll({ store: rt.store, catalog, minFiles: 2 })).rejects.toThrow(/crash/);
    // Swapped in the catalog, not in the manifest: Athena still reads the inputs, now garbage.
    expect(await named('manifests/donation_v1/')).toEqual(before);
    expect((await catalog.listFiles({ contract: 'donation', dt: '2026-11-27' })).map((f) => f.key)).not.toEqual(before);

    const res = await makeCompactionHandler(async () => rt, () => ({ minFiles: 100, garbageAfterMs: 0 }))();
    expect(res).toMatchObject({ manifestsRepaired: 1, deleted: before.length });
    for (const key of before) expect(await rt.store.get(key)).toBeNull();
    expect(await athenaTotals()).toEqual({ n: 4, total: 1000 });
    await expectManifestsMatchCatalog();
    // In step now: a further run repairs nothing.
    expect(await makeCompactionHandler(async () => rt, () => ({ minFiles: 100, garbageAfterMs: 0 }))()).toMatchObject({ manifestsRepaired: 0, deleted: 0 });
  });
});
