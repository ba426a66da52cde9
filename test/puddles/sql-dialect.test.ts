// One SQL for DuckDB and Athena: every shipped query (puddles/queries/**/*.sql, including files added later) and
// every generated view must pass Trino's grammar and the portable-subset rules, and run on DuckDB over a landed lake.
// Generated views read files with DuckDB's read_parquet; they are checked with that source swapped for a plain
// table name (puddles/views.ts tableNameSource), which is the only part that differs between the engines.
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';

import { describe, expect, it } from 'vitest';

import { latestVersion } from '../../core/contracts/index.js';
import { makeEnvelope, type Envelope } from '../../core/envelope.js';
import { expandMacros } from '../../puddles/named-views.js';
import { sqlIdent } from '../../puddles/sql-text.js';
import { compactAll, compactionSql } from '../../puddles/compact.js';
import { foldSql } from '../../puddles/current-state.js';
import { contractColumns } from '../../puddles/parquet-writer.js';
import { portableSqlErrors, trinoSyntaxErrors } from '../../puddles/portable-sql.js';
import { forbiddenSqlConstructs, sqlTokens } from '../../puddles/sql-dialect.js';
import { currentViews, fileViews, tableNameSource } from '../../puddles/views.js';
import { donation, useLake, type Lake } from './lake-fixture.js';

const QUERIES_DIR = path.join(import.meta.dirname, '../../puddles/queries');

/** Every .sql file under puddles/queries, found now, so a file added later is covered without editing this test. */
const QUERY_FILES = (readdirSync(QUERIES_DIR, { recursive: true }) as string[])
  .filter((f) => f.endsWith('.sql'))
  .sort()
  .map((f) => ({ file: f, name: path.basename(f, '.sql'), sql: readFileSync(path.join(QUERIES_DIR, f), 'utf8') }));

/** The statement without its trailing `;` (and anything blank after it), its macros (`@units`, `@whole_word`) written out, as readQuery reads it. */
function body(sql: string): string {
  return expandMacros(sql.trim().replace(/;\s*$/, ''));
}

const lake = useLake();

function envelope(contract: string, version: number, payload: Record<string, unknown>, received_at: string): Envelope {
  return makeEnvelope({ contract, version, source: 'test', stream: 'sql', payload, received_at, delivery_id: `d-${received_at}` });
}

/** A small lake with several contracts, two versions of bank_line, an update, a redelivery and raw. */
async function landSmallLake(l: Lake): Promise<void> {
  const at = '2026-11-29T20:15:00Z';
  await l.queue.publish([
    donation('d1', 500, { channel: 'sms' }),
    donation('d2', 1000),
    donation('d2', 1200, { updated_at: '2026-11-29T21:00:00Z', received_at: '2026-11-29T21:00:01.000Z' }),
    donation('d3', 2500, { channel: 'ivr', currency: 'EUR' }),
    envelope('payment', 1, { payment_id: 'p1', occurred_at: at, provider: 'stripe', status: 'succeeded', amount_minor: 1200, currency: 'GBP', fee_minor: 38, net_minor: 1162, donation_id: 'd2', payout_id: 'po1' }, '2026-11-29T20:16:00.000Z'),
    envelope('payout', 1, { payout_id: 'po1', occurred_at: at, provider: 'stripe', amount_minor: 1162, currency: 'GBP', status: 'paid', bank_reference: 'STRIPE PO1' }, '2026-11-29T20:17:00.000Z'),
    envelope('bank_line', 1, { bank_line_id: 'b1', occurred_at: at, account: 'acc', amount_minor: 1162, currency: 'GBP', reference: 'STRIPE PO1', booking_date: '2026-11-30' }, '2026-11-30T08:00:00.000Z'),
    envelope('bank_line', 2, { bank_line_id: 'b2', occurred_at: at, account: 'acc', amount_minor: -50, currency: 'GBP', reference: 'FEE', booking_date: '2026-11-30', status: 'booked', source_format: 'bai2' }, '2026-11-30T08:00:00.000Z'),
  ]);
  // The same batch delivered again lands nothing new in the views.
  await l.queue.publish([donation('d1', 500, { channel: 'sms' })]);
  for (const p of ['transactions', 'raw']) await l.consumer(p).drain();
}

