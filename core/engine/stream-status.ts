import type { StateStore } from '../ports.js';
import { bookmarkKey, type Bookmark } from './bookmark.js';
import { lastRunKey, type RunResult } from './sync-run.js';

/** A stream's position and its last run, as `puddle status` and the operations dashboard show them. */
export interface StreamStatus {
  connector: string;
  stream: string;
  /** Null: never synced. */
  bookmark: Bookmark | null;
  lastRun: RunResult | null;
  /** How old its data is, in ms (streamLagMs). */
  lagMs: number | null;
  /**
   * Another stream of its connector whose credentials the provider refused (its last run failed with an
   * AuthError) after this one's last run started: a sync stops at refused credentials, so this stream has not
   * run since, and would be refused too. Its own last run still reads as it ended (often `succeeded`), which
   * until 2026-12-05 was all `puddle status`, `/healthz` and the dashboard showed of it (user test). Null otherwise.
   */
  refusedSince: { stream: string; at: string } | null;
  /**
   * A stream that keeps a cursor (not one of its connector's `ownPosition` streams) and has run, with none yet: no
   * run of it has succeeded, or its first is part-way, or only `--from` backfills ran. How old its data is is not
   * known, so neither is its connector's (connectorLagMs).
   */
  noCursorYet: boolean;
}

/** What readStreamStatus needs of a connector: its streams in run order, and those that keep their own position. */
export interface StreamNames {
  readonly streams: readonly string[];
  readonly ownPosition?: readonly string[];
}

/**
 * A stream's lag: how old the data it has published is, i.e. the time since its bookmark's cursor (everything
 * before the cursor is on the queue). Not the time since a run ended: a failed run leaves the cursor where it
 * was, so the lag grows while every run fails. Null when the stream has no cursor (never synced, or a stream
 * that keeps its own position). Negative when the cursor is ahead of now (a bookmark left in the future, which
 * skips records): shown as it is, not as 0, which would read as healthy. The one definition for `puddle status`
 * and the dashboard.
 */
export function streamLagMs(bookmark: Bookmark | null, nowMs: number): number | null {
  if (!bookmark?.cursor) return null;
  return nowMs - Date.parse(bookmark.cursor);
}

/** A lag in whole seconds, as every place that shows one rounds it (status, the dashboard, the AWS figure). */
export function lagSeconds(ms: number | null): number | null {
  return ms === null ? null : Math.round(ms / 1000);
}

/** Every named stream's bookmark and last run, in the order given, read in one round trip. */
export async function readStreamStatus(state: StateStore, connectors: Readonly<Record<string, StreamNames>>, nowMs: number): Promise<StreamStatus[]> {
  const streams = Object.entries(connectors).flatMap(([connector, c]) => c.streams.map((stream) => ({ connector, stream })));
  const found = await state.getMany(streams.flatMap(({ connector, stream }) => [bookmarkKey(connector, stream), lastRunKey(connector, stream)]));
  const out = streams.map(({ connector, stream }): StreamStatus => {
    const bookmark = (found.get(bookmarkKey(connector, stream)) as Bookmark | undefined) ?? null;
    const lastRun = (found.get(lastRunKey(connector, stream)) as RunResult | undefined) ?? null;
    const noCursorYet = lastRun !== null && !bookmark?.cursor && !connectors[connector]!.ownPosition?.includes(stream);
    return { connector, stream, bookmark, lastRun, lagMs: streamLagMs(bookmark, nowMs), refusedSince: null, noCursorYet };
  });
  // Each connector's newest run whose credentials were refused, and the streams that have not run since it began.
  const refused = new Map<string, RunResult>();
  for (const { connector, lastRun: r } of out) {
    const newest = refused.get(connector);
    if (r?.authFailed && (!newest || Date.parse(r.startedAt) > Date.parse(newest.startedAt))) refused.set(connector, r);
  }
  for (const s of out) {
    const r = refused.get(s.connector);
    if (!r || s.stream === r.stream || (s.lastRun && Date.parse(s.lastRun.startedAt) >= Date.parse(r.startedAt))) continue;
    s.refusedSince = { stream: r.stream, at: r.endedAt };
  }
  return out;
}

/**
 * A connector's lag: its stalest stream's (streamLagMs), over `streams`, all of one connector. Null while no stream
 * has a cursor, and while one that keeps a cursor has run with none yet (noCursorYet): its data's age is unknown,
 * and until 2026-12-05 a connector whose `transactions` had never synced read 108 s, healthy (user test). The one
 * definition for the dashboard and the AWS staleness figure (which is then not published: the alarm counts that
 * as stale).
 */
export function connectorLagMs(streams: readonly StreamStatus[]): number | null {
  if (streams.some((s) => s.noCursorYet)) return null;
  let lagMs: number | null = null;
  for (const s of streams) if (s.lagMs !== null) lagMs = Math.max(lagMs ?? -Infinity, s.lagMs);
  return lagMs;
}

/** What to say of a stream that has not run since its connector's credentials were refused (refusedSince). */
export function refusedSinceText(r: NonNullable<StreamStatus['refusedSince']>): string {
  return `not run since the provider refused the credentials on ${r.stream} at ${r.at}: check them; this stream's last run is older`;
}
