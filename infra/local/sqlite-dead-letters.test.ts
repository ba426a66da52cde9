// A redrive stopped half-way (killed, or a commit that fails) must leave every dead letter either moved or
// kept, never both, never neither. A trigger that aborts the second chunk's transaction stands for the kill:
// SQLite rolls back the whole transaction either way.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { makeEnvelope } from '../../core/envelope.js';
import { openSqlite } from './sqlite.js';
import { redriveDeadLetters, summarizeDeadLetters } from './sqlite-dead-letters.js';
import { SqliteQueue } from './sqlite-queue.js';

const dirs: string[] = [];
afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

async function queueWithDeadLetters(n: number): Promise<string> {
  const dir = mkdtempSync(join(tmpdir(), 'puddle-redrive-'));
  dirs.push(dir);
  const file = join(dir, 'queue.db');
  const queue = new SqliteQueue(file, { backgroundWrites: false, backgroundCheckpoints: false });
  await queue.subscribe({ name: 'transactions', contracts: ['donation'], maxAttempts: 1 });
  const envelopes = Array.from({ length: n }, (_, i) =>
    makeEnvelope({ contract: 'donation', version: 1, source: 'producer', delivery_id: `r${i}`, payload: { donation_id: `d${i}`, occurred_at: '2026-11-29T20:15:00Z', channel: 'sms', amount_minor: 500, currency: 'GBP' } }),
  );
  await queue.publish(envelopes);
  const claimed = await queue.claim('transactions', { max: n, visibilityMs: 60_000 });
  await queue.retry('transactions', claimed.map((m) => m.receipt), { reason: 'Error: poison' });
  await queue.close();
  return file;
}

describe('redriveDeadLetters', () => {
  it('moves each dead letter back exactly once, even when stopped half-way', async () => {
    const db = openSqlite(await queueWithDeadLetters(1_200));
    try {
      const count = (sql: string) => db.prepare(sql).pluck().get() as number;
      expect(summarizeDeadLetters(db)).toMatchObject([{ puddle: 'transactions', count: 1_200, reasons: [{ reason: 'Error: poison', count: 1_200 }] }]);
      db.exec(`CREATE TRIGGER killed BEFORE INSERT ON queue_deliveries WHEN (SELECT count(*) FROM queue_deliveries) >= 700 BEGIN SELECT RAISE(ABORT, 'killed'); END`);
      expect(() => redriveDeadLetters(db)).toThrow('killed');
      // The first chunk committed whole; the second rolled back whole.
      expect(count('SELECT count(*) FROM queue_deliveries')).toBe(500);
      expect(count('SELECT count(*) FROM queue_dead_letters')).toBe(700);
      db.exec('DROP TRIGGER killed');
      expect(redriveDeadLetters(db)).toEqual({ transactions: 700 });
      expect(count('SELECT count(*) FROM queue_dead_letters')).toBe(0);
      expect(count(`SELECT count(DISTINCT m.body ->> '$.payload.donation_id') FROM queue_deliveries d JOIN queue_messages m ON m.seq = d.seq`)).toBe(1_200);
      expect(count('SELECT count(*) FROM queue_deliveries WHERE attempts = 0 AND visible_at = 0')).toBe(1_200);
    } finally {
      db.close();
    }
  });
});
