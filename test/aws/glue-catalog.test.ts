import { randomUUID } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';

import { type DynamoDBClient, PutItemCommand, QueryCommand } from '@aws-sdk/client-dynamodb';
import { CreateTableCommand, EntityNotFoundException, GetTableCommand, GlueClient } from '@aws-sdk/client-glue';
import { mockClient } from 'aws-sdk-client-mock';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';

import { ensureDynamoTable } from '../../infra/aws/dynamo-tables.js';
import { GlueCatalog } from '../../infra/aws/glue-catalog.js';
import { CATALOG_TABLE } from '../../infra/aws/shape.js';
import type { ObjectStore } from '../../core/ports.js';
import { FsObjectStore } from '../../infra/local/fs-object-store.js';
import { catalogSuite, file } from '../ports/catalog-suite.js';
import { failNextPut } from '../support/failing-store.js';
import { startDynalite, type Dynalite } from './dynalite.js';

// DynamoDB is real (dynalite, the wire protocol); Glue has no emulator, so its client is mocked.
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

async function makeCatalog(now?: () => number) {
  const dir = await mkdtemp(path.join(tmpdir(), 'puddle-glue-catalog-'));
  const store = new FsObjectStore(dir);
  const tableName = `catalog-${randomUUID()}`;
  await ensureDynamoTable(db.client, CATALOG_TABLE, tableName);
  const catalog = new GlueCatalog({ dynamo: db.client, tableName, glue: new GlueClient({ region: 'us-east-1' }), manifests: { store, bucket: 'lake-bucket' }, now });
  return { catalog, store, tableName, cleanup: () => rm(dir, { recursive: true, force: true }) };
}

const k = (name: string, dt = '2026-11-29') => `lake/transactions/donation/v1/dt=${dt}/${name}.parquet`;
const s3 = (key: string) => `s3://lake-bucket/${key}\n`;
const state = (name: string) => file(`lake/transactions/donation/v1/current/${name}.parquet`, { dt: '', current: true });

/** The DynamoDB client as a process sees it that dies at its first write to a history partition's item. */
function crashOnHistoryWrite(client: DynamoDBClient): DynamoDBClient {
  const send = (command: unknown) => {
    if (command instanceof PutItemCommand) {
      const item = command.input.Item;
      if (item?.kind?.S === 'part' && !item.id?.S?.endsWith('/current')) return Promise.reject(new Error('crash: the process died here'));
    }
    return client.send(command as PutItemCommand);
  };
  return new Proxy(client, { get: (target, prop, receiver) => (prop === 'send' ? send : Reflect.get(target, prop, receiver)) });
}

const failNextManifestPut = (store: ObjectStore) => failNextPut(store, 'manifests/');

catalogSuite('GlueCatalog (DynamoDB on dynalite, Glue mocked)', makeCatalog);

