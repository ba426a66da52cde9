// The CLI on a home whose disk is full or read-only: one line saying which and what to do, never a stack trace, and
// `puddle backup` still copies a read-only home off its disk. A user test (2026-12-06, the on-call engineer on a full
// tmpfs): `start`, `status`, `dead-letters`, `land` and `backup` ended in better-sqlite3's stack traces, `query`
// sent a full disk to the mount flags, and a failed backup left a folder that refused the next try.
import { execFileSync } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { homeDiskMessage } from '../infra/local/home-disk.js';
import { donation } from './puddles/lake-fixture.js';
import { landInHome } from './support/land-home.js';
import { runPuddle } from './support/run-cli.js';

const sqliteError = (code: string, message: string) => Object.assign(new Error(message), { code });

describe('homeDiskMessage', () => {
  it('says a full disk and a read-only one by their codes, with what to do, and nothing of other errors', () => {
    const home = tmpdir();
    expect(homeDiskMessage(sqliteError('SQLITE_FULL', 'database or disk is full'), '/srv/puddle')).toBe(
      'the disk of PUDDLE_HOME (/srv/puddle) is full (SQLITE_FULL): free some space on it (a few MB lets every command and the hub run again; what is queued and landed stays as it is), then run this again',
    );
    expect(homeDiskMessage(sqliteError('EROFS', "EROFS: read-only file system, open '/srv/puddle/hub.json.1.tmp'"), '/srv/puddle')).toMatch(
      /^PUDDLE_HOME \(\/srv\/puddle\) cannot be written \(EROFS\): its disk is read-only, or this user may not write it\. Remount it writable/,
    );
    // A disk I/O error on a home with room and write access is not put down to the disk; nor is an error of code.
    expect(homeDiskMessage(sqliteError('SQLITE_IOERR', 'disk I/O error'), home)).toBeNull();
    expect(homeDiskMessage(new TypeError('x is not a function'), home)).toBeNull();
  });
});

// A real full and read-only disk: a tmpfs, which only root may mount (CI runs as root here).
const canMount = (() => {
  if (process.getuid?.() !== 0) return false;
  try {
    execFileSync('mount', ['--version'], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
})();

describe.skipIf(!canMount)('the CLI on a home whose disk is full or read-only (a tmpfs; skipped unless root)', { timeout: 240_000 }, () => {
  const disk = mkdtempSync(path.join(tmpdir(), 'puddle-small-disk-'));
  const home = path.join(disk, 'home');
  const beside = mkdtempSync(path.join(tmpdir(), 'puddle-small-disk-out-'));
  const puddle = (args: string[]) => runPuddle(args, { PUDDLE_HOME: home, PORT: '0' });
  let mounted = false;

  beforeAll(async () => {
    const made = mkdtempSync(path.join(tmpdir(), 'puddle-small-disk-home-'));
    await landInHome(made, [donation('d-1', 2_500), donation('d-2', 1_000, { delivery: 'req-2' })]);
    execFileSync('mount', ['-t', 'tmpfs', '-o', 'size=64m', 'tmpfs', disk]);
    mounted = true;
    cpSync(made, home, { recursive: true });
    rmSync(made, { recursive: true, force: true });
  });
  afterAll(() => {
    if (mounted) execFileSync('umount', ['-l', disk]);
    rmSync(disk, { recursive: true, force: true });
    rmSync(beside, { recursive: true, force: true });
  });

  it('full: every command says so in one line, and a failed backup leaves nothing behind', async () => {
    // Fill the disk to its last byte.
    try {
      execFileSync('dd', ['if=/dev/zero', `of=${path.join(disk, 'filler')}`, 'bs=1M', 'count=100'], { stdio: 'ignore' });
    } catch {
      // dd stops with an error when the disk is full: that is the point.
    }
    for (const args of [['status'], ['land'], ['start'], ['dead-letters']]) {
      const r = await puddle(args);
      expect(r.code, args[0]).toBe(1);
      expect(r.stderr, args[0]).toMatch(new RegExp(`^puddle ${args[0]}: the disk of PUDDLE_HOME \\(${home}\\) is full \\(SQLITE_[A-Z_]+\\): free some space on it`));
      expect(r.stderr, args[0]).not.toContain('    at ');
    }
    const query = await puddle(['query', 'SELECT 1']);
    expect(query.stderr).toContain('the disk of PUDDLE_HOME is full; free some space on it');
    const to = path.join(beside, 'full-backup');
    const backup = await puddle(['backup', '--to', to]);
    expect(backup.code).toBe(1);
    expect(backup.stderr).toContain('is full');
    expect(existsSync(to)).toBe(false);
    rmSync(path.join(disk, 'filler'));
  });

  it('read-only: commands say so, and backup copies the home off the disk, whole', async () => {
    execFileSync('mount', ['-o', 'remount,ro', disk]);
    try {
      const status = await puddle(['status']);
      expect(status.code).toBe(1);
      expect(status.stderr).toMatch(/^puddle status: PUDDLE_HOME \(.*\) cannot be written \(SQLITE_[A-Z_]+\): its disk is read-only/);
      const start = await puddle(['start']);
      expect(start.stderr).toMatch(/^puddle start: PUDDLE_HOME \(.*\) cannot be written \(EROFS\)/);
      const to = path.join(beside, 'ro-backup');
      mkdirSync(to);
      const backup = await puddle(['backup', '--to', to]);
      expect(backup.code, backup.stderr).toBe(0);
      expect(backup.stdout).toContain('copied as they lie: the home is on a read-only disk');
      const copy = (args: string[]) => runPuddle(args, { PUDDLE_HOME: to });
      expect(JSON.parse((await copy(['catalog', 'verify'])).stdout)).toMatchObject({ problems: [] });
      const rows = JSON.parse((await copy(['query', 'SELECT donation_id FROM donation ORDER BY 1', '--format', 'json'])).stdout);
      expect(rows).toEqual([{ donation_id: 'd-1' }, { donation_id: 'd-2' }]);
    } finally {
      execFileSync('mount', ['-o', 'remount,rw', disk]);
    }
  });
});
