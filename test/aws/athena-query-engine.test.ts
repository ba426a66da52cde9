import {
  AthenaClient,
  GetQueryExecutionCommand,
  GetQueryResultsCommand,
  StartQueryExecutionCommand,
  type QueryExecutionState,
} from '@aws-sdk/client-athena';
import { mockClient } from 'aws-sdk-client-mock';
import { afterAll, beforeEach, describe, expect, it } from 'vitest';

import { LakeFileError, RetriableError } from '../../core/errors.js';
import { AthenaQueryEngine, athenaViews, ScanCutoffError, type QueryStats } from '../../infra/aws/athena-query-engine.js';
import { ATHENA, GLUE_TABLES } from '../../infra/aws/shape.js';
import { NAMED_VIEW_FILES } from '../../puddles/named-views.js';
import { portableSqlErrors } from '../../puddles/portable-sql.js';

// Athena has no emulator: its client is mocked, and what is checked is how the engine drives the API
// (states, paging, errors) and that the views it creates are Trino SQL.
const athena = mockClient(AthenaClient);
afterAll(() => athena.restore());
beforeEach(() => athena.reset());

function engine(extra: { onStats?: (s: QueryStats) => void; now?: () => number; maxWaitMs?: number } = {}) {
  return new AthenaQueryEngine({ client: new AthenaClient({ region: 'eu-west-2' }), sleep: async () => {}, ...extra });
}

function states(...list: { state: QueryExecutionState; reason?: string; category?: number; scanned?: number; type?: 'DML' | 'DDL' }[]) {
  let call = athena.on(GetQueryExecutionCommand);
  for (const s of list) {
    call = call.resolvesOnce({
      QueryExecution: {
        QueryExecutionId: 'q-1',
        StatementType: s.type ?? 'DML',
        Status: { State: s.state, StateChangeReason: s.reason, ...(s.category ? { AthenaError: { ErrorCategory: s.category } } : {}) },
        Statistics: { DataScannedInBytes: s.scanned ?? 0, EngineExecutionTimeInMillis: 1200 },
      },
    });
  }
}

const columns = [
  { Name: 'channel', Type: 'varchar' },
  { Name: 'n', Type: 'bigint' },
  { Name: 'total', Type: 'bigint' },
  { Name: 'last_at', Type: 'timestamp' },
  { Name: 'share', Type: 'double' },
  { Name: 'ok', Type: 'boolean' },
];
const row = (...v: (string | undefined)[]) => ({ Data: v.map((x) => (x === undefined ? {} : { VarCharValue: x })) });

