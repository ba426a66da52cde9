// The live total at appeal-night scale (issue #10), printed, not asserted:
//  1. SQL `totals_by_box` over a lake of `sqlDonations` (default 10,000,000) donations, written directly as
//     Parquet by DuckDB COPY and read through the real catalog and views (goal <= 1 s): once over the whole
//     history (no current state yet), then over the current state a fold wrote (puddles/current-state.ts),
//     then with 1 % new donations and a later version of 1 in 500, changed as it lands, landed since (120,000
//     recent rows at 10M), then with 0.8 % more new donations (200,000 recent rows at 10M: as many as land
//     before the next fold, see defaultFoldRows), then with a backfill of later versions of 1 in 997 changed
//     days before they land (the slow case of puddles/views.ts), then after folding those in.
//  2. A hub over a lake of `hubDonations` (default 10,000,000), folded as compaction leaves it: the rebuild
//     on start, the heap it keeps and the process's peak RSS meanwhile, one drift check, then GET /v1/totals
//     p99 (goal <= 50 ms) with 1,000 sequential requests from this process.
//  3. Donations POSTed at 3,500 events/s for `seconds`: accepted (202) -> visible on /v1/totals/stream,
//     p99 per batch (goal <= 2 s).
// The aggregate holds one slot per donation (about 100 bytes with 30-character keys: 1 GB at 10M; see
// totals-memory-bench.ts), so a smaller hub part (`node --import tsx test/bench/totals-bench.ts 10000000 1000000`)
// suits a machine with less memory to spare; the request time depends on the number of cells (boxes x channels x
// campaigns x ctas x currencies), not on the number of donations.
// Run alone: `node --import tsx test/bench/totals-bench.ts [sqlDonations] [hubDonations] [seconds]`; the SQL part
// alone: `PUDDLE_BENCH_TOTALS_SQL_ONLY=1 npm run bench -- totals` (or hubDonations 0).
import { mkdirSync, mkdtempSync, rmSync, statSync } from 'node:fs';
import { request } from 'node:http';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';

import { DuckDBInstance } from '@duckdb/node-api';

import { loadConfig } from '../../core/config.js';
import { latestVersion } from '../../core/contracts/index.js';
import type { CatalogFile } from '../../core/ports.js';
import { DuckDbQueryEngine } from '../../infra/local/duckdb-query-engine.js';
import { FsObjectStore } from '../../infra/local/fs-object-store.js';
import { startHub } from '../../infra/local/hub.js';
import { SqliteCatalog } from '../../infra/local/sqlite-catalog.js';
import { foldAll } from '../../puddles/current-state.js';
import { puddleFor } from '../../puddles/definitions.js';
import { sqlString } from '../../puddles/sql-text.js';
import { fileKey } from '../../puddles/layout.js';
import { contractColumns } from '../../puddles/parquet-writer.js';

const PRODUCER = 'bench-producer-key';
const READ = 'bench-read-key';
const DAYS = 3;

/** The column expressions of a donation row `i` of `n`, over three evenings, as first landed. */
function donationColumns(n: number): Record<string, string> {
  const cols: Record<string, string> = {
    donation_id: `'d' || i`,
    occurred_at: `TIMESTAMP '2026-11-20 18:00:00' + to_seconds(CAST(i * ${DAYS * 86_400} / ${n} AS BIGINT))`,
    updated_at: 'NULL',
    channel: `(['online', 'sms', 'ivr', 'call_centre', 'crm', 'other'])[1 + i % 6]`,
    amount_minor: `100 * (1 + i % 50)`,
    currency: `CASE WHEN i % 40 = 0 THEN 'EUR' ELSE 'GBP' END`,
    campaign: `'campaign-' || (i % 4)`,
    cta: `'cta-' || (i % 8)`,
    status: `CASE WHEN i % 50 = 7 THEN 'failed' END`,
    _id: 'md5(CAST(i AS VARCHAR))',
    _source: `'bench'`, _stream: `'donation'`, _delivery_id: `'bench'`,
  };
  cols._changed_at = cols.occurred_at!;
  cols._received_at = `${cols.occurred_at!} + INTERVAL 1 MINUTE`;
  return cols;
}

