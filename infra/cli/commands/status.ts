import { loadBookmark } from '../../../core/engine/bookmark.js';
import { lastRunKey, type RunResult } from '../../../core/engine/sync-run.js';
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
      const now = rt.clock.now().getTime();
      const rows = [];
      for (const [connector, entry] of Object.entries(CONNECTORS)) {
        for (const stream of entry.streams) {
          const bm = await loadBookmark(rt.state, connector, stream);
          const last = await rt.state.get<RunResult>(lastRunKey(connector, stream));
          rows.push({
            connector,
            stream,
            bookmark: bm.cursor ?? (bm.updatedAt ? 'kept by the stream' : 'never synced'),
            in_progress: bm.window ? `window from ${bm.window.from}` : '',
            last_run: last ? `${last.outcome} at ${last.endedAt}` : '',
            records: last?.records ?? null,
            lag: bm.cursor ? humanLag(now - Date.parse(bm.cursor)) : '',
            error: last?.error ?? '',
          });
        }
      }
      process.stdout.write(formatRows(rows, values.format === 'json' ? 'json' : ('table' as Format)));
      return 0;
    }, { reads: true }),
});

function humanLag(ms: number): string {
  const s = Math.round(ms / 1000);
  if (s < 120) return `${s}s`;
  if (s < 7200) return `${Math.round(s / 60)}m`;
  if (s < 172_800) return `${Math.round(s / 3600)}h`;
  return `${Math.round(s / 86_400)}d`;
}
