// Producer ingest benchmark: Puddle's POST /v1/events (real SqliteQueue) against a bare node:http
// server that only reads the body and answers 202, both driven by autocannon on 127.0.0.1.
// Run: npx tsx test/bench/ingest-bench.ts [seconds]
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { buildServer } from '../../core/http/server.js';
import { SqliteQueue } from '../../infra/local/sqlite-queue.js';
import { childOutput } from './child-output.js';

const KEY = 'bench-key';
const HOST = '127.0.0.1';

interface Case {
  name: string;
  eventsPerRequest: number;
  connections: number;
}

const CASES: Case[] = [
  { name: '1 event/request', eventsPerRequest: 1, connections: 32 },
  { name: '100 events/request', eventsPerRequest: 100, connections: 8 },
];

interface Result {
  requestsPerSec: number;
  eventsPerSec: number;
  p50: number;
  p99: number;
  non2xx: number;
  errors: number;
}

// The same body on every request: autocannon 8's `-I` id replacement miscounts Content-Length with
// hyperid 3, and repeats cost the server the same work (the queue stores each; landing de-duplicates).
function body(n: number): string {
  const events = Array.from({ length: n }, (_, i) => ({
    contract: 'donation',
    version: 1,
    payload: {
      donation_id: `bench-${i}`,
      occurred_at: '2026-11-29T20:15:00Z',
      channel: 'sms',
      amount_minor: 500 + i,
      currency: 'GBP',
      campaign: 'xmas-appeal',
    },
  }));
  return JSON.stringify({ events });
}

// A separate process: on 2 cores, a load generator sharing the server's event loop would measure itself.
async function autocannon(url: string, bodyFile: string, c: Case, seconds: number): Promise<Record<string, unknown>> {
  const bin = createRequire(import.meta.url).resolve('autocannon/autocannon.js');
  const args = [
    bin, url, '-m', 'POST', '-c', String(c.connections), '-d', String(seconds), '-n', '--json',
    '-H', 'content-type=application/json', '-H', `authorization=Bearer ${KEY}`, '-i', bodyFile,
  ];
  const { code, out, err } = await childOutput(process.execPath, args);
  if (code !== 0) throw new Error(`autocannon exited ${code}: ${err.slice(0, 500)}`);
  try {
    return JSON.parse(out) as Record<string, unknown>;
  } catch (e) {
    throw new Error(`autocannon output not JSON: ${out.slice(0, 200)}`, { cause: e });
  }
}

async function measure(url: string, bodyFile: string, c: Case, seconds: number): Promise<Result> {
  await autocannon(url, bodyFile, c, 1); // warm up the JIT and the connections
  const r = await autocannon(url, bodyFile, c, seconds);
  const ok = Number(r['2xx'] ?? 0);
  const duration = Number(r.duration ?? seconds);
  const latency = r.latency as Record<string, number>;
  const requestsPerSec = ok / duration;
  return {
    requestsPerSec,
    eventsPerSec: requestsPerSec * c.eventsPerRequest,
    p50: latency.p50 ?? NaN,
    p99: latency.p99 ?? NaN,
    non2xx: Number(r.non2xx ?? 0),
    errors: Number(r.errors ?? 0) + Number(r.timeouts ?? 0),
  };
}

function listen(server: Server): Promise<string> {
  return new Promise((resolve) => {
    server.listen(0, HOST, () => resolve(`http://${HOST}:${(server.address() as AddressInfo).port}`));
  });
}

export async function benchIngest(opts: { seconds?: number } = {}): Promise<void> {
  const seconds = opts.seconds ?? 5;
  const dir = mkdtempSync(join(tmpdir(), 'puddle-ingest-bench-'));
  const queue = new SqliteQueue(join(dir, 'queue.db'));
  // Without a subscription a publish stores nothing, which would flatter the numbers.
  await queue.subscribe({ name: 'raw', contracts: '*' });
  const app = buildServer({ queue, apiKeys: [KEY] });
  const bare = createServer((req, res) => {
    req.on('data', () => {});
    req.on('end', () => {
      res.writeHead(202, { 'content-type': 'application/json' });
      res.end('{"accepted":[]}');
    });
  });
  try {
    const puddleUrl = `${await app.listen({ host: HOST, port: 0 })}/v1/events`;
    const bareUrl = `${await listen(bare)}/v1/events`;
    const rows: string[][] = [];
    for (const c of CASES) {
      const file = join(dir, `body-${c.eventsPerRequest}.json`);
      writeFileSync(file, body(c.eventsPerRequest));
      const base = await measure(bareUrl, file, c, seconds);
      const ours = await measure(puddleUrl, file, c, seconds);
      for (const [server, r] of [['bare node:http', base], ['puddle', ours]] as const) {
        rows.push([
          c.name,
          server,
          fmt(r.eventsPerSec),
          fmt(r.requestsPerSec),
          `${r.p50}`,
          `${r.p99}`,
          server === 'puddle' ? `${((100 * ours.requestsPerSec) / base.requestsPerSec).toFixed(0)}%` : '100%',
          `${r.non2xx + r.errors}`,
        ]);
      }
    }
    printTable(['case', 'server', 'events/s', 'requests/s', 'p50 ms', 'p99 ms', 'vs bare', 'failed'], rows);
    console.log(`(${seconds} s per case, autocannon in a child process, SqliteQueue in ${tmpdir()}, 1 subscription)`);
  } finally {
    await app.close();
    await new Promise((r) => bare.close(r));
    await queue.close();
    rmSync(dir, { recursive: true, force: true });
  }
}

const fmt = (n: number): string => Math.round(n).toLocaleString('en-GB');

function printTable(head: string[], rows: string[][]): void {
  const widths = head.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i]!.length)));
  const line = (cells: string[]) => cells.map((c, i) => (i < 2 ? c.padEnd(widths[i]!) : c.padStart(widths[i]!))).join('  ');
  console.log(line(head));
  console.log(widths.map((w) => '-'.repeat(w)).join('  '));
  for (const r of rows) console.log(line(r));
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  await benchIngest({ seconds: process.argv[2] ? Number(process.argv[2]) : undefined });
}
