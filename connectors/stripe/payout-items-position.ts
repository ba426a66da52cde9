import { loadBookmark, saveBookmark, type Bookmark } from '../../core/engine/bookmark.js';
import type { SyncRange } from '../../core/engine/define.js';
import type { StateStore } from '../../core/ports.js';

/**
 * Where the payout_items stream stands (its own `read` keeps it in the bookmark's `extra`): `since`, the
 * oldest payout creation time it still lists (epoch seconds; null: the start date), and `done`, the payouts
 * from then on whose members were read completely (id -> created), and `rescan`, payouts created in
 * [from, to) that `--full` or `--from` asked to be read again (to null: no end) until a run has read them.
 * The bookmark's `cursor` is when the last complete read listed the payouts, so `puddle status` shows a lag
 * that closes when a run succeeds (until 2026-12-01 it held `since`, kept 14 days back, and the lag never closed).
 */
export interface PayoutItemsPosition {
  since: number | null;
  done: Record<string, number>;
  rescan: { from: number; to: number | null } | null;
}

const sec = (d: Date) => Math.floor(d.getTime() / 1000);

export async function loadPayoutItemsPosition(state: StateStore): Promise<{ bookmark: Bookmark; position: PayoutItemsPosition }> {
  const bookmark = await loadBookmark(state, 'stripe', 'payout_items');
  const extra = bookmark.extra ?? {};
  // Bookmarks saved before 2026-12-01 kept `since` in `cursor`.
  const since = typeof extra.since === 'number' ? extra.since : bookmark.cursor ? sec(new Date(bookmark.cursor)) : null;
  const rescan = (extra.rescan ?? null) as PayoutItemsPosition['rescan'];
  return { bookmark, position: { since, done: { ...((extra.done ?? {}) as Record<string, number>) }, rescan } };
}

/** `listedAt`: the read that listed payouts then is complete, so the cursor moves to it. */
export async function savePayoutItemsPosition(state: StateStore, bookmark: Bookmark, position: PayoutItemsPosition, listedAt?: Date): Promise<void> {
  const cursor = listedAt ? listedAt.toISOString() : bookmark.extra?.since === undefined ? null : bookmark.cursor;
  await saveBookmark(state, 'stripe', 'payout_items', { ...bookmark, cursor, window: null, extra: { since: position.since, done: position.done, rescan: position.rescan } });
}

/**
 * `--full` or `--from` for payout_items: the stream keeps its own position, which the engine's range does not
 * reach, so the payouts created in [from, to) (from the start date with --full) are forgotten as done and
 * their members read again (they land idempotently). Only those: a `--from` a year back with a `--to` a
 * month later reads a month of payouts, not the year since. A rescan not finished yet is widened.
 * False when the range asks nothing. Called by the run itself, under the stream's lease (see StreamContext.range).
 */
export function rescopePayoutItems(position: PayoutItemsPosition, range: SyncRange, startDate: Date): boolean {
  const floor = range.from ?? (range.full ? startDate : undefined);
  if (!floor) return false;
  const lo = sec(floor);
  const hi = range.to ? sec(range.to) : null;
  for (const [id, created] of Object.entries(position.done)) if (created >= lo && (hi === null || created < hi)) delete position.done[id];
  const was = position.rescan;
  position.rescan = was ? { from: Math.min(was.from, lo), to: was.to === null || hi === null ? null : Math.max(was.to, hi) } : { from: lo, to: hi };
  return true;
}

/** The read lists payouts created from here: its own floor, or a rescan's start if older. */
export function listFrom(position: PayoutItemsPosition, floor: number): number {
  return position.rescan ? Math.min(floor, position.rescan.from) : floor;
}

/** A listed payout whose members the read reads: not done, and within its own floor or a rescan. */
export function wanted(position: PayoutItemsPosition, floor: number, payout: { id: string; created: number }): boolean {
  if (payout.id in position.done) return false;
  const r = position.rescan;
  return payout.created >= floor || (r !== null && payout.created >= r.from && (r.to === null || payout.created < r.to));
}
