import { chmodSync, copyFileSync, existsSync, mkdirSync, readdirSync, statSync, writeFileSync } from 'node:fs';
import { dirname, join, relative, resolve, sep } from 'node:path';
import { ConfigError } from '../../../core/errors.js';
import { defineCommand } from '../command.js';
import { SANDBOX_WORLD_FILE } from '../../../connectors/sandbox-world.js';
import { MADE_UP_DATA_FILE } from '../../local/made-up-data.js';
import { makePrivate, undoCopyInto } from '../../local/home-dir.js';
import { onReadOnlyDisk } from '../../local/home-disk.js';
import type { SqliteDatabase } from '../../local/sqlite.js';
import { readHomeFormat, writeHomeFormat } from '../../local/home-format.js';
import { HOME_DATABASES } from '../home-check.js';
import { existingHome } from '../local-runtime.js';
import { shellWord } from '../shell-word.js';

/** In a backup, beside the home's files: when it was taken (`puddle restore` says so, and leaves it out of the home). */
export const BACKUP_NOTE = 'backup.json';

export const backup = defineCommand({
  name: 'backup',
  summary: 'Copy the home (its databases, consistently, and the lake files its catalog lists) to a new folder; safe while the hub runs.',
  usage: 'puddle backup --to DIR',
  options: { to: { type: 'string', description: 'a folder that does not exist yet, or is empty, outside PUDDLE_HOME' } },
  async run({ values, positionals }) {
    if (positionals.length) throw new ConfigError(`takes no arguments (got '${positionals.join(' ')}'): the folder goes after --to`);
    const home = resolve(existingHome({ writes: false }));
    if (typeof values.to !== 'string' || !values.to) throw new ConfigError('--to DIR is required: the folder to copy the home into');
    const to = resolve(values.to);
    if (to === home || to.startsWith(home + sep)) throw new ConfigError(`--to ${to} is inside PUDDLE_HOME (${home}): back up to another folder, ideally another disk`);
    if (existsSync(to) && (!statSync(to).isDirectory() || readdirSync(to).length > 0)) {
      throw new ConfigError(`--to ${to} is not an empty folder: a backup goes into a new or empty one (so it never mixes with another home's files)`);
    }
    if (!existsSync(join(home, 'catalog.db'))) throw new ConfigError(`${home} (PUDDLE_HOME) has no catalog.db: nothing has landed there to back up`);
    const existed = existsSync(to);
    mkdirSync(to, { recursive: true, mode: 0o700 });
    // Donations, payments and bank lines: readable by this user only, as the home should be.
    chmodSync(to, 0o700);
    let done;
    try {
      // Before anything is copied: what the hub accepts from here on may not be in the backup.
      writeFileSync(join(to, BACKUP_NOTE), `${JSON.stringify({ taken_at: new Date().toISOString() })}\n`, { mode: 0o600 });
      done = await copyHome(home, to);
    } catch (err) {
      // Nothing half-made is left to refuse the next try as "not an empty folder" (until 2026-12-06 a backup that
      // failed on a full disk left its home-format.json there; a user test).
      undoCopyInto(to, existed);
      throw err;
    }
    makePrivate(to);
    const { copied, lake, inbox, asFiles } = done;
    if (lake.missing.length) {
      process.stderr.write(
        `puddle backup: ${lake.missing.length} lake file(s) the catalog lists could not be copied, so ${to} is NOT a whole backup: ` +
          `${lake.missing.slice(0, 5).join(', ')}${lake.missing.length > 5 ? ', ...' : ''}. ` +
          'A file compaction retired is deleted 15 minutes later: run the backup again (into a new folder); if a file is missing from the home itself, see "A missing or damaged lake file" in docs/query-views.md\n',
      );
      return 1;
    }
    process.stdout.write(
      `backed up ${home} to ${to}: ${copied.join(', ')} (${asFiles ? 'copied as they lie: the home is on a read-only disk' : 'SQLite online backups'}), ${lake.files} lake files (${mb(lake.bytes)}), ${inbox.files} inbox files\n` +
        `to restore it: PUDDLE_HOME=<a new, empty folder> puddle restore --from ${shellWord(to)} (the backup itself stays as it is)\n`,
    );
    return 0;
  },
});

