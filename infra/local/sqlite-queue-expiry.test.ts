// Deliveries a consumer claimed and never acked in time, on every attempt, go to the dead letters when the next
// claim finds them: the log says so (it said nothing, and dead letters grew unseen).
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, describe, expect, it, vi } from 'vitest';
import { makeEnvelope } from '../../core/envelope.js';
import { SqliteQueue } from './sqlite-queue.js';

describe('a delivery whose visibility timeout expired on its last attempt', () => {
  const dir = mkdtempSync(join(tmpdir(), 'puddle-expiry-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));
  afterEach(() => vi.restoreAllMocks());

  it('is dead-lettered with a warning that names the subscription and the count, never the event', async () => {
    const lines: Record<string, unknown>[] = [];
    vi.spyOn(process.stderr, 'write').mockImplementation((chunk) => {
      for (const l of String(chunk).split('\n')) if (l.startsWith('{')) lines.push(JSON.parse(l) as Record<string, unknown>);
      return true;
    });
    const queue = new SqliteQueue(join(dir, 'queue.db'), { backgroundWrites: false, backgroundCheckpoints: false });
    try {
      await queue.subscribe({ name: 'raw', contracts: '*', maxAttempts: 2 });
      await queue.publish(
        ['a', 'b', 'c'].map((id) => makeEnvelope({ contract: 'click', version: 1, source: 'test', delivery_id: 'd', payload: { click_id: `click-${id}`, email: 'donor@example.org' } })),
      );
      // Two attempts, each claimed and never acked (a landing slower than its visibility timeout).
      for (let i = 0; i < 2; i++) expect(await queue.claim('raw', { max: 10, visibilityMs: 0 })).toHaveLength(3);
      expect(lines.filter((l) => l.level === 'warn')).toEqual([]);

      expect(await queue.claim('raw', { max: 10, visibilityMs: 0 })).toEqual([]);
      expect((await queue.deadLetters('raw')).map((d) => d.reason)).toEqual(Array(3).fill('visibility timeout expired on the last attempt'));
      const warned = lines.filter((l) => l.level === 'warn');
      expect(warned).toEqual([expect.objectContaining({ msg: expect.stringMatching(/^deliveries dead-lettered: /), subscription: 'raw', deliveries: 3, attempts: 2 })]);
      expect(JSON.stringify(warned)).not.toMatch(/click-|donor/);
    } finally {
      await queue.close();
    }
  });
});
