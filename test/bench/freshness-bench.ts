// Freshness: how long after its 202 a donation shows in `SELECT sum(amount_minor) FROM donation`, with the
// whole embedded hub (producer, queue, consumers, DuckDB) running and donations arriving at a steady rate.
// A sampler queries the total every ~100 ms; a request counts as fresh at the first sample whose total
// reaches the running sum up to and including it (so it also waits for every request sent before it).
// Prints figures; asserts nothing. Run alone: `node --import tsx test/bench/freshness-bench.ts [seconds]`.
import { setTimeout as sleep } from 'node:timers/promises';
import { mkdtempSync, rmSync } from 'node:fs';
import { Agent, request } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';

import { log } from '../../core/log.js';
import { startHub } from '../../infra/local/hub.js';

const KEY = 'bench-key';
const CHANNELS = ['online', 'sms', 'ivr', 'call_centre'] as const;

export interface FreshnessOptions {
  /** How long donations are sent. */
  seconds?: number;
  /** Target rate; sent as requests of `eventsPerRequest` on a timer. */
  eventsPerSec?: number;
  eventsPerRequest?: number;
  sampleMs?: number;
  /** How long to wait after the last 202 for the total to catch up before giving up on the rest. */
  settleMs?: number;
}

export interface FreshnessResult {
  eventsPerSec: number;
  requests: number;
  failed: number;
  p50: number;
  p99: number;
  max: number;
  /** Requests whose donations never showed within settleMs. */
  unseen: number;
  samples: number;
  sampleP50Ms: number;
}

interface Sent {
  /** Running expected total, in send order, including this request. */
  cumulative: number;
  ackedAt: number;
}

function quantile(sorted: readonly number[], q: number): number {
  if (!sorted.length) return NaN;
  return sorted[Math.min(sorted.length - 1, Math.ceil(q * sorted.length) - 1)]!;
}

function post(agent: Agent, url: URL, body: string): Promise<number> {
  return new Promise((resolve, reject) => {
    const req = request(
      url,
      {
        method: 'POST',
        agent,
        headers: { 'content-type': 'application/json', authorization: `Bearer ${KEY}`, 'content-length': Buffer.byteLength(body) },
      },
      (res) => {
        res.resume();
        res.on('end', () => resolve(res.statusCode ?? 0));
        res.on('error', reject);
      },
    );
    req.on('error', reject);
    req.end(body);
  });
}

