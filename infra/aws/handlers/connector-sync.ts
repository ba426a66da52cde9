// A scheduled connector sync: EventBridge Scheduler invokes this function with `{connector, streams?}`
// (the schedule table's entry); a person backfills with `{connector, streams?, from?, to?, full?}` (`aws lambda
// invoke`), read as `puddle sync --from/--to/--full` reads them. The run is time-boxed inside the Lambda's own deadline, read from the
// context, and checkpoints as it goes: a run cut short ends `partial` and the next invocation resumes.
import type { Context } from 'aws-lambda';

import { CONNECTORS, type ConnectorEntry } from '../../../connectors/registry.js';
import { leaseMsSetting } from '../../../core/config.js';
import { CALL_GRACE_MS } from '../../../core/engine/run-stream.js';
import type { SyncRange } from '../../../core/engine/define.js';
import { syncRangeOf } from '../../../core/engine/sync-range.js';
import { syncConnector } from '../../../core/engine/sync.js';
import { ConfigError } from '../../../core/errors.js';
import { log } from '../../../core/log.js';
import { envSettings } from '../../../core/settings.js';
import { connectorLagLine, connectorLagSeconds, writeStdoutLine } from '../connector-lag-metric.js';
import { stackOfQueuePrefix } from '../shape.js';
import { defaultRuntime, type RuntimeSource } from './runtime-source.js';

export interface SyncInvocation extends SyncRange {
  connector: string;
  streams?: string[];
}

/** The keys an invocation may carry; any other is refused (until 2026-12-07 a `from` was dropped without a word). */
const INVOCATION_KEYS = ['connector', 'streams', 'from', 'to', 'full'] as const;

export interface SyncSummary {
  connector: string;
  runs: { stream: string; outcome: string; records: number; error: string | null }[];
}

/**
 * Time kept back from the deadline for the last checkpoint and publish, and the function's own exit:
 * a tenth of what is left, at least 5 s and at most 60 s; and before that the grace a provider call in
 * flight at the deadline gets before the run stops waiting for it (CALL_GRACE_MS), so a hung call never
 * runs the function into Lambda's own timeout.
 */
export function syncDeadline(context: Pick<Context, 'getRemainingTimeInMillis'>, now = Date.now()): Date {
  const left = context.getRemainingTimeInMillis();
  const reserve = CALL_GRACE_MS + Math.min(60_000, Math.max(5_000, left / 10));
  return new Date(now + Math.max(0, left - reserve));
}

/** The invocation's input: as the schedule sends it, or as an EventBridge rule's `detail`. */
export function parseInvocation(event: unknown, connectors: Record<string, ConnectorEntry> = CONNECTORS): SyncInvocation {
  const body = typeof event === 'object' && event !== null && 'detail' in event && typeof event.detail === 'object' ? event.detail : event;
  if (typeof body !== 'object' || body === null || Array.isArray(body)) throw new ConfigError('sync invocation must be an object {connector, streams?, from?, to?, full?}');
  const unknown = Object.keys(body).filter((k) => !(INVOCATION_KEYS as readonly string[]).includes(k));
  if (unknown.length) {
    throw new ConfigError(`sync invocation: no key ${unknown.map((k) => JSON.stringify(k).slice(0, 40)).join(', ')}: it takes ${INVOCATION_KEYS.join(', ')}`);
  }
  const { connector, streams, from, to, full } = body as Record<(typeof INVOCATION_KEYS)[number], unknown>;
  if (typeof connector !== 'string' || !connectors[connector]) {
    throw new ConfigError(`sync invocation: connector must be one of ${Object.keys(connectors).join(', ')} (got ${JSON.stringify(connector)?.slice(0, 40)})`);
  }
  if (streams !== undefined && !(Array.isArray(streams) && streams.every((s) => typeof s === 'string'))) {
    throw new ConfigError('sync invocation: streams must be a list of stream names');
  }
  for (const [k, v] of [['from', from], ['to', to]] as const) {
    if (v !== undefined && typeof v !== 'string') throw new ConfigError(`sync invocation: ${k} must be a text, a date YYYY-MM-DD or an ISO time (got ${JSON.stringify(v)?.slice(0, 40)})`);
  }
  if (full !== undefined && typeof full !== 'boolean') throw new ConfigError(`sync invocation: full must be true or false (got ${JSON.stringify(full)?.slice(0, 40)})`);
  let range: SyncRange;
  try {
    range = syncRangeOf({ from: from as string | undefined, to: to as string | undefined, full }, (k) => JSON.stringify(k));
  } catch (err) {
    if (err instanceof ConfigError) throw new ConfigError(`sync invocation: ${err.message}`);
    throw err;
  }
  return { connector, ...(streams ? { streams: streams as string[] } : {}), ...range };
}

export interface SyncHandlerOptions {
  /** Where the lag metric's EMF line goes (stdout, where CloudWatch Logs reads it). */
  writeMetric?: (line: string) => void;
  /** Epoch ms the lag is measured at (the runtime's clock). */
  now?: () => number;
  /** The function's environment (PUDDLE_LEASE_SECONDS); the process's by default. */
  env?: NodeJS.ProcessEnv;
}

/**
 * A run's lease on its stream, as `puddle sync` and the hub's scheduled syncs read it (leaseMsSetting): until
 * 2026-12-02 this function ignored PUDDLE_LEASE_SECONDS and held every stream for the engine's 2 minutes. A wrong
 * value fails the invocation with a ConfigError naming it, before the sync touches anything.
 */
export function syncLeaseMs(env: NodeJS.ProcessEnv = process.env): number | undefined {
  const settings = envSettings(env);
  const leaseMs = leaseMsSetting(settings);
  settings.check();
  return leaseMs;
}

export function makeConnectorSyncHandler(runtime: RuntimeSource, connectors: Record<string, ConnectorEntry> = CONNECTORS, opts: SyncHandlerOptions = {}) {
  const writeMetric = opts.writeMetric ?? writeStdoutLine;
  return async (event: unknown, context: Context): Promise<SyncSummary> => {
    const { connector, streams, from, to, full } = parseInvocation(event, connectors);
    const leaseMs = syncLeaseMs(opts.env);
    const rt = await runtime();
    // A rotated provider credential reaches a warm function within the secrets' maximum age.
    await rt.secrets.refresh();
    const instance = connectors[connector]!.make(rt.secrets);
    const deadline = syncDeadline(context);
    const results = await syncConnector(instance, { queue: rt.queue, state: rt.state, clock: rt.clock }, { streams, from, to, full, deadline, leaseMs });
    const summary: SyncSummary = {
      connector,
      runs: results.map((r) => ({ stream: r.stream, outcome: r.outcome, records: r.records, error: r.error })),
    };
    log.info('sync finished', { connector, runs: summary.runs.map((r) => `${r.stream}:${r.outcome}:${r.records}`).join(' ') });
    // The staleness alarm's figure: the connector's stalest stream, over all its streams (not only those this
    // invocation ran). Its failure must not fail a sync that ran: the alarm treats a missing figure as stale, so
    // a lasting fault is still seen.
    try {
      const now = opts.now?.() ?? rt.clock.now().getTime();
      const lag = await connectorLagSeconds(rt.state, connector, connectors[connector]!, now);
      if (lag !== null) writeMetric(connectorLagLine(stackOfQueuePrefix(rt.env.queuePrefix), connector, lag, now));
    } catch (err) {
      log.warn('connector lag metric not published', { connector, error: err });
    }
    return summary;
  };
}

export const handler = makeConnectorSyncHandler(defaultRuntime);
