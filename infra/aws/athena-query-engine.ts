// QueryEngine on Athena: the same views as the embedded shape (puddles/views.ts, the named reconciliation views),
// created as Athena views over the Glue tables, and every query run through a workgroup whose bytes-scanned cutoff
// stops a runaway scan. Results come back page by page (NextToken) as the JSON-safe rows DuckDB's engine gives,
// and each query's bytes scanned is reported (Athena bills by it).
import {
  GetQueryExecutionCommand,
  GetQueryResultsCommand,
  StartQueryExecutionCommand,
  type AthenaClient,
  type ColumnInfo,
  type GetQueryResultsCommandOutput,
  type QueryExecution,
} from '@aws-sdk/client-athena';

import { FatalError, PuddleError, RetriableError } from '../../core/errors.js';
import { CONTRACTS } from '../../core/contracts/index.js';
import type { CatalogFile, QueryEngine, QueryResult, Row } from '../../core/ports.js';
import { sqlIdent } from '../../puddles/sql-text.js';
import { namedViews } from '../../puddles/named-views.js';
import { fileViews, type SourceSql, type ViewDef } from '../../puddles/views.js';
import { athenaLakeFileError } from './athena-lake-file-error.js';
import { ATHENA, GLUE_DATABASE, GLUE_TABLES, glueTableName, type GlueTableKind, type GlueTableSpec } from './shape.js';

/** A query the workgroup stopped because it would have scanned more than its cutoff. */
export class ScanCutoffError extends FatalError {}

export interface QueryStats {
  queryId: string;
  bytesScanned: number;
  /** Athena's own engine time, for the slow-query log. */
  engineMs: number;
}

export interface AthenaQueryEngineOptions {
  client: AthenaClient;
  workgroup?: string;
  database?: string;
  /** Called once per finished query, with what it scanned. */
  onStats?: (stats: QueryStats, sql: string) => void;
  /** Poll pause; grows from `firstPollMs` to `maxPollMs`. */
  firstPollMs?: number;
  maxPollMs?: number;
  /** Give up waiting (and say so) after this long; Athena's own DML timeout is 30 minutes. */
  maxWaitMs?: number;
  sleep?: (ms: number) => Promise<void>;
  now?: () => number;
}

/** Rows per GetQueryResults page (Athena's maximum). */
const PAGE = 1000;

export class AthenaQueryEngine implements QueryEngine {
  readonly #client: AthenaClient;
  readonly #workgroup: string;
  readonly #database: string;
  readonly #onStats: AthenaQueryEngineOptions['onStats'];
  readonly #firstPollMs: number;
  readonly #maxPollMs: number;
  readonly #maxWaitMs: number;
  readonly #sleep: (ms: number) => Promise<void>;
  readonly #now: () => number;
  #lastStats: QueryStats | undefined;

  constructor(opts: AthenaQueryEngineOptions) {
    this.#client = opts.client;
    this.#workgroup = opts.workgroup ?? ATHENA.workgroup;
    this.#database = opts.database ?? GLUE_DATABASE;
    this.#onStats = opts.onStats;
    this.#firstPollMs = opts.firstPollMs ?? 100;
    this.#maxPollMs = opts.maxPollMs ?? 1000;
    this.#maxWaitMs = opts.maxWaitMs ?? 10 * 60_000;
    this.#sleep = opts.sleep ?? ((ms) => new Promise((r) => setTimeout(r, ms)));
    this.#now = opts.now ?? Date.now;
  }

  async query(sql: string): Promise<Row[]> {
    return (await this.run(sql)).rows;
  }

  async queryWithColumns(sql: string): Promise<QueryResult> {
    const { columns, types, rows } = await this.run(sql);
    return { columns, types, rows };
  }

