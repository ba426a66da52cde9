// truncateWal: the WAL is cut back to nothing even when another connection is checkpointing at that moment, which
// makes SQLite answer busy at once (no busy handler) and leave every frame in the WAL, old bytes included. What
// `puddle erase` relies on to leave no erased body in queue.db-wal (erasure-home.ts).
import { mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Worker } from 'node:worker_threads';
import { afterEach, describe, expect, it } from 'vitest';
import { openSqlite, truncateWal } from './sqlite.js';

const dirs: string[] = [];
afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

/**
 * Another thread holds SQLite's checkpoint lock for about `holdMs`: a FULL checkpoint waiting (its busy handler) for a
 * reader of its own on an older snapshot; then it lets go of both. Resolves once the checkpoint is under way.
 */
async function checkpointHeldElsewhere(file: string, holdMs: number): Promise<{ done: Promise<void> }> {
  const worker = new Worker(
    `
    const { parentPort, workerData } = require('node:worker_threads');
    const Database = require(workerData.driver);
    const reader = new Database(workerData.file);
    reader.exec('BEGIN');
    reader.prepare('SELECT count(*) FROM t').get();
    const writer = new Database(workerData.file);
    writer.prepare('INSERT INTO t (v) VALUES (?)').run('after the reader began');
    writer.close();
    const ck = new Database(workerData.file);
    ck.pragma('busy_timeout = ' + workerData.holdMs);
    parentPort.postMessage('checkpointing');
    const [r] = ck.pragma('wal_checkpoint(FULL)');
    reader.exec('COMMIT');
    reader.close();
    ck.close();
    parentPort.postMessage(r.busy === 1 ? 'gave up' : 'checkpointed');
    `,
    { eval: true, workerData: { driver: createRequire(import.meta.url).resolve('better-sqlite3'), file, holdMs } },
  );
  const messages: string[] = [];
  const done = new Promise<void>((resolve, reject) => {
    worker.on('message', (m: string) => {
      messages.push(m);
      if (m !== 'checkpointing') resolve();
    });
    worker.on('error', reject);
  });
  await new Promise<void>((resolve) => worker.once('message', () => resolve()));
  // The message goes just before the checkpoint starts: give it the moment to take the lock.
  await new Promise((r) => setTimeout(r, 100));
  return { done: done.then(() => expect(messages).toEqual(['checkpointing', 'gave up'])) };
}

/** A WAL database of one table in a folder of its own. */
function freshDb(): { file: string; db: ReturnType<typeof openSqlite> } {
  const dir = mkdtempSync(join(tmpdir(), 'puddle-truncate-wal-'));
  dirs.push(dir);
  const file = join(dir, 'q.db');
  const db = openSqlite(file);
  db.exec('CREATE TABLE t (v TEXT)');
  return { file, db };
}

describe('truncateWal', () => {
  it('cuts the WAL back to nothing once another connection is done checkpointing, where one try leaves it whole', async () => {
    const { file, db } = freshDb();
    try {
      const insert = db.prepare('INSERT INTO t (v) VALUES (?)');
      for (let i = 0; i < 50; i++) insert.run(`secret-${i}-${'x'.repeat(500)}`);
      db.exec("UPDATE t SET v = 'erased'");
      const wal = `${file}-wal`;
      expect(readFileSync(wal).includes('secret-7-')).toBe(true);

      // One try while the other checkpoint runs: busy at once, and the old bytes stay.
      const first = await checkpointHeldElsewhere(file, 1_000);
      const started = Date.now();
      expect(db.pragma('wal_checkpoint(TRUNCATE)')).toEqual([expect.objectContaining({ busy: 1 })]);
      expect(Date.now() - started).toBeLessThan(500); // no busy handler for this lock
      expect(readFileSync(wal).includes('secret-7-')).toBe(true);
      await first.done;

      const second = await checkpointHeldElsewhere(file, 1_000);
      expect(truncateWal(db)).toBe(true);
      expect(statSync(wal).size).toBe(0);
      await second.done;
      expect(db.prepare('SELECT count(*) FROM t WHERE v = ?').pluck().get('erased')).toBe(50);
    } finally {
      db.close();
    }
  });

  it('says so when the other checkpoint is still in the way at the deadline', async () => {
    const { file, db } = freshDb();
    try {
      db.prepare('INSERT INTO t (v) VALUES (?)').run('a row');
      const held = await checkpointHeldElsewhere(file, 1_500);
      expect(truncateWal(db, 200)).toBe(false);
      await held.done;
      expect(truncateWal(db, 200)).toBe(true);
    } finally {
      db.close();
    }
  });
});
