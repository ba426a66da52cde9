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

/** Every named stream's bookmark and last run, in the order given, read in one round trip. */
export async function readStreamStatus(
  state: StateStore,
  connectors: Readonly<Record<string, { readonly streams: readonly string[] }>>,
  nowMs: number,
): Promise<StreamStatus[]> {
  const streams = Object.entries(connectors).flatMap(([connector, c]) => c.streams.map((stream) => ({ connector, stream })));
  const found = await state.getMany(streams.flatMap(({ connector, stream }) => [bookmarkKey(connector, stream), lastRunKey(connector, stream)]));
  const out = streams.map(({ connector, stream }): StreamStatus => {
    const bookmark = (found.get(bookmarkKey(connector, stream)) as Bookmark | undefined) ?? null;
    const lastRun = (found.get(lastRunKey(connector, stream)) as RunResult | undefined) ?? null;
    return { connector, stream, bookmark, lastRun, lagMs: streamLagMs(bookmark, nowMs), refusedSince: null };
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

/** What to say of a stream that has not run since its connector's credentials were refused (refusedSince). */
export function refusedSinceText(r: NonNullable<StreamStatus['refusedSince']>): string {
  return `not run since the provider refused the credentials on ${r.stream} at ${r.at}: check them; this stream's last run is older`;
}
