import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { Envelope } from '../../core/envelope.js';
import type { Queue } from '../../core/ports.js';
import { SqliteQueue } from '../../infra/local/sqlite-queue.js';
import { writeCamt, type CamtEntryInput } from '../../connectors/bank/camt-writer.js';
import { importBankFile, readBankFile } from '../../connectors/bank/import-file.js';
import { statementEnvelopes } from '../../connectors/bank/to-envelopes.js';

// The import publishes a big file a chunk at a time, each chunk handed to the queue before the next is made.
// These check that doing so loses, repeats and changes nothing, and that a queue failure part way is reported.

/** A statement of `n` entries, more than one publish chunk, every tenth with a two-transaction batch. */
function statement(n: number): string {
  const entries: CamtEntryInput[] = [];
  for (let i = 0; i < n; i++) {
    entries.push({
      amount_minor: 100 + i,
      booking_date: '2026-12-01',
      entry_reference: `REF${i}`,
      remittance: `PAYOUT ${i}`,
      details: i % 10 === 0 ? [{ amount_minor: 50, end_to_end_id: 'a' }, { amount_minor: 50 + i, end_to_end_id: 'b' }] : undefined,
    });
  }
  return writeCamt({
    version: 8,
    message_id: 'M1',
    created_at: '2026-12-01T23:00:00Z',
    statements: [{ id: 'S1', account: 'GB33BUKB20201555555555', currency: 'GBP', created_at: '2026-12-01T23:00:00Z', opening_balance_minor: 0, summary: true, entries }],
  });
}

describe('importing a bank file of several publish chunks', () => {
  let dir: string;
  let queue: SqliteQueue;
  beforeEach(async () => {
    dir = mkdtempSync(join(tmpdir(), 'puddle-bank-import-'));
    queue = new SqliteQueue(join(dir, 'queue.db'));
    await queue.subscribe({ name: 'all', contracts: '*' });
  });
  afterEach(async () => {
    await queue.close();
    rmSync(dir, { recursive: true, force: true });
  });

  async function drain(): Promise<Envelope[]> {
    const out: Envelope[] = [];
    for (;;) {
      const got = await queue.claim('all', { max: 1000, visibilityMs: 60_000 });
      if (got.length === 0) return out;
      out.push(...got.map((m) => m.envelope));
      await queue.ack('all', got.map((m) => m.receipt));
    }
  }

  it('queues every envelope once, in order, with the ids the envelopes of the statement have; again the same ids', async () => {
    const bytes = statement(2_500);
    const first = await importBankFile(queue, { name: 'big.xml', bytes });
    expect(first).toMatchObject({ status: 'imported', entries: 2_500, lines: 2_500 });
    const queued = await drain();
    // The reference: the statement's envelopes made in one go (bank_statement, then each line and its details).
    const { result } = readBankFile(bytes, {});
    const expected = statementEnvelopes(result.statements[0]!, 0, { name: 'big.xml', sha256: first.file_sha256, received_at: 'x', delivery_id: 'x' });
    expect(expected).toHaveLength(1 + 2_500 + 2 * 250);
    expect(queued.map((e) => e.id)).toEqual(expected.map((e) => e.id));
    expect(queued.map((e) => e.payload)).toEqual(expected.map((e) => e.payload));
    expect(new Set(queued.map((e) => e.delivery_id)).size).toBe(1);

    await importBankFile(queue, { name: 'big.xml', bytes });
    expect((await drain()).map((e) => e.id)).toEqual(expected.map((e) => e.id));
  });

  it('reports a queue that fails part way (after its first chunk), instead of finishing or leaving it unobserved', async () => {
    let calls = 0;
    const failing: Queue = Object.create(queue) as Queue;
    failing.publish = (envelopes) => {
      // The queue closes under the import once it took the first chunk: every later publish is refused.
      if (++calls === 2) void queue.close();
      return queue.publish(envelopes);
    };
    await expect(importBankFile(failing, { name: 'big.xml', bytes: statement(2_500) })).rejects.toThrow('queue is closed');
    expect(calls).toBeGreaterThan(1);
  });
});
