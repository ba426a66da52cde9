import { readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { processExists } from '../../core/process-exists.js';
import { replaceJsonFile } from './json-file.js';
import { ConfigError } from '../../core/errors.js';
import { makeHome } from './home-dir.js';
import { newSqlite } from './sqlite.js';

/** Who holds a home: written beside the lock for the message a second hub prints, never to decide anything. */
export interface HomeHolder {
  pid: number;
  /** The command that holds it: `puddle start`, `puddle demo`, `puddle land`. */
  command: string;
  since: string;
  /** Where it listens, once it does. */
  url?: string;
}

export interface HomeLock {
  /** Say where the holder listens (a hub knows its port only once it listens, PORT=0 among others). */
  listening(url: string): void;
  release(): void;
  /**
   * The holder before this one, when it left its file behind: it did not stop cleanly (killed, crashed, the machine
   * stopped), since a holder that stops removes its file before it lets go of the lock.
   */
  uncleanBefore?: HomeHolder;
}

/** The lock's file: an empty SQLite database, only ever locked, never written. */
export const LOCK_FILE = 'hub.lock';
/** Who holds the lock (HomeHolder as JSON). */
export const HOLDER_FILE = 'hub.json';

/**
 * One process lands a home's queue at a time: a hub, or `puddle land` or `puddle quarantine retry` when no hub
 * runs. Two hubs on one PUDDLE_HOME split the deliveries between them: each lands half, each one's live totals
 * count only its half, and the TV shows neither the sum nor what SQL says.
 *
 * The lock is a write transaction held open on an empty SQLite database (BEGIN IMMEDIATE with no busy wait).
 * SQLite takes it as an fcntl lock on the file, which the kernel holds for this process and drops when the
 * process ends in any way, kill -9 and a crash included: nothing is left on disk that could claim the home
 * for a hub that is gone, unlike a pid file, which a crash leaves behind and whose pid another process may
 * have by then. The holder file is only what the refusal says; a stale one is overwritten by the next holder.
 * (As for every SQLite file, a home on a network file system whose locks do not work is not protected.)
 */
export function lockHome(home: string, command: string): HomeLock {
  const lock = tryLockHome(home, command);
  if (!lock) throw new ConfigError(inUse(home, command));
  return lock;
}

/**
 * Opens what `open` makes (a hub, `puddle aws local`) under `lock`, held until it has stopped: released at once
 * if opening fails, its address recorded once it listens, released after its stop (however that ends).
 */
export async function openUnderLock<T extends { url: string; stop: (...args: never[]) => Promise<void> }>(lock: HomeLock, open: () => Promise<T>): Promise<T> {
  let running: T;
  try {
    running = await open();
  } catch (err) {
    lock.release();
    throw err;
  }
  lock.listening(running.url);
  const stop = running.stop.bind(running) as (...args: Parameters<T['stop']>) => Promise<void>;
  return {
    ...running,
    async stop(...args: Parameters<T['stop']>) {
      try {
        await stop(...args);
      } finally {
        lock.release();
      }
    },
  };
}

/** The home's lock, or null when another process holds it (readHolder says which). */
export function tryLockHome(home: string, command: string): HomeLock | null {
  makeHome(home);
  const db = newSqlite(join(home, LOCK_FILE), { timeout: 0 });
  try {
    db.exec('BEGIN IMMEDIATE');
  } catch (err) {
    db.close();
    if ((err as { code?: string }).code === 'SQLITE_BUSY') return null;
    throw err;
  }
  const uncleanBefore = readHolderFile(home);
  const holder: HomeHolder = { pid: process.pid, command, since: new Date().toISOString() };
  writeHolder(home, holder);
  let held = true;
  return {
    ...(uncleanBefore ? { uncleanBefore } : {}),
    listening(url) {
      if (held) writeHolder(home, { ...holder, url });
    },
    release() {
      if (!held) return;
      held = false;
      // Before the lock goes: the next holder's file must not be removed.
      rmSync(join(home, HOLDER_FILE), { force: true });
      db.exec('ROLLBACK');
      db.close();
    },
  };
}

function writeHolder(home: string, holder: HomeHolder): void {
  // Renamed into place: a second hub never reads half a file.
  replaceJsonFile(join(home, HOLDER_FILE), holder);
}

/** What the holder file says, whether or not its process still runs; null when there is none (or it is unreadable). */
function readHolderFile(home: string): HomeHolder | null {
  try {
    const holder = JSON.parse(readFileSync(join(home, HOLDER_FILE), 'utf8')) as HomeHolder;
    return Number.isSafeInteger(holder.pid) && holder.pid > 0 ? holder : null;
  } catch {
    return null;
  }
}

/** The holder, when its file names a process that is still running (the lock says the home is held; this says by whom). */
export function readHolder(home: string): HomeHolder | null {
  const holder = readHolderFile(home);
  if (!holder) return null;
  return processExists(holder.pid) ? holder : null;
}

/** Who holds the home, for a message: "puddle start at http://127.0.0.1:8787 (pid 4242, since ...)". */
export function describeHolder(home: string): string {
  const h = readHolder(home);
  return h ? `${h.command}${h.url ? ` at ${h.url}` : ''} (pid ${h.pid}, since ${h.since})` : 'another process (a hub starting or stopping)';
}

function inUse(home: string, command: string): string {
  const held = `${home} (PUDDLE_HOME) is in use by ${describeHolder(home)}`;
  if (command === 'puddle land') {
    return `${held}, which lands what is queued: landing beside it would take deliveries its live totals and feeds never see. Run puddle land once it has stopped`;
  }
  if (command === 'puddle erase') {
    // Not "another PUDDLE_HOME": an erasure of another home erases nothing of this one (user test, 2026-12-05).
    return `${held}: an erasure waits for it to stop, since it could land the person again from its queue or compact a file the erasure has read. Stop the hub, take a backup (puddle backup), erase, then start it again`;
  }
  if (command === 'puddle catalog rebuild') {
    return `${held}, which reads and writes the catalog being rebuilt. Stop it first, then rebuild`;
  }
  return `${held}: one hub per home (two would each land part of the events and show part of the totals). Stop it first, or give this one another PUDDLE_HOME`;
}
