// Backfill of the live totals' DynamoDB counters from the lake: for a lake landed before the totals table
// existed (or a table emptied by hand). The lake's current donations (PORTABLE_REBUILD_SQL over the `donation`
// view, through Athena), then the versions tying with them on _changed_at at their first arrival
// (PORTABLE_TIES_SQL, nearly always none: without them an envelope sent again after the backfill could win a tie
// it lost in the view), are applied through DynamoDbTotals.applyRows, the consumers' own path: each donation's
// version is taken by a conditional write that only an ordered-newer version wins, so the backfill
//  - is idempotent: run twice, the second run loses every condition and moves nothing;
//  - may run while the consumers land: whichever of the two applies a donation's newer version wins, and an
//    older version applied after it changes nothing (unlike DynamoDbTotals.repair(), which needs them paused).
// Run by hand: `puddle aws totals-rebuild` (not a Lambda: a big lake takes longer than Lambda's 15 minutes).
import { AthenaClient } from '@aws-sdk/client-athena';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';

import type { QueryEngine } from '../../core/ports.js';
import type { Cell } from '../../puddles/parquet-writer.js';
import { ARRIVALS_SQL, arrivalOf, PORTABLE_REBUILD_SQL, PORTABLE_TIES_SQL } from '../../puddles/totals-sql.js';
import { AthenaQueryEngine } from './athena-query-engine.js';
import { callLimits, readCallTimeoutMs } from './call-limits.js';
import { DynamoDbTotals } from './dynamodb-totals.js';
import { ATHENA, ENV, GLUE_DATABASE, TOTALS_TABLE } from './shape.js';

export interface RebuildOutcome {
  /** Rows the query gave (one per current donation version). */
  rows: number;
  /** Bytes Athena scanned (all three queries), when the engine says. */
  bytesScanned?: number;
}

/**
 * Apply the lake's current donations to the counters, `chunkRows` at a time (progress is reported per chunk; a
 * run stopped half way is simply run again), then the versions tying with them.
 */
export async function rebuildCounters(
  totals: Pick<DynamoDbTotals, 'applyRows' | 'arrivedAt'>,
  query: QueryEngine,
  opts: { chunkRows?: number; onProgress?: (applied: number, of: number) => void } = {},
): Promise<RebuildOutcome> {
  const chunk = opts.chunkRows ?? 5_000;
  const rows = (await query.query(PORTABLE_REBUILD_SQL)) as Record<string, Cell>[];
  for (let i = 0; i < rows.length; i += chunk) {
    await totals.applyRows(rows.slice(i, i + chunk));
    opts.onProgress?.(Math.min(i + chunk, rows.length), rows.length);
  }
  const scanned = () => (query instanceof AthenaQueryEngine ? query.lastStats()?.bytesScanned : undefined);
  const scans = [scanned()];
  const ties = (await query.query(PORTABLE_TIES_SQL)) as Record<string, Cell>[];
  scans.push(scanned());
  await totals.applyRows(ties);
  // as_of from every version's entry into the totals, not the current ones' alone: a table emptied and backfilled
  // never shows it earlier than the counters it replaces did (DynamoDbTotals.arrivedAt); a day dated ahead waits.
  const arrivals = await query.query(ARRIVALS_SQL);
  scans.push(scanned());
  const now = Date.now();
  for (const row of arrivals) {
    const t = arrivalOf(row);
    if (Number.isFinite(t)) await totals.arrivedAt(t, now);
  }
  const bytesScanned = scans.every((b) => b === undefined) ? undefined : scans.reduce<number>((a, b) => a + (b ?? 0), 0);
  return { rows: rows.length, ...(bytesScanned !== undefined ? { bytesScanned } : {}) };
}

/**
 * The deployed stack's counters and Athena, named as the stack names them unless the environment says otherwise
 * (PUDDLE_TOTALS_TABLE, PUDDLE_ATHENA_WORKGROUP, PUDDLE_GLUE_DATABASE); credentials and region from the default chain.
 */
export async function rebuildDeployedCounters(
  env: NodeJS.ProcessEnv = process.env,
  onProgress?: (applied: number, of: number) => void,
): Promise<RebuildOutcome & { table: string }> {
  const table = env[ENV.totalsTable]?.trim() || TOTALS_TABLE.name;
  const limits = callLimits(readCallTimeoutMs(env));
  const dynamodb = new DynamoDBClient(limits);
  const athena = new AthenaClient(limits);
  try {
    const query = new AthenaQueryEngine({
      client: athena,
      workgroup: env[ENV.athenaWorkgroup]?.trim() || ATHENA.workgroup,
      database: env[ENV.glueDatabase]?.trim() || GLUE_DATABASE,
    });
    const outcome = await rebuildCounters(new DynamoDbTotals({ client: dynamodb, table }), query, { onProgress });
    return { ...outcome, table };
  } finally {
    dynamodb.destroy();
    athena.destroy();
  }
}
