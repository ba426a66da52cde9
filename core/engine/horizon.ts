import { log } from '../log.js';
import type { Clock, StateStore } from '../ports.js';
import { bookmarkKey, loadBookmark, saveBookmark, type Bookmark } from './bookmark.js';
import type { ConnectorDef, Horizon, StreamDef } from './define.js';

// A stream whose records the provider keeps only for a while (StreamDef.horizon), and what a gap in them costs:
// other streams read again from where it began. Nothing here writes another stream's position. A position is
// written only by its stream's own run, which holds the stream's lease: until 2026-12-02 Stripe's events guard
// rewound the object streams as a sync started, holding none of their leases, and a run of `charges` under way
// then saved its own position over the rewind (the gap's changes were missed for good), or the rewind dropped
// the window that run was in the middle of. So the run that finds the gap leaves each stream a request, and each
// stream takes it up in its own run, under its own lease. Kept in the engine, which owns positions: a connector
// only declares what its provider keeps.
//
// A gap is named by the horizon stream's bookmark that was found too old. A stream that has gone back for a gap
// keeps its name (`Bookmark.rereadFor`), so it never reads the same gap twice, whichever way it learnt of it.

/** Read every window since `from` again, for the gap named `gap` (and any older one not taken up before it). */
interface RereadRequest {
  from: string;
  gap: string;
}

const requestKey = (connector: string, stream: string) => `reread:${connector}:${stream}`;
const DAY = 86_400_000;

type WithHorizon = StreamDef<unknown, unknown> & { horizon: Horizon };

/** The stream whose horizon names this one, if any (defineConnector allows one at most). */
export function horizonOver(connector: ConnectorDef<unknown>, stream: string): WithHorizon | undefined {
  return connector.streams.find((s) => s.horizon?.reread.includes(stream)) as WithHorizon | undefined;
}

/** A bookmark older than the provider keeps: the records since it that were never read are gone. */
const tooOld = (cursor: string | null, horizon: Horizon, now: number): cursor is string => cursor !== null && Date.parse(cursor) < now - horizon.keptMs;

export interface RunState {
  state: StateStore;
  clock: Clock;
  connector: string;
}

/**
 * By the stream's own run, under its lease, before it plans: a gap it has not gone back for moves its position
 * back to where the gap began. Two ways to learn of one: the request the horizon stream's run left, or that
 * stream's bookmark, still too old because its run comes later in this sync (Stripe reads events last). The
 * second keeps the re-read in the sync that meets the gap, and the request that run leaves afterwards names a
 * gap this stream has gone back for already, so the span is not read twice.
 */
export async function takeReread(run: RunState, source: WithHorizon, stream: string, bm: Bookmark): Promise<void> {
  const keys = [requestKey(run.connector, stream), bookmarkKey(run.connector, source.name)] as const;
  const got = await run.state.getMany(keys);
  const asked = got.get(keys[0]) as RereadRequest | undefined;
  const found = (got.get(keys[1]) as Bookmark | undefined)?.cursor ?? null;
  let from = Infinity;
  let gap: string | null = null;
  if (asked && asked.gap !== bm.rereadFor) [from, gap] = [Date.parse(asked.from), asked.gap];
  if (tooOld(found, source.horizon, run.clock.now().getTime()) && found !== bm.rereadFor) [from, gap] = [Math.min(from, Date.parse(found)), found];
  if (gap === null) return;
  // Only back: a stream not yet that far reads from there anyway.
  if (bm.cursor && Date.parse(bm.cursor) > from) Object.assign(bm, { cursor: new Date(from).toISOString(), window: null });
  // Saved with the position at the run's first checkpoint, so a run that saves none goes back again next time.
  bm.rereadFor = gap;
}

/**
 * By the run of a stream with a horizon, under its lease, before it plans: a first run starts inside the
 * horizon; a bookmark older than it asks the streams named to read again from it, and restarts inside.
 */
export async function keepWithinHorizon(run: RunState & { stream: string; horizon: Horizon; startDate: Date; runId: string }, bm: Bookmark): Promise<void> {
  const { state, connector, stream, horizon } = run;
  const now = run.clock.now().getTime();
  if (bm.cursor !== null && !tooOld(bm.cursor, horizon, now)) return;
  if (bm.cursor !== null) {
    log.warn(`${connector} ${stream} bookmark is older than the ${Math.round(horizon.keptMs / DAY)} days ${connector} keeps them: ${horizon.reread.join(', ')} read every window since it again`, {
      connector, stream, bookmark: bm.cursor, run_id: run.runId,
    });
    for (const name of horizon.reread) await askToReread(state, connector, name, bm.cursor);
  }
  Object.assign(bm, { cursor: horizonStart(horizon, run.startDate, now).toISOString(), window: null });
  // Kept at once, the requests being out: a run that ends before its first page does not ask again.
  await saveBookmark(state, connector, stream, bm);
}

/**
 * Where a read of a stream with a horizon starts at the earliest: inside what the provider keeps (by its margin),
 * or the start date if later. A first run and a `--full` start here: before it the provider has nothing to list,
 * so a `--full` that read from the start date (a year of Stripe's events, of which it keeps 30 days) asked for
 * months of empty windows.
 */
export function horizonStart(horizon: Horizon, startDate: Date, now: number): Date {
  return new Date(Math.max(startDate.getTime(), now - horizon.keptMs + horizon.marginMs));
}

/**
 * Where a backfill (`--from`) of a stream with a horizon starts: its `from`, or the oldest moment the provider
 * still keeps (`keptMs` back: the range was asked for, so no margin is taken off it) when `from` is older. Null:
 * `from` is inside, nothing to change. Until 2026-12-02 a `--from` months back asked Stripe for every empty
 * events window before its 30 days.
 */
export function backfillStartWithin(horizon: Horizon, from: Date, now: number): Date | null {
  const kept = now - horizon.keptMs;
  return from.getTime() < kept ? new Date(kept) : null;
}

async function askToReread(state: StateStore, connector: string, stream: string, gap: string): Promise<void> {
  const key = requestKey(connector, stream);
  const pending = await state.get<RereadRequest>(key);
  // A request the stream has not taken up yet still stands: this one reads from the older point. Its bookmark is
  // only read here; if its run takes the old request meanwhile, it takes this one too and reads the span twice,
  // which lands idempotently.
  const untaken = pending !== null && (await loadBookmark(state, connector, stream)).rereadFor !== pending.gap;
  const from = untaken && Date.parse(pending.from) < Date.parse(gap) ? pending.from : gap;
  await state.set(key, { from, gap } satisfies RereadRequest);
}
