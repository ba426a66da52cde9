// A batch that takes longer to land than the visibility timeout (a busy CPU, a slow disk, compaction on the same
// thread) stays hidden while its consumer works on it: it is not claimed again, landed twice and, after five such
// claims, dead-lettered although it landed (a 200,000-event burst on a loaded machine did that to 5,000 `raw`
// deliveries). A consumer that dies stops its heartbeat, so what it held still comes back after the timeout.
import { setTimeout as sleep } from 'node:timers/promises';
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { log } from '../../core/log.js';
import type { ObjectStore } from '../../core/ports.js';
import { PuddleConsumer } from '../../puddles/consumer.js';
import { donation, useLake } from './lake-fixture.js';

const lake = useLake();
afterEach(() => vi.restoreAllMocks());

/** The lake's store on a slow disk: each put takes `ms` (or waits for `release()` when ms is Infinity); counts puts. */
function slowStore(store: ObjectStore, ms: number): { store: ObjectStore; puts: string[]; release: () => void } {
  const puts: string[] = [];
  let release = () => {};
  const released = new Promise<void>((r) => (release = r));
  const wait = () => (ms === Infinity ? released : sleep(ms));
  return {
    puts,
    release,
    store: {
      put: async (key, body) => {
        puts.push(key);
        await wait();
        await store.put(key, body);
      },
      putIfAbsent: (key, body) => store.putIfAbsent(key, body),
      get: (key) => store.get(key),
      list: (prefix) => store.list(prefix),
      delete: (key) => store.delete(key),
      localRoot: store.localRoot,
    },
  };
}

async function until(what: () => Promise<boolean>, ms: number): Promise<void> {
  for (const end = Date.now() + ms; Date.now() < end; ) {
    if (await what()) return;
    await sleep(20);
  }
}

describe('a batch landing slower than the visibility timeout', () => {
  it('is kept hidden while it lands: each event is landed once, none is dead-lettered', async () => {
    const events = Array.from({ length: 6 }, (_, i) => donation(`slow-${i}`, 100 + i));
    await lake.queue.publish(events);
    // The batch's write takes 2.5 s against a 500 ms visibility timeout: five timeouts. A second
    // consumer of the puddle, as the hub's other landing thread helping, polls every 5 ms meanwhile: it took the
    // batch as soon as its visibility ran out, and each consumer took it again from the other. A beat every
    // 50 ms leaves a loaded machine 450 ms to be late by.
    const slow = slowStore(lake.store, 2_500);
    const consumer = () =>
      new PuddleConsumer({ puddle: lake.puddle('raw'), queue: lake.queue, store: slow.store, catalog: lake.catalog, visibilityMs: 500, heartbeatMs: 50, windowMs: 5, pollMs: 5, retryDelayMs: 0 });
    const first = consumer();
    const helper = consumer();
    await first.start();
    try {
      await until(async () => !lake.queue.visibleMoreThan('raw', 0), 10_000);
      await helper.start();
      await until(async () => (await lake.queue.depth('raw')) === 0, 30_000);
    } finally {
      await first.stop();
      await helper.stop();
    }
    expect(await lake.queue.depth('raw')).toBe(0);
    expect(await lake.queue.deadLetters('raw')).toEqual([]);
    // One batch, written once: nobody claimed it again while it landed.
    expect(slow.puts).toHaveLength(1);
    const files = await lake.catalog.listFiles({ puddle: 'raw' });
    expect(files.reduce((n, f) => n + f.rows, 0)).toBe(6);
    const landed = await lake.engine.query('SELECT id, count(*) AS n FROM raw GROUP BY id ORDER BY id');
    expect(landed).toEqual(events.map((e) => e.id).sort().map((id) => ({ id, n: 1 })));
  });

  it('is let go after maxHoldMs when its landing hangs, with a warning', async () => {
    const warn = vi.spyOn(log, 'warn').mockImplementation(() => undefined);
    await lake.queue.publish([donation('hung', 1)]);
    const slow = slowStore(lake.store, Infinity);
    const consumer = new PuddleConsumer({ puddle: lake.puddle('raw'), queue: lake.queue, store: slow.store, catalog: lake.catalog, visibilityMs: 600, heartbeatMs: 50, maxHoldMs: 2_000 });
    const landing = consumer.landOnce();
    try {
      await until(async () => slow.puts.length > 0, 10_000);
      // Past its visibility timeout, still hidden: the heartbeat keeps it.
      await sleep(1_200);
      expect(await lake.queue.claim('raw', { max: 10, visibilityMs: 30_000 })).toEqual([]);
      // After maxHoldMs the heartbeat stops and it comes back, for another consumer to take.
      let back: Awaited<ReturnType<typeof lake.queue.claim>> = [];
      await until(async () => (back = await lake.queue.claim('raw', { max: 10, visibilityMs: 30_000 })).length > 0, 10_000);
      expect(back.map((m) => m.attempts)).toEqual([2]);
      expect(warn).toHaveBeenCalledWith(expect.stringMatching(/^a batch has been landing too long/), expect.objectContaining({ puddle: 'raw', messages: 1 }));
    } finally {
      slow.release();
      await landing;
    }
  });
});

