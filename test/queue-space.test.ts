// queue.db gives back the disk a drained backlog used: `puddle start` rewrites it when most of it is free pages.
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterAll, describe, expect, it } from 'vitest';
import { makeEnvelope } from '../core/envelope.js';
import { RECLAIM_MIN_FREE_BYTES, reclaimQueueSpace } from '../infra/local/queue-space.js';
import { SqliteQueue } from '../infra/local/sqlite-queue.js';
import { startHubProcess } from './support/hub-process.js';

const MB = 1024 * 1024;

/** A queue file that held `n` events of about 8 KB (a backlog of 24 MB at 3,000), all but the last `keep` acked. */
async function drainedBacklog(file: string, n: number, keep: number): Promise<void> {
  const queue = new SqliteQueue(file);
  try {
    await queue.subscribe({ name: 'raw', contracts: '*' });
    const pad = 'x'.repeat(8000);
    for (let i = 0; i < n; i += 500) {
      const batch = Array.from({ length: Math.min(500, n - i) }, (_, j) =>
        makeEnvelope({ contract: 'click', version: 1, source: 'test', delivery_id: 'd', payload: { click_id: `c${i + j}`, note: pad } }),
      );
      await queue.publish(batch);
    }
    let left = n - keep;
    while (left > 0) {
      const claimed = await queue.claim('raw', { max: Math.min(500, left), visibilityMs: 60_000 });
      await queue.ack('raw', claimed.map((m) => m.receipt));
      left -= claimed.length;
    }
  } finally {
    await queue.close();
  }
}

const size = (file: string) => statSync(file).size;

describe('queue.db after a drained backlog', () => {
  const dir = mkdtempSync(join(tmpdir(), 'puddle-queue-space-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('is rewritten without its free pages, keeping what still waits', async () => {
    const file = join(dir, 'queue.db');
    await drainedBacklog(file, 3000, 5);
    expect(size(file)).toBeGreaterThan(20 * MB);

    const r = reclaimQueueSpace(file);
    expect(r.vacuumed).toBe(true);
    expect(r.freeBefore).toBeGreaterThan(20 * MB);
    expect(size(file)).toBeLessThan(2 * MB);
    // Nor does its WAL keep the rewrite (gone with the last connection, or cut to nothing).
    expect(existsSync(`${file}-wal`) ? size(`${file}-wal`) : 0).toBe(0);

    const queue = new SqliteQueue(file);
    try {
      const waiting = await queue.claim('raw', { max: 100, visibilityMs: 60_000 });
      expect(waiting.map((m) => m.envelope.payload.click_id)).toEqual(['c2995', 'c2996', 'c2997', 'c2998', 'c2999']);
      expect((waiting[0]!.envelope.payload.note as string).length).toBe(8000);
    } finally {
      await queue.close();
    }
  });

  it('is left as it is when little is free, or when most of it still waits', async () => {
    const small = join(dir, 'small.db');
    await drainedBacklog(small, 500, 0);
    const smallBefore = size(small);
    expect(reclaimQueueSpace(small).vacuumed).toBe(false);
    expect(size(small)).toBe(smallBefore);

    const busy = join(dir, 'busy.db');
    await drainedBacklog(busy, 3000, 2000);
    const r = reclaimQueueSpace(busy);
    expect(r.vacuumed).toBe(false);
    expect(r.freeBefore).toBeGreaterThan(0);
  });

  it('is rewritten once when it comes from before secure_delete, so no landed body stays in its pages', async () => {
    // A queue.db a hub of before 2026-12-03 kept: its deletes left the bodies' bytes on free pages (many bodies), or
    // in the unused space of a page still in use (one), too little to be given back as space. A start rewrites it
    // once (then marks it), and a queue made today is never rewritten for it.
    for (const [name, bodies] of [['older-many.db', 200], ['older-one.db', 1]] as const) {
      const file = join(dir, name);
      await drainedBacklog(file, 20, 20);
      const old = new Database(file);
      old.pragma('secure_delete = OFF');
      old.prepare(`DELETE FROM queue_meta WHERE k = 'zeroed_deletes'`).run();
      const insert = old.prepare(`INSERT INTO queue_messages (body) VALUES (?)`);
      for (let i = 0; i < bodies; i++) insert.run(JSON.stringify({ payload: { note: `Zelda Quxworthy of 12 Qux Lane ${i}`, pad: 'x'.repeat(bodies > 1 ? 400 : 10) } }));
      old.prepare(`DELETE FROM queue_messages WHERE body LIKE '%Quxworthy%'`).run();
      if (bodies === 1) expect(old.pragma('freelist_count', { simple: true })).toBe(0);
      old.close();
      expect(readFileSync(file).toString('latin1')).toContain('Zelda Quxworthy');

      const r = reclaimQueueSpace(file);
      expect(r.vacuumed).toBe(true);
      expect(r.freeBefore).toBeLessThan(RECLAIM_MIN_FREE_BYTES);
      expect(readFileSync(file).toString('latin1')).not.toContain('Zelda Quxworthy');
      expect(reclaimQueueSpace(file).vacuumed).toBe(false);
      const queue = new SqliteQueue(file);
      try {
        expect(await queue.depth('raw')).toBe(20);
      } finally {
        await queue.close();
      }
    }
  });

  it('is given back when `puddle start` opens the home', async () => {
    const home = join(dir, 'home');
    mkdirSync(home, { mode: 0o700 });
    const file = join(home, 'queue.db');
    await drainedBacklog(file, 3000, 0);
    expect(size(file)).toBeGreaterThan(20 * MB);

    const hub = await startHubProcess({ PUDDLE_HOME: home, PUDDLE_API_KEYS: 'space-key', PUDDLE_LOG_LEVEL: 'info' });
    try {
      expect(size(file)).toBeLessThan(2 * MB);
      expect(hub.output()).toMatch(/queue\.db gave back the free space a drained backlog left/);
    } finally {
      hub.child.kill('SIGINT');
      await hub.exited;
    }
  }, 60_000);
});
