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
        bookmark: bm?.cursor ?? (bm?.updatedAt ? 'kept by the stream' : 'never synced'),
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

function humanLag(ms: number): string {
  const s = Math.round(ms / 1000);
  if (s < 120) return `${s}s`;
  if (s < 7200) return `${Math.round(s / 60)}m`;
  if (s < 172_800) return `${Math.round(s / 3600)}h`;
  return `${Math.round(s / 86_400)}d`;
}