async function writeFile(conn: import('@duckdb/node-api').DuckDBConnection, home: string, name: string, cols: Record<string, string>, from: string): Promise<CatalogFile> {
  const c = latestVersion('donation')!;
  const table = { puddle: puddleFor('donation')!.name, contract: 'donation', version: c.version };
  const list = contractColumns(c).map((col) => `CAST(${cols[col.name] ?? 'NULL'} AS ${col.type}) AS ${col.name}`).join(', ');
  const key = fileKey(table, '2026-11-20', 'b', name.padEnd(32, '0').slice(0, 32));
  const file = join(home, key);
  mkdirSync(dirname(file), { recursive: true });
  const res = await conn.runAndReadAll(`COPY (SELECT ${list} FROM ${from}) TO ${sqlString(file)} (FORMAT parquet, COMPRESSION zstd)`);
  const rows = Number(res.getRowsJS()[0]?.[0] ?? 0);
  return { ...table, key, dt: '2026-11-20', rows, bytes: statSync(file).size, added_at: new Date().toISOString() };
}

async function withDuckDb<T>(fn: (conn: import('@duckdb/node-api').DuckDBConnection) => Promise<T>): Promise<T> {
  const inst = await DuckDBInstance.create(':memory:', { threads: '2' });
  const conn = await inst.connect();
  try {
    return await fn(conn);
  } finally {
    conn.closeSync();
    inst.closeSync();
  }
}

/** n donations over three evenings' worth of boxes, 6 channels x 4 campaigns x 8 ctas, 1 in 50 failed. */
export async function writeDonations(home: string, n: number): Promise<CatalogFile[]> {
  const files: CatalogFile[] = [];
  const perFile = 2_500_000;
  await withDuckDb(async (conn) => {
    for (let start = 0, part = 0; start < n; start += perFile, part++) {
      const count = Math.min(perFile, n - start);
      files.push(await writeFile(conn, home, `benchtotals${part}`, donationColumns(n), `range(${start}, ${start + count}) t(i)`));
    }
  });
  return files;
}

/**
 * Later versions of every `every`-th existing donation (a third of them cancelled, the rest paid with a pound
 * more), as one file named `name`, all landing at `landed`. `late` says when each changed: `false` at landing
 * (a webhook or producer update on the night: updated_at is when it happened), `true` an hour after the
 * donation (a backfill or a provider catching up days later: updated_at long before it lands).
 */
async function writeVersions(conn: import('@duckdb/node-api').DuckDBConnection, home: string, n: number, name: string, every: number, late: boolean): Promise<CatalogFile> {
  const cols = donationColumns(n);
  const landed = `TIMESTAMP '2026-11-24 09:00:00'`;
  cols.amount_minor = `100 * (1 + i % 50) + 100`;
  cols.status = `CASE WHEN i % 3 = 0 THEN 'cancelled' ELSE 'paid' END`;
  cols._id = `md5('${name}-' || i)`;
  cols.updated_at = late ? `${cols.occurred_at!} + INTERVAL 1 HOUR` : `${landed} - INTERVAL 1 MINUTE + to_seconds(i % 60)`;
  cols._changed_at = cols.updated_at;
  cols._received_at = landed;
  return writeFile(conn, home, name, cols, `range(0, ${n}, ${every}) t(i)`);
}

/**
 * What lands after the last fold on the night, as two files: `fresh` new donations, and later versions of
 * every `every`-th existing one changed as they land, so both the anti-join (keys with nothing recent) and
 * the superseding (keys with a newer version) are exercised.
 */
async function writeRecent(home: string, n: number, fresh: number, every: number): Promise<CatalogFile[]> {
  return withDuckDb(async (conn) => [
    await writeFile(conn, home, 'benchrecentnew', donationColumns(n), `range(${n}, ${n + fresh}) t(i)`),
    await writeVersions(conn, home, n, 'benchrecentupd', every, false),
  ]);
}

async function timed<T>(label: string, fn: () => Promise<T>): Promise<T> {
  const t = performance.now();
  const out = await fn();
  console.log(`  ${label.padEnd(58)} ${((performance.now() - t) / 1000).toFixed(2)} s`);
  return out;
}

const pct = (xs: number[], p: number) => [...xs].sort((a, b) => a - b)[Math.min(xs.length - 1, Math.floor((p / 100) * xs.length))]!;