describe('GlueCatalog manifests left behind by a crash', () => {
  /** A second process on the same catalog whose next manifest PUT fails (as a crash between the two writes would). */
  const crashingCatalog = (store: ObjectStore, tableName: string) => {
    const failing = failNextManifestPut(store);
    return { failing, crashing: new GlueCatalog({ dynamo: db.client, tableName, glue: new GlueClient({ region: 'us-east-1' }), manifests: { store: failing, bucket: 'lake-bucket' } }) };
  };
  const text = async (store: ObjectStore, dt = '2026-11-29', table = 'donation_v1') =>
    new TextDecoder().decode((await store.get(`manifests/${table}/dt=${dt}/manifest`)) ?? new Uint8Array());

  it('a compaction whose manifest PUT failed leaves the old list; garbage collection rewrites it before handing out the inputs', async () => {
    const { catalog, store, tableName, cleanup } = await makeCatalog();
    try {
      await catalog.addFiles([file(k('b-1')), file(k('b-2'))]);
      const { crashing } = crashingCatalog(store, tableName);
      await expect(crashing.replaceFiles([k('b-1'), k('b-2')], [file(k('c-1'))], { ifAllPresent: true })).rejects.toThrow(/crash/);
      // The catalog swapped; Athena's list did not: it still names the inputs, which are now garbage.
      expect((await catalog.listFiles()).map((f) => f.key)).toEqual([k('c-1')]);
      expect(await text(store)).toBe(`${s3(k('b-1'))}${s3(k('b-2'))}`);
      expect(await text(store, '2026-11-29', 'donation_v1_recent')).toBe(`${s3(k('b-1'))}${s3(k('b-2'))}`);
      // Garbage collection: the manifests are brought up to date before any input is handed out for deletion.
      expect(await catalog.takeGarbage(0)).toEqual([k('b-1'), k('b-2')]);
      expect(await text(store)).toBe(s3(k('c-1')));
      expect(await text(store, '2026-11-29', 'donation_v1_recent')).toBe(s3(k('c-1')));
      // Now in step: the sweep finds nothing to do.
      expect(await catalog.repairManifests()).toBe(0);
    } finally {
      await cleanup();
    }
  });

  it('hands out nothing while the stale manifest cannot be rewritten', async () => {
    const { catalog, store, tableName, cleanup } = await makeCatalog();
    try {
      await catalog.addFiles([file(k('b-1')), file(k('b-2'))]);
      const { failing, crashing } = crashingCatalog(store, tableName);
      await expect(crashing.replaceFiles([k('b-1'), k('b-2')], [file(k('c-1'))], { ifAllPresent: true })).rejects.toThrow(/crash/);
      // Garbage collection through a process whose manifest PUT fails too: it fails without taking a mark.
      failing.armed = true;
      await expect(crashing.takeGarbage(0)).rejects.toThrow(/crash/);
      expect(await text(store)).toBe(`${s3(k('b-1'))}${s3(k('b-2'))}`);
      // The marks are still there: the next collection repairs, then takes them.
      expect(await catalog.takeGarbage(0)).toEqual([k('b-1'), k('b-2')]);
      expect(await text(store)).toBe(s3(k('c-1')));
    } finally {
      await cleanup();
    }
  });

  it('the sweep rewrites every manifest behind its item (a landed file Athena never saw) and only those', async () => {
    const { catalog, store, tableName, cleanup } = await makeCatalog();
    try {
      await catalog.addFiles([file(k('b-1')), file(k('b-2', '2026-11-30'), { dt: '2026-11-30' }), state('s-1')]);
      expect(await catalog.repairManifests()).toBe(0);
      const { crashing } = crashingCatalog(store, tableName);
      await expect(crashing.addFiles([file(k('b-3'))])).rejects.toThrow(/crash/);
      expect(await text(store)).toBe(s3(k('b-1')));
      const before30 = await text(store, '2026-11-30');
      expect(await catalog.repairManifests()).toBe(1);
      expect(await text(store)).toBe(`${s3(k('b-1'))}${s3(k('b-3'))}`);
      expect(await text(store, '2026-11-29', 'donation_v1_recent')).toBe(`${s3(k('b-1'))}${s3(k('b-3'))}`);
      expect(await text(store, '2026-11-30')).toBe(before30);
      expect(await catalog.repairManifests()).toBe(0);
    } finally {
      await cleanup();
    }
  });

  it('a manifest overwritten late by an older list (its writer died after the PUT) is caught by garbage collection', async () => {
    const { catalog, store, cleanup } = await makeCatalog();
    try {
      await catalog.addFiles([file(k('b-1')), file(k('b-2'))]);
      const old = await text(store);
      expect(await catalog.replaceFiles([k('b-1'), k('b-2')], [file(k('c-1'))], { ifAllPresent: true })).toBe(true);
      // A slow PUT of the list from before the compaction lands after the newer writer recorded its version.
      await store.put('manifests/donation_v1/dt=2026-11-29/manifest', old);
      expect(await catalog.repairManifests()).toBe(0); // the version record cannot see this one
      expect(await catalog.takeGarbage(0)).toEqual([k('b-1'), k('b-2')]);
      expect(await text(store)).toBe(s3(k('c-1')));
    } finally {
      await cleanup();
    }
  });
});