export async function benchFreshness(opts: FreshnessOptions = {}): Promise<FreshnessResult> {
  const seconds = opts.seconds ?? 20;
  const rate = opts.eventsPerSec ?? 3_500;
  const perRequest = opts.eventsPerRequest ?? 100;
  const sampleMs = opts.sampleMs ?? 100;
  const settleMs = opts.settleMs ?? 20_000;
  const home = mkdtempSync(join(tmpdir(), 'puddle-freshness-bench-'));
  const hub = await startHub({
    config: { home, port: 0, host: '127.0.0.1', apiKeys: [KEY], maxEvents: 1000, maxBodyBytes: 1024 * 1024 },
  });
  const agent = new Agent({ keepAlive: true, maxSockets: 16 });
  const url = new URL('/v1/events', hub.url);
  const run = Date.now().toString(36);
  try {
    // Sampler: one query at a time, every sampleMs; a sample's time is when its answer came back.
    const samples: { at: number; sum: number }[] = [];
    const queryMs: number[] = [];
    let sampling = true;
    const sampler = (async () => {
      while (sampling) {
        const started = Date.now();
        const rows = await hub.runtime.query.query('SELECT coalesce(sum(amount_minor), 0) AS total FROM donation');
        const at = Date.now();
        samples.push({ at, sum: Number(rows[0]?.total ?? 0) });
        queryMs.push(at - started);
        await sleep(Math.max(0, sampleMs - (at - started)));
      }
    })();

    // Sender: requests on a fixed schedule (not back to back), so a slow answer does not slow the rate.
    const requests = Math.round((seconds * rate) / perRequest);
    const intervalMs = (1000 * perRequest) / rate;
    const sent: (Sent | null)[] = new Array(requests).fill(null);
    let cumulative = 0;
    let failed = 0;
    const inflight: Promise<void>[] = [];
    const start = Date.now();
    for (let i = 0; i < requests; i++) {
      const due = start + i * intervalMs;
      const wait = due - Date.now();
      if (wait > 1) await sleep(wait);
      const events = [];
      for (let j = 0; j < perRequest; j++) {
        const n = i * perRequest + j;
        const amount = 100 + (n % 4_900);
        cumulative += amount;
        events.push({
          contract: 'donation',
          version: 1,
          payload: {
            donation_id: `fresh-${run}-${n}`,
            occurred_at: new Date().toISOString(),
            channel: CHANNELS[n % CHANNELS.length],
            amount_minor: amount,
            currency: 'GBP',
            campaign: 'freshness-bench',
          },
        });
      }
      const expected = cumulative;
      inflight.push(
        post(agent, url, JSON.stringify({ events })).then(
          (status) => {
            if (status === 202) sent[i] = { cumulative: expected, ackedAt: Date.now() };
            else failed++;
          },
          () => {
            failed++;
          },
        ),
      );
    }
    await Promise.all(inflight);
    const sendSecs = (Date.now() - start) / 1000;

    // A failed request's donations never land, so later running sums would never be reached: stop there.
    const firstFailed = sent.findIndex((s) => s === null);
    const judged = (firstFailed < 0 ? sent : sent.slice(0, firstFailed)) as Sent[];
    const target = judged.length ? judged[judged.length - 1]!.cumulative : 0;
    const deadline = Date.now() + settleMs;
    while (Date.now() < deadline && (samples.length === 0 || samples[samples.length - 1]!.sum < target)) await sleep(sampleMs);
    sampling = false;
    await sampler;

    // Running sums and sampled totals both only grow, so one pass pairs each request with its first
    // sufficient sample.
    const freshness: number[] = [];
    let unseen = 0;
    let s = 0;
    for (const r of judged) {
      while (s < samples.length && samples[s]!.sum < r.cumulative) s++;
      // A sample answered before the 202 reached us (the total was already there) counts as fresh at once.
      if (s < samples.length) freshness.push(Math.max(0, samples[s]!.at - r.ackedAt) / 1000);
      else unseen++;
    }
    freshness.sort((a, b) => a - b);
    const sortedQuery = [...queryMs].sort((a, b) => a - b);
    return {
      eventsPerSec: (sent.filter(Boolean).length * perRequest) / sendSecs,
      requests,
      failed,
      p50: quantile(freshness, 0.5),
      p99: unseen ? Infinity : quantile(freshness, 0.99),
      max: unseen ? Infinity : (freshness[freshness.length - 1] ?? NaN),
      unseen,
      samples: samples.length,
      sampleP50Ms: quantile(sortedQuery, 0.5),
    };
  } finally {
    agent.destroy();
    await hub.stop(5_000).catch((err: unknown) => log.warn('hub stop failed', { error: err }));
    rmSync(home, { recursive: true, force: true });
  }
}

export function printFreshness(r: FreshnessResult, opts: FreshnessOptions = {}): void {
  const f = (x: number) => (Number.isFinite(x) ? x.toFixed(2) : 'never');
  console.log(
    `freshness at ${(opts.eventsPerSec ?? 3_500).toLocaleString('en-GB')} events/s target ` +
      `(${opts.eventsPerRequest ?? 100} events/request, ${opts.seconds ?? 20} s, sampler every ${opts.sampleMs ?? 100} ms, in-process DuckDB)`,
  );
  console.log(`  achieved: ${Math.round(r.eventsPerSec).toLocaleString('en-GB')} events/s, ${r.requests} requests, ${r.failed} failed`);
  console.log(`  202 -> in SUM(): p50 ${f(r.p50)} s, p99 ${f(r.p99)} s, max ${f(r.max)} s (goal p99 <= 2 s: ${r.p99 <= 2 ? 'met' : 'NOT met'})`);
  console.log(`  ${r.samples} samples, query p50 ${r.sampleP50Ms} ms${r.unseen ? `, ${r.unseen} requests never seen` : ''}`);
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const seconds = process.argv[2] ? Number(process.argv[2]) : undefined;
  printFreshness(await benchFreshness({ seconds }), { seconds });
}