async function lake(n: number): Promise<{ home: string; catalog: SqliteCatalog }> {
  const home = mkdtempSync(join(tmpdir(), 'puddle-totals-bench-'));
  // The catalog first: a new catalog over a lake that already holds Parquet files is refused (catalog-file.ts).
  const catalog = new SqliteCatalog(join(home, 'catalog.db'));
  const files = await timed(`write ${n.toLocaleString('en-GB')} donations as Parquet`, () => writeDonations(home, n));
  await catalog.addFiles(files);
  return { home, catalog };
}

const TOTALS = 'SELECT count(*) AS cells, CAST(sum(pledges) AS BIGINT) AS pledges, CAST(sum(amount_minor) AS BIGINT) AS amount FROM totals_by_box';
const summary = (r: Record<string, unknown> | undefined) => `${String(r?.cells)} cells, ${String(r?.pledges)} pledges, ${String(r?.amount)} minor units`;

async function totalsRounds(engine: DuckDbQueryEngine, label: string, goal = ' (goal <= 1 s)'): Promise<Record<string, unknown>> {
  let last: Record<string, unknown> | undefined;
  for (const round of [1, 2, 3]) {
    [last] = await timed(`totals_by_box, ${label}, round ${round}${goal}`, () => engine.query(TOTALS));
  }
  console.log(`    ${summary(last)}`);
  return last!;
}

async function sqlPart(n: number): Promise<void> {
  console.log(`SQL totals_by_box over ${n.toLocaleString('en-GB')} donations (goal <= 1 s):`);
  const { home, catalog } = await lake(n);
  const store = new FsObjectStore(home, { fsync: false });
  const engine = (materializeCurrent = false) => new DuckDbQueryEngine({ catalog, store, threads: 2, materializeCurrent });
  try {
    // Before any fold: the whole history de-duplicated per query (what every query did before current state).
    let reference: Record<string, unknown>;
    const before = engine();
    try {
      await timed('views built [no current state yet: whole history]', () => before.query('SELECT 1'));
      [reference] = (await timed('totals_by_box over the whole history (the old way)', () => before.query(TOTALS))) as [Record<string, unknown>];
      console.log(`    ${summary(reference)}`);
    } finally {
      await before.close();
    }
    const [first] = await timed('fold the current state from the whole history (first compaction)', () => foldAll({ store, catalog }));
    console.log(`    ${first!.rowsIn.toLocaleString('en-GB')} rows in, ${first!.rowsOut.toLocaleString('en-GB')} rows of state`);
    const live = engine();
    try {
      await timed('views built [current state]', () => live.query('SELECT 1'));
      const folded = await totalsRounds(live, 'current state alone');
      console.log(`    same as the whole-history answer: ${JSON.stringify(folded) === JSON.stringify(reference!) ? 'yes' : 'NO'}`);
      const fresh = Math.max(1000, Math.round(n / 100));
      const every = 500;
      const recent = await writeRecent(home, n, fresh, every);
      await catalog.addFiles(recent);
          console.log(`  landed since the fold: ${fresh.toLocaleString('en-GB')} new donations and ${recent[1]!.rows.toLocaleString('en-GB')} later versions changed as they land (${(fresh + recent[1]!.rows).toLocaleString('en-GB')} recent rows)`);
      await totalsRounds(live, 'state + recent rows');
      const more = Math.max(800, Math.round((n * 8) / 1000));
      const [added] = await withDuckDb(async (conn) => [await writeFile(conn, home, 'benchrecentmore', donationColumns(n), `range(${n + fresh}, ${n + fresh + more}) t(i)`)]);
      await catalog.addFiles([added!]);
      console.log(`  landed since: ${more.toLocaleString('en-GB')} more new donations (${(fresh + recent[1]!.rows + more).toLocaleString('en-GB')} recent rows)`);
      await totalsRounds(live, 'state + more recent rows');
      // Versions changed long before they land cannot be told from the state's rows by their _changed_at
      // alone: each is looked up in the whole state (puddles/views.ts, step 2).
      const late = await withDuckDb(async (conn) => [await writeVersions(conn, home, n, 'benchrecentlate', 997, true)]);
      await catalog.addFiles(late);
      console.log(`  landed since: ${late[0]!.rows.toLocaleString('en-GB')} later versions of old donations changed days before they land (a backfill; ${(fresh + recent[1]!.rows + more + late[0]!.rows).toLocaleString('en-GB')} recent rows)`);
      const withRecent = await totalsRounds(live, 'state + recent rows + a backfill');
      const [again] = await timed('fold the recent rows in (incremental fold)', () => foldAll({ store, catalog, minRows: 0 }));
      console.log(`    ${again!.rowsIn.toLocaleString('en-GB')} rows in, ${again!.rowsOut.toLocaleString('en-GB')} rows of state`);
      const refolded = await totalsRounds(live, 'after the incremental fold');
      console.log(`    same as state + recent: ${JSON.stringify(refolded) === JSON.stringify(withRecent) ? 'yes' : 'NO'}`);
    } finally {
      await live.close();
    }
  } finally {
    catalog.close();
    rmSync(home, { recursive: true, force: true });
  }
}

