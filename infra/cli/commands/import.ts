import { readFileSync } from 'node:fs';
import { basename } from 'node:path';
import { describeImport, importBankFile, parseImportOptions, whyUnreadable, type ImportOptions, type ImportOptionsText } from '../../../connectors/bank/import-file.js';
import { accountsWithoutBalances } from '../../../puddles/recon-params.js';
import { defineCommand } from '../command.js';
import { withLocalRuntime } from '../local-runtime.js';

export const importCommand = defineCommand({
  name: 'import',
  summary: 'Import bank statement files (camt.052/053/054, BAI2, CSV) to the queue, each whole or not at all.',
  usage: 'puddle import bank <file>... [--format camt|bai2|csv] [--layout <name>|<column-map.json>] [--account ID] [--currency CUR]',
  options: {
    format: { type: 'string', description: 'camt, bai2 or csv (default: detected from the content)' },
    layout: { type: 'string', description: 'CSV layout: lloyds, natwest, barclays, hsbc, or a JSON column map file' },
    account: { type: 'string', description: 'the account, when the file does not name it' },
    currency: { type: 'string', description: 'the currency, when the file does not say it (never assumed)' },
  },
  async run({ values, positionals }) {
    const [what, ...files] = positionals;
    if (what !== 'bank' || files.length === 0) {
      process.stderr.write('puddle import: usage: puddle import bank <file>...\n');
      return 2;
    }
    let opts: ImportOptions;
    try {
      opts = parseImportOptions(values as ImportOptionsText, (option) => `--${option}`);
    } catch (err) {
      process.stderr.write(`puddle import: ${(err as Error).message}\n`);
      return 2;
    }
    // Every file is read first: one that cannot be is named in plain words (until 2026-12-03 "cannot read: ENOENT"),
    // and when none can, nothing is opened, so a mistyped name does not make a home either.
    let code = 0;
    const readable: { file: string; bytes: Buffer }[] = [];
    for (const file of files) {
      try {
        readable.push({ file, bytes: readFileSync(file) });
      } catch (err) {
        process.stderr.write(`${file}: not imported: ${unreadable(err as NodeJS.ErrnoException)}\n`);
        code = 2;
      }
    }
    if (!readable.length) return code;
    return withLocalRuntime(async (rt) => {
      // A camt.053 of an account whose bank never sends booked balances imports unchecked, exit 0, as
      // recon_breaks opens no STATEMENT_UNVERIFIABLE on it: the one setting, PUDDLE_RECON_ACCOUNTS_WITHOUT_BALANCES.
      opts = { ...opts, accountsWithoutBalances: accountsWithoutBalances() };
      let published = false;
      for (const { file, bytes } of readable) {
        let outcome;
        try {
          // The lake is read for lines imported under earlier ids, so they keep their ids (earlier-ids.ts).
          outcome = await importBankFile(rt.queue, { name: basename(file), bytes }, opts, rt.query, rt.clock);
        } catch (err) {
          // The queue failed (disk full, closed): part of the file may be queued; the same ids make a retry safe.
          // Or the lake could not be read: nothing was queued.
          process.stderr.write(`${file}: not imported: ${(err as Error).message} (importing it again is safe)\n`);
          code = Math.max(code, 1);
          continue;
        }
        const text = describeImport(file, outcome);
        // A file imported unchecked (no balances in it) is said on standard error too, so a redirected output keeps it in view.
        const toCheck = outcome.unverified.length > 0 || outcome.corrections_beside.length > 0 || outcome.conflicts.length > 0;
        if (outcome.status === 'imported' && !toCheck && !outcome.unchecked.length) process.stdout.write(text);
        else process.stderr.write(text);
        // A statement imported whose balances could not be checked exits 1 too: 0 says every file added up. So does a
        // BAI2 correction that replaces nothing (unverifiable.ts, correctionBeside): its money may count twice. And so
        // does a statement that conflicts with another file's (imported-before.ts): it is imported, so finance sees
        // both in recon_breaks, but both files' lines stand and money may count twice. A finance lead running this
        // from cron learns of a problem from the exit status (cron's mail, a wrapper's `|| alert`), not from stderr
        // read by no one: exit 0 would leave the conflict to whoever next reads recon_breaks.
        // A file refused (imported before in another currency) is bad input, as a bad option is: exit 2.
        code = Math.max(code, outcome.status === 'malformed' || outcome.status === 'refused' ? 2 : outcome.status === 'unbalanced' || toCheck ? 1 : 0);
        // A statement that does not add up is published too (marked unbalanced, with its quarantine row), unless it
        // is one imported before, saved again (outcome.resaved): then nothing is.
        published ||= outcome.status === 'imported' || (outcome.status === 'unbalanced' && outcome.marked > 0);
      }
      // Said whenever something went to the queue, also when another file failed (until 2026-12-03 only when
      // every file imported, so the files that did were left on the queue without a word about landing them).
      if (published) process.stdout.write(`published to the queue; a running hub or 'puddle land' lands it\n`);
      return code;
    }, { createsHome: true });
  },
});

/** Why a file named on the command line cannot be read, with what to do about the two common cases. */
function unreadable(err: NodeJS.ErrnoException): string {
  if (err.code === 'ENOENT') return `${whyUnreadable(err)} (check the name and the folder the command runs from)`;
  if (err.code === 'EISDIR') return `it is ${whyUnreadable(err)} (name the statement files in it)`;
  return whyUnreadable(err);
}
