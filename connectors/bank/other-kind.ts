import { fromMinorUnits } from '../../core/money.js';
import { statementWhere } from './checks.js';
import { entryDay, type LakeLine } from './earlier-ids.js';
import type { Statement } from './statement.js';
import { ending } from './unverifiable.js';

// An account's days imported from two kinds of file: the bank's camt.053 feed, and the online-banking CSV export of
// the same days (or a BAI2 file). A line's id is its kind's own: a camt or BAI2 entry's bank reference, a CSV row's
// content (to-envelopes.ts lineIds). So an entry imported from both kinds has two ids and lands as two lines, its
// money counted twice, with no break (a payout's credit only turns AMBIGUOUS_MATCH). Until 2026-12-05 the second
// file imported with exit 0 (user test). Within a kind, files overlap safely: their ids match (docs/bank-statements.md,
// "Line ids"). The file is refused (exit 2) when any entry of it has a line of the same account, day, currency and
// amount from a file of another kind: nothing of it is published.
//
// As the other checks of what the lake holds (imported-before.ts), only what has landed is seen: two such files
// imported before either lands are not caught.

/** camt.052, camt.053 and camt.054 are one kind: their entries carry the same bank references. */
export const fileKind = (format: string) => (format.startsWith('camt.') ? 'camt' : format);

/** A line's or an entry's day, amount and currency: what two kinds of file give the same entry alike. */
const sameEntry = (day: string | null, amount: number, currency: string) => `${day}\u0000${amount}\u0000${currency}`;


/**
 * Why this file may not be imported: entries of one of its statements are on days of its account that a file of
 * another kind gave lines for, of the same amount and currency. Null when none are.
 */
export function linesFromOtherKind(statements: readonly Statement[], lines: readonly LakeLine[]): string | null {
  for (const [i, s] of statements.entries()) {
    const kind = fileKind(s.format);
    const theirs = new Map<string, LakeLine[]>();
    for (const l of lines) {
      if (l.account !== s.account || fileKind(l.source_format) === kind) continue;
      const k = sameEntry(l.day, l.amount_minor, l.currency);
      let list = theirs.get(k);
      if (!list) theirs.set(k, (list = []));
      list.push(l);
    }
    if (!theirs.size) continue;
    const matched = s.entries.filter((e) => theirs.has(sameEntry(entryDay(e), e.amount_minor, e.currency)));
    if (!matched.length) continue;
    const days = matched.map((e) => entryDay(e)!).sort();
    const span = days[0] === days.at(-1) ? days[0] : `${days[0]} to ${days.at(-1)}`;
    const twins = matched.flatMap((e) => theirs.get(sameEntry(entryDay(e), e.amount_minor, e.currency))!);
    const formats = [...new Set(twins.map((l) => l.source_format))].sort().join(' and ');
    const times = twins.map((l) => l.received_at).sort();
    const when = times[0] === times.at(-1) ? `on ${times[0]}` : `between ${times[0]} and ${times.at(-1)}`;
    const e = matched[0]!;
    return (
      `${statementWhere(s, i)}: ${matched.length} of its ${s.entries.length} ${s.entries.length === 1 ? 'entry' : 'entries'} (the account ${ending(s)}, ${span}) ` +
      `${matched.length === 1 ? 'has' : 'have'} a line of the same day, amount and currency imported ${when} from a ${formats} file ` +
      `(the first: ${entryDay(e)}, ${fromMinorUnits(e.amount_minor, e.currency)} ${e.currency}). ` +
      `A ${s.format} file and a ${formats} file give the same entry different line ids, so importing both would count its money twice. ` +
      `Import each account's days from one kind of file: leave this file out if the ${formats} files cover its days, ` +
      `or export only the days they do not cover`
    );
  }
  return null;
}
