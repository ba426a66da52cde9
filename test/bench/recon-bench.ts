// Reconciliation at appeal-night scale: recon_journey and recon_breaks over 1,000,000 donations with their
// payments, payout items, payouts and bank lines (goal: <= 10 s each on this 2-core machine). The lake is
// written directly as Parquet by DuckDB COPY (landing a million envelopes through the queue would take
// minutes and is measured by the landing bench), registered in a real SqliteCatalog, and read by the real
// DuckDbQueryEngine and its views: over the whole history (no current state yet), snapshotted as `puddle
// report` does, and over the current state compaction folds (puddles/current-state.ts), plainly and as the hub's
// engine reads it (a snapshot per recon query). Also times the current views alone, and prints how far each step
// raised the process's resident memory. Prints figures; asserts nothing.
// Run alone: `node --import tsx test/bench/recon-bench.ts [donations]`.
import { mkdirSync, mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { pathToFileURL } from 'node:url';

import { DuckDBInstance, type DuckDBConnection } from '@duckdb/node-api';

import { latestVersion } from '../../core/contracts/index.js';
import type { CatalogFile } from '../../core/ports.js';
import { DuckDbQueryEngine } from '../../infra/local/duckdb-query-engine.js';
import { FsObjectStore } from '../../infra/local/fs-object-store.js';
import { SqliteCatalog } from '../../infra/local/sqlite-catalog.js';
import { foldAll } from '../../puddles/current-state.js';
import { puddleFor } from '../../puddles/definitions.js';
import { sqlString } from '../../puddles/sql-text.js';
import { fileKey } from '../../puddles/layout.js';
import { contractColumns } from '../../puddles/parquet-writer.js';
import { setReconParams } from '../../puddles/reports.js';

const DAYS = 10;

/** Source SQL per contract: column name -> expression over a table `s` made beforehand. */
function tables(n: number): { contract: string; source: string; columns: Record<string, string> }[] {
  const stripe = `(i % 10 < 7)`;
  return [
    {
      contract: 'donation',
      source: `SELECT i, TIMESTAMP '2026-11-20 08:00:00' + to_seconds(CAST(i * ${DAYS * 86_400} / ${n} AS BIGINT)) AS ts FROM range(${n}) t(i)`,
      columns: {
        donation_id: `'d' || i`, occurred_at: 'ts', channel: `CASE WHEN i % 20 < 15 THEN 'online' WHEN i % 20 < 18 THEN 'sms' ELSE 'call_centre' END`,
        amount_minor: `500 + (i % 20) * 100`, currency: `'GBP'`, campaign: `'appeal'`, cta: `'cta' || (i % 6)`,
        payment_provider: `CASE WHEN ${stripe} THEN 'stripe' ELSE 'braintree' END`,
      },
    },
    {
      contract: 'payment',
      // SMS is collected by month, so no payment; 1 in 200 card gifts is declined, 1 in 500 never paid at all.
      source: `SELECT i, ts, CAST(ts AS DATE) AS d, 500 + (i % 20) * 100 AS amount FROM (SELECT i, TIMESTAMP '2026-11-20 08:00:10' + to_seconds(CAST(i * ${DAYS * 86_400} / ${n} AS BIGINT)) AS ts FROM range(${n}) t(i)) WHERE NOT (i % 20 BETWEEN 15 AND 17) AND i % 500 <> 1`,
      columns: {
        payment_id: `'p' || i`, occurred_at: 'ts', provider: `CASE WHEN ${stripe} THEN 'stripe' ELSE 'braintree' END`,
        status: `CASE WHEN i % 200 = 3 THEN 'failed' WHEN ${stripe} THEN 'succeeded' ELSE 'settled' END`,
        amount_minor: 'amount', currency: `'GBP'`,
        fee_minor: `CASE WHEN ${stripe} THEN (amount * 15 + 500) // 1000 + 20 END`,
        net_minor: `CASE WHEN ${stripe} THEN amount - ((amount * 15 + 500) // 1000 + 20) END`,
        donation_id: `'d' || i`,
        available_on: `CASE WHEN ${stripe} THEN CAST(d + 2 AS TIMESTAMP) END`,
        payout_id: `CASE WHEN i % 200 = 3 THEN NULL WHEN ${stripe} THEN 'po_' || strftime(d + 2, '%Y%m%d') ELSE 'acct_' || (i % 2) || ':' || strftime(d + 2, '%Y-%m-%d') END`,
        settlement_batch_id: `CASE WHEN NOT ${stripe} THEN strftime(d + 1, '%Y-%m-%d') || '_acct_' || (i % 2) END`,
      },
    },
  ];
}

async function copyTable(conn: DuckDBConnection, root: string, contract: string, select: string, files: CatalogFile[]): Promise<void> {
  const c = latestVersion(contract)!;
  const table = { puddle: puddleFor(contract)!.name, contract, version: c.version };
  const key = fileKey(table, '2026-11-20', 'b', `bench${contract.replaceAll('_', '')}`.padEnd(32, '0').slice(0, 32));
  const file = join(root, key);
  mkdirSync(dirname(file), { recursive: true });
  const cols = contractColumns(c);
  await conn.run(`CREATE OR REPLACE TEMP TABLE src AS ${select}`);
  const [row] = (await conn.runAndReadAll('SELECT count(*) AS n FROM src')).getRowObjectsJS();
  const list = cols.map((col) => `CAST(${col.name} AS ${col.type}) AS ${col.name}`).join(', ');
  await conn.run(`COPY (SELECT ${list} FROM src) TO ${sqlString(file)} (FORMAT parquet, COMPRESSION zstd)`);
  files.push({ ...table, key, dt: '2026-11-20', rows: Number(row!.n), bytes: statSync(file).size, added_at: new Date().toISOString() });
}

/** Every column of a contract from an expression map; envelope columns made up; the rest NULL. */
function shaped(contract: string, columns: Record<string, string>, source: string, keyExpr: string): string {
  const c = latestVersion(contract)!;
  const exprs = contractColumns(c).map((col) => {
    if (col.name in columns) return `${columns[col.name]!} AS ${col.name}`;
    if (col.name === '_id') return `md5(${keyExpr}) AS _id`;
    if (col.name === '_source' || col.name === '_delivery_id') return `'bench' AS ${col.name}`;
    if (col.name === '_stream') return `'${contract}' AS _stream`;
    if (col.name === '_changed_at') return `${columns.occurred_at!} AS _changed_at`;
    if (col.name === '_received_at') return `${columns.occurred_at!} + INTERVAL 1 MINUTE AS _received_at`;
    return `NULL AS ${col.name}`;
  });
  return `SELECT ${exprs.join(', ')} FROM (${source}) s`;
}

export async function writeLake(root: string, n: number): Promise<CatalogFile[]> {
  const inst = await DuckDBInstance.create(':memory:', { threads: '2' });
  const conn = await inst.connect();
  const files: CatalogFile[] = [];
  try {
    for (const t of tables(n)) {
      await copyTable(conn, root, t.contract, shaped(t.contract, t.columns, t.source, t.columns[`${t.contract}_id`]!), files);
    }
    // Items: one per successful payment, in the payout the payment names.
    const paymentFile = join(root, files.find((f) => f.contract === 'payment')!.key);
    await conn.run(`CREATE OR REPLACE TABLE pay AS SELECT * FROM read_parquet(${sqlString(paymentFile)}) WHERE payout_id IS NOT NULL`);
    await copyTable(conn, root, 'payout_item', shaped('payout_item', {
      payout_item_id: `payout_id || ':' || payment_id`, occurred_at: 'occurred_at', provider: 'provider', payout_id: 'payout_id', payment_id: 'payment_id',
      type: `CASE WHEN provider = 'stripe' THEN 'charge' ELSE 'sale' END`, amount_minor: 'amount_minor', fee_minor: 'fee_minor', net_minor: 'net_minor', currency: 'currency',
    }, 'SELECT * FROM pay', 'payout_id || payment_id'), files);
    // Payouts: the net sum of their items, arriving the next day (Stripe) or the same day (Braintree).
    await conn.run(`CREATE OR REPLACE TABLE po AS SELECT payout_id, min(provider) AS provider, sum(coalesce(net_minor, amount_minor)) AS amount,
      min(CAST(occurred_at AS DATE)) + 2 AS created FROM pay GROUP BY payout_id`);
    await copyTable(conn, root, 'payout', shaped('payout', {
      payout_id: 'payout_id', occurred_at: 'CAST(created AS TIMESTAMP)', provider: 'provider', status: `'paid'`, amount_minor: 'amount', currency: `'GBP'`,
      arrival_date: `CASE WHEN provider = 'stripe' THEN created + 1 ELSE created END`,
      bank_reference: `CASE WHEN provider = 'stripe' THEN 'CHARITY ' || payout_id END`,
      merchant_account: `CASE WHEN provider = 'braintree' THEN split_part(payout_id, ':', 1) END`,
    }, 'SELECT * FROM po', 'payout_id'), files);
    // One bank line per payout, booked on arrival (Braintree: the next day), plus other credits.
    await copyTable(conn, root, 'bank_line', shaped('bank_line', {
      bank_line_id: `'bl_' || payout_id`, occurred_at: 'CAST(created AS TIMESTAMP)', account: `'GB00'`, amount_minor: 'amount', currency: `'GBP'`,
      reference: `CASE WHEN provider = 'stripe' THEN 'CHARITY ' || payout_id ELSE 'BRAINTREE' END`,
      description: `CASE WHEN provider = 'stripe' THEN 'STRIPE PAYMENTS UK LTD' ELSE 'BRAINTREE PAYMENTS ' || upper(payout_id) END`,
      booking_date: `CASE WHEN provider = 'stripe' THEN created + 1 ELSE created + 1 END`, status: `'booked'`,
    }, 'SELECT * FROM po', 'payout_id'), files);
  } finally {
    conn.closeSync();
    inst.closeSync();
  }
  return files;
}

/** Wall time, and the CPU time this process used (DuckDB's threads included): on a box shared with other
 * work the wall time moves with their load, the CPU time much less. */
/**
 * Runs `fn`, printing its time, CPU and the most the process's resident memory rose above where it stood before
 * (sampled every 20 ms: DuckDB works on its own threads, so the event loop is free to look), which is where a
 * query's working set (a snapshot's tables, a join's hash tables) shows.
 */
async function timed<T>(label: string, fn: () => Promise<T>): Promise<T> {
  const t = performance.now();
  const cpu = process.cpuUsage();
  const before = process.memoryUsage.rss();
  let peak = before;
  const sampler = setInterval(() => (peak = Math.max(peak, process.memoryUsage.rss())), 20);
  let out: T;
  try {
    out = await fn();
  } finally {
    clearInterval(sampler);
  }
  peak = Math.max(peak, process.memoryUsage.rss());
  const used = process.cpuUsage(cpu);
  const mb = (b: number) => Math.round(b / 2 ** 20);
  console.log(
    `  ${label.padEnd(52)} ${((performance.now() - t) / 1000).toFixed(2)} s (cpu ${((used.user + used.system) / 1e6).toFixed(2)} s, ` +
      `rss ${mb(before)} MB, peak +${mb(peak - before)} MB)`,
  );
  return out;
}

export async function benchRecon(opts: { donations?: number } = {}): Promise<void> {
  const n = opts.donations ?? 1_000_000;
  const dir = mkdtempSync(join(tmpdir(), 'puddle-recon-bench-'));
  try {
    // The catalog first: a new catalog over a lake that already holds Parquet files is refused (catalog-file.ts).
    const catalog = new SqliteCatalog(join(dir, 'catalog.db'));
    const files = await timed(`write the lake (${n.toLocaleString('en-GB')} donations) as Parquet`, () => writeLake(dir, n));
    for (const f of files) console.log(`    ${f.contract.padEnd(12)} ${String(f.rows).padStart(9)} rows ${(f.bytes / 1e6).toFixed(1).padStart(6)} MB`);
    await catalog.addFiles(files);
    const store = new FsObjectStore(dir, { fsync: false });
    for (const materializeCurrent of [false, true]) {
      console.log(materializeCurrent ? '  with current state materialised first (puddle report):' : '  views over the whole history (no current state yet):');
      await queries(new DuckDbQueryEngine({ catalog, store, threads: 2, materializeCurrent }));
    }
    const folded = await timed('fold the current state of every contract (compaction)', () => foldAll({ store, catalog }));
    console.log(`    ${folded.map((f) => `${f.contract} ${f.rowsOut}`).join(', ')}`);
    console.log('  plain views over the current state (a live hub after compaction, until 2026-12-05):');
    await queries(new DuckDbQueryEngine({ catalog, store, threads: 2 }));
    // The hub's own engine (infra/local/runtime.ts): a query naming a recon view first copies the current views it
    // reads into tables, for that query alone, then drops them (duckdb-query-engine.ts #withViews).
    console.log('  as the hub answers the dashboard: each recon query snapshots the current views it reads (snapshotPerQuery):');
    await queries(new DuckDbQueryEngine({ catalog, store, threads: 2, snapshotPerQuery: true }));
    catalog.close();
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

async function queries(engine: DuckDbQueryEngine): Promise<void> {
    try {
      await timed('views built (and tables), recon_params as of 2026-12-20', () => setReconParams(engine, { as_of: '2026-12-20' }));
      await timed('current state only: donation, payment, payout_item', () =>
        engine.query('SELECT (SELECT count(*) FROM donation) AS d, (SELECT count(*) FROM payment) AS p, (SELECT count(*) FROM payout_item) AS i'));
      const journey = await timed('recon_journey: every donation, stage by stage', () =>
        engine.query('SELECT stage, count(*) AS n, sum(amount_minor) AS amount_minor, count(bank_line_id) AS banked FROM recon_journey GROUP BY stage ORDER BY stage'));
      console.log(`    ${journey.map((r) => `${String(r.stage)} ${String(r.n)}`).join(', ')}`);
      // Twice each: the first query of a kind also pays for DuckDB growing its memory.
      await timed('recon_journey again', () => engine.query('SELECT stage, count(*) AS n FROM recon_journey GROUP BY stage'));
      const breaks = await timed('recon_breaks: every break', () =>
        engine.query('SELECT break_type, count(*) AS n, sum(amount_minor) AS amount_minor FROM recon_breaks GROUP BY break_type ORDER BY break_type'));
      console.log(`    ${breaks.map((r) => `${String(r.break_type)} ${String(r.n)}`).join(', ') || 'no breaks'}`);
      await timed('recon_breaks again', () => engine.query('SELECT break_type, count(*) AS n FROM recon_breaks GROUP BY break_type'));
      const matches = await timed('recon_matches', () => engine.query('SELECT rule, count(*) AS n FROM recon_matches GROUP BY rule ORDER BY rule'));
      console.log(`    ${matches.map((r) => `${String(r.rule)} ${String(r.n)}`).join(', ')}`);
    } finally {
      await engine.close();
    }
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  await benchRecon({ donations: Number(process.argv[2] ?? 1_000_000) });
}
