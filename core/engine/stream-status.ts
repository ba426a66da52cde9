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
  return streams.map(({ connector, stream }) => {
    const bookmark = (found.get(bookmarkKey(connector, stream)) as Bookmark | undefined) ?? null;
    const lastRun = (found.get(lastRunKey(connector, stream)) as RunResult | undefined) ?? null;
    return { connector, stream, bookmark, lastRun, lagMs: streamLagMs(bookmark, nowMs) };
  });
}
