import { afterAll, afterEach, describe, expect, it, vi } from 'vitest';
import { failureReason, RepeatedFailure } from './repeated-failure.js';

describe('RepeatedFailure', () => {
  const lines: Record<string, unknown>[] = [];
  const write = vi.spyOn(process.stderr, 'write').mockImplementation((chunk) => {
    lines.push(JSON.parse(String(chunk)) as Record<string, unknown>);
    return true;
  });
  afterEach(() => {
    lines.length = 0;
  });
  afterAll(() => write.mockRestore());
  let t = Date.parse('2026-11-27T20:00:00Z');
  const full = () => Object.assign(new Error('database or disk is full'), { code: 'SQLITE_FULL' });

  it('logs the first failure, then one line with a count every 10 s, and one when it works again', () => {
    const f = new RepeatedFailure({ fields: { puddle: 'raw' }, now: () => t });
    for (let i = 0; i < 40; i++) {
      f.fail('landing failed', full());
      t += 500;
    }
    // 40 failures over 20 s: the first, then one at 10 s and one at 20 s... never one a failure.
    expect(lines.map((l) => l.msg)).toEqual(['landing failed', 'landing failed (still failing)']);
    expect(lines[0]).toMatchObject({ level: 'error', puddle: 'raw', error: 'Error: database or disk is full (SQLITE_FULL)' });
    expect(lines[1]).toMatchObject({ failures: 21, not_logged: 19, since: '2026-11-27T20:00:00.000Z' });
    expect(f.current()).toMatchObject({ since: '2026-11-27T20:00:00.000Z', failures: 40, reason: 'disk_full' });
    f.succeeded('landing works again');
    expect(lines[2]).toMatchObject({ level: 'info', msg: 'landing works again', failures: 40 });
    expect(f.current()).toBeNull();
    f.succeeded('landing works again');
    expect(lines).toHaveLength(3);
  });

  it('is not reported a minute after its last failure, and a later failure starts a new run', () => {
    const f = new RepeatedFailure({ now: () => t });
    f.fail('commit failed', full());
    t += 61_000;
    expect(f.current()).toBeNull();
    f.fail('commit failed', new Error('EROFS: read-only file system'));
    expect(lines.map((l) => l.msg)).toEqual(['commit failed', 'commit failed']);
    expect(f.current()).toMatchObject({ failures: 1, reason: 'not_writable' });
  });

  it('names the reason from the error or its causes, and nothing else from their words', () => {
    expect(failureReason(new Error('queue publish failed', { cause: new Error('database or disk is full') }))).toBe('disk_full');
    expect(failureReason(Object.assign(new Error('write'), { code: 'ENOSPC' }))).toBe('disk_full');
    expect(failureReason(new Error("EACCES: permission denied, open '/lake/x'"))).toBe('not_writable');
    expect(failureReason(new Error('Conversion Error: could not convert'))).toBe('failed');
  });
});
