// The Athena views (infra/aws/athena-query-engine.ts athenaViews) run for real, with DuckDB standing in for
// Athena: each Glue table becomes a view over exactly the files its symlink manifests name, as the Glue catalog
// wrote them (DynamoDB on dynalite, real Parquet landed, compacted and folded by the puddle code). At every step,
// including a fold that crashed between its state swap and its fold marks and a state dropped by a replay, the
// Athena views must answer as the embedded views over the catalog's file list and as the whole-history form.
import { randomUUID } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';

import { PutItemCommand, type DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { CreateTableCommand, EntityNotFoundException, GetTableCommand, GlueClient } from '@aws-sdk/client-glue';
import { DuckDBInstance } from '@duckdb/node-api';
import { mockClient } from 'aws-sdk-client-mock';
import { afterAll, beforeAll, expect, it } from 'vitest';

import { CONTRACTS, latestVersion } from '../../core/contracts/index.js';
import { makeEnvelope } from '../../core/envelope.js';
import { athenaViews } from '../../infra/aws/athena-query-engine.js';
import { ensureDynamoTable } from '../../infra/aws/dynamo-tables.js';
import { GlueCatalog } from '../../infra/aws/glue-catalog.js';
import { CATALOG_TABLE, GLUE_TABLES, type GlueTableSpec } from '../../infra/aws/shape.js';
import { FsObjectStore } from '../../infra/local/fs-object-store.js';
import { compactAll } from '../../puddles/compact.js';
import { foldCurrentState } from '../../puddles/current-state.js';
import { sqlIdent } from '../../puddles/sql-text.js';
import { landEnvelopes } from '../../puddles/land.js';
import { namedViews } from '../../puddles/named-views.js';
import { currentView, fileViews, type ViewDef } from '../../puddles/views.js';
import { PUDDLES } from '../../puddles/definitions.js';
import { donation } from '../puddles/lake-fixture.js';
import { startDynalite, type Dynalite } from './dynalite.js';

const BUCKET = 'lake-bucket';
let db: Dynalite;
const glue = mockClient(GlueClient);

beforeAll(async () => {
  db = await startDynalite();
  glue.on(GetTableCommand).rejects(new EntityNotFoundException({ message: 'no such table', $metadata: {} }));
  glue.on(CreateTableCommand).resolves({});
});
afterAll(async () => {
  await db.stop();
  glue.restore();
});

const DUCKDB_TYPE: Record<string, string> = { string: 'VARCHAR', bigint: 'BIGINT', boolean: 'BOOLEAN', timestamp: 'TIMESTAMP', date: 'DATE', double: 'DOUBLE' };

/** What Athena reads for one Glue table: the files its manifests name (none yet: an empty typed relation). */
async function athenaTableSql(store: FsObjectStore, dir: string, spec: GlueTableSpec): Promise<string> {
  const paths: string[] = [];
  // Every object under the table's manifest folder, as the symlink input format reads them (raw has one per shard).
  for (const o of await store.list(spec.manifestPrefix)) {
    const text = new TextDecoder().decode((await store.get(o.key))!);
    for (const line of text.split('\n').filter(Boolean)) {
      expect(line.startsWith(`s3://${BUCKET}/`)).toBe(true);
      paths.push(path.join(dir, line.slice(`s3://${BUCKET}/`.length)));
    }
  }
  if (!paths.length) return `SELECT ${spec.columns.map((c) => `CAST(NULL AS ${DUCKDB_TYPE[c.type]}) AS ${sqlIdent(c.name)}`).join(', ')} WHERE false`;
  return `SELECT ${spec.columns.map((c) => sqlIdent(c.name)).join(', ')} FROM read_parquet([${paths.map((p) => `'${p}'`).join(', ')}], hive_partitioning = false)`;
}

async function rowsOf(views: readonly ViewDef[], before: readonly string[], names: readonly string[]): Promise<Record<string, unknown>> {
  const instance = await DuckDBInstance.create(':memory:');
  const conn = await instance.connect();
  try {
    for (const sql of before) await conn.run(sql);
    for (const v of views) await conn.run(`CREATE VIEW ${sqlIdent(v.name)} AS ${v.sql}`);
    const out: Record<string, unknown> = {};
    for (const name of names) out[name] = (await conn.runAndReadAll(`SELECT * FROM ${sqlIdent(name)} ORDER BY ALL`)).getRowObjectsJson();
    return out;
  } finally {
    conn.closeSync();
    instance.closeSync();
  }
}

/** The DynamoDB client as a process sees it that dies at its first write to a history partition's item. */
function crashOnHistoryWrite(client: DynamoDBClient): DynamoDBClient {
  const send = (command: unknown) => {
    if (command instanceof PutItemCommand && command.input.Item?.kind?.S === 'part' && !command.input.Item.id?.S?.endsWith('/current')) {
      return Promise.reject(new Error('crash: the process died here'));
    }
    return client.send(command as PutItemCommand);
  };
  return new Proxy(client, { get: (target, prop, receiver) => (prop === 'send' ? send : Reflect.get(target, prop, receiver)) });
}

/**
 * A lake in `dir` on the Glue catalog (file lists on dynalite, manifests in the folder), and the check that the
 * Athena views, the embedded views and the whole-history form answer alike; it returns Athena's `donation` rows.
 */
async function lakeOnGlue(dir: string) {
  const store = new FsObjectStore(dir, { fsync: false });
  const tableName = `catalog-${randomUUID()}`;
  await ensureDynamoTable(db.client, CATALOG_TABLE, tableName);
  const glueClient = new GlueClient({ region: 'us-east-1' });
  const catalogOn = (dynamo: DynamoDBClient) => new GlueCatalog({ dynamo, tableName, glue: glueClient, manifests: { store, bucket: BUCKET } });
  const catalog = catalogOn(db.client);
  const transactions = PUDDLES.find((p) => p.name === 'transactions')!;
  const rawPuddle = PUDDLES.find((p) => p.name === 'raw')!;
  // Each batch lands in raw too, as the raw puddle's own consumer does: its files are one catalog item each.
  const land = async (envelopes: Parameters<typeof landEnvelopes>[0]['envelopes']) => {
    await landEnvelopes({ puddle: transactions, store, catalog, envelopes });
    await landEnvelopes({ puddle: rawPuddle, store, catalog, envelopes });
  };
  const named = new Set(namedViews().map((v) => v.name));
  const contracts = [...CONTRACTS.keys()].sort();
  const names = [...contracts, ...contracts.map((c) => `${c}_history`), 'raw'];

  const expectSameAnswers = async (step: string) => {
    const athenaTables = await Promise.all(GLUE_TABLES.map(async (t) => `CREATE VIEW puddle.${sqlIdent(t.name)} AS ${await athenaTableSql(store, dir, t)}`));
    const athena = await rowsOf(athenaViews().filter((v) => !named.has(v.name)), ['CREATE SCHEMA puddle', ...athenaTables], names);
    const files = await catalog.listFiles();
    const embedded = await rowsOf(fileViews(files, (key) => path.join(dir, key)), [], names);
    const reference = await rowsOf(
      [...fileViews(files, (key) => path.join(dir, key)).filter((v) => v.name.endsWith('_history')), ...contracts.map((c) => ({ ...currentView(latestVersion(c)!), name: `${c}_reference` }))],
      [],
      contracts.map((c) => `${c}_reference`),
    );
    expect(athena, step).toEqual(embedded);
    for (const c of contracts) expect(athena[c], `${step}: ${c}`).toEqual(reference[`${c}_reference`]);
    return athena.donation as { donation_id: string; amount_minor: string; sms_network: string | null }[];
  };
  return { store, catalog, catalogOn, land, expectSameAnswers };
}

// BIGINT comes back from DuckDB's JSON rows as text.
const amounts = (rows: { donation_id: string; amount_minor: string }[]) => rows.map((r) => [r.donation_id, Number(r.amount_minor)]);

it('answer as the embedded views and the whole-history form through folds, a crashed fold and a dropped state', async () => {
  const dir = await mkdtemp(path.join(tmpdir(), 'puddle-athena-views-'));
  try {
    const { store, catalog, catalogOn, land, expectSameAnswers } = await lakeOnGlue(dir);

    await land([donation('d1', 500), donation('d2', 1000), donation('d3', 2500), donation('d4', 300, { occurred_at: '2026-11-30T09:00:00Z', delivery: 'req-2' })]);
    await land([
      donation('d1', 500), // a queue redelivery
      donation('d2', 1200, { updated_at: '2026-11-29T21:00:00Z', received_at: '2026-11-29T21:00:01.000Z', delivery: 'req-3' }),
    ]);
    expect(amounts(await expectSameAnswers('landed'))).toEqual([['d1', 500], ['d2', 1200], ['d3', 2500], ['d4', 300]]);

    const { folded } = await compactAll({ store, catalog, foldMinRows: 0 });
    expect(folded.find((f) => f.contract === 'donation')?.folded).toBeGreaterThan(0);
    await expectSameAnswers('folded');

    // Since the fold: a newer version, an older one arriving late, a new key, a tie on _changed_at.
    await land([
      donation('d2', 1500, { updated_at: '2026-11-29T22:00:00Z', received_at: '2026-11-29T22:00:01.000Z', delivery: 'req-4' }),
      donation('d3', 2000, { updated_at: '2026-11-29T19:00:00Z', received_at: '2026-11-29T22:00:02.000Z', delivery: 'req-5' }),
      donation('d5', 800, { received_at: '2026-11-29T22:00:03.000Z', delivery: 'req-6' }),
      donation('d1', 999, { received_at: '2026-11-29T22:00:04.000Z', delivery: 'req-7' }),
    ]);
    expect(amounts(await expectSameAnswers('recent rows beside the state'))).toEqual([['d1', 999], ['d2', 1500], ['d3', 2500], ['d4', 300], ['d5', 800]]);

    // A fold dies after swapping the state, before marking its inputs: they read as recent rows the state holds.
    await expect(foldCurrentState({ store, catalog: catalogOn(crashOnHistoryWrite(db.client)), contract: 'donation', minRows: 0 })).rejects.toThrow(/crash/);
    expect((await catalog.listFiles({ contract: 'donation' })).filter((f) => !f.current && !f.folded).length).toBeGreaterThan(0);
    await expectSameAnswers('fold crashed between the state swap and the marks');
    expect((await foldCurrentState({ store, catalog, contract: 'donation', minRows: 0 })).folded).toBeGreaterThan(0);
    await expectSameAnswers('folded again');

    // A replay drops the state: the marks go first, so the unfolded tables hold every file again.
    const state = (await catalog.listFiles({ contract: 'donation' })).filter((f) => f.current);
    await catalog.replaceFiles(state.map((f) => f.key), []);
    expect(amounts(await expectSameAnswers('state dropped'))).toEqual([['d1', 999], ['d2', 1500], ['d3', 2500], ['d4', 300], ['d5', 800]]);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}, 240_000);

/** A text-to-donate gift as an SMS aggregator sends it: donation v2, with the network (core/contracts/sms.ts). */
function smsDonation(id: string, amount: number, network: string, opts: { status?: string; delivery: string }) {
  return makeEnvelope({
    contract: 'donation',
    version: 2,
    source: 'producer',
    stream: 'sms',
    payload: { donation_id: id, occurred_at: '2026-11-29T20:16:00Z', channel: 'sms', amount_minor: amount, currency: 'GBP', sms_network: network, ...(opts.status ? { status: opts.status } : {}) },
    received_at: '2026-11-29T20:16:01.000Z',
    delivery_id: opts.delivery,
  });
}

it('read v1 and v2 donations together, and a state folded under v1 before donation v2, until compaction moves it', async () => {
  const dir = await mkdtemp(path.join(tmpdir(), 'puddle-athena-views-v2-'));
  try {
    const { store, catalog, land, expectSameAnswers } = await lakeOnGlue(dir);
    // A lake from before donation v2: v1 donations, folded into a state registered under v1 with its inputs marked
    // folded, as the deployed stack left it (the fold writes the latest version, so the state is moved to v1 here).
    await land([donation('d1', 500), donation('d2', 1000), donation('d3', 2500)]);
    await compactAll({ store, catalog, foldMinRows: 0 });
    const [state] = (await catalog.listFiles({ contract: 'donation' })).filter((f) => f.current);
    const history = (await catalog.listFiles({ contract: 'donation' })).filter((f) => !f.current);
    const older = { ...state!, key: state!.key.replace(/\/v\d+\/current\//, '/v1/current/'), version: 1 };
    await store.put(older.key, (await store.get(state!.key))!);
    expect(await catalog.replaceFiles([state!.key], [older], { fold: history.map((f) => f.key) })).toBe(true);
    expect((await catalog.listFiles({ contract: 'donation' })).filter((f) => !f.current && !f.folded)).toEqual([]);
    // Athena's donation view reads the v1 state as the embedded one does (until 2026-12-03 it read only
    // donation_v2_current, and answered nothing here).
    expect(amounts(await expectSameAnswers('a state folded under v1'))).toEqual([['d1', 500], ['d2', 1000], ['d3', 2500]]);

    // An SMS aggregator sends v2, a web team keeps sending v1: one view, v1 rows with no network.
    await land([
      smsDonation('s1', 300, 'EE', { status: 'paid', delivery: 'sms-1' }),
      smsDonation('s2', 300, 'Vodafone', { status: 'failed', delivery: 'sms-1' }),
      donation('d4', 700, { received_at: '2026-11-29T20:17:00.000Z', delivery: 'req-2' }),
    ]);
    expect(await catalog.listFiles({ contract: 'donation', version: 2 })).toHaveLength(1);
    const network = (rows: { donation_id: string; sms_network: string | null }[]) => rows.map((r) => [r.donation_id, r.sms_network]);
    expect(network(await expectSameAnswers('v1 and v2 beside the v1 state'))).toEqual([['d1', null], ['d2', null], ['d3', null], ['d4', null], ['s1', 'EE'], ['s2', 'Vodafone']]);

    // The scheduled compaction's fold (default thresholds): a state in an older version is folded as soon as a row
    // has landed (puddles/current-state.ts), into the latest version's table, from the whole history (the three
    // landed files, not the v1 state: see stateIsStale); the v1 table is left empty.
    const { folded } = await compactAll({ store, catalog });
    expect(folded.find((f) => f.contract === 'donation')).toMatchObject({ folded: 3, rowsOut: 6 });
    expect((await catalog.listFiles({ contract: 'donation' })).filter((f) => f.current).map((f) => f.version)).toEqual([latestVersion('donation')!.version]);
    expect(new TextDecoder().decode((await store.get(catalog.manifestKey({ puddle: 'transactions', contract: 'donation', version: 1 }, '', 'current')))!)).toBe('');
    expect(network(await expectSameAnswers('folded into the latest version'))).toEqual([['d1', null], ['d2', null], ['d3', null], ['d4', null], ['s1', 'EE'], ['s2', 'Vodafone']]);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}, 240_000);
