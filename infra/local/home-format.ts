import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { ConfigError } from '../../core/errors.js';
import { replaceJsonFile } from './json-file.js';

/**
 * The format of a PUDDLE_HOME this code reads and writes. Raise it (and add the step to `markHomeFormat`) when a
 * change to what a home holds would be misread by the code before it: the code before it then refuses such a home
 * (checkHomeFormat) instead of reading it wrongly. Until 2026-12-03 nothing in a home said
 * which Puddle wrote it: a rollback to the Puddle of the week before read a home with donation v2 states, did
 * not know them, folded a smaller state and retired the right one.
 */
export const HOME_FORMAT = 3;
// The formats, and what each added:
// 1: 2026-12-03, the first mark (a home made before it is taken as format 1).
// 2: 2026-12-04, packs in queue.db (infra/local/sqlite-queue-pack.mjs): a producer request's events in one row. The
//    Puddle of format 1 would read such a row's first event and ack the whole request, losing the rest. The step is
//    the queue's own: SqliteQueue adds the columns when it opens a queue.db without them.
// 3: 2026-12-07, contract versions the Puddle of format 2 does not know: bank_statement v3 (2026-12-05), donation v3
//    and payment v3 (2026-12-06), recurring_donation v2 and payment v4 (2026-12-07). That Puddle reads only the
//    versions it knows (a disaster-recovery drill's restore on a 2026-12-05 checkout read 140 of 806 payments) and
//    quarantines new events of the rest as an unknown contract. No step: the lake is read as it is. Each new contract
//    version raises the format from now on (CONTRACT_VERSIONS_BY_FORMAT, test/home-format-cli.test.ts).


/**
 * Where the number is kept: a small file of its own, `{"format":1}`, not a row in catalog.db's meta. It is read
 * before anything in the home opens: opening a SQLite database in WAL mode writes (its -wal and -shm files, a
 * recovery), and each database is opened by other code at another time, while this file is only read. It speaks
 * for the whole home (queue, state, feeds and lake as well as the catalog), survives `puddle catalog rebuild`
 * (which moves catalog.db aside), and `cat` shows it. `puddle backup` copies it.
 */
export const HOME_FORMAT_FILE = 'home-format.json';

/**
 * The home's format: the number in its file, or 1 for a home without one (made before 2026-12-03, or not made
 * yet). A file that holds no number is refused as one from a newer Puddle would be: guessing could misread it.
 */
export function readHomeFormat(home: string): number {
  let text: string;
  try {
    text = readFileSync(join(home, HOME_FORMAT_FILE), 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT' || (err as NodeJS.ErrnoException).code === 'ENOTDIR') return 1;
    throw err;
  }
  let format: unknown;
  try {
    format = (JSON.parse(text) as { format?: unknown }).format;
  } catch {
    format = undefined;
  }
  if (typeof format !== 'number' || !Number.isSafeInteger(format) || format < 1) {
    throw new ConfigError(
      `${join(home, HOME_FORMAT_FILE)} does not say which home format ${home} (PUDDLE_HOME) is in (it should hold {"format":N}): ` +
        'nothing was opened. Restore the home from a backup, or write the number of the Puddle that made it back into that file',
    );
  }
  return format;
}

/**
 * Every command calls this before it opens or writes anything in a home (through existingHome, makeHome and the
 * hub lock): a home a newer Puddle wrote is refused with a ConfigError (exit code 2), the home left as it was.
 */
export function checkHomeFormat(home: string): number {
  const format = readHomeFormat(home);
  if (format > HOME_FORMAT) {
    throw new ConfigError(
      `${home} (PUDDLE_HOME) is in home format ${format}, and this Puddle reads home format ${HOME_FORMAT} at most: a newer Puddle wrote it, ` +
        'and this one would misread it. Nothing was opened or changed. Run the newer Puddle on it, or, to go back to this version, ' +
        'restore the backup taken before the upgrade (see "Upgrading" in docs/configuration.md)',
    );
  }
  return format;
}

/**
 * Records HOME_FORMAT in a home this process is about to write: a new one, or one made before 2026-12-03 (taken
 * as format 1). Called once the check passed, so the recorded format is never above HOME_FORMAT. When HOME_FORMAT
 * is raised, the step from the recorded format to it goes here, before the number is written.
 */
export function markHomeFormat(home: string): void {
  if (checkHomeFormat(home) === HOME_FORMAT && hasFormatFile(home)) return;
  writeHomeFormat(home, HOME_FORMAT);
}

/** Writes `format` into `home`'s file (a backup's copy of its source's); renamed into place, never half written. */
export function writeHomeFormat(home: string, format: number): void {
  replaceJsonFile(join(home, HOME_FORMAT_FILE), { format });
}

function hasFormatFile(home: string): boolean {
  return existsSync(join(home, HOME_FORMAT_FILE));
}

/**
 * The latest version of each contract as of each format that changed them (from 3 on). A lake holding a later version
 * would be misread by the Puddle before it, so a new contract version is a new format, with its list here (a test
 * checks that the last entry is HOME_FORMAT's and is the contracts' latest versions).
 */
export const CONTRACT_VERSIONS_BY_FORMAT: Readonly<Record<number, Readonly<Record<string, number>>>> = {
  3: {
    bank_line: 2, campaign: 1, click: 1, dispute: 1, donation: 3, gift: 2, payment: 4, payout: 1, payout_item: 1, quarantine: 1,
    quarantine_resolution: 1, refund: 1, settlement_summary: 1, supporter: 2, sync_run: 1, ticket: 2, bank_line_detail: 1,
    bank_statement: 3, campaign_member: 1, crm_account: 1, gift_allocation: 1, gift_contact_role: 1, gift_payment: 1,
    recurring_donation: 2, feed_fetch: 1, school_giro_request: 1,
  },
};
