import { randomUUID } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';

import { CreateTableCommand, EntityNotFoundException, GetTableCommand, GlueClient } from '@aws-sdk/client-glue';
import { mockClient } from 'aws-sdk-client-mock';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';

import { createDynamoTable } from '../../infra/aws/dynamo-tables.js';
import { GlueCatalog } from '../../infra/aws/glue-catalog.js';
import { CATALOG_TABLE } from '../../infra/aws/shape.js';
import { FsObjectStore } from '../../infra/local/fs-object-store.js';
import { catalogSuite, file } from '../ports/catalog-suite.js';
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
  await createDynamoTable(db.client, CATALOG_TABLE, tableName);
  const catalog = new GlueCatalog({ dynamo: db.client, tableName, glue: new GlueClient({ region: 'us-east-1' }), manifests: { store, bucket: 'lake-bucket' }, now });
  return { catalog, store, cleanup: () => rm(dir, { recursive: true, force: true }) };
}

// Current-state files and fold marks are not in the Glue catalog yet (README, "The AWS shape": what is not joined).
catalogSuite('GlueCatalog (DynamoDB on dynalite, Glue mocked)', makeCatalog, { currentState: false });

describe('GlueCatalog specifics', () => {
  it('writes one manifest per partition naming exactly the live files, so Athena never reads retired ones', async () => {
    const { catalog, store, cleanup } = await makeCatalog();
    try {
      const k = (name: string, dt = '2026-11-29') => `lake/transactions/donation/v1/dt=${dt}/${name}.parquet`;
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
      expect(creates.length).toBe(1);
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
