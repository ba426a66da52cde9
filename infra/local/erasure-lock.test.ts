import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { ConfigError } from '../../core/errors.js';
import { lockLakeForErasure, lockLakeForWriter } from './erasure-lock.js';
import { lockHome } from './home-lock.js';

describe('the lake writers\' lock', () => {
  const home = mkdtempSync(join(tmpdir(), 'puddle-erasure-lock-unit-'));
  afterAll(() => rmSync(home, { recursive: true, force: true }));

  it('lets writers run together and beside a hub, but never beside an erasure, either way round', () => {
    const hub = lockHome(home, 'puddle start');
    const replay = lockLakeForWriter(home, 'puddle replay');
    const compact = lockLakeForWriter(home, 'puddle compact');
    expect(() => lockLakeForErasure(home)).toThrow(/a puddle replay, compact or quarantine retry is writing this home's lake/);
    replay.release();
    expect(() => lockLakeForErasure(home)).toThrow(ConfigError);
    compact.release();
    hub.release();

    const erasing = lockHome(home, 'puddle erase');
    const erasure = lockLakeForErasure(home);
    expect(() => lockLakeForWriter(home, 'puddle replay')).toThrow(
      new RegExp(`is being erased by puddle erase \\(pid ${process.pid}, since \\S+\\): puddle replay now could write the person's values back`),
    );
    erasure.release();
    erasing.release();
    lockLakeForWriter(home, 'puddle replay').release();
  });
});