function get(url: string): Promise<number> {
  return new Promise((resolve, reject) => {
    const t = performance.now();
    const req = request(url, { headers: { authorization: `Bearer ${READ}` }, agent: keepAlive }, (res) => {
      res.resume();
      res.on('end', () => resolve(performance.now() - t));
    });
    req.on('error', reject);
    req.end();
  });
}
let keepAlive: import('node:http').Agent;

/** Heap in use after a full collection, so garbage from the rebuild's pages does not count. */
function heapAfterGc(): number {
  setFlagsFromString('--expose-gc');
  (runInNewContext('gc') as () => void)();
  return process.memoryUsage().heapUsed;
}

async function hubPart(n: number, seconds: number): Promise<void> {
  console.log(`\nA hub over ${n.toLocaleString('en-GB')} donations:`);
  const { home, catalog } = await lake(n);
  // A lake the hub has been running on is compacted, so its current state is folded.
  await timed('fold the current state (as compaction leaves it)', () => foldAll({ store: new FsObjectStore(home, { fsync: false }), catalog }));
  catalog.close();
  const { Agent } = await import('node:http');
  keepAlive = new Agent({ keepAlive: true, maxSockets: 1 });
  const heapBefore = heapAfterGc();
  const rssBefore = process.memoryUsage.rss();
  let rssPeak = rssBefore;
  const sampler = setInterval(() => (rssPeak = Math.max(rssPeak, process.memoryUsage.rss())), 100);
  const hub = await timed('start (rebuild of the live totals from the current state)', () =>
    startHub({ config: { ...loadConfig({}), home, port: 0, apiKeys: [PRODUCER], readKeys: [READ], driftCheckMs: 3_600_000 } }));
  clearInterval(sampler);
  try {
    console.log(`    ${hub.totals.totals.donations.toLocaleString('en-GB')} donations held, heap +${((heapAfterGc() - heapBefore) / 1e6).toFixed(0)} MB after a GC; process RSS peak during the rebuild +${((rssPeak - rssBefore) / 1e6).toFixed(0)} MB (DuckDB included)`);
    const drift = await timed('one drift check (totals_by_box against the aggregate)', () => hub.totals.checkDrift());
    console.log(`    ${drift?.ok ? 'no drift' : 'DRIFT'}: ${drift?.boxes} boxes compared`);
    const times: number[] = [];
    for (let i = 0; i < 1000; i++) times.push(await get(`${hub.url}/v1/totals?by=${['channel', 'campaign', 'cta'][i % 3]}${i % 2 ? '&campaign=campaign-1' : ''}`));
    console.log(`  GET /v1/totals, 1,000 requests (goal p99 <= 50 ms): p50 ${pct(times, 50).toFixed(2)} ms, p99 ${pct(times, 99).toFixed(2)} ms, max ${Math.max(...times).toFixed(2)} ms`);
    await streamPart(hub.url, seconds);
  } finally {
    keepAlive.destroy();
    await hub.stop();
    rmSync(home, { recursive: true, force: true });
  }
}

