import { isCalendarDate, isoFromMs, utcInstantMs } from '../../../core/time.js';
import { asOfViews } from '../../../puddles/named-views.js';
import { setReconParams } from '../../../puddles/reports.js';
import { contractViewsAsOf, historyViewsAsOf } from '../../../puddles/views.js';
import { defineCommand } from '../command.js';
import { copyOut, type FileFormat } from '../copy-out.js';
import { rowsText } from '../format.js';
import { withLocalRuntime } from '../local-runtime.js';
import { leftOutNote } from '../queue-waiting.js';
import { AS_KNOWN_DOC, asKnownProblem, futureAsOfNote, outFileProblem, replacingNote } from '../options.js';

const NAME = /^[a-z_][a-z0-9_]*$/;

export const exportView = defineCommand({
  name: 'export',
  summary: 'Write a view (recon_journey, donation, ...) to a flat, typed Parquet or CSV file, e.g. for Tableau Desktop.',
  usage: 'puddle export <view> --format parquet|csv --out FILE [--as-of DATE [--as-known]] [--received-after TIME] [--raw-csv]',
  options: {
    format: { type: 'string', default: 'parquet', description: 'parquet (default) or csv' },
    out: { type: 'string', description: 'the file to write' },
    'as-known': { type: 'boolean', description: AS_KNOWN_DOC },
    'as-of': { type: 'string', description: 'for recon_* views, totals_by_box and <contract>_history: "now" for ages and grace periods (YYYY-MM-DD); every record as it stood at the end of that day, every version changed by then' },
    'received-after': { type: 'string', description: 'only the rows the hub received after TIME (`_received_at`; an ISO time, UTC unless it says its zone): the increment of a nightly load (docs/query-views.md, "Loading a warehouse")' },
    'raw-csv': { type: 'boolean', description: 'CSV: write text cells as stored, even one a spreadsheet would run as a formula (=, +, -, @): for programs, not spreadsheets' },
  },
  async run({ values, positionals }) {
    const fail = (msg: string) => {
      process.stderr.write(`puddle export: ${msg}\n`);
      return Promise.resolve(2);
    };
    const view = positionals[0];
    if (!view || positionals.length > 1 || !NAME.test(view)) return fail('name one view, e.g. puddle export recon_journey --out journey.parquet');
    const format = values.format as string;
    if (format !== 'parquet' && format !== 'csv') return fail('--format must be parquet or csv');
    const out = values.out as string | undefined;
    if (!out) return fail('--out FILE is required');
    const outProblem = outFileProblem(out);
    if (outProblem) return fail(outProblem);
    const asOf = values['as-of'] as string | undefined;
    if (asOf !== undefined && !isCalendarDate(asOf)) return fail(`--as-of takes a date YYYY-MM-DD, not ${JSON.stringify(asOf)}`);
    const knownProblem = asKnownProblem(values);
    if (knownProblem) return fail(knownProblem);
    const after = values['received-after'] as string | undefined;
    const afterMs = after === undefined ? undefined : utcInstantMs(after);
    if (afterMs !== undefined && Number.isNaN(afterMs)) return fail(`--received-after takes a time, 2026-12-07T00:00:00Z (UTC unless it says its zone), not ${JSON.stringify(after)}`);
    // The views `--as-of` rewinds, as `puddle query --as-of` reads them: the reconciliation's (recon_params), the
    // contracts' current states (each record as it stood at the end of the date) and their histories (the versions
    // changed by then; puddles/views.ts). Silently writing every row of another view (raw, the quarantine, a list of
    // statuses) would pass for an answer as of that date. Until 2026-12-06 the contracts' current states were refused
    // too, and the message offered `WHERE occurred_at < ...`, which keeps a correction made after the date (analyst
    // user test).
    const dated = asOf === undefined ? [] : [...asOfViews(), ...contractViewsAsOf(), ...historyViewsAsOf()];
    if (asOf !== undefined && !dated.includes(view.toLowerCase())) {
      return fail(`--as-of applies only to the views it rewinds: the contracts' (e.g. donation, donation_history) and those that read recon_params (${asOfViews().join(', ')}), not to ${view}, which holds what arrived as it is`);
    }
    const future = futureAsOfNote('export', asOf);
    if (future) process.stderr.write(future);
    return withLocalRuntime(async (rt) => {
      try {
        const [known] = await rt.query.query(`SELECT count(*) AS n FROM information_schema.tables WHERE table_name = '${view}'`);
        if (!Number(known?.n)) {
          process.stderr.write(`puddle export: no view ${view} (see puddle query "SELECT table_name FROM information_schema.tables")\n`);
          return 2;
        }
        if (asOf) await setReconParams(rt.query, { as_of: asOf });
        // A nightly load's increment: the views hold `_received_at` as a UTC TIMESTAMP. A view without it (a recon_*
        // report, raw) is refused rather than written whole, which would pass for an increment.
        let where = '';
        if (afterMs !== undefined) {
          const [has] = await rt.query.query(`SELECT count(*) AS n FROM information_schema.columns WHERE table_name = '${view}' AND column_name = '_received_at'`);
          if (!Number(has?.n)) {
            process.stderr.write(`puddle export: ${view} has no _received_at, so --received-after cannot narrow it: export a contract's view or its _history\n`);
            return 2;
          }
          where = ` WHERE _received_at > TIMESTAMP '${isoFromMs(afterMs).slice(0, -1).replace('T', ' ')}'`;
        }
        const replacing = replacingNote(out);
        // In one order, every column's from the first (the view's key) on: an export run again, or one as of another date, can
        // be compared line by line (a diff, a spreadsheet's compare). Until 2026-12-06 the rows came as the files were read.
        const n = await copyOut(rt.query, `SELECT * FROM ${view}${where} ORDER BY ALL`, format as FileFormat, out, { rawCsv: Boolean(values['raw-csv']) });
        process.stderr.write(`puddle export: wrote ${rowsText(n)} of ${view} to ${out}${replacing}\n`);
        const left = await leftOutNote(rt.queue, 'export');
        if (left) process.stderr.write(left.note);
        return 0;
      } catch (err) {
        process.stderr.write(`puddle export: ${(err as Error).message}\n`);
        return 1;
      }
    }, { materializeCurrent: true, asOf, asKnown: Boolean(values['as-known']) });
  },
});
