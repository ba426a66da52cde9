import { erasureNeedles } from '../../../puddles/erasure-match.js';
import { defineCommand } from '../command.js';
import { existingHome, withLocalRuntime } from '../local-runtime.js';
import { listOption } from '../options.js';

export const erase = defineCommand({
  name: 'erase',
  summary:
    "Carry out an erasure request for one person: show which lake files (raw included), queued messages, dead letters and bank files hold them (the default, a dry run); " +
    'with --confirm, rewrite those lake files and queued bodies with the values erased, keeping every row and amount, and log it.',
  usage: 'puddle erase (--supporter-id ID | --email ADDRESS | --text TEXT)... [--confirm --ref REF]',
  options: {
    'supporter-id': { type: 'string', multiple: true, description: "an id the person has in any source (the producer's supporter_id, a CRM contact id, a Stripe customer id); repeatable" },
    email: { type: 'string', multiple: true, description: 'their email address: its SHA-256 is erased wherever it is, and the address wherever it was typed as text; repeatable' },
    text: { type: 'string', multiple: true, description: 'free text that names them (a name typed in a remittance line or a cta), matched as whole words, any case; repeatable' },
    confirm: { type: 'boolean', description: 'carry it out (without it, only show what would change); needs --ref and no hub running on the home' },
    'dry-run': { type: 'boolean', description: 'only show what would change (the default)' },
    ref: { type: 'string', description: "the request's reference in the DPO's own records, written to the erasure log (never the person's identifiers)" },
  },
  async run({ values }) {
    const fail = (msg: string) => {
      process.stderr.write(`puddle erase: ${msg}\n`);
      return 2;
    };
    const supporterIds = listOption(values, 'supporter-id');
    const emails = listOption(values, 'email');
    const texts = listOption(values, 'text');
    const confirm = Boolean(values.confirm);
    const ref = typeof values.ref === 'string' ? values.ref.trim() : '';
    // The values themselves are never echoed: a problem names the option only.
    if (emails.some((e) => !/^[^@\s]+@[^@\s]+$/.test(e.trim()))) return fail('--email takes an email address (one of those given is not one)');
    if (confirm && values['dry-run']) return fail('--confirm and --dry-run together: say one');
    const needles = erasureNeedles({ supporterIds, emails, texts });
    if (!needles.length) return fail('say who to erase: --supporter-id, --email or --text (each may be repeated)');
    if (texts.some((t) => t.trim().length < 3)) return fail('--text: each value must be at least 3 characters (a shorter one would erase unrelated words)');
    // An id is matched wherever it stands as a whole word, raw's JSON text included: a short one, or a few digits, is
    // also a year in a date, an amount or a word of someone else's text.
    if (supporterIds.some((id) => id.trim().length < 5 || (/^\d+$/.test(id.trim()) && id.trim().length < 8))) {
      return fail('--supporter-id: each id must be at least 5 characters, and one of digits alone at least 8 (a shorter one also matches dates, amounts and other text)');
    }
    if (confirm && !ref) return fail("--confirm needs --ref: the request's reference for the erasure log (the log never holds the person's identifiers)");
    const home = existingHome();
    // A confirmed erasure holds the hub's lock: a hub landing beside it could land the person again from its queue,
    // or compact files this run has read, and its totals keeper reads the files this run deletes. A dry run only reads.
    const { lockHome } = await import('../../local/home-lock.js');
    const lock = confirm ? lockHome(home, 'puddle erase') : null;
    try {
      const [{ planErasure, tableMatches, eraseFromLake, ErasureRefused }, { queueHolding, bankFilesHolding, appendErasureLog }] = await Promise.all([
        import('../../../puddles/erasure.js'),
        import('../../local/erasure-home.js'),
      ]);
      return await withLocalRuntime(async (rt) => {
        const bankFiles = bankFilesHolding(home, needles);
        if (!confirm) {
          const plan = await planErasure({ store: rt.store, catalog: rt.catalog, needles });
          const queue = queueHolding(home, needles, { scrub: false });
          const tables = tableMatches(plan);
          process.stdout.write(
            `${JSON.stringify({
              dry_run: true,
              tables,
              files: plan.files.length,
              rows: plan.files.reduce((n, m) => n + m.rows, 0),
              unregistered_files: plan.unregistered.length,
              queued_messages: queue.waiting,
              dead_letters: queue.deadLetters,
              bank_files: bankFiles,
            })}\n`,
          );
          process.stderr.write('puddle erase: dry run, nothing changed; take a backup, stop the hub, then run again with --confirm --ref REF\n');
          return 0;
        }
        // The queue between writing the lake's rewrites and swapping them in: a run refused while rewriting (a value
        // that would break raw's JSON) changes nothing anywhere, and a message waiting to land then lands erased, with
        // the lake's tokens. A crash between the two leaves the lake as it was, for the next run to erase.
        let queue: ReturnType<typeof queueHolding> | undefined;
        let result;
        try {
          result = await eraseFromLake({ store: rt.store, catalog: rt.catalog, needles, beforeSwap: () => void (queue ??= queueHolding(home, needles, { scrub: true })) });
        } catch (err) {
          if (!(err instanceof ErasureRefused)) throw err;
          process.stderr.write(`puddle erase: ${err.message}\n`);
          return 1;
        }
        queue ??= { waiting: 0, deadLetters: [] };
        const entry = {
          at: new Date().toISOString(),
          ref,
          files_rewritten: result.filesRewritten,
          rows_rewritten: result.rowsRewritten,
          files_deleted: result.filesDeleted,
          tables: result.tables,
          queued_messages_rewritten: queue.waiting,
          dead_letters_rewritten: queue.deadLetters.length,
          bank_files_left: bankFiles.length,
        };
        const log = appendErasureLog(home, entry);
        process.stdout.write(`${JSON.stringify({ ...entry, dead_letters: queue.deadLetters, bank_files: bankFiles, log })}\n`);
        if (bankFiles.length) {
          process.stderr.write(`puddle erase: ${bankFiles.length} bank file(s) in inbox/bank/ hold the person and were left as received: delete or redact them by hand (listed in bank_files)\n`);
        }
        return 0;
      });
    } finally {
      lock?.release();
    }
  },
});
