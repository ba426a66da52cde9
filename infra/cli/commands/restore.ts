import { cpSync, existsSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { join, resolve, sep } from 'node:path';

import { loadConfig } from '../../../core/config.js';
import { ConfigError } from '../../../core/errors.js';
import { makePrivate } from '../../local/home-dir.js';
import { checkHomeFormat } from '../../local/home-format.js';
import { defineCommand } from '../command.js';
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
  usage: 'PUDDLE_HOME=NEW_FOLDER puddle restore --from DIR',
  options: { from: { type: 'string', description: 'the folder puddle backup made' } },
  async run({ values, positionals }) {
    if (positionals.length) throw new ConfigError(`takes no arguments (got '${positionals.join(' ')}'): the backup's folder goes after --from`);
    if (typeof values.from !== 'string' || !values.from) throw new ConfigError('--from DIR is required: the folder puddle backup made');
    const from = resolve(values.from);
    const home = resolve(loadConfig().home);
    if (!existsSync(from) || !statSync(from).isDirectory()) throw new ConfigError(`--from ${from} is not a folder`);
    if (!existsSync(join(from, 'catalog.db'))) throw new ConfigError(`--from ${from} holds no catalog.db: it is not a backup puddle backup made`);
    if (home === from || home.startsWith(from + sep) || from.startsWith(home + sep)) {
      throw new ConfigError(`PUDDLE_HOME (${home}) and --from (${from}) overlap: restore into a new folder of its own, so that the backup stays as it is`);
    }
    // A backup a newer Puddle made is refused as its home would be, before anything is copied.
    checkHomeFormat(from);
    if (existsSync(home) && (!statSync(home).isDirectory() || readdirSync(home).length > 0)) {
      throw new ConfigError(
        `PUDDLE_HOME (${home}) is not an empty folder: a backup is restored into a new or empty one. Copied over a home, ` +
          "that home's *.db-wal files stay beside the restored databases and SQLite replays them over the backup. Move the old home " +
          `aside first (mv ${home} ${home}.old), or set PUDDLE_HOME to a new folder; nothing was changed`,
      );
    }
    cpSync(from, home, { recursive: true, errorOnExist: true, force: false, preserveTimestamps: true });
    // Readable by this user only, whatever the copy's modes were.
    makePrivate(home);
    // The backup's own note says when it was taken; it is not part of a home.
    const note = readNote(join(home, BACKUP_NOTE));
    rmSync(join(home, BACKUP_NOTE), { force: true });

    const { checkHome, writeHomeProblems } = await import('../home-check.js');
    const check = await checkHome(home);
    writeHomeProblems('restore', check);
    const bad = check.databases.length + check.lake.problems.length;
    process.stdout.write(
      `restored ${from} into ${home}: ${check.lake.files} lake files checked against the catalog, the databases read whole` +
        `${bad ? `; ${bad} problem(s), above: the home holds what the backup held, and these parts of it are missing or damaged` : ''}\n` +
        `${note ? `the backup was taken at ${note}: what the hub accepted after that is not in it (producers re-send what they keep; each connector reads on from its bookmark at its next run)\n` : ''}` +
        'next: put the keys file beside it (a backup holds no keys), then start the hub with this PUDDLE_HOME\n',
    );
    return bad ? 1 : 0;
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