  /** Run one statement; its columns, its rows and what it scanned. */
  async run(sql: string): Promise<QueryResult & { stats: QueryStats }> {
    const started = await this.#client.send(
      new StartQueryExecutionCommand({
        QueryString: sql,
        WorkGroup: this.#workgroup,
        QueryExecutionContext: { Database: this.#database },
      }),
    );
    const queryId = started.QueryExecutionId;
    if (!queryId) throw new RetriableError('Athena started a query without an id');
    const execution = await this.#waitFor(queryId);
    const stats: QueryStats = {
      queryId,
      bytesScanned: execution.Statistics?.DataScannedInBytes ?? 0,
      engineMs: execution.Statistics?.EngineExecutionTimeInMillis ?? 0,
    };
    this.#lastStats = stats;
    this.#onStats?.(stats, sql);
    const { columns, types, rows } = execution.StatementType === 'DDL' ? { columns: [], types: [], rows: [] } : await this.#results(queryId);
    return { columns, types, rows, stats };
  }

  /** The views createViews makes, over this engine's Glue database. */
  views(): ViewDef[] {
    return athenaViews(this.#database);
  }

  /** What the last query scanned. */
  lastStats(): QueryStats | undefined {
    return this.#lastStats;
  }

  /**
   * Create (or replace) every view, in dependency order: the history views and raw over the Glue tables (one
   * per contract version, so a version with no files yet still reads as empty), the current views (over the
   * current-state tables and the unfolded files' tables, see athenaViews), then the
   * named reconciliation views. DDL scans nothing and costs nothing. Run by the compaction function whenever the
   * views changed (athena-views-current.ts), and by create-athena-views.ts.
   */
  async createViews(views: readonly ViewDef[] = this.views()): Promise<string[]> {
    const created: string[] = [];
    for (const v of views) {
      await this.run(`CREATE OR REPLACE VIEW ${sqlIdent(v.name)} AS ${v.sql}`);
      created.push(v.name);
    }
    return created;
  }

  async close(): Promise<void> {
    // The client belongs to the caller (the runtime), which destroys it.
  }

  async #waitFor(queryId: string): Promise<QueryExecution> {
    const deadline = this.#now() + this.#maxWaitMs;
    let pause = this.#firstPollMs;
    for (;;) {
      const got = await this.#client.send(new GetQueryExecutionCommand({ QueryExecutionId: queryId }));
      const execution = got.QueryExecution ?? {};
      const state = execution.Status?.State;
      if (state === 'SUCCEEDED') return execution;
      if (state === 'FAILED' || state === 'CANCELLED') throw queryError(queryId, execution);
      if (this.#now() >= deadline) {
        throw new RetriableError(`Athena query ${queryId} still ${state ?? 'unknown'} after ${Math.round(this.#maxWaitMs / 1000)} s`);
      }
      await this.#sleep(pause);
      pause = Math.min(this.#maxPollMs, pause * 2);
    }
  }

  /** The rows, page by page, and the column names from the result's metadata: there even when no row is. */
  async #results(queryId: string): Promise<QueryResult> {
    const rows: Row[] = [];
    let columns: ColumnInfo[] | undefined;
    let token: string | undefined;
    let first = true;
    do {
      const page: GetQueryResultsCommandOutput = await this.#client.send(
        new GetQueryResultsCommand({ QueryExecutionId: queryId, MaxResults: PAGE, NextToken: token }),
      );
      columns ??= page.ResultSet?.ResultSetMetadata?.ColumnInfo ?? [];
      const data = page.ResultSet?.Rows ?? [];
      // A SELECT's first row of the first page repeats the column names.
      for (const [i, r] of data.entries()) {
        if (first && i === 0) continue;
        const out: Row = {};
        for (const [c, col] of columns.entries()) out[columnName(col, c)] = jsonValue(r.Data?.[c]?.VarCharValue, col.Type ?? 'varchar');
        rows.push(out);
      }
      first = false;
      token = page.NextToken;
    } while (token);
    return { columns: (columns ?? []).map(columnName), types: (columns ?? []).map((c) => c.Type ?? 'varchar'), rows };
  }
}

