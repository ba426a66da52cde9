import { describe, expect, it } from 'vitest';
import { LakeFileError } from '../core/errors.js';
import { recogniseLakeFileError } from './lake-file-error.js';

describe('a DuckDB error about a lake file', () => {
  const root = '/srv/puddle';
  const file = `${root}/lake/transactions/donation/v2/dt=2026-12-06/part-1.parquet`;

  it('is a damaged or missing lake file when DuckDB could not read it', () => {
    const e = recogniseLakeFileError(new Error(`Invalid Input Error: No magic bytes found at end of file '${file}'`), root);
    expect(e).toBeInstanceOf(LakeFileError);
    expect(e?.message).toContain('lake file lake/transactions/donation/v2/dt=2026-12-06/part-1.parquet is listed in the catalog but is missing or damaged: re-derive it');
  });

  it('is not one when the process had no file descriptor left: the file is fine, and a replay would fix nothing', () => {
    // Until 2026-12-06 a flood of connections made maintenance call a healthy file damaged (a security review).
    expect(recogniseLakeFileError(new Error(`IO Error: Cannot open file "${file}": Too many open files`), root)).toBeUndefined();
  });

  it('is not one outside the lake', () => {
    expect(recogniseLakeFileError(new Error(`IO Error: Cannot open file "/home/me/mine.parquet": No such file or directory`), root)).toBeUndefined();
  });
});