describe('GlueCatalog specifics', () => {
  it('writes one manifest per partition naming exactly the live files, so Athena never reads retired ones', async () => {
    const { catalog, store, cleanup } = await makeCatalog();
    try {
      await catalog.addFiles([file(k('b-1')), file(k('b-2')), file(k('b-3', '2026-11-30'), { dt: '2026-11-30' })]);
      const manifest = async (dt: string) => new TextDecoder().decode((await store.get(`manifests/donation_v1/dt=${dt}/manifest`))!);
      expect(await manifest('2026-11-29')).toBe(`s3://lake-bucket/${k('b-1')}\ns3://lake-bucket/${k('b-2')}\n`);
      // Compaction: the merged file replaces its inputs, which stay in the bucket until garbage collection.
      expect(await catalog.replaceFiles([k('b-1'), k('b-2')], [file(k('c-1'))], { ifAllPresent: true })).toBe(true);
      expect(await manifest('2026-11-29')).toBe(`s3://lake-bucket/${k('c-1')}\n`);
      expect(await manifest('2026-11-30')).toBe(`s3://lake-bucket/${k('b-3', '2026-11-30')}\n`);
      // A replay retiring a partition's last file leaves an empty manifest: Athena reads nothing there.
      await catalog.replaceFiles([k('b-3', '2026-11-30')], []);
      expect(await manifest('2026-11-30')).toBe('');
      expect((await catalog.takeGarbage(0)).sort()).toEqual([k('b-1'), k('b-2'), k('b-3', '2026-11-30')]);
    } finally {
      await cleanup();
    }
  });

  it('creates a missing Glue table once, as symlink manifests with dt projected', async () => {
    const { catalog, cleanup } = await makeCatalog();
    try {
      await catalog.addFiles([file('x1'), file('x2', { dt: '2026-11-30' })]);
      await catalog.addFiles([file('x3')]);
      const creates = glue.commandCalls(CreateTableCommand);
      // The table of every live file and the one of the files not yet folded into current state.
      expect(creates.map((c) => c.args[0].input.TableInput?.Name)).toEqual(['donation_v1', 'donation_v1_recent']);
      const input = creates[0]!.args[0].input;
      expect(input.DatabaseName).toBe('puddle');
      expect(input.TableInput?.Name).toBe('donation_v1');
      expect(input.TableInput?.StorageDescriptor?.InputFormat).toBe('org.apache.hadoop.hive.ql.io.SymlinkTextInputFormat');
      expect(input.TableInput?.StorageDescriptor?.Location).toBe('s3://lake-bucket/manifests/donation_v1/');
      expect(input.TableInput?.Parameters?.['projection.dt.type']).toBe('date');
      expect(input.TableInput?.PartitionKeys).toEqual([{ Name: 'dt', Type: 'string' }]);
      expect(input.TableInput?.StorageDescriptor?.Columns).toContainEqual({ Name: 'amount_minor', Type: 'bigint' });
    } finally {
      await cleanup();
    }
  });

  it('creates the current-state table without dt, with the _current column', async () => {
    const { catalog, cleanup } = await makeCatalog();
    try {
      await catalog.addFiles([file('lake/transactions/donation/v1/current/s-1.parquet', { dt: '', current: true })]);
      const creates = glue.commandCalls(CreateTableCommand);
      expect(creates.length).toBe(1);
      const input = creates[0]!.args[0].input.TableInput!;
      expect(input.Name).toBe('donation_v1_current');
      expect(input.PartitionKeys).toEqual([]);
      expect(input.Parameters?.['projection.enabled']).toBeUndefined();
      expect(input.StorageDescriptor?.Location).toBe('s3://lake-bucket/manifests/donation_v1_current/');
      expect(input.StorageDescriptor?.Columns).toContainEqual({ Name: '_current', Type: 'boolean' });
    } finally {
      await cleanup();
    }
  });

  it('writes the current-state manifest and, per partition, one of the files not yet folded', async () => {
    const { catalog, store, cleanup } = await makeCatalog();
    try {
      const text = async (key: string) => new TextDecoder().decode((await store.get(key))!);
      await catalog.addFiles([file(k('b-1')), file(k('b-2')), file(k('b-3', '2026-11-30'), { dt: '2026-11-30' })]);
      expect(await text('manifests/donation_v1_recent/dt=2026-11-29/manifest')).toBe(`${s3(k('b-1'))}${s3(k('b-2'))}`);
      expect(await catalog.replaceFiles([], [state('s-1')], { ifAllPresent: true, fold: [k('b-1'), k('b-3', '2026-11-30')] })).toBe(true);
      expect(await text('manifests/donation_v1_current/manifest')).toBe(s3(state('s-1').key));
      // The full list still names every live file (the history views read it); the recent one only the unfolded.
      expect(await text('manifests/donation_v1/dt=2026-11-29/manifest')).toBe(`${s3(k('b-1'))}${s3(k('b-2'))}`);
      expect(await text('manifests/donation_v1_recent/dt=2026-11-29/manifest')).toBe(s3(k('b-2')));
      expect(await text('manifests/donation_v1_recent/dt=2026-11-30/manifest')).toBe('');
      // A compaction of the folded files keeps its merge folded: it stays out of the recent list.
      expect(await catalog.replaceFiles([], [file(k('c-1'), { folded: true })])).toBe(true);
      expect(await text('manifests/donation_v1_recent/dt=2026-11-29/manifest')).toBe(s3(k('b-2')));
    } finally {
      await cleanup();
    }
  });

  it('a fold that crashes after swapping the state leaves its inputs unfolded, and the next fold marks them', async () => {
    const { catalog, store, tableName, cleanup } = await makeCatalog();
    try {
      const text = async (key: string) => new TextDecoder().decode((await store.get(key))!);
      await catalog.addFiles([file(k('b-1')), file(k('b-2')), file(k('b-3', '2026-11-30'), { dt: '2026-11-30' })]);
      expect(await catalog.replaceFiles([], [state('s-1')], { ifAllPresent: true, fold: [k('b-1')] })).toBe(true);
      // The same catalog table through a client that dies on the first write to a history partition.
      const crashing = new GlueCatalog({ dynamo: crashOnHistoryWrite(db.client), tableName, glue: new GlueClient({ region: 'us-east-1' }), manifests: { store, bucket: 'lake-bucket' } });
      await expect(crashing.replaceFiles([state('s-1').key], [state('s-2')], { ifAllPresent: true, fold: [k('b-2'), k('b-3', '2026-11-30')] })).rejects.toThrow(/crash/);
      // The new state is live (the commit point), the old one gone, its inputs still unfolded: views read them
      // as recent rows the state already holds and de-duplicate them.
      const listed = await catalog.listFiles();
      expect(listed.filter((f) => f.current).map((f) => f.key)).toEqual([state('s-2').key]);
      expect(listed.filter((f) => f.folded).map((f) => f.key)).toEqual([k('b-1')]);
      expect(await text('manifests/donation_v1_current/manifest')).toBe(s3(state('s-2').key));
      expect(await text('manifests/donation_v1_recent/dt=2026-11-29/manifest')).toBe(s3(k('b-2')));
      // The next fold takes the new state and the unmarked files, and marks them.
      expect(await catalog.replaceFiles([state('s-2').key], [state('s-3')], { ifAllPresent: true, fold: [k('b-2'), k('b-3', '2026-11-30')] })).toBe(true);
      expect((await catalog.listFiles()).map((f) => [f.key, !!f.current, !!f.folded])).toEqual([
        [state('s-3').key, true, false],
        [k('b-1'), false, true],
        [k('b-2'), false, true],
        [k('b-3', '2026-11-30'), false, true],
      ]);
      expect(await text('manifests/donation_v1_recent/dt=2026-11-29/manifest')).toBe('');
      expect((await catalog.takeGarbage(0)).sort()).toEqual([state('s-1').key, state('s-2').key]);
    } finally {
      await cleanup();
    }
  });

  it('clears the folded marks before dropping a state that nothing replaces (a replay), so no row goes unread', async () => {
    const { catalog, store, cleanup } = await makeCatalog();
    try {
      const text = async (key: string) => new TextDecoder().decode((await store.get(key))!);
      await catalog.addFiles([file(k('b-1')), file(k('b-2'))]);
      expect(await catalog.replaceFiles([], [state('s-1')], { ifAllPresent: true, fold: [k('b-1'), k('b-2')] })).toBe(true);
      expect(await text('manifests/donation_v1_recent/dt=2026-11-29/manifest')).toBe('');
      // Replay: the state and one partition's files go, a re-derived file comes.
      await catalog.replaceFiles([state('s-1').key, k('b-1')], [file(k('r-1'))]);
      expect((await catalog.listFiles()).map((f) => [f.key, !!f.current, !!f.folded])).toEqual([
        [k('b-2'), false, false],
        [k('r-1'), false, false],
      ]);
      expect(await text('manifests/donation_v1_current/manifest')).toBe('');
      expect(await text('manifests/donation_v1_recent/dt=2026-11-29/manifest')).toBe(`${s3(k('b-2'))}${s3(k('r-1'))}`);
    } finally {
      await cleanup();
    }
  });

  it('moves current state to a newer contract version without two states live at once', async () => {
    const { catalog, cleanup } = await makeCatalog();
    try {
      const bank = (v: number, dt = '2026-11-29') => ({ puddle: 'bank', contract: 'bank_line', version: v, dt });
      const v1state = file('lake/bank/bank_line/v1/current/s-1.parquet', { ...bank(1, ''), current: true });
      const v2state = file('lake/bank/bank_line/v2/current/s-2.parquet', { ...bank(2, ''), current: true });
      await catalog.addFiles([file('l-1', bank(1)), file('l-2', bank(2))]);
      expect(await catalog.replaceFiles([], [v1state], { ifAllPresent: true, fold: ['l-1'] })).toBe(true);
      expect(await catalog.replaceFiles([v1state.key], [v2state], { ifAllPresent: true, fold: ['l-1', 'l-2'] })).toBe(true);
      expect((await catalog.listFiles()).map((f) => [f.key, !!f.current, !!f.folded])).toEqual([
        ['l-1', false, true],
        ['l-2', false, true],
        [v2state.key, true, false],
      ]);
    } finally {
      await cleanup();
    }
  });

  it('keeps a table that Glue already has', async () => {
    glue.on(GetTableCommand).resolves({ Table: { Name: 'donation_v1', DatabaseName: 'puddle' } });
    const { catalog, cleanup } = await makeCatalog();
    try {
      await catalog.addFiles([file('y')]);
      expect(glue.commandCalls(CreateTableCommand).length).toBe(0);
    } finally {
      await cleanup();
    }
  });

  it('gives concurrent landings of one partition each their file (version-checked writes)', async () => {
    const { catalog, cleanup } = await makeCatalog();
    try {
      const keys = Array.from({ length: 12 }, (_, i) => `lake/transactions/donation/v1/dt=2026-11-29/b-${String(i).padStart(2, '0')}.parquet`);
      await Promise.all(keys.map((key) => catalog.addFiles([file(key)])));
      expect((await catalog.listFiles()).map((f) => f.key)).toEqual(keys);
      // Two compactions of the same inputs race: exactly one swaps.
      const results = await Promise.all([
        catalog.replaceFiles(keys, [file('lake/transactions/donation/v1/dt=2026-11-29/c-a.parquet')], { ifAllPresent: true }),
        catalog.replaceFiles(keys, [file('lake/transactions/donation/v1/dt=2026-11-29/c-b.parquet')], { ifAllPresent: true }),
      ]);
      expect(results.filter(Boolean).length).toBe(1);
      expect((await catalog.listFiles()).length).toBe(1);
    } finally {
      await cleanup();
    }
  });
});