/** The home's databases, lake files, inbox and sandbox world, copied into `to` (which exists, empty). */
async function copyHome(home: string, to: string) {
  // The home's format goes with it (1 for a home from before 2026-12-03 that nothing has written since): a Puddle
  // older than the home must refuse the backup as it refuses the home.
  writeHomeFormat(to, readHomeFormat(home));

  const { newSqlite } = await import('../../local/sqlite.js');
  const copied: string[] = [];
  // On a disk mounted read-only SQLite cannot open a database whose WAL index it may not write, and nothing can
  // write one either, a hub included: each database and its WAL are copied as they lie, which is then consistent.
  const asFiles = onReadOnlyDisk(home);
  for (const name of HOME_DATABASES) {
    if (!existsSync(join(home, name))) continue;
    if (asFiles) {
      for (const file of [name, `${name}-wal`]) if (existsSync(join(home, file))) copyFileSync(join(home, file), join(to, file));
    } else {
      const db = newSqlite(join(home, name), { fileMustExist: true });
      try {
        db.pragma('busy_timeout = 5000');
        await db.backup(join(to, name));
      } finally {
        db.close();
      }
    }
    copied.push(name);
  }
  const lake = copyLake(home, to, newSqlite(join(to, 'catalog.db'), { fileMustExist: true }));
  const inbox = copyTree(join(home, 'inbox'), join(to, 'inbox'));
  // The sandboxes' world: without it a hub started on the backup begins a new one, and its sandboxes send again
  // every appeal donation the lake already holds, re-dated (until 2026-12-05 it was left out; user test).
  for (const file of [SANDBOX_WORLD_FILE, MADE_UP_DATA_FILE]) if (existsSync(join(home, file))) copyFileSync(join(home, file), join(to, file));
  return { copied, lake, inbox, asFiles };
}

/**
 * Every file the copied catalog lists, raw included, from the home to the backup: not the files compaction or a
 * replay retired (they wait 15 minutes to be deleted, and nothing reads them). A listed file that is gone is named:
 * one retired after the catalog's copy may be deleted before it is reached, on a copy lasting over 15 minutes.
 */
function copyLake(home: string, to: string, catalog: SqliteDatabase): { files: number; bytes: number; missing: string[] } {
  const keys = (catalog.prepare('SELECT key FROM files ORDER BY key').all() as { key: string }[]).map((r) => r.key);
  catalog.close();
  let bytes = 0;
  const missing: string[] = [];
  for (const key of keys) {
    const dest = join(to, key);
    // A key is a path under the home (lake/<puddle>/...): never one that climbs out of the backup folder.
    if (!resolve(dest).startsWith(to + sep)) throw new Error(`the catalog lists a file outside the lake: ${key}`);
    mkdirSync(dirname(dest), { recursive: true });
    try {
      copyFileSync(join(home, key), dest);
      bytes += statSync(dest).size;
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
      missing.push(key);
    }
  }
  return { files: keys.length - missing.length, bytes, missing };
}

/** A folder's files (the bank inbox: statements done and failed, with their logs), as they are. */
function copyTree(from: string, to: string): { files: number } {
  if (!existsSync(from)) return { files: 0 };
  let files = 0;
  for (const entry of readdirSync(from, { recursive: true, withFileTypes: true })) {
    if (!entry.isFile()) continue;
    const src = join(entry.parentPath, entry.name);
    const dest = join(to, relative(from, src));
    mkdirSync(dirname(dest), { recursive: true });
    copyFileSync(src, dest);
    files++;
  }
  return { files };
}

const mb = (bytes: number) => `${(bytes / 1_000_000).toFixed(1)} MB`;