/** POST at 3,500 events/s in batches of 50 every ~14 ms; time from each 202 to the stream showing it. */
async function streamPart(url: string, seconds: number): Promise<void> {
  const rate = 3500;
  const batch = 50;
  const campaign = 'bench-stream';
  let shownCount = 0;
  const shown: { at: number; count: number }[] = [];
  const stream = request(`${url}/v1/totals/stream?campaign=${campaign}`, { headers: { authorization: `Bearer ${READ}` } }, (res) => {
    res.setEncoding('utf8');
    let buf = '';
    res.on('data', (chunk: string) => {
      buf += chunk;
      let at: number;
      while ((at = buf.indexOf('\n\n')) >= 0) {
        const block = buf.slice(0, at);
        buf = buf.slice(at + 2);
        const data = block.split('\n').find((l) => l.startsWith('data: '));
        if (!data) continue;
        const doc = JSON.parse(data.slice(6)) as { currencies: { total: { count: number } }[] };
        shownCount = doc.currencies.reduce((a, c) => a + c.total.count, 0);
        shown.push({ at: performance.now(), count: shownCount });
      }
    });
  });
  stream.end();
  const accepted: { at: number; count: number }[] = [];
  let sent = 0;
  let failed = 0;
  const started = performance.now();
  const inflight: Promise<void>[] = [];
  for (let k = 0; performance.now() - started < seconds * 1000; k++) {
    const due = started + (k * batch * 1000) / rate;
    const wait = due - performance.now();
    if (wait > 0) await new Promise((r) => setTimeout(r, wait));
    const events = Array.from({ length: batch }, (_, i) => ({
      contract: 'donation',
      version: 1,
      payload: { donation_id: `s-${k}-${i}`, occurred_at: '2026-11-27T20:00:00Z', channel: 'sms', amount_minor: 500, currency: 'GBP', campaign, cta: 'tv-sms' },
    }));
    const upTo = (sent += batch);
    inflight.push(
      fetch(`${url}/v1/events`, { method: 'POST', headers: { authorization: `Bearer ${PRODUCER}`, 'content-type': 'application/json' }, body: JSON.stringify({ events }) })
        .then(async (res) => {
          await res.arrayBuffer();
          if (res.status === 202) accepted.push({ at: performance.now(), count: upTo });
          else failed++;
        }),
    );
  }
  await Promise.all(inflight);
  const wall = (performance.now() - started) / 1000;
  // Wait for the stream to catch up (bounded).
  const maxCount = Math.max(0, ...accepted.map((a) => a.count));
  for (let i = 0; i < 600 && shownCount < maxCount; i++) await new Promise((r) => setTimeout(r, 100));
  stream.destroy();
  // Batches may be accepted out of order; a batch is visible once the stream shows a count covering it
  // (counts only grow here: every event is a new pledge).
  const lags = accepted.map((a) => {
    const s = shown.find((x) => x.count >= a.count && x.at >= a.at) ?? shown.find((x) => x.count >= a.count);
    return s ? Math.max(0, s.at - a.at) : Number.POSITIVE_INFINITY;
  });
  console.log(`  POST ${sent.toLocaleString('en-GB')} events in ${wall.toFixed(1)} s (${(sent / wall).toFixed(0)}/s asked ${rate}/s), ${failed} batches refused`);
  console.log(`  accepted -> on the SSE stream, per batch of ${batch} (goal p99 <= 2 s): p50 ${(pct(lags, 50) / 1000).toFixed(2)} s, p99 ${(pct(lags, 99) / 1000).toFixed(2)} s, max ${(Math.max(...lags) / 1000).toFixed(2)} s; stream pushes ${shown.length}, last count ${shownCount}`);
}

export async function benchTotals(opts: { sqlDonations?: number; hubDonations?: number; seconds?: number } = {}): Promise<void> {
  if (opts.sqlDonations !== 0) await sqlPart(opts.sqlDonations ?? 10_000_000);
  // 0 leaves a part out (`... totals-bench.ts 10000000 0` times the SQL alone).
  if (opts.hubDonations !== 0 && !process.env.PUDDLE_BENCH_TOTALS_SQL_ONLY) await hubPart(opts.hubDonations ?? 10_000_000, opts.seconds ?? 20);
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  await benchTotals({ sqlDonations: Number(process.argv[2] ?? 10_000_000), hubDonations: Number(process.argv[3] ?? 10_000_000), seconds: Number(process.argv[4] ?? 20) });
}
