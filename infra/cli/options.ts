import { realpathSync, statSync } from 'node:fs';
import path from 'node:path';
import { loadConfig } from '../../core/config.js';
import { ConfigError } from '../../core/errors.js';
import { rangeWords, readNumber } from '../../core/settings.js';

/**
 * A whole-number option of at least `min` (and at most `max`), or undefined when it was not given. Read with
 * Number() alone, `--min-files abc` was NaN, which every comparison takes as false: compact merged nothing and
 * exited 0. It is read as every number setting is (core/settings.ts readNumber: only digits, not `1e3`, `0x10`,
 * `2.5` or `-1`); anything else is a ConfigError naming the option, which the CLI prints and exits 2 on.
 */
export function wholeNumberOption(values: Record<string, string | boolean | undefined>, name: string, range: { min: number; max?: number }): number | undefined {
  const text = values[name];
  if (text === undefined) return undefined;
  const whole = { ...range, whole: true };
  const n = typeof text === 'string' ? readNumber(text, whole) : undefined;
  if (n === undefined) throw new ConfigError(`--${name} takes ${rangeWords(whole)}, not ${JSON.stringify(text)}`);
  return n;
}

/**
 * What is wrong with `--out FILE` before anything is opened, or null: its folder does not exist, or it names a
 * folder. Found only by the write until 2026-12-03, after a report's snapshot of the lake (seconds on a big one),
 * as DuckDB's `IO Error: Cannot open file "...": No such file or directory`, exit 1.
 * Or it is inside PUDDLE_HOME: `--out $PUDDLE_HOME/catalog.db` replaced the catalog with a CSV (a user test,
 * 2026-12-06), and a file written into the lake or the queue's folder is one the hub may take for its own or
 * remove. Compared by real path, so a symlinked home or `..` in the name is caught too.
 */
export function outFileProblem(out: string): string | null {
  const kind = (p: string) => {
    try {
      return statSync(p).isDirectory() ? 'folder' : 'file';
    } catch {
      return null;
    }
  };
  if (kind(out) === 'folder') return `--out ${out} is a folder: give a file name in it, e.g. ${path.join(out, 'report.csv')}`;
  const folder = path.dirname(path.resolve(out));
  const k = kind(folder);
  if (k === null) return `--out ${out}: the folder ${folder} does not exist (make it first, or write elsewhere)`;
  if (k !== 'folder') return `--out ${out}: ${folder} is a file, not a folder`;
  const home = realOrResolved(loadConfig().home);
  const real = realOrResolved(folder);
  if (real === home || real.startsWith(home + path.sep)) {
    return `--out ${out} is inside PUDDLE_HOME (${home}), which holds the hub's catalog, queue and lake: write it elsewhere, e.g. ${path.join(path.dirname(home), path.basename(out))}`;
  }
  return null;
}

function realOrResolved(p: string): string {
  try {
    return realpathSync(p);
  } catch {
    return path.resolve(p);
  }
}

/**
 * What the "wrote" line adds when `--out` names a file that is there already: it is replaced, as a scheduled export
 * to one name expects, and the line says so, so that finance's own workings saved under that name are not lost
 * without a word (until 2026-12-06 nothing said it; a user test). Asked before the file is written.
 */
export function replacingNote(out: string): string {
  try {
    return statSync(out).isFile() ? ' (it replaced the file that was there)' : '';
  } catch {
    return '';
  }
}

/** `--as-known`'s description, the same on `query`, `report` and `export`. */
export const AS_KNOWN_DOC =
  'with --as-of: the lake as the hub knew it at the end of that date, so also without what it received later (a correction sent in January and dated December): a period-end report run again gives the same figures';

/** The refusal of `--as-known` without `--as-of`, or null. */
export function asKnownProblem(values: Record<string, unknown>): string | null {
  return values['as-known'] && values['as-of'] === undefined ? '--as-known needs --as-of DATE: it leaves out what was received after that date' : null;
}

/**
 * A note for an `--as-of` after today (UTC), or null. Such a date is allowed (finance may ask how the breaks will stand
 * at month end if nothing more arrives), but taken without a word it read as an answer about that day: a user test ran
 * the README's `--as-of 2027-01-20` on a home of today's data and got thousands of breaks 46 days old that cannot have
 * happened yet (2026-12-07).
 */
export function futureAsOfNote(command: string, asOf: string | undefined, now = new Date()): string | null {
  const today = now.toISOString().slice(0, 10);
  if (asOf === undefined || asOf <= today) return null;
  return `puddle ${command}: --as-of ${asOf} is after today (${today}): ages and grace periods are counted as they would stand then if nothing more arrived\n`;
}

/** The values of an option declared `multiple` (each `--name v` given), an empty list when none was. */
export function listOption(values: Record<string, string | boolean | undefined>, name: string): string[] {
  const v = values[name] as unknown;
  if (v === undefined) return [];
  return Array.isArray(v) ? v.map(String) : [String(v)];
}
