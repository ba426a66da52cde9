import { setTimeout as sleep } from 'node:timers/promises';
import { mkdtempSync, rmSync } from 'node:fs';
import { availableParallelism, tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { Worker } from 'node:worker_threads';
import Database from 'better-sqlite3';
import { afterAll, describe, expect, it, vi } from 'vitest';
import { loadConfig } from '../core/config.js';
import { buildServer } from '../core/http/server.js';
import { startHub } from '../infra/local/hub.js';
import { loopBusySampler } from '../infra/local/loop-busy.js';
import { SqliteQueue } from '../infra/local/sqlite-queue.js';
import { postEvents, smsDonation as donation } from './support/hub-process.js';

const KEY = 'backpressure-key';

describe('a queue that cannot commit (disk full, or any failed commit)', () => {
  const home = mkdtempSync(join(tmpdir(), 'puddle-backpressure-'));
  afterAll(() => rmSync(home, { recursive: true, force: true }));

  it('answers 503 with Retry-After and writes nothing of the request; 202 again once it commits', async () => {
    const file = join(home, 'queue.db');
    // A file queue: publishes commit on its writer thread, as in the hub.
    const queue = new SqliteQueue(file);
    await queue.subscribe({ name: 'raw', contracts: '*' });
    await queue.subscribe({ name: 'transactions', contracts: ['donation'] });
    const app = buildServer({ queue, apiKeys: [KEY] });
    const url = await app.listen({ host: '127.0.0.1', port: 0 });
    // Another connection to the same file, as an operator would have: counts rows, and makes commits fail
    // after the bodies are inserted and before their deliveries are (SQLite's own error, the whole
    // transaction rolled back), which is where a full disk would stop a group commit half-way.
    const db = new Database(file);
    const counts = () => db.prepare('SELECT (SELECT count(*) FROM queue_messages) AS messages, (SELECT count(*) FROM queue_deliveries) AS deliveries').get();
    try {
      expect((await postEvents(url, KEY, [donation('ok-1')])).status).toBe(202);
      const before = counts();
      expect(before).toEqual({ messages: 1, deliveries: 2 });
      db.exec(`CREATE TRIGGER disk_full BEFORE INSERT ON queue_deliveries BEGIN SELECT RAISE(ABORT, 'database or disk is full'); END`);

      // Several requests at once share one group commit: every one of them is refused, none half-kept.
      const answers = await Promise.all([1, 2, 3, 4].map((i) => postEvents(url, KEY, [donation(`full-${i}-a`), donation(`full-${i}-b`)])));
      for (const res of answers) {
        expect(res.status).toBe(503);
        expect(res.headers.get('retry-after')).toBe('1');
        const body = (await res.json()) as { error: { code: string; message: string } };
        expect(body.error.code).toBe('queue_unavailable');
        expect(body.error.message).not.toMatch(/disk|sqlite|trigger/i);
      }
      expect(counts()).toEqual(before);

      db.exec('DROP TRIGGER disk_full');
      expect((await postEvents(url, KEY, [donation('ok-2'), donation('ok-3')])).status).toBe(202);
      // A request of two events is one pack: one row, and one delivery per subscription (sqlite-queue-pack.mjs).
      expect(counts()).toEqual({ messages: 2, deliveries: 4 });
      const raw = await queue.claim('raw', { max: 10, visibilityMs: 60_000 });
      expect(raw.map((m) => m.envelope.payload.donation_id)).toEqual(['ok-1', 'ok-2', 'ok-3']);
    } finally {
      db.close();
      await app.close();
      await queue.close();
    }
  });
});

describe('landing behind the queue-depth bound', () => {
  const home = mkdtempSync(join(tmpdir(), 'puddle-lag-'));
  afterAll(() => rmSync(home, { recursive: true, force: true }));

  it('keeps answering 202, and /healthz and the live stats say landing is behind; stop lands it all', async () => {
    // Consumers that hold a batch for a minute before landing it: the queue fills as on a night landing lags.
    const hub = await startHub({
      // No raw linger: raw's deliveries must be claimed and held like transactions', not left waiting on purpose.
      config: { ...loadConfig({}), home, port: 0, apiKeys: [KEY], maxQueueDepth: 6, rawLingerMs: 0 },
      landing: { consumer: { windowMs: 60_000 }, backlogMs: 50 },
    });
    try {
      const health = async () => (await (await fetch(`${hub.url}/healthz`)).json()) as { ok: boolean; landing: Record<string, unknown> };
      expect((await postEvents(hub.url, KEY, [donation('lag-1'), donation('lag-2')])).status).toBe(202);
      expect((await postEvents(hub.url, KEY, [donation('lag-3'), donation('lag-4')])).status).toBe(202);
      // Four donations: eight deliveries (raw and transactions), above the bound of six.
      let h = await health();
      for (let i = 0; i < 200 && h.landing.behind !== true; i++) {
        await new Promise((r) => setTimeout(r, 25));
        h = await health();
      }
      expect(h.ok).toBe(true);
      expect(h.landing).toMatchObject({ waiting: 8, bound: 6, behind: true });
      expect(h.landing.oldest_waiting_s).toBeGreaterThanOrEqual(0);
      const stats = await hub.stats();
      expect(stats).toMatchObject({ accepted: 4, waiting: 8, behind: true, bound: 6 });
      // The live line's figures: the landing threads' report, with no count on the producer's event loop.
      const depth = vi.spyOn(hub.runtime.queue, 'depth');
      expect(await hub.stats({ reported: true })).toMatchObject({ accepted: 4, waiting: 8, behind: true, bound: 6 });
      expect(depth).not.toHaveBeenCalled();
      await hub.stats();
      expect(depth).toHaveBeenCalled();
      depth.mockRestore();
      expect((await postEvents(hub.url, KEY, [donation('lag-5')])).status).toBe(202);
    } finally {
      await hub.stop();
    }
    const again = await startHub({ config: { ...loadConfig({}), home, port: 0, apiKeys: [KEY] } });
    try {
      expect((await again.stats()).waiting).toBe(0);
      const rows = await again.runtime.query.query('SELECT count(*) AS n FROM donation');
      expect(rows).toEqual([{ n: 5 }]);
    } finally {
      await again.stop();
    }
  });
});

describe('landing threads helping each other', () => {
  const home = mkdtempSync(join(tmpdir(), 'puddle-helpers-'));
  afterAll(() => rmSync(home, { recursive: true, force: true }));

  it('land a puddle far behind from the other threads, and stand by once it is within two batches', async () => {
    // No thread owns transactions here, so only helpers land it: both threads help, each while more than two
    // batches (of 2) are visible.
    const hub = await startHub({
      config: { ...loadConfig({}), home, port: 0, apiKeys: [KEY] },
      landing: { groups: [['raw'], ['quarantine']], consumer: { batchSize: 2, windowMs: 20, pollMs: 10 } },
    });
    try {
      // Six requests of two: a request is one pack, which a claim never splits, so each is one batch of 2.
      const events = Array.from({ length: 12 }, (_, i) => donation(`help-${i}`));
      for (let i = 0; i < 12; i += 2) expect((await postEvents(hub.url, KEY, events.slice(i, i + 2))).status).toBe(202);
      const depth = () => hub.runtime.queue.depth('transactions');
      for (let i = 0; i < 400 && (await depth()) > 4; i++) await sleep(10);
      // Helpers stop once at most two batches wait (two of them may each take one more on the way down).
      await sleep(800);
      const left = await depth();
      expect(left).toBeGreaterThanOrEqual(1);
      expect(left).toBeLessThanOrEqual(4);
      const landed = await hub.runtime.query.query('SELECT count(*) AS n FROM donation');
      expect(landed).toEqual([{ n: 12 - left }]);
    } finally {
      await hub.stop();
    }
  });
});

describe('how busy the producer is, as landing reads it (loop-busy.ts)', () => {
  const spin = (ms: number) => {
    const until = performance.now() + ms;
    while (performance.now() < until);
  };
  /**
   * The least busy of up to ten 300 ms spells of waiting, stopping at the first that reads idle: time spent waiting
   * for a CPU counts as busy, so on a machine loaded by other work (a benchmark beside the suite) one spell's wake-up
   * can read 0.3-0.4; an idle loop reads idle in some spell, a loop kept busy in none.
   */
  const idleSpell = async (sample: () => number, wait: () => Promise<unknown> = () => sleep(300)) => {
    let least = Infinity;
    for (let i = 0; i < 10 && least >= 0.2; i++) {
      sample();
      await wait();
      least = Math.min(least, sample());
    }
    return least;
  };

  it('is busy while the loop works, and not while it waits: idle, or blocked without using a CPU', async () => {
    const sample = loopBusySampler();
    // The share counts only the time the thread was on a CPU, so on a loaded machine a spin the scheduler kept off
    // the CPU reads as less busy, as it should. Spin until one spell reads busy (almost always the first), up to a
    // generous deadline, rather than asking a single 300 ms spell of wall-clock time to get the CPU.
    let busy = 0;
    for (const deadline = performance.now() + 30_000; busy <= 0.5 && performance.now() < deadline; ) {
      spin(300);
      busy = sample();
    }
    expect(busy).toBeGreaterThan(0.5);

    expect(await idleSpell(sample)).toBeLessThan(0.2);

    // A loop blocked in a call is "in use" to the event loop's own measure, but leaves the CPU to landing.
    const before = performance.eventLoopUtilization();
    Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 300);
    expect(performance.eventLoopUtilization(before).utilization).toBeGreaterThan(0.9);
    const blocked = async () => Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 300);
    expect(await idleSpell(sample, blocked)).toBeLessThan(0.2);
  });

  it('is busy while the loop works and waits for a CPU other threads hold (a loaded machine)', async () => {
    // Four spinning threads per core: this thread is on a CPU a fifth of the time at most. Counting only that
    // time read 0.4 or less, not busy, and landing took its full share beside a producer that wanted the CPU.
    const hogs = Array.from({ length: Math.min(32, 4 * availableParallelism()) }, () => new Worker('for (;;);', { eval: true }));
    try {
      await Promise.all(hogs.map((h) => new Promise((r) => h.once('online', r))));
      const sample = loopBusySampler();
      spin(600);
      expect(sample()).toBeGreaterThan(0.5);
    } finally {
      await Promise.all(hogs.map((h) => h.terminate()));
    }
    // Idle again: waiting in epoll is neither on a CPU nor in the run queue.
    expect(await idleSpell(loopBusySampler())).toBeLessThan(0.2);
  });
});
