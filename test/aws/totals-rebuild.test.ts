import { AthenaClient, GetQueryExecutionCommand, GetQueryResultsCommand, StartQueryExecutionCommand } from '@aws-sdk/client-athena';
import { ScanCommand, type AttributeValue } from '@aws-sdk/client-dynamodb';
import { mockClient } from 'aws-sdk-client-mock';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';

import type { Envelope } from '../../core/envelope.js';
import { ensureDynamoTable } from '../../infra/aws/dynamo-tables.js';
import { DynamoDbTotals } from '../../infra/aws/dynamodb-totals.js';
import { totalsTable } from '../../infra/aws/handlers/totals-table.js';
import type { AwsRuntime } from '../../infra/aws/runtime.js';
import { TOTALS_TABLE } from '../../infra/aws/shape.js';
import { rebuildCounters } from '../../infra/aws/totals-rebuild.js';
import { aws } from '../../infra/cli/commands/aws.js';
import type { SqliteCatalog } from '../../infra/local/sqlite-catalog.js';
import { compactAll } from '../../puddles/compact.js';
import { portableSqlErrors } from '../../puddles/portable-sql.js';
import { checkDrift, ARRIVALS_SQL, PORTABLE_REBUILD_SQL, PORTABLE_TIES_SQL } from '../../puddles/totals-sql.js';
import { landThroughConsumer, startShapeWithEmbeddedCatalog, type TestShape } from '../support/aws-shape.js';
import { donationEnvelope } from '../support/donation-envelope.js';

// Backfilling the DynamoDB counters from a lake the consumer handler landed (S3 on fauxqs, counters on dynalite),
// with the embedded engine standing in for Athena; then the CLI path, with Athena's client mocked.
let shape: TestShape;
let rt: AwsRuntime;
let catalog: SqliteCatalog;
let stop: () => Promise<void>;

beforeAll(async () => {
  ({ shape, rt, catalog, stop } = await startShapeWithEmbeddedCatalog());
});
afterAll(() => stop());

const donation = donationEnvelope;

async function freshTable(name: string): Promise<DynamoDbTotals> {
  const table = `${shape.env.PUDDLE_TOTALS_TABLE}-${name}`;
  await ensureDynamoTable(shape.clients.dynamodb, TOTALS_TABLE, table);
  return new DynamoDbTotals({ client: shape.clients.dynamodb, table });
}

/** Every item of a table, as text: what "changes nothing" is checked against. */
async function items(table: string): Promise<string[]> {
  const out: Record<string, AttributeValue>[] = [];
  let start: Record<string, AttributeValue> | undefined;
  do {
    const page = await shape.clients.dynamodb.send(new ScanCommand({ TableName: table, ConsistentRead: true, ExclusiveStartKey: start }));
    out.push(...(page.Items ?? []));
    start = page.LastEvaluatedKey;
  } while (start);
  return out.map((i) => JSON.stringify(Object.entries(i).sort(([a], [b]) => a.localeCompare(b)))).sort();
}

const sorted = async (t: DynamoDbTotals) => (await t.cells()).map((c) => JSON.stringify(c)).sort();

