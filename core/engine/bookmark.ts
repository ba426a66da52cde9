import type { StateStore } from '../ports.js';
import type { SyncRange } from './define.js';

/** A window in progress and the page to continue from, so a time-boxed or killed run resumes with no gap. */
export interface WindowCheckpoint {
  from: string;
  to: string;
  token: string | null;
}

/** How far a run has read: everything before `cursor` is published, and `window` is under way. */
export interface ReadPosition {
  cursor: string | null;
  window: WindowCheckpoint | null;
}

/** A backfill's own position, named by the range it reads (`to` null: up to now). */
export interface BackfillPosition extends ReadPosition {
  from: string;
  to: string | null;
}

/** The name of a backfill's position: the range it reads. */
export type BackfillRange = Pick<BackfillPosition, 'from' | 'to'>;

/** The backfill a windowed stream's run of this range is, by name; null when it is not one (no `from`). */
export function backfillRangeOf(range: SyncRange): BackfillRange | null {
  return range.from ? { from: range.from.toISOString(), to: range.to?.toISOString() ?? null } : null;
}

/**
 * Where a backfill of `range` reads on from, and checkpoints to: the position the same range saved when it
 * stopped part-way, or a new one (another range's, or none: it starts afresh).
 */
export function backfillPositionIn(bm: Bookmark, range: BackfillRange): BackfillPosition {
  const saved = bm.backfill;
  return saved && saved.from === range.from && saved.to === range.to ? saved : { ...range, cursor: null, window: null };
}

/**
 * Where a stream stands: the incremental run's own position. `revisitFrom`: the oldest record that must be
 * read again (still pending at the provider). `backfill`: a bounded backfill (`--from`) stopped part-way,
 * kept apart so that it never moves the incremental position; the same `--from`/`--to` again resumes it.
 */
export interface Bookmark extends ReadPosition {
  revisitFrom: string | null;
  /**
   * The ids of the unsettled records from `revisitFrom` on, when they are few and the stream reads by id: the
   * next run reads these one by one instead of listing again from `revisitFrom` (revisit.ts). Null or absent:
   * list from `revisitFrom`.
   */
  revisitIds?: string[] | null;
  /** When a run last listed again from `revisitFrom` (too many to read by id): at most hourly (revisit.ts relistDue). */
  revisitListedAt?: string | null;
  backfill?: BackfillPosition | null;
  /**
   * A `--full` read under way, named by the start date it read from: checkpoints go to the bookmark as it reads,
   * and `--full` again (with that start date) continues from them, as any run does, instead of starting over.
   * Cleared when a run of the stream reads to its end.
   */
  fullFrom?: string | null;
  /** The last gap in a horizon stream's records (horizon.ts) this position went back for: that stream's old bookmark. */
  rereadFor?: string | null;
  /** Stream-specific extras (escape-hatch streams keep their own position here). */
  extra?: Record<string, unknown>;
  updatedAt: string;
}

export const EMPTY_BOOKMARK: Bookmark = { cursor: null, window: null, revisitFrom: null, updatedAt: '' };

export const bookmarkKey = (connector: string, stream: string) => `bookmark:${connector}:${stream}`;

export async function loadBookmark(state: StateStore, connector: string, stream: string): Promise<Bookmark> {
  return (await state.get<Bookmark>(bookmarkKey(connector, stream))) ?? { ...EMPTY_BOOKMARK };
}

export async function saveBookmark(state: StateStore, connector: string, stream: string, b: Bookmark): Promise<void> {
  await state.set(bookmarkKey(connector, stream), { ...b, updatedAt: new Date().toISOString() });
}
