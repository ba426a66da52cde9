// microbench: writer thread's CPU per single-event row, groups of G rows, two subscriptions (raw + transactions)
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { SqliteQueue } from '../infra/local/sqlite-queue.js';
import { QueueWriter, packBodies } from '../infra/local/sqlite-queue-writer.mjs';
import { sqlitePragmas } from '../infra/local/sqlite.js';
import { PUDDLES } from '../puddles/definitions.js';
import { benchDonations } from '../test/bench/donation-envelopes.js';

const G = Number(process.argv[2] ?? 12);
const ROWS = Number(process.argv[3] ?? 60000);
const extra = (process.argv[4] ?? '').split(',').filter(Boolean);
const dir = mkdtempSync(join(tmpdir(), 'mbw-'));
const file = join(dir, 'q.db');
const PAGE = Number(process.env.PAGE ?? 16384);
{ const pre = new Database(file); pre.pragma(`page_size = ${PAGE}`); pre.pragma('journal_mode = WAL'); pre.exec('CREATE TABLE IF NOT EXISTS x (a)'); pre.close(); }
const PACK = Number(process.env.PACK ?? 1);
const q = new SqliteQueue(file, { backgroundWrites: false });
for (const p of PUDDLES) await q.subscribe({ name: p.name, contracts: p.contracts });
await q.close();
const db = new Database(file);
for (const p of [...sqlitePragmas(), ...extra]) db.pragma(p);
const w = new QueueWriter(db);
const envs = benchDonations(2000);
const texts = envs.map((e) => JSON.stringify(e));
console.log('body bytes', texts[0]!.length);
let i = 0;
const t0 = process.cpuUsage();
const w0 = performance.now();
for (let n = 0; n < ROWS; n += G) {
  if (PACK > 1) {
    const packs = []; const contracts = []; const rows = []; const receivedAt = [];
    for (let k = 0; k < G; k += PACK) { const b = []; for (let j = 0; j < PACK; j++) { b.push(texts[i++ % texts.length]!); contracts.push('donation'); } packs.push(packBodies(b)); rows.push(PACK); receivedAt.push(new Date().toISOString()); }
    w.write({ contracts, packs, rows, receivedAt }, Date.now());
    continue;
  }
  const bodies = [];
  for (let k = 0; k < G; k++) bodies.push(texts[i++ % texts.length]!);
  w.write({ contracts: bodies.map(() => 'donation'), packs: bodies.map((b) => packBodies([b])) }, Date.now());
}
const c = process.cpuUsage(t0);
console.log(`page ${db.pragma('page_size', { simple: true })} pack ${PACK} G=${G} ${extra.join(' ')}: ${((c.user + c.system) / ROWS).toFixed(2)} µs cpu/row (user ${(c.user / ROWS).toFixed(2)}, sys ${(c.system / ROWS).toFixed(2)}), wall ${((performance.now() - w0) * 1000 / ROWS).toFixed(2)} µs/row`);
db.close();