describe('AthenaQueryEngine', () => {
  it('runs through the workgroup, waits out QUEUED and RUNNING, pages the results and reports bytes scanned', async () => {
    athena.on(StartQueryExecutionCommand).resolves({ QueryExecutionId: 'q-1' });
    states({ state: 'QUEUED' }, { state: 'RUNNING' }, { state: 'SUCCEEDED', scanned: 31_457_280 });
    athena
      .on(GetQueryResultsCommand, { QueryExecutionId: 'q-1', NextToken: undefined })
      .resolves({
        ResultSet: {
          ResultSetMetadata: { ColumnInfo: columns },
          Rows: [row('channel', 'n', 'total', 'last_at', 'share', 'ok'), row('sms', '2', '1500', '2026-11-27 20:15:03.000', '0.25', 'true')],
        },
        NextToken: 'page-2',
      })
      .on(GetQueryResultsCommand, { QueryExecutionId: 'q-1', NextToken: 'page-2' })
      .resolves({
        ResultSet: { ResultSetMetadata: { ColumnInfo: columns }, Rows: [row('online', '9007199254740993', '0', undefined, undefined, 'false')] },
      });
    const seen: QueryStats[] = [];
    const rows = await engine({ onStats: (s) => seen.push(s) }).query('SELECT channel, count(*) AS n FROM donation GROUP BY channel');
    expect(rows).toEqual([
      { channel: 'sms', n: 2, total: 1500, last_at: '2026-11-27T20:15:03.000Z', share: 0.25, ok: true },
      // Beyond 2^53 a BIGINT stays exact as a string, as the DuckDB engine gives it.
      { channel: 'online', n: '9007199254740993', total: 0, last_at: null, share: null, ok: false },
    ]);
    expect(seen).toEqual([{ queryId: 'q-1', bytesScanned: 31_457_280, engineMs: 1200 }]);
    const start = athena.commandCalls(StartQueryExecutionCommand)[0]!.args[0].input;
    expect(start.WorkGroup).toBe(ATHENA.workgroup);
    expect(start.QueryExecutionContext).toEqual({ Database: 'puddle' });
    expect(athena.commandCalls(GetQueryExecutionCommand).length).toBe(3);
    expect(athena.commandCalls(GetQueryResultsCommand).length).toBe(2);
  });

  it('names the columns of a result with no rows, from its metadata', async () => {
    athena.on(StartQueryExecutionCommand).resolves({ QueryExecutionId: 'q-1' });
    states({ state: 'SUCCEEDED' });
    // An empty SELECT's only row is the header; the names are also in ResultSetMetadata.
    athena.on(GetQueryResultsCommand).resolves({ ResultSet: { ResultSetMetadata: { ColumnInfo: columns }, Rows: [row(...columns.map((c) => c.Name))] } });
    expect(await engine().queryWithColumns("SELECT * FROM totals WHERE channel = 'none'")).toEqual({ columns: columns.map((c) => c.Name), types: columns.map((c) => c.Type), rows: [] });

    athena.reset();
    athena.on(StartQueryExecutionCommand).resolves({ QueryExecutionId: 'q-1' });
    states({ state: 'SUCCEEDED', type: 'DDL' });
    expect(await engine().queryWithColumns('CREATE OR REPLACE VIEW v AS SELECT 1 AS a')).toEqual({ columns: [], types: [], rows: [] });
  });

  it('says why a FAILED query failed, and whether trying again may help', async () => {
    athena.on(StartQueryExecutionCommand).resolves({ QueryExecutionId: 'q-1' });
    states({ state: 'FAILED', reason: "line 1:8: Column 'nope' cannot be resolved", category: 2 });
    const err = await engine().query('SELECT nope FROM donation').catch((e: unknown) => e);
    expect(err).toBeInstanceOf(Error);
    expect(err).not.toBeInstanceOf(RetriableError);
    expect((err as Error).message).toMatch(/q-1 failed: line 1:8: Column 'nope' cannot be resolved/);

    athena.reset();
    athena.on(StartQueryExecutionCommand).resolves({ QueryExecutionId: 'q-1' });
    states({ state: 'FAILED', reason: 'Internal error', category: 1 });
    await expect(engine().query('SELECT 1')).rejects.toBeInstanceOf(RetriableError);
  });

  it('says a lake file Athena could not open is missing or damaged, naming its key, as the DuckDB engine does', async () => {
    const key = 'lake/transactions/donation/v1/dt=2026-11-29/b-3f9a.parquet';
    const s3Missing = 'io.trino.hdfs.s3.TrinoS3FileSystem$UnrecoverableS3OperationException: com.amazonaws.services.s3.model.AmazonS3Exception: The specified key does not exist. (Service: Amazon S3; Status Code: 404; Error Code: NoSuchKey; Request ID: EKWQ310403FNNWKV; S3 Extended Request ID: qIu8bN3U+alq/s=; Proxy: null)';
    const failWith = async (reason: string, category = 2) => {
      athena.reset();
      athena.on(StartQueryExecutionCommand).resolves({ QueryExecutionId: 'q-1' });
      states({ state: 'RUNNING' }, { state: 'FAILED', reason, category });
      return engine().query('SELECT count(*) FROM donation_history').catch((e: unknown) => e);
    };
    // As Athena words them (engine 3): the split it could not open, or S3's exception with bucket and key.
    const reasons = [
      `HIVE_CANNOT_OPEN_SPLIT: Error opening Hive split s3://puddle-lake-123/${key} (offset=0, length=504731): ${s3Missing}`,
      `GENERIC_INTERNAL_ERROR: ${s3Missing}, S3 Extended Request ID: qIu8bN3U+alq/s= (Bucket: puddle-lake-123, Key: ${key})`,
      `HIVE_CANNOT_OPEN_SPLIT: Error opening Hive split s3://puddle-lake-123/${key} (offset=0, length=100): Not valid Parquet file: s3://puddle-lake-123/${key} expected magic number: [80, 65, 82, 49] got: [0, 0, 0, 0]`,
    ];
    for (const reason of reasons) {
      const err = await failWith(reason);
      expect(err, reason).toBeInstanceOf(LakeFileError);
      expect((err as LakeFileError).key).toBe(key);
      expect((err as Error).message).toBe(
        `lake file ${key} is listed in the catalog but is missing or damaged: re-derive it from raw with puddle replay --contract donation, which replaces it (or restore it from a backup)`,
      );
    }
    // S3 throttling a split is no lost file, and a key outside the lake (the results bucket) is not one of ours.
    const throttled = await failWith(`HIVE_CANNOT_OPEN_SPLIT: Error opening Hive split s3://puddle-lake-123/${key} (offset=0, length=18614): Slow Down (Service: Amazon S3; Status Code: 503; Error Code: 503 Slow Down;`, 1);
    expect(throttled).toBeInstanceOf(RetriableError);
    const elsewhere = await failWith(`HIVE_CANNOT_OPEN_SPLIT: Error opening Hive split s3://other-bucket/exports/x.parquet (offset=0, length=10): ${s3Missing}`);
    expect(elsewhere).not.toBeInstanceOf(LakeFileError);
  });

  it('reports a query stopped by the scan cutoff as such', async () => {
    athena.on(StartQueryExecutionCommand).resolves({ QueryExecutionId: 'q-1' });
    states({ state: 'RUNNING' }, { state: 'CANCELLED', reason: 'Query cancelled! : Bytes scanned limit was exceeded', scanned: ATHENA.bytesScannedCutoffPerQuery });
    const err = await engine().query('SELECT * FROM raw').catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ScanCutoffError);
    expect((err as Error).message).toMatch(/scan cutoff/);
    expect(athena.commandCalls(GetQueryResultsCommand).length).toBe(0);
  });

  it('gives up waiting after maxWaitMs with a retriable error', async () => {
    athena.on(StartQueryExecutionCommand).resolves({ QueryExecutionId: 'q-1' });
    athena.on(GetQueryExecutionCommand).resolves({ QueryExecution: { QueryExecutionId: 'q-1', Status: { State: 'RUNNING' } } });
    let t = 0;
    await expect(engine({ now: () => (t += 1000), maxWaitMs: 5000 }).query('SELECT 1')).rejects.toThrow(/still RUNNING after 5 s/);
  });

  it('creates every view in dependency order as DDL, each in Trino SQL over the Glue tables', async () => {
    let n = 0;
    athena.on(StartQueryExecutionCommand).callsFake(() => ({ QueryExecutionId: `q-${++n}` }));
    athena.on(GetQueryExecutionCommand).resolves({ QueryExecution: { StatementType: 'DDL', Status: { State: 'SUCCEEDED' }, Statistics: { DataScannedInBytes: 0 } } });
    const created = await engine().createViews();
    expect(created.indexOf('donation_history')).toBeLessThan(created.indexOf('donation'));
    expect(created.indexOf('donation')).toBeLessThan(created.indexOf('recon_journey'));
    expect(created.slice(-NAMED_VIEW_FILES.length)).toEqual([...NAMED_VIEW_FILES]);
    expect(created).toContain('raw');
    expect(athena.commandCalls(GetQueryResultsCommand).length).toBe(0);
    const ddl = athena.commandCalls(StartQueryExecutionCommand).map((c) => c.args[0].input.QueryString!);
    expect(ddl[0]).toMatch(/^CREATE OR REPLACE VIEW "[a-z_]+" AS /);
    // Every version's Glue table is read (bank_line v1 and v2), even before any file landed.
    const bankLine = athenaViews().find((v) => v.name === 'bank_line_history')!.sql;
    expect(bankLine).toContain('"puddle"."bank_line_v1"');
    expect(bankLine).toContain('"puddle"."bank_line_v2"');
    for (const t of GLUE_TABLES) expect(ddl.some((q) => q.includes(`"puddle"."${t.name}"`))).toBe(true);
    // History reads every live file; current reads the current state plus the files not folded into it yet.
    const views = new Map(athenaViews().map((v) => [v.name, v.sql]));
    expect(views.get('donation_history')).toContain('"puddle"."donation_v1"');
    expect(views.get('donation_history')).not.toMatch(/donation_v1_(recent|current)/);
    // Every version's current state: a state folded before the contract gained a version stays in its old table
    // until the next fold (test/aws/athena-views-duckdb.test.ts runs it).
    expect(views.get('donation')).toContain('"puddle"."donation_v2_current"');
    expect(views.get('donation')).toContain('"puddle"."donation_v1_current"');
    expect(views.get('donation')).toContain('"puddle"."donation_v1_recent"');
    expect(views.get('donation')).toContain('"puddle"."donation_v2_recent"');
    expect(views.get('donation')).not.toContain('"puddle"."donation_v1"');
    expect(views.get('bank_line')).toContain('"puddle"."bank_line_v1_recent"');
    expect(views.get('bank_line')).toContain('"puddle"."bank_line_v2_current"');
    expect(views.get('bank_line')).toContain('"puddle"."bank_line_v1_current"');
    expect(new Set(created).size).toBe(created.length);
    for (const v of athenaViews()) expect({ view: v.name, errors: portableSqlErrors(v.sql) }).toEqual({ view: v.name, errors: [] });
  });
});
