import type { Bookmark } from '../../../core/engine/bookmark.js';
import { readStreamStatus } from '../../../core/engine/stream-status.js';
import { CONNECTORS } from '../../../connectors/registry.js';
import { defineCommand } from '../command.js';
import { formatRows, type Format } from '../format.js';
import { withLocalRuntime } from '../local-runtime.js';

export const status = defineCommand({
  name: 'status',
  summary: "Show each connector stream's bookmark, last run and lag.",
  usage: 'puddle status [--format table|json]',
  options: { format: { type: 'string', default: 'table', description: 'table (default) or json' } },
  run: ({ values }) =>
    withLocalRuntime(async (rt) => {
      const streams = await readStreamStatus(rt.state, CONNECTORS, rt.clock.now().getTime());
      const rows = streams.map(({ connector, stream, bookmark: bm, lastRun: last, lagMs }) => ({
        connector,
        stream,
        bookmark: bookmarkText(bm, last !== null),
        in_progress: bm?.window ? `window from ${bm.window.from}` : '',
        last_run: last ? `${last.outcome} at ${last.endedAt}` : '',
        records: last?.records ?? null,
        lag: lagMs === null ? '' : humanLag(lagMs),
        error: last?.error ?? '',
      }));
      process.stdout.write(formatRows(rows, values.format === 'json' ? 'json' : ('table' as Format)));
      return 0;
    }),
});

/**
 * What the bookmark column says. A windowed stream with no cursor has had only `--from` backfills (they leave the
 * position they did not start at alone, and mark the bookmark's `backfill`) or a first run stopped part-way (its
 * `window`). Any other stream without a cursor that has run keeps its position its own way: Stripe's payout_items
 * in the bookmark's `extra`, Salesforce's backfill under keys of its own (it has no bookmark), Freshdesk's
 * ticket_fields none, being read whole each run. Until 2026-12-03 the first two read "kept by the stream" too,
 * and Salesforce's backfill "never synced" after its runs.
 */
function bookmarkText(bm: Bookmark | null, ran: boolean): string {
  if (bm?.cursor) return bm.cursor;
  if (bm?.window) return 'none yet (first run part-way)';
  if (bm && 'backfill' in bm && !bm.extra) return 'none yet (only --from ran)';
  return bm?.updatedAt || ran ? 'kept by the stream' : 'never synced';
}

function humanLag(ms: number): string {
  const s = Math.round(ms / 1000);
  if (s < 120) return `${s}s`;
  if (s < 7200) return `${Math.round(s / 60)}m`;
  if (s < 172_800) return `${Math.round(s / 3600)}h`;
  return `${Math.round(s / 86_400)}d`;
}
