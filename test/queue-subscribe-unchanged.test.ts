// Subscribing a puddle as it already is writes nothing to queue.db: every command that opens a home subscribes the
// puddles, and until 2026-12-06 each one changed the file (a counter), even `puddle erase`'s dry run on a backup.
import { createHash } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';

import Database from 'better-sqlite3';
import { afterAll, describe, expect, it } from 'vitest';

import { SqliteQueue } from '../infra/local/sqlite-queue.js';
import { PUDDLES } from '../puddles/definitions.js';

const dir = mkdtempSync(path.join(tmpdir(), 'puddle-subscribe-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const file = path.join(dir, 'queue.db');
const version = () => {
  const db = new Database(file, { readonly: true });
  try {
    return db.prepare(`SELECT v FROM queue_meta WHERE k = 'subscriptions'`).pluck().get();
  } finally {
    db.close();
  }
};
const digest = () => createHash('sha256').update(readFileSync(file)).digest('hex');

describe('subscribing the puddles again', () => {
  it('changes neither the subscriptions nor the file; a changed subscription still tells the other processes', async () => {
    let queue = new SqliteQueue(file);
    for (const p of PUDDLES) await queue.subscribe(p);
    await queue.close();
    const [v, bytes] = [version(), digest()];
    queue = new SqliteQueue(file);
    for (const p of PUDDLES) await queue.subscribe(p);
    await queue.close();
    expect(version()).toBe(v);
    expect(digest()).toBe(bytes);
    queue = new SqliteQueue(file);
    await queue.subscribe({ ...PUDDLES[0]!, maxAttempts: 9 });
    await queue.close();
    expect(version()).toBe(Number(v) + 1);
  });
});
