// A query reads the SQL files of the named views it uses, once each per process, and a query that names no view
// (`puddle query "select 1"`, the start-up benchmark) reads none: every named view's file was read twice before
// such a query ran (docs/benchmarks.md, "Start-up").
import fs from 'node:fs';
import { describe, expect, it, vi } from 'vitest';
import { useLake } from './lake-fixture.js';

vi.mock('node:fs', async (importOriginal) => {
  const real = await importOriginal<typeof import('node:fs')>();
  const readFileSync = vi.fn(real.readFileSync);
  return { ...real, default: { ...real, readFileSync }, readFileSync };
});

const lake = useLake();

/** The query files read since the last call. */
function sqlFilesRead(): string[] {
  const read = vi
    .mocked(fs.readFileSync)
    .mock.calls.map(([file]) => String(file))
    .filter((file) => file.endsWith('.sql'));
  vi.mocked(fs.readFileSync).mockClear();
  return read.map((file) => file.split('/').pop()!);
}

describe('the named views’ SQL files', () => {
  it('are not read for a query naming no view, and read once each for one that names a view', async () => {
    sqlFilesRead();
    expect(await lake.engine.query('SELECT 1 AS one')).toEqual([{ one: 1 }]);
    expect(sqlFilesRead()).toEqual([]);

    await lake.engine.query('SELECT count(*) AS n FROM recon_breaks');
    const first = sqlFilesRead();
    expect(first).toContain('recon_breaks.sql');
    expect(first).not.toContain('totals_by_box.sql');
    expect(new Set(first).size).toBe(first.length);

    await lake.engine.query('SELECT count(*) AS n FROM recon_breaks');
    await lake.engine.query('SELECT count(*) AS n FROM totals_by_box');
    expect(sqlFilesRead()).toEqual(['totals_by_box.sql']);
  });
});
