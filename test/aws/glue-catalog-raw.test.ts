// The raw trail in the Glue catalog. Raw is never compacted (it is the immutable replay source), so a day's
// partition grows all day by one file per consumer batch: the stack's schedules alone make ~2,700 sync runs a day
// and a steady trickle ~4,300 batches. DynamoDB is real (dynalite); Glue has no emulator, so its client is mocked;
// manifests go to a folder, and "what Athena sees" is every object in a partition's manifest folder, as the
// symlink input format reads them.
import { randomUUID } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';

import { BatchWriteItemCommand, type DynamoDBClient, PutItemCommand, UpdateItemCommand } from '@aws-sdk/client-dynamodb';
import { CreateTableCommand, EntityNotFoundException, GetTableCommand, GlueClient } from '@aws-sdk/client-glue';
import { mockClient } from 'aws-sdk-client-mock';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';

import type { Catalog, CatalogFile, ObjectStore } from '../../core/ports.js';
import { ensureDynamoTable } from '../../infra/aws/dynamo-tables.js';
import { GlueCatalog } from '../../infra/aws/glue-catalog.js';
import { CATALOG_TABLE } from '../../infra/aws/shape.js';
import { FsObjectStore } from '../../infra/local/fs-object-store.js';
import { compactAll } from '../../puddles/compact.js';
import { file } from '../ports/catalog-suite.js';
import { failNextPut } from '../support/failing-store.js';
import { startDynalite, type Dynalite } from './dynalite.js';

let db: Dynalite;
const glue = mockClient(GlueClient);

beforeAll(async () => {
  db = await startDynalite();
});
afterAll(async () => {
  await db.stop();
  glue.restore();
});
beforeEach(() => {
  glue.reset();
  glue.on(GetTableCommand).rejects(new EntityNotFoundException({ message: 'no such table', $metadata: {} }));
  glue.on(CreateTableCommand).resolves({});
});

const DT = '2026-12-02';
const BUCKET = 'lake-bucket';
const RAW = { puddle: 'raw', contract: 'envelope', version: 1 };
const rawKey = (i: number, dt = DT) => `lake/raw/envelope/v1/dt=${dt}/b-${String(i).padStart(5, '0')}.parquet`;
const raw = (key: string, dt = DT): CatalogFile => file(key, { ...RAW, dt, added_at: `${dt}T12:00:00.000Z` });

async function makeTable() {
  const dir = await mkdtemp(path.join(tmpdir(), 'puddle-glue-raw-'));
  const store = new FsObjectStore(dir, { fsync: false });
  const tableName = `catalog-${randomUUID()}`;
  await ensureDynamoTable(db.client, CATALOG_TABLE, tableName);
  /** One process's catalog on the shared table (each consumer Lambda has its own). */
  const catalogOn = (dynamo: DynamoDBClient = db.client, manifests: ObjectStore = store) =>
    new GlueCatalog({ dynamo, tableName, glue: new GlueClient({ region: 'us-east-1' }), manifests: { store: manifests, bucket: BUCKET } });
  return { store, tableName, catalogOn, cleanup: () => rm(dir, { recursive: true, force: true }) };
}

/** The lake keys Athena reads for raw's `dt`: every line of every object in the partition's manifest folder. */
async function athenaSees(store: ObjectStore, dt = DT): Promise<string[]> {
  const keys: string[] = [];
  for (const o of await store.list(`manifests/raw_envelope_v1/dt=${dt}/`)) {
    const text = new TextDecoder().decode((await store.get(o.key))!);
    for (const line of text.split('\n').filter(Boolean)) keys.push(line.slice(`s3://${BUCKET}/`.length));
  }
  return keys.sort();
}

/** The DynamoDB client as a process sees it, recording the size (as JSON) of every item it writes. */
function recordingWrites(client: DynamoDBClient): { client: DynamoDBClient; sizes: number[] } {
  const sizes: number[] = [];
  const send = (command: unknown) => {
    if (command instanceof PutItemCommand) sizes.push(JSON.stringify(command.input.Item).length);
    if (command instanceof UpdateItemCommand) sizes.push(JSON.stringify(command.input).length);
    if (command instanceof BatchWriteItemCommand) {
      for (const requests of Object.values(command.input.RequestItems ?? {})) for (const r of requests) sizes.push(JSON.stringify(r).length);
    }
    return client.send(command as PutItemCommand);
  };
  return { client: new Proxy(client, { get: (target, prop, receiver) => (prop === 'send' ? send : Reflect.get(target, prop, receiver)) }), sizes };
}

