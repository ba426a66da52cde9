import { erasureNeedles } from '../../../puddles/erasure-match.js';
import { defineCommand } from '../command.js';
import { existingHome, withLocalRuntime } from '../local-runtime.js';
import { PERSON_OPTIONS, personRequest } from '../person-options.js';

export const erase = defineCommand({
  name: 'erase',
  summary:
    "Carry out an erasure request for one person: show which lake files (raw included), queued messages, dead letters, supplier feed rows and bank files hold them (the default, a dry run); " +
    'with --confirm, rewrite those lake files, queued bodies and feed rows with the values erased, keeping every row and amount, and log it.',
  usage: 'puddle erase (--supporter-id ID | --email ADDRESS | --text TEXT)... [--force-text] [--confirm --ref REF [--nothing-held]]',
  options: {
    ...PERSON_OPTIONS,
    confirm: { type: 'boolean', description: 'carry it out (without it, only show what would change); needs --ref and no hub, replay, compaction or quarantine retry running on the home' },
    'dry-run': { type: 'boolean', description: 'only show what would change (the default)' },
    ref: { type: 'string', description: "the request's reference in the DPO's own records, written to the erasure log (never the person's identifiers)" },
    'nothing-held': { type: 'boolean', description: 'with --confirm: log the request even though nothing holds its values (without it such a run is refused, as a mistyped id would be)' },
  },
  async run({ values }) {
    const fail = (msg: string) => {
      process.stderr.write(`puddle erase: ${msg}\n`);
      return 2;
    };
    const request = personRequest(values);
    const confirm = Boolean(values.confirm);
    const ref = typeof values.ref === 'string' ? values.ref.trim() : '';
    if (confirm && values['dry-run']) return fail('--confirm and --dry-run together: say one');
    // Refuses what is wrong with the request (a ConfigError, exit 2), naming the option, never a value.
    erasureNeedles(request);
    if (values['nothing-held'] && !confirm) return fail('--nothing-held goes with --confirm: a dry run already says when nothing holds the values');
    if (confirm && !ref) return fail("--confirm needs --ref: the request's reference for the erasure log (the log never holds the person's identifiers)");
    const home = existingHome();
    const [{ lockHome }, { lockLakeForErasure }, { pendingErasure }] = await Promise.all([
      import('../../local/home-lock.js'),
      import('../../local/erasure-lock.js'),
      import('../../local/erasure-pending.js'),
    ]);
    // A confirmed erasure holds the hub's lock: a hub landing beside it could land the person again from its queue,
    // or compact files this run has read, and its totals keeper reads the files this run deletes. And the lake
    // writers' lock, exclusive: a replay or quarantine retry beside it could write the person back (erasure-lock.ts).
    // A dry run only reads.
    const locks = [];
    try {
      if (confirm) {
        locks.push(lockHome(home, 'puddle erase'));
        locks.push(lockLakeForErasure(home));
      }
      const [{ planErasure, tableMatches, longerIds, valueRows, requestNeedles, sourceWordProblem, ErasureRefused }, { queueHolding, bankFilesHolding, feedRowsHolding }, { confirmErasure, NOTHING_HELD }] = await Promise.all([
        import('../../../puddles/erasure.js'),
        import('../../local/erasure-home.js'),
        import('../../local/erasure-run.js'),
      ]);
      return await withLocalRuntime(async (rt) => {
        const sourceWord = await sourceWordProblem({ store: rt.store, catalog: rt.catalog, request });
        if (sourceWord) return fail(sourceWord);
        if (!confirm) {
          // The ids on the rows of an --email's hash, and the email hashes on the rows of the ids, are the person's too,
          // and erased with them (puddles/erasure.ts personLinks).
          const { needles, emailHashes, idsByEmail } = await requestNeedles({ store: rt.store, catalog: rt.catalog, request });
          const plan = await planErasure({ store: rt.store, catalog: rt.catalog, needles });
          const queue = queueHolding(home, needles, { scrub: false });
          const unfinished = pendingErasure(home);
          const rows = plan.files.reduce((n, m) => n + m.rows, 0);
          // The lake rows each value was found in, 0 included (a number or name written otherwise is not found).
          const values = await valueRows(rt.store, plan, needles);
          const feedRows = feedRowsHolding(home, needles, { scrub: false });
          const bankFiles = bankFilesHolding(home, needles);
          process.stdout.write(
            `${JSON.stringify({
              dry_run: true,
              tables: tableMatches(plan),
              files: plan.files.length,
              rows,
              values,
              unregistered_files: plan.unregistered.length,
              queued_messages: queue.waiting,
              dead_letters: queue.deadLetters,
              feed_rows: feedRows,
              bank_files: bankFiles,
              // How many supporter ids the rows with an --email's hash carry (a Stripe customer, a CRM contact), and
              // how many email hashes the ids' rows carry: erased with them (never the values themselves).
              ids_found_by_email: idsByEmail,
              email_hashes_found_by_id: emailHashes,
              // Other ids the values are found inside, rewritten with them: the DPO's to judge before --confirm.
              longer_ids: await longerIds(rt.store, plan, needles),
              ...(unfinished ? { unfinished_erasure: unfinished } : {}),
            })}\n`,
          );
          if (unfinished) process.stderr.write(`puddle erase: an erasure started at ${unfinished.started_at} (--ref ${unfinished.ref}) did not complete: run it again, with the same values, before any other\n`);
          if (rows + plan.unregistered.length + queue.waiting + queue.deadLetters.length + feedRows + bankFiles.length === 0) {
            process.stderr.write(`puddle erase: dry run, nothing changed: ${NOTHING_HELD}\n`);
            return 0;
          }
          // A value that matched nothing while others did: most often an id mistyped, the rest of the person found.
          // An --email counts as found by its hash or by the address typed as text.
          const perOption = new Map<string, number>();
          for (const v of values) {
            const option = /^--(supporter-id|email|text) \d+/.exec(v.value)?.[0];
            if (option) perOption.set(option, (perOption.get(option) ?? 0) + v.rows);
          }
          for (const [option, n] of perOption) {
            if (n === 0) process.stderr.write(`puddle erase: ${option} is in no lake row: check it (ids are matched exactly, case included)\n`);
          }
          process.stderr.write('puddle erase: dry run, nothing changed; take a backup, stop the hub, then run again with --confirm --ref REF\n');
          return 0;
        }
        let done;
        try {
          done = await confirmErasure({ home, store: rt.store, catalog: rt.catalog, request, ref, now: new Date(), nothingHeld: Boolean(values['nothing-held']) });
        } catch (err) {
          if (!(err instanceof ErasureRefused)) throw err;
          process.stderr.write(`puddle erase: ${err.message}\n`);
          return 1;
        }
        const { entry, deadLetters, bankFiles, log, resumed } = done;
        process.stdout.write(`${JSON.stringify({ ...entry, dead_letters: deadLetters, bank_files: bankFiles, log, ...(resumed ? { resumed } : {}) })}\n`);
        if (resumed) process.stderr.write(`puddle erase: completed the erasure started at ${resumed.started_at}, with its tokens\n`);
        if (bankFiles.length) {
          process.stderr.write(`puddle erase: ${bankFiles.length} bank file(s) in inbox/bank/ hold the person and were left as received: delete or redact them by hand (listed in bank_files)\n`);
        }
        return 0;
      });
    } finally {
      for (const lock of locks.reverse()) lock.release();
    }
  },
});
