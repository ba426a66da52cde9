// A queue.db, state.db or feeds.db SQLite cannot read (written over, a bad disk): `puddle start` ended in
// better-sqlite3's stack trace with exit 1, which the docs' systemd unit (Restart=on-failure, RestartPreventExitStatus=2)
// restarts in a loop (a disaster-recovery drill, 2026-12-07). Now it stops with exit 2 and one line saying what the
// file holds and the two ways on, and changes nothing.
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';

import { runPuddle } from './support/run-cli.js';

const damaged = Buffer.alloc(8192, 0x5a);
const homes: string[] = [];
afterAll(() => {
  for (const home of homes) rmSync(home, { recursive: true, force: true });
});

/** A new home holding only `file`, written over. */
function homeWithDamaged(file: string): { home: string; file: string } {
  const home = mkdtempSync(path.join(tmpdir(), 'puddle-db-damaged-'));
  homes.push(home);
  writeFileSync(path.join(home, file), damaged);
  return { home, file: path.join(home, file) };
}

const next = (file: string, holds: string, without: string) =>
  `${file} is damaged (SQLITE_NOTADB): SQLite cannot read it. It holds ${holds}. Restore the home from a backup (puddle restore, into a new folder), or move ${file} and its -wal and -shm files aside (keep them) ${without}; nothing was changed`;

describe("a home whose databases SQLite cannot read", () => {
  it('stops puddle start and a report with exit 2 and one line for queue.db, not a stack trace, and leaves the file as it was', async () => {
    const { home, file } = homeWithDamaged('queue.db');
    const said = next(file, 'the events accepted and not landed yet', 'to start with an empty queue: what had not landed is then lost, except what producers and connectors send again');
    const start = await runPuddle(['start', '--no-schedule'], { PUDDLE_HOME: home, PORT: '0', PUDDLE_API_KEYS: 'db-damaged-producer-key-0001' }, { timeoutMs: 60_000 });
    expect(start.code).toBe(2);
    expect(start.stderr.trim()).toBe(`puddle start: ${said}`);
    const report = await runPuddle(['report', 'landing'], { PUDDLE_HOME: home });
    expect(report.code).toBe(2);
    expect(report.stderr.trim()).toBe(`puddle report: ${said}`);
    expect(readFileSync(file)).toEqual(damaged);
  }, 120_000);

  it.each([
    ['state.db', "the connectors' bookmarks", 'to start without them: each connector then reads again from its start date (a full backfill; nothing lands twice)'],
    ['feeds.db', "the supplier feeds' rows", 'to start without it: the hub rebuilds them from the lake, numbered afresh (see docs/supplier-feeds.md)'],
  ])('stops puddle start with exit 2 and one line for %s', async (name, holds, without) => {
    const { home, file } = homeWithDamaged(name);
    const start = await runPuddle(['start', '--no-schedule'], { PUDDLE_HOME: home, PORT: '0', PUDDLE_API_KEYS: 'db-damaged-producer-key-0001' }, { timeoutMs: 60_000 });
    expect(start.code).toBe(2);
    expect(start.stderr.trim()).toBe(`puddle start: ${next(file, holds, without)}`);
    expect(readFileSync(file)).toEqual(damaged);
  }, 120_000);
});
