// The figure the stack's staleness alarms watch (shape.ts METRICS): per connector, seconds since its last good
// run, published by the sync function as a CloudWatch embedded-metric-format (EMF) log line. CloudWatch turns
// the line into the metric itself, so the function needs no PutMetricData call, no permission and no package.
import type { StateStore } from '../../core/ports.js';
import type { RunResult } from '../../core/engine/sync-run.js';
import { METRICS } from './shape.js';

/** When a stream last ran well (ISO time); for a stream that never did, when it was first tried. */
export const goodRunKey = (connector: string, stream: string) => `goodrun:${connector}:${stream}`;

/**
 * A run that moved the stream forward: finished, or cut by its time box after a checkpoint. A failed run and
 * one stopped by the provider's quota leave the data as old as it was; a refused run (another holds the lease)
 * says nothing about this connector's health and is left out.
 */
function isGood(r: RunResult): boolean {
  return r.outcome === 'succeeded' || r.outcome === 'partial';
}

/**
 * Records these runs and answers the connector's lag: the largest, over the streams that were run, of the
 * seconds since each one's last good run. A stream that never ran well counts from its first attempt, so a
 * connector that never works still goes stale. Null when nothing is known (every run refused, none before).
 */
export async function connectorLagSeconds(state: StateStore, results: readonly RunResult[], nowMs: number): Promise<number | null> {
  let lag: number | null = null;
  for (const r of results) {
    const key = goodRunKey(r.connector, r.stream);
    let since = await state.get<string>(key);
    if (r.outcome !== 'refused') {
      if (isGood(r)) since = r.endedAt;
      else since ??= r.startedAt;
      await state.set(key, since);
    }
    if (since === null) continue;
    const seconds = Math.max(0, Math.floor((nowMs - Date.parse(since)) / 1000));
    lag = Math.max(lag ?? 0, seconds);
  }
  return lag;
}

/** One EMF log line: the metric `ConnectorLagSeconds` in namespace `Puddle`, dimension `Connector`. */
export function connectorLagLine(connector: string, lagSeconds: number, timestampMs: number): string {
  return JSON.stringify({
    _aws: {
      Timestamp: timestampMs,
      CloudWatchMetrics: [{ Namespace: METRICS.namespace, Dimensions: [['Connector']], Metrics: [{ Name: METRICS.connectorLag, Unit: 'Seconds' }] }],
    },
    Connector: connector,
    [METRICS.connectorLag]: lagSeconds,
  });
}

/**
 * EMF lines go to stdout as they are: the Lambda runtime prefixes console.log output with a timestamp and
 * request id, which CloudWatch would not parse as EMF.
 */
export const writeStdoutLine = (line: string): void => {
  process.stdout.write(`${line}\n`);
};