describe('portable SQL rules', () => {
  const forbidden: [string, string][] = [
    ['QUALIFY', 'SELECT a FROM t QUALIFY row_number() OVER (PARTITION BY a) = 1'],
    ['`::` cast', 'SELECT a::BIGINT FROM t'],
    ['DuckDB interval', 'SELECT x + INTERVAL 1 DAY FROM t'],
    ["interval '1 day' (Trino grammar accepts it)", "SELECT x + INTERVAL '1 day' FROM t"],
    ['strftime (Trino grammar accepts it)', "SELECT strftime(occurred_at, '%Y-%m-%d') FROM t"],
    ['GROUP BY ALL', 'SELECT a, count(*) FROM t GROUP BY ALL'],
    ['SELECT * EXCLUDE', 'SELECT * EXCLUDE (a) FROM t'],
    ['ILIKE', "SELECT a FROM t WHERE a ILIKE 'x%'"],
    ['integer division (Trino grammar accepts it)', 'SELECT amount_minor / 100 FROM t'],
    ['division of two columns', 'SELECT sum(a) / count(*) FROM t'],
    ['read_parquet', "SELECT * FROM read_parquet(['x.parquet'])"],
    ['string_agg', "SELECT string_agg(a, ',') FROM t"],
    ['array_to_string (Trino grammar accepts it)', "SELECT array_to_string(array_agg(a), ',') FROM t"],
    ['median (Trino has none)', 'SELECT median(amount_minor) FROM t'],
    ['quantile_cont', 'SELECT quantile_cont(amount_minor, 0.9) FROM t'],
    ['arg_max (Trino: max_by)', 'SELECT arg_max(a, b) FROM t'],
    ['string_split (Trino: split)', "SELECT string_split(a, ',') FROM t"],
    ['a list_ function', 'SELECT list_sort(array_agg(a)) FROM t'],
    ["timezone() (a zone's name on Trino)", "SELECT timezone('Europe/London', occurred_at) FROM t"],
  ];
  it.each(forbidden)('rejects %s', (_what, sql) => {
    expect(forbiddenSqlConstructs(sql).length).toBeGreaterThan(0);
    expect(portableSqlErrors(sql).length).toBeGreaterThan(0);
  });

  it('catches what the Trino grammar alone lets through', () => {
    for (const sql of ["SELECT x + INTERVAL '1 day' FROM t", "SELECT strftime(x, '%Y') FROM t", 'SELECT a / 2 FROM t']) {
      expect(trinoSyntaxErrors(sql)).toEqual([]);
      expect(forbiddenSqlConstructs(sql)).not.toEqual([]);
    }
  });

  it('names the line and column of what is wrong', () => {
    expect(forbiddenSqlConstructs('SELECT a\nFROM t\nWHERE b::INT = 1')).toEqual([
      'line 3:8: `::` casts are DuckDB-only: use CAST(x AS T)',
    ]);
  });

  it('lexes strings, quoted names, comments, numbers and operators with their lines and columns', () => {
    const sql = "select 'a''b', \"x\"\"y\" -- c\n/* two\nlines */ 1.5e3 .5 a::int<>b\u00a0é\r\n'open";
    expect(sqlTokens(sql).map((t) => `${t.kind} ${t.text} ${t.line}:${t.col}`)).toEqual([
      'word select 1:1',
      "string a'b 1:8",
      'op , 1:14',
      'quoted x"y 1:16',
      'number 1.5e3 3:10',
      'number .5 3:16',
      'word a 3:19',
      'op :: 3:20',
      'word int 3:22',
      'op <> 3:25',
      'word b 3:27',
      'op é 3:29',
      'string open 4:1',
    ]);
      const tokens = (sql: string) => sqlTokens(sql).map((t) => `${t.kind} ${t.text}`);
    expect(tokens('1. 1e .e5 a$b $ x -- to the end')).toEqual(['number 1.', 'number 1', 'word e', 'op .', 'word e5', 'word a$b', 'op $', 'word x']);
    expect(tokens('y /* never closed')).toEqual(['word y']);
    expect(tokens('z "never closed')).toEqual(['word z', 'quoted never closed']);
  });

  it('accepts the common subset, and is not fooled by strings and comments', () => {
    for (const sql of [
      'SELECT CAST(sum(a) AS DOUBLE) / count(*) AS mean FROM t',
      'SELECT a / 100.0, a * 1.5, -a / CAST(b AS DECIMAL(18, 2)) FROM t',
      "SELECT x + INTERVAL '1' DAY, x - INTERVAL '15' MINUTE FROM t",
      "SELECT date_diff('second', a, b), date_trunc('day', a), CAST(a AS DATE) FROM t",
      "SELECT a FROM (SELECT *, row_number() OVER (PARTITION BY a ORDER BY b DESC) AS rn FROM t) AS r WHERE rn = 1",
      "SELECT 'QUALIFY x::int / 2 strftime(' AS s FROM t -- QUALIFY a::b\n/* GROUP BY ALL */",
      'SELECT count(*) FILTER (WHERE a > 0), coalesce(a, 0) FROM t GROUP BY a ORDER BY a',
      "SELECT array_join(array_agg(a ORDER BY b), ', ') FROM t GROUP BY c",
    ]) {
      expect(portableSqlErrors(sql), sql).toEqual([]);
    }
  });
});

