import { utcInstantMs } from '../../core/time.js';

/**
 * What every command with --from and --to says of a range that holds nothing (exit code 2, before it runs), or
 * null. A run over such a range reads nothing and ends as if it had worked: `puddle replay` with its days
 * reversed re-derived nothing and exited 0, where `puddle sync` refused the same mistake.
 * - 'instants' (sync): a range reads from --from up to, not including, --to, so equal bounds hold nothing too.
 * - 'days' (replay, report): both days are in the range, so only a --to before --from holds nothing.
 * Both bounds are texts `utcInstantMs` reads (a date, or an ISO time), already checked one by one.
 */
export function emptyRangeProblem(range: { from?: string; to?: string }, unit: 'instants' | 'days'): string | null {
  const { from, to } = range;
  if (from === undefined || to === undefined) return null;
  const gap = utcInstantMs(to) - utcInstantMs(from);
  if (unit === 'days') {
    return gap < 0 ? `--to is before --from (${from} to ${to}): a range holds the days from --from to --to, both included; give a later --to, or the same day for one day` : null;
  }
  if (gap > 0) return null;
  return `--to ${gap < 0 ? 'is before' : 'is the same time as'} --from (${from} to ${to}): a range reads from --from up to, not including, --to; give a later --to`;
}
