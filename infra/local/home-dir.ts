import { mkdirSync, statSync } from 'node:fs';
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
