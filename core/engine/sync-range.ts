// The range of one sync as a person asks for it: `puddle sync --from/--to/--full` and the sync function's
// `{from, to, full}` on AWS read it here, so both take the same times and refuse the same mistakes.
import { emptyRangeProblem } from '../empty-range.js';
import { ConfigError } from '../errors.js';
import { utcInstantMs } from '../time.js';
import type { SyncRange } from './define.js';

export type SyncRangeKey = 'from' | 'to' | 'full';

/**
 * `from`/`to` as the engine takes them, or a ConfigError naming the key (`name` says a key as the caller takes it:
 * `--from` on the command line). A time without a zone is UTC, as /v1/totals reads it, and 02-30 is refused, not
 * rolled over; `full` does not go with a range, and a range that holds nothing is refused before anything runs.
 */
export function syncRangeOf(asked: { from?: string; to?: string; full?: boolean }, name: (k: SyncRangeKey) => string = (k) => `--${k}`): SyncRange {
  const range: SyncRange = {};
  for (const k of ['from', 'to'] as const) {
    const v = asked[k];
    if (v === undefined) continue;
    const ms = utcInstantMs(v);
    if (Number.isNaN(ms)) {
      throw new ConfigError(`${name(k)} takes a date YYYY-MM-DD or a time such as 2026-11-30T18:00:00Z or 2026-11-30T18:00+01:00 (no zone: UTC), on the calendar; not ${JSON.stringify(v)}`);
    }
    range[k] = new Date(ms);
  }
  // The engine took a --from range and dropped --full without a word (and --full with --to alone read from
  // the start date and moved the bookmark back to --to): neither is what a person asking for both meant.
  if (asked.full && (range.from || range.to)) {
    const given = range.from && range.to ? `${name('from')} and ${name('to')}` : name(range.from ? 'from' : 'to');
    throw new ConfigError(
      `${name('full')} does not go with ${given}: ${name('full')} reads every stream again from its start date and moves its bookmark to where that read ends; ` +
        `${name('from')}/${name('to')} read only that range, a backfill that leaves the bookmark where it is. Give one or the other`,
    );
  }
  // A range includes its --from and stops before its --to, as every window does: equal bounds, like a --to
  // before --from, hold nothing, and a run over them would be recorded as a sync that succeeded.
  const empty = emptyRangeProblem({ from: range.from?.toISOString(), to: range.to?.toISOString() }, 'instants', name);
  if (empty) throw new ConfigError(empty);
  return asked.full ? { ...range, full: true } : range;
}
