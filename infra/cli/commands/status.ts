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
        bookmark: bookmarkText(bm),
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
 * What the bookmark column says when there is no cursor. A stream with its own `read` keeps its position in
 * `extra` ("kept by the stream"). Otherwise a bookmark with no cursor is one only a `--from` backfill wrote (it
 * never moves the incremental position it did not start at) or a first run stopped part-way: until 2026-12-03
 * both read "kept by the stream" too, as if the stream were keeping up.
 */
function bookmarkText(bm: Bookmark | null): string {
  if (!bm?.updatedAt) return 'never synced';
  if (bm.cursor) return bm.cursor;
  if (bm.extra && Object.keys(bm.extra).length > 0) return 'kept by the stream';
  if (bm.window) return 'none yet (first run part-way)';
  return 'none yet (only --from ran)';
}

function humanLag(ms: number): string {
  const s = Math.round(ms / 1000);
  if (s < 120) return `${s}s`;
  if (s < 7200) return `${Math.round(s / 60)}m`;
  if (s < 172_800) return `${Math.round(s / 3600)}h`;
  return `${Math.round(s / 86_400)}d`;
}