describe('generated views', () => {
  it('are portable once the file source is a plain table name, for an empty and a landed lake', async () => {
    await landSmallLake(lake);
    const files = await lake.catalog.listFiles();
    expect(new Set(files.map((f) => `${f.contract}/v${f.version}`))).toEqual(
      new Set(['donation/v1', 'payment/v1', 'payout/v1', 'bank_line/v1', 'bank_line/v2', 'envelope/v1']),
    );
    const views = [...fileViews([], (k) => k, tableNameSource), ...fileViews(files, (k) => k, tableNameSource), ...currentViews()];
    expect(views.map((v) => v.name)).toContain('bank_line_history');
    for (const v of views) expect(portableSqlErrors(v.sql), `${v.name}: ${v.sql}`).toEqual([]);
    // The DuckDB form differs only in the source: read_parquet appears, and nowhere else than there (for a
    // contract table, with the empty branch that names the columns older files lack: duckdbSource).
    const sources =
      /\(SELECT \* FROM read_parquet\(\[[^\]]*\], hive_partitioning = false, union_by_name = true\) UNION ALL BY NAME SELECT (?:CAST\(NULL AS \w+\) AS "\w+"(?:, )?)+ WHERE false\)|read_parquet\(\[[^\]]*\], hive_partitioning = false\)/g;
    for (const v of fileViews(files, (k) => k)) {
      const portable = v.sql.replace(sources, 'SRC');
      expect(forbiddenSqlConstructs(portable), v.name).toEqual([]);
    }
  });

  it('current-state views (state alone, state plus recent files) and the fold are portable', async () => {
    await landSmallLake(lake);
    await compactAll({ store: lake.store, catalog: lake.catalog, foldMinRows: 0 });
    await lake.queue.publish([donation('d4', 700, { received_at: '2026-11-29T22:00:00.000Z', delivery: 'late' })]);
    await lake.consumer('transactions').drain();
    const files = await lake.catalog.listFiles();
    const views = fileViews(files, (k) => k, tableNameSource);
    const current = views.filter((v) => v.sql.includes('/current'));
    expect(current.map((v) => v.name)).toEqual(expect.arrayContaining(['donation', 'payment', 'bank_line']));
    expect(views.find((v) => v.name === 'donation')!.sql).toContain('_puddle_from_state');
    expect(views.find((v) => v.name === 'payment')!.sql).not.toContain('_puddle_from_state');
    for (const v of current) expect(portableSqlErrors(v.sql), `${v.name}: ${v.sql}`).toEqual([]);
    for (const name of ['donation', 'bank_line']) {
      const c = latestVersion(name)!;
      const mine = files.filter((f) => f.contract === name);
      for (const sql of [
        foldSql(c, [], mine.filter((f) => !f.current), (k) => k, tableNameSource),
        foldSql(c, mine.filter((f) => f.current), mine.filter((f) => !f.current && !f.folded), (k) => k, tableNameSource),
      ]) expect(portableSqlErrors(sql), sql).toEqual([]);
    }
    expect(await lake.engine.query('SELECT donation_id, amount_minor FROM donation ORDER BY donation_id')).toEqual([
      { donation_id: 'd1', amount_minor: 500 },
      { donation_id: 'd2', amount_minor: 1200 },
      { donation_id: 'd3', amount_minor: 2500 },
      { donation_id: 'd4', amount_minor: 700 },
    ]);
  });

  it('compaction SQL is portable for every table', async () => {
    await landSmallLake(lake);
    for (const t of await lake.catalog.tables()) {
      if (t.puddle === 'raw') continue;
      const sql = compactionSql(t, ['x.parquet'], tableNameSource);
      expect(portableSqlErrors(sql), sql).toEqual([]);
    }
  });

  it('run on DuckDB with the same columns and rows as before (no helper column leaks)', async () => {
    await landSmallLake(lake);
    const donationCols = contractColumns(latestVersion('donation')!).map((c) => c.name);
    const rows = await lake.engine.query('SELECT * FROM donation ORDER BY donation_id');
    expect(rows.map((r) => Object.keys(r))).toEqual([donationCols, donationCols, donationCols]);
    expect(rows.map((r) => [r.donation_id, r.amount_minor])).toEqual([['d1', 500], ['d2', 1200], ['d3', 2500]]);
    expect(await lake.engine.query('SELECT count(*) AS n FROM donation_history')).toEqual([{ n: 4 }]);
    const lines = await lake.engine.query('SELECT bank_line_id, amount_minor, status FROM bank_line ORDER BY bank_line_id');
    expect(lines).toEqual([
      { bank_line_id: 'b1', amount_minor: 1162, status: null },
      { bank_line_id: 'b2', amount_minor: -50, status: 'booked' },
    ]);
    const rawCols = Object.keys((await lake.engine.query('SELECT * FROM raw LIMIT 1'))[0]!);
    expect(rawCols).not.toContain('_puddle_rn');
    expect(await lake.engine.query('SELECT count(*) AS n FROM raw')).toEqual([{ n: 8 }]);
    for (const v of [...currentViews(), ...fileViews([], (k) => k)]) {
      await expect(lake.engine.query(`SELECT count(*) AS n FROM ${sqlIdent(v.name)}`)).resolves.toHaveLength(1);
    }
  });
});