describe('GlueCatalog: the raw trail grows without limit in a day', () => {
  it('lists 5,000 raw files of one day, names each once for Athena, and adds the next one with small writes', async () => {
    const { store, catalogOn, cleanup } = await makeTable();
    try {
      const catalog = catalogOn();
      const keys = Array.from({ length: 5000 }, (_, i) => rawKey(i));
      // More than one DynamoDB item can hold (about 2,500 entries in 400 KB); added 250 a call to spare the CPU.
      for (let i = 0; i < keys.length; i += 250) await catalog.addFiles(keys.slice(i, i + 250).map((k) => raw(k)));

      expect((await catalog.listFiles({ ...RAW, dt: DT })).map((f) => f.key)).toEqual(keys);
      expect((await catalog.listFiles()).length).toBe(5000);
      expect((await catalog.listFiles({ ...RAW, dt: DT }))[17]).toEqual(raw(keys[17]!));
      expect(await catalog.tables()).toEqual([RAW]);
      expect(await athenaSees(store)).toEqual(keys);

      // The next batch's file: every item written is small, however big the day has grown.
      const recording = recordingWrites(db.client);
      await catalogOn(recording.client).addFiles([raw(rawKey(5000))]);
      expect(recording.sizes.length).toBeGreaterThan(0);
      expect(Math.max(...recording.sizes)).toBeLessThan(1024);
      expect((await catalog.listFiles({ ...RAW, dt: DT })).length).toBe(5001);
      expect(await athenaSees(store)).toEqual([...keys, rawKey(5000)]);
      // Every manifest is recorded as written: the compaction schedule's sweep has nothing to repair.
      expect(await catalog.repairManifests()).toBe(0);
    } finally {
      await cleanup();
    }
  }, 240_000);

  it('gives five concurrent adders (consumer Lambdas) each their files, and Athena each file once', async () => {
    const { store, catalogOn, cleanup } = await makeTable();
    try {
      const adders = Array.from({ length: 5 }, () => catalogOn());
      const keysOf = (a: number) => Array.from({ length: 30 }, (_, i) => rawKey(a * 100 + i));
      await Promise.all(
        adders.map(async (catalog, a) => {
          for (const key of keysOf(a)) await catalog.addFiles([raw(key)]);
        }),
      );
      const all = adders.flatMap((_, a) => keysOf(a)).sort();
      expect((await adders[0]!.listFiles({ ...RAW, dt: DT })).map((f) => f.key)).toEqual(all);
      expect(await athenaSees(store)).toEqual(all);
      expect(await adders[0]!.repairManifests()).toBe(0);
      // A redelivered batch registers its file again: still one entry, one manifest line.
      await adders[1]!.addFiles([raw(all[0]!)]);
      expect((await adders[0]!.listFiles({ ...RAW, dt: DT })).length).toBe(all.length);
      expect(await athenaSees(store)).toEqual(all);
    } finally {
      await cleanup();
    }
  });

  it('a raw landing whose manifest PUT failed is invisible to Athena until the sweep repairs it', async () => {
    const { store, catalogOn, cleanup } = await makeTable();
    try {
      const catalog = catalogOn();
      await catalog.addFiles([raw(rawKey(1)), raw(rawKey(2))]);
      await expect(catalogOn(db.client, failNextPut(store, 'manifests/')).addFiles([raw(rawKey(3))])).rejects.toThrow(/crash/);
      expect((await catalog.listFiles({ ...RAW })).map((f) => f.key)).toEqual([rawKey(1), rawKey(2), rawKey(3)]);
      expect(await athenaSees(store)).toEqual([rawKey(1), rawKey(2)]);
      expect(await catalog.repairManifests()).toBe(1);
      expect(await athenaSees(store)).toEqual([rawKey(1), rawKey(2), rawKey(3)]);
      expect(await catalog.repairManifests()).toBe(0);
    } finally {
      await cleanup();
    }
  });

  it('keeps a raw partition written before (one item listing its files): its files stay listed once', async () => {
    const { store, tableName, catalogOn, cleanup } = await makeTable();
    try {
      // As the catalog wrote raw until 2026-12-02: the partition's files in one item, a hint per key, one manifest.
      const old = [rawKey(1), rawKey(2)];
      const entry = { M: { rows: { N: '10' }, bytes: { N: '1000' }, added_at: { S: `${DT}T12:00:00.000Z` } } };
      await db.client.send(
        new PutItemCommand({
          TableName: tableName,
          Item: {
            kind: { S: 'part' }, id: { S: `raw/envelope/v1/${DT}` }, puddle: { S: 'raw' }, contract: { S: 'envelope' }, version: { N: '1' }, dt: { S: DT },
            files: { M: Object.fromEntries(old.map((k) => [k, entry])) }, ver: { N: '2' },
          },
        }),
      );
      for (const key of [...old, rawKey(3)]) {
        // rawKey(3)'s hint was written, then its item write failed (the overflow): it was never listed.
        await db.client.send(new PutItemCommand({ TableName: tableName, Item: { kind: { S: 'key' }, id: { S: key }, part: { S: `raw/envelope/v1/${DT}` } } }));
      }
      await store.put(`manifests/raw_envelope_v1/dt=${DT}/manifest`, old.map((k) => `s3://${BUCKET}/${k}\n`).join(''));
      await db.client.send(new PutItemCommand({ TableName: tableName, Item: { kind: { S: 'manifest' }, id: { S: `raw/envelope/v1/${DT}` }, ver: { N: '2' } } }));

      const catalog = catalogOn();
      // A redelivery of a listed file, the dead-lettered batch sent again, and a new batch.
      await catalog.addFiles([raw(rawKey(1)), raw(rawKey(3)), raw(rawKey(4))]);
      const want = [rawKey(1), rawKey(2), rawKey(3), rawKey(4)];
      expect((await catalog.listFiles({ ...RAW, dt: DT })).map((f) => f.key)).toEqual(want);
      expect((await catalog.listFiles()).map((f) => f.key)).toEqual(want);
      expect(await athenaSees(store)).toEqual(want);
      expect(await catalog.tables()).toEqual([RAW]);
      expect(await catalog.repairManifests()).toBe(0);
    } finally {
      await cleanup();
    }
  });

  it('refuses to remove or fold a raw file, before writing anything', async () => {
    const { store, catalogOn, cleanup } = await makeTable();
    try {
      const catalog = catalogOn();
      await catalog.addFiles([raw(rawKey(1)), raw(rawKey(2))]);
      const donation = file('lake/transactions/donation/v1/dt=2026-12-02/b-1.parquet', { dt: DT });
      await expect(catalog.replaceFiles([rawKey(1)], [donation])).rejects.toThrow(/raw .*never removed/);
      await expect(catalog.replaceFiles([], [], { fold: [rawKey(2)] })).rejects.toThrow(/raw .*never removed or folded/);
      expect((await catalog.listFiles()).map((f) => f.key)).toEqual([rawKey(1), rawKey(2)]);
      expect(await athenaSees(store)).toEqual([rawKey(1), rawKey(2)]);
      expect(await catalog.takeGarbage(0)).toEqual([]);
    } finally {
      await cleanup();
    }
  });

  it('compaction and folding never read raw file lists (thousands a day, never compacted)', async () => {
    const { store, catalogOn, cleanup } = await makeTable();
    try {
      const glueCatalog = catalogOn();
      await glueCatalog.addFiles(Array.from({ length: 40 }, (_, i) => raw(rawKey(i))));
      const handedOut: CatalogFile[] = [];
      const catalog: Catalog = {
        addFiles: (f) => glueCatalog.addFiles(f),
        replaceFiles: (r, a, o) => glueCatalog.replaceFiles(r, a, o),
        tables: () => glueCatalog.tables(),
        takeGarbage: (ms) => glueCatalog.takeGarbage(ms),
        listFiles: async (filter) => {
          const files = await glueCatalog.listFiles(filter);
          handedOut.push(...files);
          return files;
        },
      };
      const result = await compactAll({ store, catalog, minFiles: 2 });
      expect(result.compacted).toEqual([]);
      expect(result.folded).toEqual([]);
      expect(handedOut.filter((f) => f.puddle === 'raw')).toEqual([]);
    } finally {
      await cleanup();
    }
  });
});
