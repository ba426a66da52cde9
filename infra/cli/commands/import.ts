import { readFileSync } from 'node:fs';
import { basename } from 'node:path';
import { describeImport, importBankFile, parseImportOptions, type ImportOptions, type ImportOptionsText } from '../../../connectors/bank/import-file.js';
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
    return withLocalRuntime(async (rt) => {
      let code = 0;
      for (const file of files) {
        let bytes: Buffer;
        try {
          bytes = readFileSync(file);
        } catch (err) {
          process.stderr.write(`${file}: cannot read: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}\n`);
          code = 2;
          continue;
        }
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
        if (outcome.status === 'imported') process.stdout.write(text);
        else process.stderr.write(text);
        code = Math.max(code, outcome.status === 'malformed' ? 2 : outcome.status === 'unbalanced' ? 1 : 0);
      }
      if (code === 0) process.stdout.write(`published to the queue; a running hub or 'puddle land' lands it\n`);
      return code;
    }, { createsHome: true });
  },
});
