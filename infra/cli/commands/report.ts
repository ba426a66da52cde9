import { logOpsEvents } from '../../../core/ops-events.js';
import { dayAfter, isCalendarDate } from '../../../core/time.js';
import { reportWithUnitsSql } from '../../../puddles/report-units.js';
import { rangeProblem, REPORTS, scheduledCheckSql, setReconParams } from '../../../puddles/reports.js';
import { defineCommand } from '../command.js';
import { AS_KNOWN_DOC, asKnownProblem, futureAsOfNote, outFileProblem } from '../options.js';
import { writeReport } from '../report-out.js';
import { BREAK_HISTORY, breakHistoryRangeProblem, runBreakHistory } from './break-history.js';
import { emptyRangeProblem } from '../../../core/empty-range.js';
import { withLocalRuntime } from '../local-runtime.js';
import { leftOutNote } from '../queue-waiting.js';

const FORMATS = ['table', 'json', 'csv', 'parquet'];

export const report = defineCommand({
  name: 'report',
  // Named from REPORTS, as usage is: a list written out by hand left `tickets` out.
  summary: `Print a reconciliation report (${Object.keys(REPORTS).join(', ')}, ${BREAK_HISTORY}).`,
  usage: `puddle report ${Object.keys(REPORTS).join('|')}|${BREAK_HISTORY} [--as-of DATE [--as-known]] [--from DATE] [--to DATE] [--format table|json|csv|parquet] [--out FILE] [--raw-csv] [--fail-on-breaks]`,
  options: {
    'as-of': { type: 'string', description: '"now" for ages and grace periods (YYYY-MM-DD); later objects are left out, and every record is as it stood at the end of that day. Default: today' },
    from: { type: 'string', description: "first date (the report's date column, inclusive)" },
    to: { type: 'string', description: 'last date, inclusive' },
    'as-known': { type: 'boolean', description: AS_KNOWN_DOC },
    format: { type: 'string', default: 'table', description: 'table (default), json (one array of objects; amounts in units as exact strings, "25.10"), csv, or parquet (needs --out)' },
    out: { type: 'string', description: 'write to this file instead of standard output' },
    'raw-csv': { type: 'boolean', description: 'CSV: write text cells as stored, even one a spreadsheet would run as a formula (=, +, -, @): for programs, not spreadsheets' },
    'fail-on-breaks': { type: 'boolean', description: 'exit 1 when any break is open or any record received is unaccounted, neither landed nor quarantined (for a scheduled check)' },
  },
  async run({ values, positionals }) {
    const name = positionals[0];
    const fail = (msg: string) => {
      process.stderr.write(`puddle report: ${msg}\n`);
      return Promise.resolve(2);
    };
    const names = [...Object.keys(REPORTS), BREAK_HISTORY].join(', ');
    // Until 2026-12-03 a misspelt name (`breakz`) or a second one got only the list, not what was wrong.
    if (!name) return fail(`name one report: ${names}`);
    if (!REPORTS[name] && name !== BREAK_HISTORY) return fail(`${JSON.stringify(name)} is not a report; name one of: ${names}`);
    if (positionals.length > 1) return fail(`one report a run, with only options after it: ${positionals.slice(1).map((p) => JSON.stringify(p)).join(', ')} is not one`);
    const format = values.format as string;
    if (!FORMATS.includes(format)) return fail('--format must be table, json, csv or parquet');
    const out = values.out as string | undefined;
    if (format === 'parquet' && !out) return fail('--format parquet needs --out FILE');
    const outProblem = out === undefined ? null : outFileProblem(out);
    if (outProblem) return fail(outProblem);
    for (const opt of ['as-of', 'from', 'to']) {
      const v = values[opt] as string | undefined;
      if (v !== undefined && !isCalendarDate(v)) return fail(`--${opt} takes a date YYYY-MM-DD, not ${JSON.stringify(v)}`);
    }
    const range = { from: values.from as string | undefined, to: values.to as string | undefined };
    const positionOnly = rangeProblem(name, range);
    if (positionOnly) return fail(positionOnly);
    // A reversed range printed an empty report, and --fail-on-breaks passed on it.
    const empty = emptyRangeProblem(range, 'days');
    if (empty) return fail(empty);
    if (name === BREAK_HISTORY) {
      // Each day's list is read as of that day, as known then: an --as-of or --as-known of its own would mean nothing.
      for (const opt of ['as-of', 'as-known', 'fail-on-breaks']) {
        if (values[opt] !== undefined) return fail(`--${opt} does not apply to ${BREAK_HISTORY}, which reads each day's list as of that day, as the hub knew it then`);
      }
      const to = range.to ?? new Date().toISOString().slice(0, 10);
      const problem = breakHistoryRangeProblem(range.from, to);
      if (problem) return fail(problem);
      try {
        return await runBreakHistory({ from: range.from!, to, format, ...(out === undefined ? {} : { out }), rawCsv: Boolean(values['raw-csv']) });
      } catch (err) {
        process.stderr.write(`puddle report: ${(err as Error).message}\n`);
        return 1;
      }
    }
    // Objects later than --as-of are left out, so a range that starts after it can hold nothing: an empty report
    // with exit 0 (and --fail-on-breaks passing on it) read as "all clear".
    const asOf = values['as-of'] as string | undefined;
    const knownProblem = asKnownProblem(values);
    if (knownProblem) return fail(knownProblem);
    // landing_controls counts what was received against today's state whatever --as-of says: --as-known was taken and
    // did nothing there (until 2026-12-06; a user test).
    if (name === 'landing' && values['as-known']) return fail("--as-known does not apply to report landing, which counts what was received against today's state (give --from and --to for the days received)");
    if (asOf !== undefined && range.from !== undefined && asOf < range.from) {
      return fail(`--as-of is before --from (${asOf}, from ${range.from}): objects later than --as-of are left out, so the range holds nothing; give an --as-of on or after --from`);
    }
    const future = futureAsOfNote('report', asOf);
    if (future) process.stderr.write(future);
    // With --as-of, each contract's state as at the end of that date, not today's (puddles/views.ts, asOfOrder):
    // a payout in transit on 31 December is in transit in a report as of that date. The landing control counts what
    // was received against what stands today.
    return withLocalRuntime(async (rt) => {
      try {
        if (values['as-of']) await setReconParams(rt.query, { as_of: values['as-of'] as string });
        // Each *_minor with its amount in the currency's units beside it (puddles/report-units.ts); the views stay minor units.
        // As text for the table and for JSON: a DECIMAL reaches JavaScript as a double, so JSON gave 25.1 for 25.10
        // and 1.5 for 1.500 KWD, a float a program then sums with a float's errors (until 2026-12-03). The string is
        // the exact amount, as CSV and the table print it; the *_minor integer beside it is there for arithmetic.
        const sql = await reportWithUnitsSql(rt.query, name, range, { asText: format === 'table' || format === 'json' });
        await writeReport(rt.query, sql, { format, ...(out === undefined ? {} : { out }), rawCsv: Boolean(values['raw-csv']) });
        const left = await leftOutNote(rt.queue, 'report');
        if (left) process.stderr.write(left.note);
        if (values['fail-on-breaks']) {
          // Open breaks, and records received that went nowhere (the landing control): until 2026-12-03 only breaks
          // counted, and a check passed over a lost lake file or a dead letter.
          const [row] = await rt.query.query(scheduledCheckSql(range, asOf));
          const open = Number(row?.breaks ?? 0);
          const unaccounted = Number(row?.unaccounted ?? 0);
          // And records received by the end of --as-of still on the queue: no report holds them yet, so the check
          // cannot say they are well (until 2026-12-05 it passed over them: a bank import with no hub running).
          const queued = left && Date.now() - left.waiting.oldestMs < endOfDay(asOf) ? left.waiting.total : 0;
          if (queued > 0) process.stderr.write(`puddle report: ${queued} record${queued === 1 ? '' : 's'} not landed yet, the oldest received by the end of ${asOf ?? 'today'}: the check fails until they land\n`);
          if (open > 0) process.stderr.write(`puddle report: ${open} break${open === 1 ? '' : 's'} open\n`);
          if (unaccounted > 0) {
            process.stderr.write(
              `puddle report: ${unaccounted} record${unaccounted === 1 ? '' : 's'} received and unaccounted (neither landed nor quarantined): ` +
                `puddle report landing shows the days, puddle query "SELECT * FROM raw_fate WHERE fate = 'unaccounted'" names each\n`,
            );
          }
          if (open > 0 || unaccounted > 0 || queued > 0) {
            await (rt.events ?? logOpsEvents).emit([{ type: 'breaks.opened', open, unaccounted, queued, as_of: asOf ?? null }]);
            return 1;
          }
        }
        return 0;
      } catch (err) {
        process.stderr.write(`puddle report: ${(err as Error).message}\n`);
        return 1;
      }
    }, { materializeCurrent: true, asOf: name === 'landing' ? undefined : asOf, asKnown: Boolean(values['as-known']) });
  },
});

/** The end of a day (UTC) in ms since the epoch, the start of the day after; today's without one. */
function endOfDay(day: string | undefined): number {
  return Date.parse(`${dayAfter(day ?? new Date().toISOString().slice(0, 10))}T00:00:00Z`);
}
