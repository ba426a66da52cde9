// A queue.db SQLite cannot read (a restore cut short, a bad disk): `puddle start` ended in better-sqlite3's stack
// trace with exit 1, which the docs' systemd unit (Restart=on-failure, RestartPreventExitStatus=2) restarts in a loop
// (a disaster-recovery drill, 2026-12-07). Now it stops with exit 2 and one line saying what the file holds and the
// two ways on, and changes nothing.
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';

import { runPuddle } from './support/run-cli.js';

describe('a home whose queue.db is damaged', () => {
  const home = mkdtempSync(path.join(tmpdir(), 'puddle-queue-damaged-'));
  afterAll(() => rmSync(home, { recursive: true, force: true }));
  const queue = path.join(home, 'queue.db');
  const damaged = Buffer.alloc(8192, 0x5a);
  writeFileSync(queue, damaged);
  const said = `${queue} is damaged (SQLITE_NOTADB): SQLite cannot read it. It holds the events accepted and not landed yet. Restore the home from a backup (puddle restore, into a new folder), or move ${queue} and its -wal and -shm files aside (keep them) to start with an empty queue: what had not landed is then lost, except what producers and connectors send again; nothing was changed`;

  it('stops puddle start and a report with exit 2 and one line, not a stack trace, and leaves the file as it was', async () => {
    const start = await runPuddle(['start', '--no-schedule'], { PUDDLE_HOME: home, PORT: '0', PUDDLE_API_KEYS: 'queue-damaged-key' }, { timeoutMs: 60_000 });
    expect(start.code).toBe(2);
    expect(start.stderr.trim()).toBe(`puddle start: ${said}`);
    const report = await runPuddle(['report', 'landing'], { PUDDLE_HOME: home });
    expect(report.code).toBe(2);
    expect(report.stderr.trim()).toBe(`puddle report: ${said}`);
    expect(readFileSync(queue)).toEqual(damaged);
  }, 120_000);
});
