// A home an older hub (before 2026-12-02) kept: its dead letters' reasons are the error's name and whole message,
// which can quote a record. After the upgrade neither `puddle dead-letters` nor the queue shows them as they were.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { openSqlite } from '../infra/local/sqlite.js';
import { SqliteQueue } from '../infra/local/sqlite-queue.js';
import { olderQueue } from './support/older-home.js';
import { runPuddle } from './support/run-cli.js';

const EMAIL = 'jane.donor@example.org';
/** What the older hub's consumer kept: `${err.name}: ${err.message}`, DuckDB's message quoting the value. */
const DUCKDB_REASON = `Error: Conversion Error: Could not convert string '${EMAIL}' to INT32\n\nLINE 1: SELECT CAST('${EMAIL}' AS INTEGER)`;
const TYPE_REASON = `TypeError: Cannot read properties of undefined (reading '${EMAIL}')`;
const LEFT_OUT = 'message left out (it can quote the record)';
/** What a hub from earlier on 2026-12-02 kept: errorReason's form already, which the rewrite must leave alone. */
const TODAY_REASONS = [
  'RecordError: payload.amount_minor: must be at most 1000000000000: ten billion with cents; payload.status: must be one of pledged, paid (in any case; canceled means cancelled)',
  `Conversion Error: ${LEFT_OUT}`,
  'RetriableError (caused by Error ENOSPC): disk_full',
];

const homes: string[] = [];
afterEach(() => {
  for (const h of homes.splice(0)) rmSync(h, { recursive: true, force: true });
});

/** queue.db as the hub of 2026-11-30 wrote it (its schema, written directly), with three dead letters, then `later` ones. */
function olderHome(later: readonly string[] = []): string {
  const home = mkdtempSync(join(tmpdir(), 'puddle-older-dead-letters-'));
  homes.push(home);
  const db = olderQueue(home);
  const insert = db.prepare(`INSERT INTO queue_dead_letters (sub_id, body, attempts, reason, failed_at) VALUES (1, ?, 5, ?, '2026-11-29T20:15:00.000Z')`);
  for (const [id, reason] of [['d1', DUCKDB_REASON], ['d2', DUCKDB_REASON], ['d3', TYPE_REASON], ...later.map((r, i) => [`t${i}`, r])]) insert.run(JSON.stringify({ id, contract: 'donation' }), reason);
  db.close();
  return home;
}

describe("an older hub's dead letters after the upgrade", () => {
  it('puddle dead-letters lists them by kind, without the value their message quoted', async () => {
    const home = olderHome();
    const list = await runPuddle(['dead-letters', '--format', 'json'], { PUDDLE_HOME: home });
    expect(list.code).toBe(0);
    expect(JSON.parse(list.stdout)).toEqual([
      expect.objectContaining({ puddle: 'transactions', dead_letters: 3, reasons: expect.stringContaining(`2 x Conversion Error: ${LEFT_OUT}`) }),
    ]);
    expect(JSON.parse(list.stdout)[0].reasons).toContain(`1 x TypeError: ${LEFT_OUT}`);
    expect(list.stdout + list.stderr).not.toContain(EMAIL);
  });

  it("the hub's queue rewrites them once, keeping the letters, and leaves the reasons it writes itself as they are", async () => {
    const home = olderHome();
    const queue = new SqliteQueue(join(home, 'queue.db'), { backgroundWrites: false, backgroundCheckpoints: false });
    try {
      const dead = await queue.deadLetters('transactions');
      expect(dead.map((d) => d.reason)).toEqual([`Conversion Error: ${LEFT_OUT}`, `Conversion Error: ${LEFT_OUT}`, `TypeError: ${LEFT_OUT}`]);
      expect(dead.map((d) => d.attempts)).toEqual([5, 5, 5]);
      // A reason today's consumer writes (errorReason's, naming a field) is not rewritten by a later open.
      const db = openSqlite(join(home, 'queue.db'));
      db.prepare(`INSERT INTO queue_dead_letters (sub_id, body, attempts, reason, failed_at) VALUES (1, '{}', 5, 'RecordError: payload.amount_minor: is required', '2026-12-02T00:00:00.000Z')`).run();
      db.close();
    } finally {
      await queue.close();
    }
    const again = new SqliteQueue(join(home, 'queue.db'), { backgroundWrites: false, backgroundCheckpoints: false });
    try {
      expect((await again.deadLetters('transactions')).map((d) => d.reason)).toContain('RecordError: payload.amount_minor: is required');
    } finally {
      await again.close();
    }
  });

  it("leaves the reasons already in errorReason's form as they are, beside an older hub's in the same queue", async () => {
    // A home a hub from earlier on 2026-12-02 ran on: it wrote errorReason's reasons, and the rewrite had not come yet.
    const home = olderHome(TODAY_REASONS);
    const queue = new SqliteQueue(join(home, 'queue.db'), { backgroundWrites: false, backgroundCheckpoints: false });
    try {
      // Until 2026-12-02 these read "RecordError: message left out ...", "Error: message left out ...", "RetriableError ...: message left out ...".
      expect((await queue.deadLetters('transactions')).map((d) => d.reason)).toEqual([
        `Conversion Error: ${LEFT_OUT}`, `Conversion Error: ${LEFT_OUT}`, `TypeError: ${LEFT_OUT}`, ...TODAY_REASONS,
      ]);
    } finally {
      await queue.close();
    }
  });
});
