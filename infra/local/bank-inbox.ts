import { existsSync, mkdirSync, readdirSync, readFileSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describeImport, importBankFile, type ImportOptions } from '../../connectors/bank/import-file.js';
import { writeDailyStatements, type SandboxBankLine } from '../../connectors/bank/sandbox-statements.js';
import { log } from '../../core/log.js';
import type { Clock, QueryEngine, Queue } from '../../core/ports.js';
import { RepeatedFailure } from '../../core/repeated-failure.js';

// The drop folder `$PUDDLE_HOME/inbox/bank/`: the hub imports each file put there, then moves it to `done/` (imported)
// or `failed/` (malformed, or does not add up) with `<name>.log` beside it saying what happened.
//
// A file still being written must not be read half. Two rules, either is enough:
// - names starting with `.` or ending in `.tmp` or `.part` are never read: write under such a name, then rename
//   (a rename within one folder is atomic), as the sandboxes' statement writer does;
// - any other file is read only once its size and modification time have not changed between two scans (one
//   scan interval apart), for tools that copy in place.

export interface BankInbox {
  dir: string;
  /** One scan now (also what the timer runs); resolves when the files found stable are imported. */
  scan(): Promise<void>;
  stop(): Promise<void>;
}

export interface BankInboxOptions {
  home: string;
  queue: Queue;
  /** The lake, read for lines imported under earlier ids so they keep their ids (earlier-ids.ts); optional. */
  lake?: QueryEngine;
  /** Between scans; a file must look the same on two of them. Default 2 s. */
  intervalMs?: number;
  /** For files that do not say their layout, currency or account themselves (the CLI's --layout, --currency, --account). */
  importOptions?: ImportOptions;
  /** Running sandboxes' bank lines, written into the inbox as daily camt.053 statements. */
  sandboxLines?: () => readonly SandboxBankLine[];
  /** Stamps the imported lines' received_at (receivedAt); the system clock by default. */
  clock?: Clock;
}

const IGNORED = /^\.|\.(tmp|part)$/;

/** A free name in `dir`: the same, or with the time before it when a file of that name is already there. */
function freeName(dir: string, name: string): string {
  if (!existsSync(join(dir, name)) && !existsSync(join(dir, `${name}.log`))) return name;
  return `${new Date().toISOString().replace(/[:.]/g, '-')}-${name}`;
}

export function startBankInbox(opts: BankInboxOptions): BankInbox {
  const dir = join(opts.home, 'inbox', 'bank');
  const done = join(dir, 'done');
  const failed = join(dir, 'failed');
  const makeFolders = () => {
    for (const d of [dir, done, failed]) mkdirSync(d, { recursive: true });
  };
  makeFolders();
  // The drop folder reads the hub's PUDDLE_BANK_* settings, so its logs ask for those, not for the CLI's flags.
  const importOptions: ImportOptions = { optionName: (o) => `PUDDLE_BANK_${o.toUpperCase()}`, ...opts.importOptions };
  const seen = new Map<string, string>();
  let running: Promise<void> = Promise.resolve();
  let stopped = false;

  async function importOne(name: string): Promise<void> {
    const path = join(dir, name);
    const bytes = readFileSync(path);
    const outcome = await importBankFile(opts.queue, { name, bytes }, importOptions, opts.lake, opts.clock);
    const target = outcome.status === 'imported' ? done : failed;
    const moved = freeName(target, name);
    // A file that failed, was moved back from failed/ and now imports takes its old log along, below the new one:
    // until 2026-12-05 that log stayed in failed/ with no file beside it, a failure already fixed (user test).
    const earlier = join(failed, `${name}.log`);
    const fixed = target === done && existsSync(earlier) && !existsSync(join(failed, name));
    const before = fixed ? `\nbefore, in failed/:\n${readFileSync(earlier, 'utf8')}` : '';
    writeFileSync(join(target, `${moved}.log`), `${new Date().toISOString()} ${outcome.status}\n${describeImport(name, outcome)}${before}`);
    renameSync(path, join(target, moved));
    if (fixed) rmSync(earlier, { force: true });
    // At warn when someone must act: a file not imported (malformed, does not add up, refused), or imported with
    // something to check by hand (a conflict, balances it could not check, a correction beside nothing). Until
    // 2026-12-05 all at info, so a log read at warn never showed a refused or conflicting file.
    const toCheck = outcome.status !== 'imported' || outcome.conflicts.length > 0 || outcome.unverified.length > 0 || outcome.corrections_beside.length > 0;
    // Why, in words, is in the file's .log (which the line names): the log line carries counts only, since a reason
    // can quote the bank's text.
    log[toCheck ? 'warn' : 'info'](outcome.status === 'imported' ? 'bank file imported' : 'bank file not imported', { file: name, why_in: join(target, `${moved}.log`), status: outcome.status, entries: outcome.entries, lines: outcome.lines, unverified_statements: outcome.unverified.length, unchecked_statements: outcome.unchecked.length, corrections_beside: outcome.corrections_beside.length, conflicts: outcome.conflicts.length });
  }

  async function scanOnce(): Promise<void> {
    if (opts.sandboxLines) {
      try {
        writeDailyStatements(dir, opts.sandboxLines(), new Date());
      } catch (err) {
        log.warn('sandbox statements not written', { error: err });
      }
    }
    // The folder removed by hand while the hub runs (a tidy-up of the inbox): made again, as at the start. Not when
    // the whole home is gone (home-watch.ts says that), which would leave a home of empty folders in its place.
    if (!existsSync(dir) && existsSync(opts.home)) makeFolders();
    const names = readdirSync(dir, { withFileTypes: true }).filter((d) => d.isFile() && !IGNORED.test(d.name)).map((d) => d.name).sort();
    for (const name of [...seen.keys()]) if (!names.includes(name)) seen.delete(name);
    for (const name of names) {
      if (stopped) return;
      let st;
      try {
        st = statSync(join(dir, name));
      } catch {
        continue;
      }
      const look = `${st.size}:${st.mtimeMs}`;
      if (seen.get(name) !== look) {
        seen.set(name, look);
        continue;
      }
      seen.delete(name);
      try {
        await importOne(name);
      } catch (err) {
        // The queue could not take it (or the disk failed): leave the file where it is for the next scan.
        log.warn('bank file not imported; will try again', { file: name, error: err });
      }
    }
  }

  const scan = () => (running = running.then(scanOnce, scanOnce));
  // A scan that fails (the folder cannot be read) is said once and then every 10 s, and tried again at the next
  // tick. Until 2026-12-05 its rejection went unhandled, which ends a Node process: removing `inbox/bank` (or the
  // home) under a running hub stopped it.
  const scanFailing = new RepeatedFailure({ fields: { dir } });
  const timer = setInterval(() => {
    scan().then(
      () => scanFailing.succeeded('the bank inbox is read again', 'warn'),
      (err: unknown) => scanFailing.fail('the bank inbox could not be read; will look again', err, undefined, 'warn'),
    );
  }, opts.intervalMs ?? 2000);
  timer.unref();
  return {
    dir,
    scan,
    async stop() {
      stopped = true;
      clearInterval(timer);
      await running.catch(() => undefined);
    },
  };
}
