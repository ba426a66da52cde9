// A `puddle query` whose DuckDB cannot open (here: no temporary folder for its spills) says why in one line and
// exits 1; closing the engine that never opened does not throw the failure again as a stack trace. The line names
// the setting to fix (TMPDIR), as `puddle start` does, which stops with exit code 2.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { runPuddle } from './support/run-cli.js';

describe('puddle query when DuckDB cannot open', () => {
  const home = mkdtempSync(join(tmpdir(), 'puddle-open-failure-'));
  afterAll(() => rmSync(home, { recursive: true, force: true }));

  it('says why in one line and exits 1, with no stack trace', async () => {
    const r = await runPuddle(['query', 'SELECT 1'], { PUDDLE_HOME: home, TMPDIR: join(home, 'no-such-folder') });
    expect(r.code).toBe(1);
    expect(r.stdout).toBe('');
    expect(r.stderr).toBe(
      `puddle query: the temporary folder ${join(home, 'no-such-folder')} (TMPDIR, else /tmp) does not exist: Puddle writes passing files there (Parquet being written, DuckDB's spills). Set TMPDIR to a folder this user may write\n`,
    );
  });

  it('stops puddle start with exit code 2, naming TMPDIR', async () => {
    const r = await runPuddle(['start', '--no-schedule'], { PUDDLE_HOME: home, PORT: '0', TMPDIR: join(home, 'no-such-folder') }, { timeoutMs: 60_000 });
    expect(r.code).toBe(2);
    expect(r.stderr).toContain(`puddle start: the temporary folder ${join(home, 'no-such-folder')} (TMPDIR, else /tmp) does not exist`);
    expect(r.stderr).not.toMatch(/\n\s+at /);
  });
});
