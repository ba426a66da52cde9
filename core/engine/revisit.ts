// Records a stream reads again until they settle (StreamDef.revisit): where the next run finds them.
import { NotFoundError } from '../errors.js';
import type { Bookmark } from './bookmark.js';
import type { StreamContext, StreamDef } from './define.js';

/**
 * At most this many unsettled records are read again one by one (`fetchById`); more, and the next run lists
 * again from the oldest of them (`revisitFrom`), as every run did until 2026-12-05. Listing from the oldest
 * re-reads every record made since, settled or not: a Bacs or SEPA debit stays pending three days to two weeks,
 * and on an appeal night each run would list (and publish again) every charge since it, thousands of calls a
 * minute past Stripe's rate limit. By id, the cost is the unsettled records themselves: at most 100 calls a run
 * (about a second of Stripe's live limit), where one list page also holds 100.
 */
export const REVISIT_BY_ID_MAX = 100;

/**
 * With more unsettled records than that, a run lists again from the oldest of them at most this often; the runs
 * between read on from their bookmark and keep the revisit point. Every run did, until 2026-12-05: a charity's
 * monthly Direct Debit run (thousands of Bacs debits, pending three days) had every run, a minute apart, list
 * and publish again every charge made since, for three days. A change within the hour still arrives sooner by
 * its webhook, which has the object read again by id (refetch.ts).
 */
export const REVISIT_RELIST_MS = 60 * 60_000;

/** Whether this run lists again from `revisitFrom` (its records too many to read by id): the first time, then hourly. */
export function relistDue(bm: Bookmark, nowMs: number): boolean {
  const at = bm.revisitListedAt ? Date.parse(bm.revisitListedAt) : Number.NaN;
  return !(nowMs - at < REVISIT_RELIST_MS);
}

/** What one run found unsettled: the oldest one's time, and their ids while they fit the cap. */
export class Unsettled {
  from: number | null = null;
  /** Null once more than REVISIT_BY_ID_MAX, or when the stream cannot read by id. */
  ids: Set<string> | null;

  constructor(byId: boolean) {
    this.ids = byId ? new Set() : null;
  }

  add(id: string, at: number): void {
    this.from = this.from === null ? at : Math.min(this.from, at);
    if (!this.ids) return;
    this.ids.add(id);
    if (this.ids.size > REVISIT_BY_ID_MAX) this.ids = null;
  }

  /** This run read from the revisit point (or read them all by id): what it found replaces what was saved. */
  replace(bm: Bookmark): void {
    bm.revisitFrom = this.from === null ? null : new Date(this.from).toISOString();
    bm.revisitIds = this.from === null ? null : this.ids && [...this.ids];
  }

  /**
   * Keep the saved unsettled records and this run's: both still wait for their re-read (a checkpoint, a run that
   * continued a stopped window, a backfill). The ids stay only while both sides have theirs and they fit the cap.
   */
  keepWith(bm: Bookmark): void {
    if (this.from === null) return;
    const saved = bm.revisitFrom ? Date.parse(bm.revisitFrom) : Infinity;
    // No saved point: nothing was waiting. A saved point without ids (more than the cap, or a bookmark from
    // before 2026-12-05): its records are found only by listing from it.
    const savedIds = bm.revisitFrom ? bm.revisitIds : [];
    const ids = this.ids && savedIds ? new Set([...savedIds, ...this.ids]) : null;
    bm.revisitFrom = new Date(Math.min(this.from, saved)).toISOString();
    bm.revisitIds = ids && ids.size <= REVISIT_BY_ID_MAX ? [...ids] : null;
  }
}

/** The ids the next incremental run reads one by one instead of listing from `revisitFrom`; null: list. */
export function revisitByIds(stream: StreamDef<unknown, unknown>, bm: Bookmark): string[] | null {
  return stream.fetchById && bm.revisitFrom && bm.revisitIds ? bm.revisitIds : null;
}

/**
 * The records still there of `ids`, each read by id through the engine's calls (budget and retries), and the ids
 * of those the provider no longer has (left out, and so no longer revisited). Read all at once: the stream's
 * request budget spaces the calls.
 */
export async function fetchUnsettled<C>(stream: StreamDef<C, unknown>, ctx: StreamContext<C>, ids: readonly string[]): Promise<{ records: unknown[]; gone: string[] }> {
  const found = await Promise.all(
    ids.map(async (id) => {
      try {
        return await stream.fetchById!(ctx, id);
      } catch (err) {
        if (err instanceof NotFoundError) return null;
        throw err;
      }
    }),
  );
  return { records: found.filter((r) => r !== null && r !== undefined), gone: ids.filter((_, i) => found[i] === null || found[i] === undefined) };
}
