import { utcInstantMs } from './time.js';

/**
 * What every command with --from and --to says of a range that holds nothing (exit code 2, before it runs), or
 * null. A run over such a range reads nothing and ends as if it had worked: `puddle replay` with its days
 * reversed re-derived nothing and exited 0, where `puddle sync` refused the same mistake.
 * - 'instants' (sync): a range reads from --from up to, not including, --to, so equal bounds hold nothing too.
 * - 'days' (replay, report): both days are in the range, so only a --to before --from holds nothing.
 * Both bounds are texts `utcInstantMs` reads (a date, or an ISO time), already checked one by one. `name` says a
 * bound as its caller takes it: an option on the command line, a key of the sync function's input on AWS.
 */
export function emptyRangeProblem(range: { from?: string; to?: string }, unit: 'instants' | 'days', name: (k: 'from' | 'to') => string = (k) => `--${k}`): string | null {
  const { from, to } = range;
  if (from === undefined || to === undefined) return null;
  const [f, t] = [name('from'), name('to')];
  const gap = utcInstantMs(to) - utcInstantMs(from);
  if (unit === 'days') {
    return gap < 0 ? `${t} is before ${f} (${from} to ${to}): a range holds the days from ${f} to ${t}, both included; give a later ${t}, or the same day for one day` : null;
  }
  if (gap > 0) return null;
  return `${t} ${gap < 0 ? 'is before' : 'is the same time as'} ${f} (${from} to ${to}): a range reads from ${f} up to, not including, ${t}; give a later ${t}`;
}