describe('shipped queries (puddles/queries/**/*.sql)', () => {
  it('there is at least one', () => {
    expect(QUERY_FILES.map((q) => q.file)).toContain('totals-by-channel.sql');
  });

  it.each(QUERY_FILES)('$file passes the Trino grammar and the portable rules', ({ sql }) => {
    expect(portableSqlErrors(body(sql))).toEqual([]);
  });

  it('all run on DuckDB over a landed lake (each also registered as a view by its file name)', async () => {
    await landSmallLake(lake);
    // Queries may read each other by name (recon_breaks over recon_matches): create views until none is left.
    let pending = [...QUERY_FILES];
    let lastError = new Map<string, string>();
    while (pending.length) {
      const failed: typeof pending = [];
      lastError = new Map();
      for (const q of pending) {
        try {
          await lake.engine.query(`CREATE OR REPLACE VIEW ${sqlIdent(q.name)} AS ${body(q.sql)}`);
        } catch (e) {
          failed.push(q);
          lastError.set(q.file, (e as Error).message);
        }
      }
      if (failed.length === pending.length) break;
      pending = failed;
    }
    expect(Object.fromEntries(lastError)).toEqual({});
    for (const q of QUERY_FILES) {
      await expect(lake.engine.query(body(q.sql)), q.file).resolves.toBeInstanceOf(Array);
    }
    expect(await lake.engine.query(body(QUERY_FILES.find((q) => q.name === 'totals-by-channel')!.sql))).toEqual([
      { channel: 'ivr', currency: 'EUR', donations: 1, amount_minor: 2500 },
      { channel: 'online', currency: 'GBP', donations: 1, amount_minor: 1200 },
      { channel: 'sms', currency: 'GBP', donations: 1, amount_minor: 500 },
    ]);
  });
});
