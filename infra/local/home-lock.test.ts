import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { ConfigError } from '../../core/errors.js';
import { describeHolder, HOLDER_FILE, lockHome, tryLockHome } from './home-lock.js';

describe('the home lock', () => {
  const home = mkdtempSync(join(tmpdir(), 'puddle-home-lock-unit-'));
  afterAll(() => rmSync(home, { recursive: true, force: true }));

  it('is held by one holder at a time, says who holds it, and is free again once released', () => {
    const first = lockHome(home, 'puddle start');
    first.listening('http://127.0.0.1:8787');
    // A second connection, even in this process, is refused: SQLite keeps its own count of the file's locks.
    expect(tryLockHome(home, 'puddle quarantine retry')).toBeNull();
    expect(describeHolder(home)).toMatch(new RegExp(`^puddle start at http://127\\.0\\.0\\.1:8787 \\(pid ${process.pid}, since \\S+\\)$`));
    expect(() => lockHome(home, 'puddle start')).toThrow(ConfigError);
    expect(() => lockHome(home, 'puddle land')).toThrow(/which lands what is queued/);
    first.release();
    expect(existsSync(join(home, HOLDER_FILE))).toBe(false);
    const second = lockHome(home, 'puddle land');
    second.release();
  });

  it('names no holder from a file a process that is gone left behind', () => {
    // A pid no process has (above the kernel's pid_max).
    writeFileSync(join(home, HOLDER_FILE), JSON.stringify({ pid: 2 ** 30, command: 'puddle start', since: '2026-11-27T18:00:00Z' }));
    expect(describeHolder(home)).toBe('another process (a hub starting or stopping)');
    const lock = lockHome(home, 'puddle start');
    expect(describeHolder(home)).toContain(`(pid ${process.pid},`);
    lock.release();
  });
});
