// A `puddle query` whose DuckDB cannot open (here: no temporary folder for its spills) says why in one line and
// exits 1; closing the engine that never opened does not throw the failure again as a stack trace.
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
    expect(r.stderr).toMatch(/^puddle query: ENOENT: no such file or directory, mkdtemp '.*no-such-folder\/puddle-duckdb-/);
    expect(r.stderr.trim().split('\n')).toHaveLength(1);
  });
});
