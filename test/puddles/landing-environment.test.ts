// Landing that fails because the lake cannot be written (a full or read-only disk) is not the batch's fault:
// the messages stay queued, their attempts untouched, however long it lasts, and land once it is over. A
// trigger raising SQLite's "database or disk is full" on catalog.db stands for the disk, as in
// test/disk-full.test.ts (chmod does not stop root, who runs these tests in CI).
import { setTimeout as sleep } from 'node:timers/promises';
import path from 'node:path';
import Database from 'better-sqlite3';
import { describe, expect, it } from 'vitest';
import { donation, useLake } from './lake-fixture.js';

const lake = useLake();
const FULL = `SELECT RAISE(ABORT, 'database or disk is full')`;
function fillCatalog(): () => void {
  const db = new Database(path.join(lake.dir, 'catalog.db'));
  db.exec(`CREATE TRIGGER disk_full BEFORE INSERT ON files BEGIN ${FULL}; END`);
  return () => {
    db.exec('DROP TRIGGER disk_full');
    db.close();
  };
}

describe('landing while the lake cannot be written', () => {
  it('keeps the messages queued through more failures than maxAttempts and lands them all once it can', async () => {
    await lake.queue.publish([donation('a', 1), donation('b', 2), donation('c', 3)]);
    const consumer = lake.consumer('transactions', { retryDelayMs: 5, maxRetryDelayMs: 20, pollMs: 5, windowMs: 5 });
    const heal = fillCatalog();
    await consumer.start();
    try {
      for (let i = 0; i < 400 && (consumer.failure?.failures ?? 0) < 12; i++) await sleep(10);
      expect(consumer.failure).toMatchObject({ reason: 'disk_full' });
      // Twelve failed landings, more than twice the default five attempts, and nothing went to the dead letters.
      expect(consumer.failure!.failures).toBeGreaterThanOrEqual(12);
      expect(await lake.queue.deadLetters('transactions')).toEqual([]);
      expect(await lake.queue.depth('transactions')).toBe(3);
    } finally {
      heal();
    }
    for (let i = 0; i < 400 && (await lake.queue.depth('transactions')) > 0; i++) await sleep(10);
    await consumer.stop();
    expect(await lake.queue.depth('transactions')).toBe(0);
    expect(await lake.queue.deadLetters('transactions')).toEqual([]);
    expect(await lake.engine.query('SELECT donation_id FROM donation ORDER BY donation_id')).toEqual([{ donation_id: 'a' }, { donation_id: 'b' }, { donation_id: 'c' }]);
    expect(consumer.failure).toBeNull();
  });

  it('counts no attempt for it: the next delivery is still the first', async () => {
    await lake.queue.publish([donation('d', 4)]);
    const heal = fillCatalog();
    try {
      const consumer = lake.consumer('transactions', { retryDelayMs: 0 });
      // drain() (puddle land) stops at the first such failure instead of waiting for the disk.
      expect(await consumer.drain()).toBe(1);
      expect(consumer.environmentFailing).toBe(true);
    } finally {
      heal();
    }
    await sleep(5);
    const [m] = await lake.queue.claim('transactions', { max: 1, visibilityMs: 1_000 });
    expect(m?.attempts).toBe(1);
  });
});