describe('a consumer killed while its batch lands', () => {
  it('held the batch while alive, and its deliveries come back one visibility timeout after the kill', async () => {
    const events = Array.from({ length: 3 }, (_, i) => donation(`killed-${i}`, 100 + i));
    await lake.queue.publish(events);
    // A beat every 500 ms (a third): the child may be up to a second late before anyone else could claim.
    const visibilityMs = 1_500;
    const fixture = fileURLToPath(new URL('./fixtures/land-until-killed.ts', import.meta.url));
    const child = spawn(process.execPath, ['--import', 'tsx', fixture, lake.dir, String(visibilityMs)], { stdio: ['ignore', 'pipe', 'pipe'] });
    let stderr = '';
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    const exited = new Promise<NodeJS.Signals | null>((resolve) => child.on('exit', (_code, signal) => resolve(signal)));
    try {
      await new Promise<void>((resolve, reject) => {
        child.stdout.on('data', (d: Buffer) => {
          if (d.toString().includes('landing')) resolve();
        });
        child.on('exit', () => reject(new Error(`child exited early: ${stderr.slice(0, 2000)}`)));
      });
      // Alive and still writing after three visibility timeouts: nobody else can take its batch.
      await sleep(3 * visibilityMs);
      expect(await lake.queue.claim('raw', { max: 10, visibilityMs: 30_000 })).toEqual([]);
    } finally {
      child.kill('SIGKILL');
    }
    expect(await exited).toBe('SIGKILL');
    const killedAt = Date.now();
    let back: Awaited<ReturnType<typeof lake.queue.claim>> = [];
    await until(async () => (back = await lake.queue.claim('raw', { max: 10, visibilityMs: 30_000 })).length > 0, 10_000);
    // Back within one timeout of its last beat (a beat comes every third of it), whatever the heartbeat did.
    expect(Date.now() - killedAt).toBeLessThan(visibilityMs + 2_000);
    expect(back.map((m) => m.envelope.id).sort()).toEqual(events.map((e) => e.id).sort());
    expect(back.every((m) => m.attempts === 2)).toBe(true);
    await lake.queue.extend('raw', back.map((m) => m.receipt), 0);
    // Landed once by the next consumer, nothing dead-lettered.
    expect(await lake.consumer('raw').drain()).toBe(3);
    expect(await lake.queue.deadLetters('raw')).toEqual([]);
    const landed = await lake.engine.query('SELECT count(*) AS n, count(DISTINCT id) AS ids FROM raw');
    expect(landed).toEqual([{ n: 3, ids: 3 }]);
  });
});