describe('rebuilding the totals counters from the lake', () => {
  it('fills an empty table to equal totals_by_box and the consumer-kept counters, and changes nothing when run again', async () => {
    const kept = totalsTable(rt);
    const envs: Envelope[] = [];
    for (let d = 0; d < 24; d++) {
      for (let v = 0; v < 1 + (d % 3); v++) {
        envs.push(
          donation(`r${d}`, 100 * (1 + ((d * 5 + v * 3) % 17)), {
            channel: ['sms', 'online', 'ivr'][d % 3],
            cta: `cta${d % 2}`,
            campaign: d % 4 === 0 ? 'spring' : 'appeal',
            currency: d % 7 === 0 ? 'EUR' : 'GBP',
            occurred_at: new Date(Date.UTC(2026, 10, 26 + (d % 2), 19 + (d % 3), (d * 13) % 60)).toISOString(),
            updated_at: new Date(Date.UTC(2026, 10, 27, 22, d % 60, v)).toISOString(),
            ...((d + v) % 5 === 0 ? { status: 'failed' } : {}),
          }),
        );
      }
    }
    // Landed in three batches, folded into current state after the second, so the rebuild reads state plus recent files.
    await landThroughConsumer(shape, rt, envs.slice(0, 18));
    await landThroughConsumer(shape, rt, envs.slice(18, 36));
    const { folded } = await compactAll({ store: rt.store, catalog, foldMinRows: 0 });
    expect(folded.map((f) => f.contract)).toContain('donation');
    await landThroughConsumer(shape, rt, envs.slice(36));

    const empty = await freshTable('backfill');
    const progress: [number, number][] = [];
    const out = await rebuildCounters(empty, rt.query, { chunkRows: 7, onProgress: (a, of) => progress.push([a, of]) });
    expect(out.rows).toBe(24);
    expect(progress).toEqual([[7, 24], [14, 24], [21, 24], [24, 24]]);
    expect(await sorted(empty)).toEqual(await sorted(kept));
    expect(await empty.asOf()).toBe(await kept.asOf());
    expect(await checkDrift(empty, rt.query)).toMatchObject({ ok: true, inconclusive: false, skipped: 0 });

    // Run twice, and over the counters the consumer kept: every condition is lost, not one item moves.
    const backfilled = await items(`${shape.env.PUDDLE_TOTALS_TABLE}-backfill`);
    const consumerKept = await items(shape.env.PUDDLE_TOTALS_TABLE!);
    await rebuildCounters(empty, rt.query);
    await rebuildCounters(kept, rt.query);
    expect(await items(`${shape.env.PUDDLE_TOTALS_TABLE}-backfill`)).toEqual(backfilled);
    expect(await items(shape.env.PUDDLE_TOTALS_TABLE!)).toEqual(consumerKept);

    // Consumers landing into the backfilled table afterwards (or meanwhile) keep it right.
    await landThroughConsumer(shape, rt, [donation('r1', 99_999, { channel: 'online', updated_at: '2026-11-28T01:00:00Z' }), donation('new', 4321)], {
      totals: () => empty,
    });
    expect(await checkDrift(empty, rt.query)).toMatchObject({ ok: true, inconclusive: false });
  });

  it('asks Athena in the SQL both engines speak', () => {
    expect(portableSqlErrors(PORTABLE_REBUILD_SQL)).toEqual([]);
    expect(portableSqlErrors(PORTABLE_TIES_SQL)).toEqual([]);
    expect(portableSqlErrors(ARRIVALS_SQL)).toEqual([]);
  });

  it('`puddle aws totals-rebuild` applies what Athena answers to the table the environment names', async () => {
    const athena = mockClient(AthenaClient);
    try {
      const execution = (id: string, mib: number) => ({
        QueryExecution: { QueryExecutionId: id, StatementType: 'DML' as const, Status: { State: 'SUCCEEDED' as const }, Statistics: { DataScannedInBytes: mib * 1024 ** 2 } },
      });
      athena.on(StartQueryExecutionCommand, { QueryString: PORTABLE_REBUILD_SQL }).resolves({ QueryExecutionId: 'q-rebuild' });
      athena.on(StartQueryExecutionCommand, { QueryString: PORTABLE_TIES_SQL }).resolves({ QueryExecutionId: 'q-ties' });
      athena.on(GetQueryExecutionCommand, { QueryExecutionId: 'q-rebuild' }).resolves(execution('q-rebuild', 3));
      athena.on(GetQueryExecutionCommand, { QueryExecutionId: 'q-ties' }).resolves(execution('q-ties', 1));
      athena.on(StartQueryExecutionCommand, { QueryString: ARRIVALS_SQL }).resolves({ QueryExecutionId: 'q-newest' });
      athena.on(GetQueryExecutionCommand, { QueryExecutionId: 'q-newest' }).resolves(execution('q-newest', 1));
      // The newest first arrival in donation_history: a version the view superseded, arrived after the current ones;
      // and a version dated a century ahead (a mistyped year), arrived later still: it waits for its day.
      athena.on(GetQueryResultsCommand, { QueryExecutionId: 'q-newest' }).resolves({
        ResultSet: {
          ResultSetMetadata: { ColumnInfo: [{ Name: 'ahead', Type: 'date' }, { Name: 'received', Type: 'timestamp' }] },
          Rows: [
            { Data: [{ VarCharValue: 'ahead' }, { VarCharValue: 'received' }] },
            { Data: [{}, { VarCharValue: '2026-11-27 20:31:00.000' }] },
            { Data: [{ VarCharValue: '2126-11-27' }, { VarCharValue: '2026-11-27 20:40:00.000' }] },
          ],
        },
      });
      const columns = [
        ['donation_id', 'varchar'], ['channel', 'varchar'], ['campaign', 'varchar'], ['cta', 'varchar'], ['currency', 'varchar'], ['amount_minor', 'bigint'],
        ['status', 'varchar'], ['occurred_at', 'timestamp'], ['_id', 'varchar'], ['_changed_at', 'timestamp'], ['_received_at', 'timestamp'],
      ];
      const row = (...v: (string | undefined)[]) => ({ Data: v.map((x) => (x === undefined ? {} : { VarCharValue: x })) });
      const results = (...rows: ReturnType<typeof row>[]) => ({
        ResultSet: { ResultSetMetadata: { ColumnInfo: columns.map(([Name, Type]) => ({ Name, Type })) }, Rows: [row(...columns.map(([c]) => c)), ...rows] },
      });
      // a1's other version with its _changed_at, first arrived before it: it lost the tie in the view.
      const loser = ['a1', 'sms', 'night', undefined, 'GBP', '9999', undefined, '2026-11-27 20:16:00.000', 'id-a0', '2026-11-27 20:16:00.000', '2026-11-27 20:16:00.500'];
      athena.on(GetQueryResultsCommand, { QueryExecutionId: 'q-ties' }).resolves(results(row(...loser)));
      athena.on(GetQueryResultsCommand, { QueryExecutionId: 'q-rebuild' }).resolves({
        ResultSet: {
          ResultSetMetadata: { ColumnInfo: columns.map(([Name, Type]) => ({ Name, Type })) },
          Rows: [
            row(...columns.map(([c]) => c)),
            row('a1', 'sms', 'night', undefined, 'GBP', '2500', undefined, '2026-11-27 20:16:00.000', 'id-a1', '2026-11-27 20:16:00.000', '2026-11-27 20:16:01.000'),
            row('a2', 'sms', 'night', undefined, 'GBP', '700', undefined, '2026-11-27 20:29:59.000', 'id-a2', '2026-11-27 20:30:00.000', '2026-11-27 20:30:02.000'),
            row('a3', 'online', 'night', 'tv', 'GBP', '900', 'failed', '2026-11-27 20:20:00.000', 'id-a3', '2026-11-27 20:20:00.000', '2026-11-27 20:20:01.000'),
          ],
        },
      });
      const target = await freshTable('cli');
      vi.stubEnv('PUDDLE_TOTALS_TABLE', `${shape.env.PUDDLE_TOTALS_TABLE}-cli`);
      const printed: string[] = [];
      const out = vi.spyOn(process.stdout, 'write').mockImplementation((chunk) => printed.push(String(chunk)) > 0);
      let code: number;
      try {
        code = await aws.run({ values: {}, positionals: ['totals-rebuild'] });
      } finally {
        out.mockRestore();
      }
      expect(code).toBe(0);
      expect(printed.join('')).toContain(`3 current donations applied from the lake, Athena scanned 5.0 MiB`);
      expect(athena.commandCalls(StartQueryExecutionCommand).map((c) => c.args[0].input)).toEqual([
        { QueryString: PORTABLE_REBUILD_SQL, WorkGroup: 'puddle', QueryExecutionContext: { Database: 'puddle' } },
        { QueryString: PORTABLE_TIES_SQL, WorkGroup: 'puddle', QueryExecutionContext: { Database: 'puddle' } },
        { QueryString: ARRIVALS_SQL, WorkGroup: 'puddle', QueryExecutionContext: { Database: 'puddle' } },
      ]);
      const night = [{ channel: 'sms', campaign: 'night', cta: null, currency: 'GBP', box: Date.parse('2026-11-27T20:15:00Z'), amount_minor: 3200, count: 2 }];
      expect(await target.cells()).toEqual(night);
      expect(await target.asOf()).toBe('2026-11-27T20:31:00.000Z');
      expect(await target.asOf(Date.parse('2126-11-27T00:00:00Z'))).toBe('2126-11-27T00:00:00.000Z');
      // The loser sent again after the backfill: its first arrival came with the backfill, so it still loses.
      const [name, channel, campaign, cta, currency, amount_minor, status, occurred_at, _id, _changed_at] = loser;
      await target.applyRows([{ donation_id: name!, channel: channel!, campaign: campaign!, cta: cta ?? null, currency: currency!, amount_minor: Number(amount_minor), status: status ?? null, occurred_at: occurred_at!, _id: _id!, _changed_at: _changed_at!, _received_at: '2026-11-28 09:00:00.000' }]);
      expect(await target.cells()).toEqual(night);
    } finally {
      athena.restore();
    }
  });
});
