import { chmodSync, mkdirSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { ConfigError } from '../../core/errors.js';
import { log } from '../../core/log.js';
import { checkHomeFormat, markHomeFormat } from './home-format.js';

/**
 * Makes PUDDLE_HOME, readable by its owner only. The home holds the queue (every event as sent), the lake
 * (donations, amounts, payments, bank lines), the raw trail and bank files in inbox/: until 2026-12-02 a new home
 * was made 0755 and its files 0644, so any user of the machine could read them all. A folder of 0700 closes
 * every file below it, whatever mode each file gets, so the files are left as SQLite and DuckDB make them.
 *
 * A home that already exists keeps its mode (a deployer may share it with a group on purpose, for a tool
 * reading the lake): `warnIfOpen` says when others can get in, and how to close it.
 *
 * Every process that writes a home comes through here (the hub lock, the local runtime), so here a home a newer
 * Puddle wrote is refused before anything is made or written, and a new or older home gets its format recorded.
 */
export function makeHome(home: string): void {
  checkHomeOwner(home);
  checkHomeFormat(home);
  mkdirSync(home, { recursive: true, mode: 0o700 });
  markHomeFormat(home);
}

/** Logs a warning when users other than the owner can enter the home (POSIX modes; Windows has none). */
export function warnIfOpen(home: string): void {
  if (process.platform === 'win32') return;
  const mode = statSync(home).mode & 0o777;
  if ((mode & 0o077) === 0) return;
  log.warn('PUDDLE_HOME can be read by other users of this machine: it holds donations, payments and bank lines', {
    home,
    mode: mode.toString(8),
    fix: `chmod 700 ${home}`,
  });
}

/** The name /etc/passwd gives a uid, or `uid N`. */
function userName(uid: number): string {
  try {
    const line = readFileSync('/etc/passwd', 'utf8').split('\n').find((l) => l.split(':')[2] === String(uid));
    if (line) return line.split(':')[0]!;
  } catch {
    // No passwd file to read: the number says it.
  }
  return `uid ${uid}`;
}

/**
 * Refuses a home that belongs to another user (POSIX; none on Windows). What a command writes there (lake files,
 * the queue's and catalog's journals, a SQLite file opened read-only makes its `-shm`) would be the command's user's,
 * and the hub, running as the home's owner, could not write them: a going-live user test ran `puddle sync` and
 * `puddle land` as root on the service's home, and the TV total stopped at the next donation (landing "not
 * writable"). Run as the home's owner instead (`sudo -u puddle ...`).
 */
export function checkHomeOwner(home: string): void {
  const uid = process.getuid?.();
  if (uid === undefined) return;
  let owner: number;
  try {
    owner = statSync(home).uid;
  } catch {
    return; // not made yet: made now, as this user
  }
  if (owner === uid) return;
  const name = userName(owner);
  throw new ConfigError(
    `${home} (PUDDLE_HOME) belongs to ${name}, and this command runs as ${userName(uid)}: run it as ${name} (sudo -u ${name} ..., with the service's environment), since the files it writes there would be ${userName(uid)}'s and the hub could not write them`,
  );
}

/**
 * Every folder and file under `dir`, and `dir` itself, readable by this user only (0700, 0600): a backup's or a
 * restored home's copies were made with the umask's modes (0644, 0755), so a copy of the folder's contents without
 * the folder itself (rsync of `DIR/`, a tar unpacked elsewhere) was readable by every user (a disaster-recovery drill).
 */
export function makePrivate(dir: string): void {
  for (const entry of readdirSync(dir, { recursive: true, withFileTypes: true })) {
    if (entry.isSymbolicLink()) continue;
    chmodSync(join(entry.parentPath, entry.name), entry.isDirectory() ? 0o700 : 0o600);
  }
  chmodSync(dir, 0o700);
}

/**
 * Takes back what a copy into `dir` (a backup's, a restore's) made before it failed, so the next try is not refused as
 * "not an empty folder": the folder itself when the copy made it, else what is in it (a new disk's lost+found stays).
 */
export function undoCopyInto(dir: string, existed: boolean): void {
  if (!existed) return rmSync(dir, { recursive: true, force: true });
  for (const entry of readdirSync(dir)) if (entry !== 'lost+found') rmSync(join(dir, entry), { recursive: true, force: true });
}
