// `puddle report break-history --from D [--to D]`: every break listed on a day of the range, as spells
// (puddles/break-history.ts). Each day's list is `report breaks --as-of <day> --as-known`, read in a query engine of
// its own (each contract as it stood at the end of that day, as the hub had received it), so the history is the
// same whenever it is asked for.
import { breakSpells, daysOf, LISTED_COLUMNS, MAX_HISTORY_DAYS, spellsSql, SPELL_ORDER, type BreakSpell, type ListedBreak } from '../../../puddles/break-history.js';
import { withUnitsSql } from '../../../puddles/report-units.js';
import { setReconParams } from '../../../puddles/reports.js';
import { withLocalQueryEngine } from '../local-runtime.js';
import { writeReport, type ReportOutput } from '../report-out.js';

export const BREAK_HISTORY = 'break-history';

export interface BreakHistoryRun extends ReportOutput {
  from: string;
  to: string;
}

/** Why the range cannot be read in one run, or null. */
export function breakHistoryRangeProblem(from: string | undefined, to: string): string | null {
  if (from === undefined) return 'break-history needs --from (the first day whose list it reads); --to is today when left out';
  if (from > to) return `--from ${from} is after --to ${to} (today when left out): the range holds no day`;
  const days = daysOf(from, to).length;
  if (days > MAX_HISTORY_DAYS) return `break-history reads one list a day, at most ${MAX_HISTORY_DAYS} days a run (${from} to ${to} is ${days}): split the range`;
  return null;
}

export async function runBreakHistory(run: BreakHistoryRun): Promise<number> {
  const days = daysOf(run.from, run.to);
  const lists: { day: string; breaks: ListedBreak[] }[] = [];
  const started = Date.now();
  for (const [i, day] of days.entries()) {
    const breaks = await withLocalQueryEngine(
      async (query) => {
        await setReconParams(query, { as_of: day });
        return (await query.query(`SELECT ${LISTED_COLUMNS.join(', ')} FROM recon_breaks`)) as unknown as ListedBreak[];
      },
      { asOf: day, asKnown: true },
    );
    lists.push({ day, breaks });
    // A line a day on stderr: a month takes a minute or two, and a log shows where a run that stopped got to.
    process.stderr.write(`puddle report: ${day} (${i + 1} of ${days.length}): ${breaks.length} break${breaks.length === 1 ? '' : 's'} listed, ${Math.round((Date.now() - started) / 1000)} s\n`);
  }
  const spells = breakSpells(lists);
  await withLocalQueryEngine(async (query) => {
    const sql = await withUnitsSql(query, spellsSql(spells), SPELL_ORDER, { asText: run.format === 'table' || run.format === 'json' });
    await writeReport(query, sql, run);
  });
  process.stderr.write(`puddle report: ${movementLine(spells, run.from, run.to)}\n`);
  return 0;
}

/** What moved in the range, for the line after the report: opened, closed, and open at its end. */
export function movementLine(spells: readonly BreakSpell[], from: string, to: string): string {
  const opened = spells.filter((s) => !s.open_before).length;
  const closed = spells.filter((s) => s.closed_on !== null).length;
  const open = spells.filter((s) => s.closed_on === null).length;
  const before = spells.filter((s) => s.open_before).length;
  return `${from} to ${to}: ${before} break(s) listed on ${from}, ${opened} opened after it, ${closed} closed, ${open} open at the end of ${to}`;
}