/**
 * The views Athena gets, in creation order: the embedded views (puddles/views.ts), built from one stand-in file
 * per Glue table, so each source is a table name. The history views and raw read the tables of every live
 * file; the current views read the contract's current-state tables (every version's: a state folded before the
 * contract gained a version stays in its old one until the next fold) and the tables of the files not folded
 * into it yet (`*_recent`), the same SQL DuckDB runs over those files. Views are fixed at creation, not rebuilt per
 * file list, so the current view is always the current-state form: with no state yet its state table is empty
 * and every file is unfolded, which reads as the history form (the Glue catalog clears the folded marks
 * before a state goes away, infra/aws/glue-catalog.ts). `tables`: the stack's (a test gives an older release's).
 */
export function athenaViews(database: string = GLUE_DATABASE, tables: readonly GlueTableSpec[] = GLUE_TABLES): ViewDef[] {
  const standIn = (spec: GlueTableSpec): CatalogFile => ({
    ...spec.table,
    key: spec.name,
    dt: spec.kind === 'current' ? '' : '2026-01-01',
    rows: 0,
    bytes: 0,
    added_at: '',
    ...(spec.kind === 'current' ? { current: true } : {}),
  });
  const source: SourceSql = (table, names) => {
    if (names.length !== 1) throw new Error(`Athena views: ${glueTableName(table)} should be read through one Glue table, got ${names.join(', ')}`);
    return `${sqlIdent(database)}.${sqlIdent(names[0]!)}`;
  };
  const of = (kinds: readonly GlueTableKind[]) => tables.filter((t) => kinds.includes(t.kind)).map(standIn);
  const contracts = new Set(CONTRACTS.keys());
  const history = fileViews(of(['files']), (key) => key, source).filter((v) => !contracts.has(v.name));
  const current = fileViews(of(['recent', 'current']), (key) => key, source).filter((v) => contracts.has(v.name));
  return [...history, ...current, ...namedViews()];
}

/** A result column's name, as each row is keyed by it. */
const columnName = (col: ColumnInfo, c: number): string => col.Name ?? `_col${c}`;

function queryError(queryId: string, execution: QueryExecution): PuddleError {
  const reason = execution.Status?.StateChangeReason ?? 'no reason given';
  const state = execution.Status?.State;
  // Athena cancels a query that hits the workgroup's BytesScannedCutoffPerQuery: "Bytes scanned limit was exceeded".
  if (/bytes scanned limit/i.test(reason)) {
    return new ScanCutoffError(`Athena query ${queryId} stopped by the workgroup's scan cutoff: ${reason}`);
  }
  const lakeFile = state === 'FAILED' ? athenaLakeFileError(reason) : undefined;
  if (lakeFile) return lakeFile;
  // ErrorCategory 1 is Athena's own (system) failure, worth another try; 2 is the query's fault.
  const category = execution.Status?.AthenaError?.ErrorCategory;
  const retryable = execution.Status?.AthenaError?.Retryable === true || category === 1;
  const message = `Athena query ${queryId} ${state === 'CANCELLED' ? 'was cancelled' : 'failed'}: ${reason}`;
  return retryable ? new RetriableError(message) : new FatalError(message);
}

/** Athena hands every value back as text; type it as the DuckDB engine would (JSON-safe). */
export function jsonValue(text: string | undefined, type: string): unknown {
  if (text === undefined) return null;
  switch (type.toLowerCase()) {
    case 'tinyint':
    case 'smallint':
    case 'integer':
    case 'bigint': {
      const big = BigInt(text);
      return big <= BigInt(Number.MAX_SAFE_INTEGER) && big >= BigInt(Number.MIN_SAFE_INTEGER) ? Number(big) : big.toString();
    }
    case 'real':
    case 'float':
    case 'double':
    case 'decimal': {
      const x = Number(text);
      return Number.isFinite(x) ? x : null;
    }
    case 'boolean':
      return text === 'true';
    case 'timestamp': {
      // `2026-11-29 20:15:03.000` (UTC: the lake stores UTC instants) -> ISO with Z.
      const ms = Date.parse(`${text.replace(' ', 'T')}Z`);
      return Number.isNaN(ms) ? text : new Date(ms).toISOString();
    }
    default:
      return text;
  }
}
