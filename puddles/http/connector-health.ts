// One line per connector on the operations dashboard, from its streams' bookmarks and last runs. A connector
// is as healthy as its worst stream: each stream has its own bookmark and runs on its own, so one that keeps
// failing is not made good by the streams that ran after it.
import { connectorLagMs, lagSeconds, readStreamStatus, refusedSinceText, type StreamStatus } from '../../core/engine/stream-status.js';
import type { RunResult } from '../../core/engine/sync-run.js';
import type { StateStore } from '../../core/ports.js';

export interface StreamHealth {
  stream: string;
  last_outcome: RunResult['outcome'] | null;
  last_run_ended_at: string | null;
  lag_seconds: number | null;
  /** The last run's error (the engine's words: never secrets or personal data). */
  error: string | null;
}

export interface ConnectorHealth {
  source: string;
  last_run_started_at: string | null;
  last_run_ended_at: string | null;
  /** `failed` while the last run of any of its streams failed; else the outcome of its newest run. */
  last_outcome: RunResult['outcome'] | null;
  /** The streams whose last run failed, or that have not run since its credentials were refused, in run order. */
  failing_streams: string[];
  /**
   * The largest of its streams' lags (streamLagMs), in seconds: its data is as old as its stalest stream's. Null
   * while a stream that keeps a cursor has run without one (connectorLagMs).
   */
  lag_seconds: number | null;
  streams: StreamHealth[];
}

const latest = (a: string | null, b: string | undefined) => (b !== undefined && (a === null || Date.parse(b) > Date.parse(a)) ? b : a);

/** The connectors that have synced at least once here (a bookmark or a run), in the order first seen. */
export function connectorHealth(streams: readonly StreamStatus[]): ConnectorHealth[] {
  const out = new Map<string, ConnectorHealth & { newest: number }>();
  for (const s of streams) {
    if (!s.bookmark && !s.lastRun && !s.refusedSince) continue;
    let c = out.get(s.connector);
    if (!c) out.set(s.connector, (c = { source: s.connector, last_run_started_at: null, last_run_ended_at: null, last_outcome: null, failing_streams: [], lag_seconds: null, streams: [], newest: -Infinity }));
    const run = s.lastRun;
    const error = s.refusedSince ? refusedSinceText(s.refusedSince) : (run?.error ?? null);
    c.streams.push({ stream: s.stream, last_outcome: run?.outcome ?? null, last_run_ended_at: run?.endedAt ?? null, lag_seconds: lagSeconds(s.lagMs), error });
    c.last_run_started_at = latest(c.last_run_started_at, run?.startedAt);
    c.last_run_ended_at = latest(c.last_run_ended_at, run?.endedAt);
    if (run && Date.parse(run.endedAt) > c.newest) {
      c.newest = Date.parse(run.endedAt);
      if (!c.failing_streams.length) c.last_outcome = run.outcome;
    }
    // A stream not run since its connector's credentials were refused is failing with it.
    if (run?.outcome === 'failed' || s.refusedSince) {
      c.failing_streams.push(s.stream);
      c.last_outcome = 'failed';
    }
  }
  for (const c of out.values()) c.lag_seconds = lagSeconds(connectorLagMs(streams.filter((s) => s.connector === c.source)));
  return [...out.values()].map(({ newest: _, ...c }) => c);
}

/** What `/healthz` says of one connector whose last run of some stream failed. */
export interface FailingConnector {
  /** Its streams whose last run failed, in run order. */
  streams: string[];
  /** When the newest of those failed runs ended. */
  last_failed_at: string | null;
}

/**
 * The connectors failing now, for `/healthz` (which anyone may read): which streams and since when, never the
 * error's words (those are for the dashboard and `puddle status`, behind a key).
 */
export function failingConnectors(health: readonly ConnectorHealth[]): Record<string, FailingConnector> {
  const out: Record<string, FailingConnector> = {};
  for (const c of health) {
    if (!c.failing_streams.length) continue;
    const ended = c.streams.filter((s) => s.last_outcome === 'failed').map((s) => s.last_run_ended_at);
    out[c.source] = { streams: c.failing_streams, last_failed_at: ended.reduce<string | null>((a, b) => latest(a, b ?? undefined), null) };
  }
  return out;
}

/** The streams to read for /healthz: every connector's, by name (connectors/registry.ts CONNECTORS' `streams`). */
export type ConnectorStreams = () => Promise<Readonly<Record<string, { readonly streams: readonly string[] }>>>;

/** At most one read of the state per this long: anyone may call /healthz, with no key. */
export const CONNECTORS_READ_EVERY_MS = 1000;

/**
 * What /healthz says of the connectors, on the hub and on AWS: `{failing: {<connector>: {streams, last_failed_at}}}`,
 * from the streams' state (so a `puddle sync` beside the hub counts too), without the errors' words (no key reads
 * /healthz); read at most once a second, the read shared by the calls meanwhile. A read that fails (the state store
 * busy, DynamoDB throttled) says `{unknown: true}` and never fails /healthz, which a balancer or checker reads as the
 * producer down. A failing connector changes neither `ok` nor the 200: the producer takes events as before, and a
 * balancer that pulled it over a provider's rolled key would refuse the night's donations for it.
 * `now` dates the streams' lags (a test's clock); `cacheNow` times the reuse (default: `now`).
 */
export function connectorsHealth(opts: { state: StateStore; streams: ConnectorStreams; now?: () => number; cacheNow?: () => number }): () => Promise<Record<string, unknown>> {
  const now = opts.now ?? Date.now;
  const cacheNow = opts.cacheNow ?? now;
  let last: { at: number; value: Promise<Record<string, unknown>> } | null = null;
  const read = async (): Promise<Record<string, unknown>> => {
    try {
      return { failing: failingConnectors(connectorHealth(await readStreamStatus(opts.state, await opts.streams(), now()))) };
    } catch {
      return { unknown: true };
    }
  };
  return () => {
    const at = cacheNow();
    if (last === null || at - last.at >= CONNECTORS_READ_EVERY_MS || at < last.at) last = { at, value: read() };
    return last.value;
  };
}
