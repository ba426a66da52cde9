// The figure the stack's staleness alarms watch (shape.ts METRICS): per connector, how old its stalest stream's
// data is, published by the sync function as a CloudWatch embedded-metric-format (EMF) log line. CloudWatch turns
// the line into the metric itself, so the function needs no PutMetricData call, no permission and no package.
import { connectorLagMs, lagSeconds, readStreamStatus, type StreamNames } from '../../core/engine/stream-status.js';
import type { StateStore } from '../../core/ports.js';
import { connectorLagDimensions, METRICS } from './shape.js';

/**
 * The connector's lag in seconds: the largest of its streams' lags (streamLagMs: the age of each bookmark's
 * cursor), the figure `puddle status` and the dashboard show. Until 2026-12-02 it was the time since each
 * stream's last good run, so runs that "succeeded" while a bookmark stood still (nothing past it could be read,
 * a window never done) read healthy here while the dashboard showed the data hours old. Null when no stream has
 * a cursor (never synced), or while one has run without one (connectorLagMs): no figure is published, and the
 * alarm counts a missing figure as stale.
 */
export async function connectorLagSeconds(state: StateStore, connector: string, streams: StreamNames, nowMs: number): Promise<number | null> {
  // Rounded as the dashboard rounds its lag_seconds (puddles/http/connector-health.ts): the same figure.
  return lagSeconds(connectorLagMs(await readStreamStatus(state, { [connector]: streams }, nowMs)));
}

/**
 * One EMF log line: the metric `ConnectorLagSeconds` in namespace `Puddle`, dimensions `Stack` (the stack's
 * prefix, so two stacks in one account keep apart) and `Connector`.
 */
export function connectorLagLine(stack: string, connector: string, lagSeconds: number, timestampMs: number): string {
  const dimensions = connectorLagDimensions(stack, connector);
  return JSON.stringify({
    _aws: {
      Timestamp: timestampMs,
      CloudWatchMetrics: [{ Namespace: METRICS.namespace, Dimensions: [Object.keys(dimensions)], Metrics: [{ Name: METRICS.connectorLag, Unit: 'Seconds' }] }],
    },
    ...dimensions,
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
