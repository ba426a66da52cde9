// `npm run bench:soak [-- --minutes 25 --rate 300 --burst 20000]`: the hub over an appeal night, not 10 seconds.
// Starts `puddle start --no-schedule` as a user would (its own PUDDLE_HOME under /tmp, its own port), opens /tv
// and the dashboard in headless chromium for the whole run, and posts unique donations from this process: a
// steady rate (batches of 10 and some single events) with a burst every ten minutes (`--burst` events in one
// minute, from minute 3). Every 30 s it prints one row of what could grow: the hub's RSS (it reports no heap) and
// its anonymous and file-backed parts, open file descriptors, threads, queue.db and its WAL, the lake's files and bytes, the most files in one partition,
// catalog.db, /healthz's waiting and oldest age, how long /v1/totals and /v1/ops/status take, the total on /tv,
// and the landed `SELECT count(*), sum(amount_minor) FROM donation`. At the end it stops the load, waits for
// the queue to drain, and checks /tv, /v1/totals and SQL all equal what the hub accepted.
// Options: --minutes, --rate (events/s), --burst (events), --sample (s), --port, --home DIR (kept), --keep 1 (keep
// the temporary home), --log FILE (the hub's stderr, at PUDDLE_LOG_LEVEL=warn, or --log-level: `debug` adds each
// DuckDB instance's memory every minute, puddles/duckdb.ts).
// Plain JavaScript, like hub-load.mjs: it takes little CPU from the hub on a shared machine.
import { execFile, spawn } from 'node:child_process';
import { promisify } from 'node:util';
import { randomBytes } from 'node:crypto';
import { createWriteStream, mkdtempSync, readFileSync, readdirSync, statSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const args = Object.fromEntries(
  process.argv.slice(2).flatMap((a, i, all) => (a.startsWith('--') ? [[a.slice(2), all[i + 1]]] : [])),
);
const MINUTES = Number(args.minutes ?? 25);
const RATE = Number(args.rate ?? 300);
const BURST = Number(args.burst ?? 20000);
const SAMPLE_S = Number(args.sample ?? 30);
const PORT = Number(args.port ?? 20000 + Math.floor(Math.random() * 20000));
const ROOT = new URL('../../', import.meta.url).pathname;
const home = args.home ?? mkdtempSync(join(tmpdir(), 'puddle-soak-'));
const apiKey = randomBytes(24).toString('hex');
const readKey = randomBytes(24).toString('hex');
const base = `http://127.0.0.1:${PORT}`;
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
const log = (...a) => console.log(...a);

const hub = spawn(process.execPath, [join(ROOT, 'bin/puddle.mjs'), 'start', '--no-schedule'], {
  env: { ...process.env, PUDDLE_HOME: home, PORT: String(PORT), PUDDLE_API_KEYS: apiKey, PUDDLE_READ_KEYS: readKey, PUDDLE_LOG_LEVEL: args['log-level'] ?? 'warn' },
  stdio: ['ignore', 'ignore', 'pipe'],
});
const hubLog = [];
const hubLogFile = args.log ? createWriteStream(args.log) : undefined;
hub.stderr.on('data', (d) => { hubLogFile?.write(d); hubLog.push(String(d)); if (hubLog.length > 200) hubLog.shift(); });
log(`# hub pid ${hub.pid}, home ${home}, ${base}`);

async function waitFor(fn, ms, what) {
  const end = Date.now() + ms;
  for (;;) {
    try { if (await fn()) return; } catch { /* not yet */ }
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}\n${hubLog.join('')}`);
    await sleep(500);
  }
}
await waitFor(async () => (await fetch(`${base}/healthz`)).status < 500, 120_000, 'the hub to listen');

// The load: unique donations; every 100 ms a tick's worth, as batches of 10 and one in ten ticks as single events.
let n = 0, accepted = 0, acceptedSum = 0, failed = 0, inFlight = 0;
const failures = new Map();
const CHANNELS = ['online', 'sms', 'ivr', 'call_centre'];
function post(count) {
  const events = [];
  let sum = 0;
  for (let i = 0; i < count; i++) {
    const k = n++;
    const amount = 100 + (k % 4900);
    sum += amount;
    events.push({ contract: 'donation', version: 1, payload: {
      donation_id: `soak-${k}`, occurred_at: new Date().toISOString(), channel: CHANNELS[k % 4],
      amount_minor: amount, currency: 'GBP', campaign: 'soak-appeal' } });
  }
  inFlight++;
  return fetch(`${base}/v1/events`, {
    method: 'POST', body: JSON.stringify({ events }),
    headers: { 'content-type': 'application/json', authorization: `Bearer ${apiKey}` },
  }).then(async (r) => {
    await r.arrayBuffer();
    if (r.status === 202) { accepted += count; acceptedSum += sum; } else { failed += count; failures.set(r.status, (failures.get(r.status) ?? 0) + 1); }
  }, (e) => { failed += count; failures.set(e.code ?? e.message, (failures.get(e.code ?? e.message) ?? 0) + 1); })
    .finally(() => { inFlight--; });
}
const t0 = Date.now();
let stopLoad = false, tick = 0, bursting = false;
const load = (async () => {
  let next = Date.now();
  while (!stopLoad) {
    tick++;
    const minute = (Date.now() - t0) / 60_000;
    bursting = minute % 10 >= 3 && minute % 10 < 4;
    let due = Math.round(RATE / 10) + (bursting ? Math.round(BURST / 600) : 0);
    if (inFlight < 64) {
      if (tick % 10 === 0) for (; due > 0 && due % 10 !== 0; due--) post(1);
      while (due >= 100 && bursting) { post(100); due -= 100; }
      while (due >= 10) { post(10); due -= 10; }
      while (due > 0) { post(1); due--; }
    }
    next += 100;
    await sleep(Math.max(0, next - Date.now()));
  }
})();

// The pages, open all run long.
const { chromium } = await import('playwright-core');
const browser = await chromium.launch({ executablePath: process.env.PUDDLE_CHROMIUM ?? '/usr/bin/chromium', args: ['--no-sandbox'] });
const tv = await browser.newPage();
await tv.goto(`${base}/tv?key=${readKey}`);
const ops = await browser.newPage();
await ops.goto(`${base}/?key=${readKey}`);

// What could grow.
const pid = hub.pid;
const size = (p) => { try { return statSync(p).size; } catch { return 0; } };
function walk(dir, out = { files: 0, bytes: 0, perDir: new Map() }) {
  let entries;
  try { entries = readdirSync(dir, { withFileTypes: true }); } catch { return out; }
  for (const e of entries) {
    const p = join(dir, e.name);
    if (e.isDirectory()) walk(p, out);
    else { out.files++; out.bytes += size(p); out.perDir.set(dir, (out.perDir.get(dir) ?? 0) + 1); }
  }
  return out;
}
function proc() {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  const field = (name) => Number(new RegExp(`^${name}:\\s+(\\d+)`, 'm').exec(status)?.[1] ?? NaN);
  // Of the RSS, RssAnon (heaps: glibc's malloc, DuckDB's jemalloc, V8's) and RssFile (mapped files: node, its
  // libraries, SQLite's -shm): which kind grows (docs/benchmarks.md, "A soak", 2026-12-04).
  return { rssMb: field('VmRSS') / 1024, anonMb: field('RssAnon') / 1024, fileMb: field('RssFile') / 1024, threads: field('Threads'), fds: readdirSync(`/proc/${pid}/fd`).length };
}
async function timed(path) {
  const start = performance.now();
  const r = await fetch(`${base}${path}`, { headers: { authorization: `Bearer ${readKey}` } });
  const body = await r.json().catch(() => null);
  return { ms: Math.round(performance.now() - start), status: r.status, body };
}
// Another process, as a user's query would be; not execFileSync, which would stop the load while it runs.
async function sql() {
  try {
    const { stdout: out } = await promisify(execFile)(process.execPath, [join(ROOT, 'bin/puddle.mjs'), 'query', "SELECT count(*) AS n, coalesce(sum(amount_minor), 0) AS s FROM donation", '--format', 'json'],
      { env: { ...process.env, PUDDLE_HOME: home, PUDDLE_LOG_LEVEL: 'error' }, encoding: 'utf8', timeout: 120_000, maxBuffer: 1 << 20 });
    const [row] = JSON.parse(out);
    return { n: Number(row.n), s: Number(row.s) };
  } catch (e) { return { n: NaN, s: NaN, error: String(e.stderr ?? e.message).slice(0, 200) }; }
}
// The live files by the catalog (what queries read; the folder also holds retired files for 15 minutes).
const Database = createRequire(import.meta.url)('better-sqlite3');
function catalog() {
  try {
    const db = new Database(join(home, 'catalog.db'), { readonly: true, fileMustExist: true });
    try {
      const parts = db.prepare('SELECT count(*) AS n FROM files GROUP BY puddle, contract, version, dt, current, folded').all();
      const garbage = db.prepare('SELECT count(*) AS n FROM garbage').get().n;
      return { live: parts.reduce((a, p) => a + p.n, 0), maxLive: Math.max(0, ...parts.map((p) => p.n)), garbage };
    } finally { db.close(); }
  } catch { return { live: NaN, maxLive: NaN, garbage: NaN }; }
}
const minor = (text) => Number(String(text ?? '').replace(/[^0-9]/g, '') || NaN);
async function tvFigures() {
  const total = await tv.locator('#total').textContent({ timeout: 5000 }).catch(() => null);
  const count = await tv.locator('#count').textContent({ timeout: 5000 }).catch(() => null);
  return { total: minor(total), count: minor(count) };
}

const rows = [];
const HEAD = 'min | RSS MB | anon MB | file MB | fds | thr | queue.db MB | wal MB | lake files | lake MB | live files | max live/part | retired | catalog MB | catalog wal MB | waiting | oldest s | totals ms | status ms | tv £ | tv n | sql n | accepted | failed';
log(HEAD);
async function sample(label) {
  const p = proc();
  const lake = walk(join(home, 'lake'));
  const cat = catalog();
  const health = await timed('/healthz');
  const totals = await timed('/v1/totals');
  const status = await timed('/v1/ops/status');
  const t = await tvFigures();
  const q = await sql();
  const h = health.body ?? {};
  const row = {
    min: label ?? ((Date.now() - t0) / 60_000).toFixed(1), rss: p.rssMb.toFixed(0), anon: p.anonMb.toFixed(0), file: p.fileMb.toFixed(0),
    fds: p.fds, threads: p.threads, queue: (size(join(home, 'queue.db')) / 1048576).toFixed(1), wal: (size(join(home, 'queue.db-wal')) / 1048576).toFixed(1),
    files: lake.files, lakeMb: (lake.bytes / 1048576).toFixed(1), live: cat.live, maxLive: cat.maxLive, garbage: cat.garbage,
    catalog: (size(join(home, 'catalog.db')) / 1048576).toFixed(1), catalogWal: (size(join(home, 'catalog.db-wal')) / 1048576).toFixed(1),
    waiting: h.landing?.waiting ?? '?', oldest: h.landing?.oldest_waiting_s ?? '?',
    totalsMs: totals.ms, statusMs: status.ms, tvTotal: t.total, tvCount: t.count, sqlN: q.n, accepted, failed,
  };
  rows.push({ ...row, sqlSum: q.s, apiTotal: totals.body?.total, health: h });
  log(Object.values(row).join(' | ') + (q.error ? ` (sql: ${q.error})` : ''));
}

let ended = false;
async function finish(code) {
  if (ended) return;
  ended = true;
  stopLoad = true;
  await browser.close().catch(() => {});
  hub.kill('SIGINT');
  await Promise.race([new Promise((r) => hub.once('exit', r)), sleep(60_000)]);
  if (hub.exitCode === null) hub.kill('SIGKILL');
  if (!args.home && !args.keep) rmSync(home, { recursive: true, force: true });
  process.exit(code);
}
process.on('SIGINT', () => finish(130));
process.on('SIGTERM', () => finish(143));

try {
  const end = t0 + MINUTES * 60_000;
  while (Date.now() < end) {
    await sleep(Math.min(SAMPLE_S * 1000 - ((Date.now() - t0) % (SAMPLE_S * 1000)), end - Date.now()));
    await sample();
  }
  stopLoad = true;
  await load;
  await waitFor(async () => inFlight === 0, 120_000, 'the last posts');
  log(`# load stopped: ${accepted} accepted (sum ${acceptedSum}), ${failed} failed ${JSON.stringify([...failures])}; draining`);
  await waitFor(async () => (await timed('/healthz')).body?.landing?.waiting === 0, 600_000, 'the queue to drain');
  await sleep(3000);
  await sample('end');
  const last = rows.at(-1);
  const api = last.apiTotal ?? {};
  const ok = last.tvTotal === acceptedSum && last.tvCount === accepted && last.sqlN === accepted && last.sqlSum === acceptedSum
    && api.count === accepted && api.amount_minor === acceptedSum;
  log(`# landed: sql ${last.sqlN} / ${last.sqlSum}; /v1/totals ${api.count} / ${api.amount_minor}; /tv ${last.tvCount} / ${last.tvTotal}; accepted ${accepted} / ${acceptedSum}: ${ok ? 'equal' : 'DIFFERENT'}`);
  await finish(ok ? 0 : 1);
} catch (err) {
  log(`# soak failed: ${err.stack ?? err}`);
  await finish(1);
}
