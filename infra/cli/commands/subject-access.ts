import { chmodSync, existsSync, writeFileSync } from 'node:fs';
import { erasureNeedles } from '../../../puddles/erasure-match.js';
import { defineCommand } from '../command.js';
import { existingHome, withLocalRuntime } from '../local-runtime.js';
import { outFileProblem, replacingNote } from '../options.js';
import { PERSON_OPTIONS, personRequest } from '../person-options.js';

export const subjectAccess = defineCommand({
  name: 'subject-access',
  summary:
    "Answer a subject access request for one person: write every lake row holding them (raw, every version, the quarantine) to a file, found as `puddle erase` finds them, " +
    'and say what else holds them (queued messages, dead letters, supplier feed rows, bank files).',
  usage: 'puddle subject-access (--supporter-id ID | --email ADDRESS | --text TEXT)... [--force-text] --out FILE [--replace]',
  options: {
    ...PERSON_OPTIONS,
    out: { type: 'string', description: 'the JSON file to write, readable by you only, outside PUDDLE_HOME (it holds the person\'s data: never printed)' },
    replace: { type: 'boolean', description: 'replace a file already at --out (without it, one is refused: it may be another person\'s)' },
  },
  async run({ values }) {
    const fail = (msg: string) => {
      process.stderr.write(`puddle subject-access: ${msg}\n`);
      return 2;
    };
    const request = personRequest(values);
    // Refuses a request that names no one (a ConfigError, exit 2), naming the option, never a value.
    erasureNeedles(request);
    const out = values.out;
    if (typeof out !== 'string' || !out) return fail('--out FILE is required: the rows hold the person\'s data, and are written to a file, never to the screen');
    const outProblem = outFileProblem(out);
    if (outProblem) return fail(outProblem);
    // One person's file must not silently become another's: a name mistyped on the phone replaced someone's answer
    // (until 2026-12-06 it was replaced with a note on stderr: a user test).
    if (!values.replace && existsSync(out)) return fail(`${out} exists, and may hold another person's data: give another --out, or --replace to replace it`);
    const home = existingHome();
    const [{ planErasure, requestNeedles, sourceWordProblem }, { subjectRows, linkedRows }, { queueHolding, bankFilesHolding, feedRowsHolding }] = await Promise.all([
      import('../../../puddles/erasure.js'),
      import('../../../puddles/subject-access.js'),
      import('../../local/erasure-home.js'),
    ]);
    return withLocalRuntime(async (rt) => {
      // A --text that is a word of a source would match every record that source sent: refused as erase refuses it.
      const sourceWord = await sourceWordProblem({ store: rt.store, catalog: rt.catalog, request });
      if (sourceWord) return fail(sourceWord);
      // The ids on the rows of an --email's hash, and the email hashes on the rows of the ids, are the person's too
      // (puddles/erasure.ts personLinks).
      const { needles, emailHashes, idsByEmail } = await requestNeedles({ store: rt.store, catalog: rt.catalog, request });
      const plan = await planErasure({ store: rt.store, catalog: rt.catalog, needles });
      const tables = await subjectRows(rt.store, plan, needles);
      // Their payments' refunds, their gifts' payments: records about them that hold no value of theirs.
      const linked = await linkedRows(rt.store, rt.catalog, tables);
      const queue = queueHolding(home, needles, { scrub: false });
      const elsewhere = {
        // Not in the lake yet: they land with the hub (run again then); a dead letter lands once retried.
        queued_messages: queue.waiting,
        dead_letters: queue.deadLetters.length,
        feed_rows: feedRowsHolding(home, needles, { scrub: false }),
        // As received, in inbox/bank/: the files themselves are the copy to give.
        bank_files: bankFilesHolding(home, needles),
      };
      const replacing = replacingNote(out);
      const found = { ids_found_by_email: idsByEmail, email_hashes_found_by_id: emailHashes };
      const document = { generated_at: new Date().toISOString(), ...found, tables, linked_tables: linked, ...elsewhere };
      // Readable by this user only, as the home is: it holds what the home holds of the person.
      writeFileSync(out, `${JSON.stringify(document, null, 2)}\n`, { mode: 0o600 });
      chmodSync(out, 0o600); // a file replaced keeps its mode otherwise
      const counts = tables.map((t) => ({ table: t.table, rows: t.rows.length }));
      const linkedCounts = linked.map((t) => ({ table: t.table, rows: t.rows.length }));
      const rows = counts.reduce((n, t) => n + t.rows, 0);
      const linkedRowCount = linkedCounts.reduce((n, t) => n + t.rows, 0);
      // Counts only: the values stay in the file.
      process.stdout.write(`${JSON.stringify({ out, tables: counts, rows, linked_tables: linkedCounts, linked_rows: linkedRowCount, ...found, ...elsewhere })}\n`);
      process.stderr.write(`puddle subject-access: wrote ${rows} row(s) holding the person and ${linkedRowCount} linked to theirs, to ${out}${replacing}\n`);
      if (rows === 0 && linkedRowCount === 0) {
        process.stderr.write('puddle subject-access: no lake row holds these values: check them (ids are matched exactly, case included)\n');
      }
      if (elsewhere.queued_messages || elsewhere.dead_letters) {
        process.stderr.write('puddle subject-access: some of their records are not in the lake yet (queued or dead letters): run it again once they have landed\n');
      }
      return 0;
    });
  },
});
