import type { Bookmark } from '../../../core/engine/bookmark.js';
import { lagSeconds, readStreamStatus, refusedSinceText } from '../../../core/engine/stream-status.js';
import { CONNECTORS } from '../../../connectors/registry.js';
import { defineCommand } from '../command.js';
import { formatRows, type Format } from '../format.js';
import { rowsForStdout } from '../stdout.js';
import { existingHome, withLocalRuntime } from '../local-runtime.js';
import { describeHolder, readHolder } from '../../local/home-lock.js';
import { humanLag, waitingText, waitingToLand } from '../queue-waiting.js';

export const status = defineCommand({
  name: 'status',
  summary: "Show each connector stream's bookmark, last run and lag, and what waits in the queue to land.",
  usage: 'puddle status [--format table|json]',
  options: { format: { type: 'string', default: 'table', description: 'table (default) or json' } },
  run: ({ values }) =>
    withLocalRuntime(async (rt) => {
      const streams = await readStreamStatus(rt.state, CONNECTORS, rt.clock.now().getTime());
      const rows = streams.map(({ connector, stream, bookmark: bm, lastRun: last, lagMs, refusedSince, noCursorYet }) => ({
        connector,
        stream,
        bookmark: bookmarkText(bm, last !== null, noCursorYet),
        in_progress: bm?.window ? `window from ${bm.window.from}` : '',
        last_run: last ? `${last.outcome} at ${last.endedAt}` : '',
        records: last?.records ?? null,
        lag: lagMs === null ? '' : humanLag(lagMs),
        error: refusedSince ? refusedSinceText(refusedSince) : (last?.error ?? ''),
      }));
      if (values.format === 'json') {
        // For a script: the same rows, with the lag in seconds and the last run's outcome and end apart, as
        // /v1/ops/status gives them (until 2026-12-05 only the table's words: "3m", "succeeded at <time>").
        const fields = streams.map((s) => ({
          lag_seconds: lagSeconds(s.lagMs),
          last_outcome: s.lastRun?.outcome ?? null,
          last_run_ended_at: s.lastRun?.endedAt ?? null,
        }));
        process.stdout.write(formatRows(rows.map((r, i) => ({ ...r, ...fields[i] })), 'json'));
        return 0;
      }
      process.stdout.write(rowsForStdout(rows, 'table' as Format));
      // A running hub's raw keeps up to a batch queued on purpose for a while (PUDDLE_RAW_LINGER_SECONDS), so a
      // few raw deliveries are no lag. Until 2026-12-03 nothing said how much a stopped hub had left unlanded.
      const waiting = await waitingToLand(rt.queue, { withRaw: true });
      // Whether a hub lands them: until 2026-12-06 status read the same with a hub running and after one was killed
      // (a user test).
      const home = existingHome();
      const holder = readHolder(home);
      process.stdout.write(holder ? `hub: ${describeHolder(home)}\n` : 'hub: none runs on this home\n');
      const lands = holder ? `${holder.command} lands them` : 'no hub runs on this home: puddle start or puddle land lands them';
      process.stdout.write(waiting.total ? `queue: waiting to land ${waitingText(waiting)}: ${lands}\n` : 'queue: nothing waits to land\n');
      return 0;
    }),
});

/**
 * What the bookmark column says. A windowed stream with no cursor has had only `--from` backfills (they leave the
 * position they did not start at alone, and mark the bookmark's `backfill`) or a first run stopped part-way (its
 * `window`). Any other stream without a cursor that has run keeps its position its own way: Stripe's payout_items
 * in the bookmark's `extra`, Salesforce's backfill under keys of its own (it has no bookmark), Freshdesk's
 * ticket_fields none, being read whole each run (ConnectorEntry.ownPosition). Any other stream without a cursor
 * after its runs has had none succeed (a first run refused, or failing: StreamStatus.noCursorYet). Until 2026-12-03 the first two read "kept
 * by the stream" too, and Salesforce's backfill "never synced" after its runs; until 2026-12-05 so did the last.
 */
function bookmarkText(bm: Bookmark | null, ran: boolean, noCursorYet: boolean): string {
  if (bm?.cursor) return bm.cursor;
  if (bm?.window) return 'none yet (first run part-way)';
  if (bm && 'backfill' in bm && !bm.extra) return 'none yet (only --from ran)';
  if (!bm?.updatedAt && !ran) return 'never synced';
  return noCursorYet ? 'none yet (no run has succeeded)' : 'kept by the stream';
}