describe('GlueCatalog key hints', () => {
  const hintKeys = async (tableName: string) => {
    const got = await db.client.send(
      new QueryCommand({ TableName: tableName, KeyConditionExpression: 'kind = :k', ExpressionAttributeValues: { ':k': { S: 'key' } }, ConsistentRead: true }),
    );
    return (got.Items ?? []).map((it) => it.id!.S!).sort();
  };

  it('drops the hint of each file garbage collection hands out, and keeps those of live files', async () => {
    let clock = 1_000_000;
    const { catalog, tableName, cleanup } = await makeCatalog(() => clock);
    try {
      await catalog.addFiles([file(k('b-1')), file(k('b-2')), file(k('b-3'))]);
      clock += 1_000;
      expect(await catalog.replaceFiles([k('b-1'), k('b-2')], [file(k('c-1'))], { ifAllPresent: true })).toBe(true);
      expect(await hintKeys(tableName)).toEqual([k('b-1'), k('b-2'), k('b-3'), k('c-1')]);
      clock += 1_000;
      expect(await catalog.takeGarbage(0)).toEqual([k('b-1'), k('b-2')]);
      expect(await hintKeys(tableName)).toEqual([k('b-3'), k('c-1')]);
      // The live files can still be removed by key: their hints are what finds them.
      expect(await catalog.replaceFiles([k('b-3'), k('c-1')], [file(k('c-2'))], { ifAllPresent: true })).toBe(true);
      expect((await catalog.listFiles()).map((f) => f.key)).toEqual([k('c-2')]);
    } finally {
      await cleanup();
    }
  });

  it('keeps a hint written after the removal: a key being registered again', async () => {
    let clock = 1_000_000;
    const { catalog, tableName, cleanup } = await makeCatalog(() => clock);
    try {
      await catalog.addFiles([file(k('b-1')), file(k('b-2'))]);
      clock += 1_000;
      expect(await catalog.replaceFiles([k('b-1')], [file(k('c-1'))], { ifAllPresent: true })).toBe(true);
      clock += 1_000;
      // A redelivered batch registers b-1 again: its hint is written first, then its partition.
      const hint = { kind: { S: 'key' }, id: { S: k('b-1') }, part: { S: 'transactions/donation/v1/2026-11-29' }, written_at: { N: String(clock) } };
      await db.client.send(new PutItemCommand({ TableName: tableName, Item: hint }));
      clock += 1_000;
      await catalog.takeGarbage(0);
      expect(await hintKeys(tableName)).toEqual([k('b-1'), k('b-2'), k('c-1')]);
    } finally {
      await cleanup();
    }
  });
});
