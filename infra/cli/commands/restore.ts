import { chmodSync, cpSync, existsSync, mkdirSync, readdirSync, readFileSync, realpathSync, statSync } from 'node:fs';
import { basename, dirname, join, resolve, sep } from 'node:path';

import { loadConfig } from '../../../core/config.js';
import { ConfigError } from '../../../core/errors.js';
import { makePrivate, undoCopyInto } from '../../local/home-dir.js';
import { checkHomeFormat } from '../../local/home-format.js';
import { LOCK_FILE } from '../../local/home-lock.js';
import { defineCommand } from '../command.js';
import { shellWord } from '../shell-word.js';
import { BACKUP_NOTE } from './backup.js';

/**
 * `puddle restore --from DIR`: a backup (`puddle backup`) copied into PUDDLE_HOME, which must be new or empty, then
 * checked as `puddle catalog verify` checks a home. Why a command: the docs said to start the hub on the backup "or
 * move it into place", and a disaster-recovery drill copied a backup over a home whose hub had been killed. The old
 * home's `*.db-wal` files stayed beside the restored databases, SQLite replayed them over the backup, and the
 * "restored" home was the crashed one, with no word from anything (2026-12-07). Starting on the backup itself changes
 * the only copy. Here the home is refused unless empty, and the backup is only read.
 */
export const restore = defineCommand({
  name: 'restore',
  summary: 'Copy a backup (puddle backup) into PUDDLE_HOME, a new or empty folder, and check what was copied; the backup is only read.',
  usage: 'puddle restore --from DIR (with PUDDLE_HOME set to a new or empty folder)',
  options: { from: { type: 'string', description: 'the folder puddle backup made' } },
  async run({ values, positionals }) {
    if (positionals.length) throw new ConfigError(`takes no arguments (got '${positionals.join(' ')}'): the backup's folder goes after --from`);
    if (typeof values.from !== 'string' || !values.from) throw new ConfigError('--from DIR is required: the folder puddle backup made');
    if (!existsSync(values.from) || !statSync(values.from).isDirectory()) throw new ConfigError(`--from ${resolve(values.from)} is not a folder`);
    // Real paths, links followed: a `latest` link to the backup, or a home that is a link to a folder elsewhere, is
    // compared and copied as what it points to (a --from link once made the home a link to the backup itself).
    const from = realpathSync(values.from);
    // Never the default ./.puddle: run from the clone, that would put the live lake inside it, out of sight.
    if (!process.env.PUDDLE_HOME) throw new ConfigError('PUDDLE_HOME is not set: set it to the folder to restore into (a new or empty one), as the hub will run with it');
    const home = realHome(resolve(loadConfig().home));
    if (!existsSync(join(from, 'catalog.db'))) throw new ConfigError(`--from ${from} holds no catalog.db: it is not a backup puddle backup made`);
    // A home (a hub has run on it: its lock file), not a backup: copied while its hub runs, it need not be consistent.
    if (existsSync(join(from, LOCK_FILE))) {
      throw new ConfigError(
        `--from ${from} is a home (it holds ${LOCK_FILE}), not a backup: a home copied while its hub runs need not be consistent. ` +
          `Make a backup of it first: PUDDLE_HOME=${shellWord(from)} puddle backup --to DIR; nothing was changed`,
      );
    }
    if (home === from || home.startsWith(from + sep) || from.startsWith(home + sep)) {
      throw new ConfigError(`PUDDLE_HOME (${home}) and --from (${from}) overlap: restore into a new folder of its own, so that the backup stays as it is`);
    }
    // A backup a newer Puddle made is refused as its home would be, before anything is copied.
    checkHomeFormat(from);
    // A new disk's own lost+found does not make it a home.
    if (existsSync(home) && (!statSync(home).isDirectory() || readdirSync(home).some((e) => e !== 'lost+found'))) {
      throw new ConfigError(
        `PUDDLE_HOME (${home}) is not an empty folder: a backup is restored into a new or empty one. Copied over a home, ` +
          "that home's *.db-wal files stay beside the restored databases and SQLite replays them over the backup. Move the old home " +
          `aside first (mv ${shellWord(home)} ${shellWord(`${home}.old`)}), or set PUDDLE_HOME to a new folder; nothing was changed`,
      );
    }
    const existed = existsSync(home);
    // The backup's own note says when it was taken; it is not part of a home, so it is not copied.
    const note = readNote(join(from, BACKUP_NOTE));
    try {
      // Private before anything is copied into it: a backup made before 2026-12-07 has files of mode 0644.
      mkdirSync(home, { recursive: true, mode: 0o700 });
      chmodSync(home, 0o700);
      const filter = (src: string) => src !== join(from, BACKUP_NOTE);
      cpSync(from, home, { recursive: true, errorOnExist: true, force: false, preserveTimestamps: true, dereference: true, filter });
      makePrivate(home);
    } catch (err) {
      undoCopyInto(home, existed);
      throw err;
    }

    const { checkHome, writeHomeProblems } = await import('../home-check.js');
    const check = await checkHome(home);
    writeHomeProblems('restore', check);
    const bad = check.databases.length + check.lake.problems.length;
    if (bad) {
      process.stdout.write(
        `restored ${from} into ${home}, with ${bad} problem(s), above: the home holds what the backup held, and these parts of it are damaged or missing. ` +
          'Restore an earlier backup instead (into a new folder), or see "A missing or damaged lake file" in docs/query-views.md\n',
      );
      return 1;
    }
    process.stdout.write(
      `restored ${from} into ${home}: ${check.lake.files} lake files checked against the catalog, the databases read whole\n` +
        (note
          ? `the backup was taken at ${note}: what the hub accepted after that is not in it (producers re-send what they keep; each connector reads on from its bookmark at its next run)\n`
          : `${from} has no backup.json: a backup made before 2026-12-07, or a copy of a home rather than a backup (a home copied while its hub ran need not be consistent: puddle backup makes one that is)\n`) +
        'next: put the keys file beside it (a backup holds no keys), then start the hub with this PUDDLE_HOME and PUDDLE_SANDBOXES=off\n' +
        (process.getuid?.() === 0
          ? `its files are root's (this ran as root): a hub run as another user (the docs' service user, puddle) needs chown -R puddle: ${shellWord(home)} first\n`
          : ''),
    );
    return 0;
  },
});

/** When the backup was taken, from its note, or null (a backup made before 2026-12-07 has none). */
function readNote(path: string): string | null {
  try {
    const taken = (JSON.parse(readFileSync(path, 'utf8')) as { taken_at?: unknown }).taken_at;
    return typeof taken === 'string' ? taken : null;
  } catch {
    return null;
  }
}

/** The home's real path: its own when it exists (a link followed), else its nearest existing folder's, with the rest. */
function realHome(home: string): string {
  if (existsSync(home)) return realpathSync(home);
  const parent = dirname(home);
  return parent === home ? home : join(realHome(parent), basename(home));
}
