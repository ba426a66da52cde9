import type { SortedCollection } from './sorted-collection.js';
import { noSuch } from './stripe-errors.js';

export interface PageRequest<T> {
  limit: number;
  startingAfter?: string;
  endingBefore?: string;
  /** Inclusive bounds on `created`. */
  created: { min: number; max: number };
  matches?: (item: T) => boolean;
  /** For the error message when a cursor id is unknown ("No such charge: ..."). */
  kind: string;
}

/**
 * One page, newest first. The created window is two binary searches; a cursor is a map lookup; the
 * walk stops after limit + 1 matches, so a page costs the same at position 49,900 as at 0.
 */
export function listPage<T extends { id: string; created: number }>(
  collection: SortedCollection<T>,
  req: PageRequest<T>,
): { data: T[]; hasMore: boolean } {
  const lo = collection.lowerBound(req.created.min);
  const hi = req.created.max === Infinity ? collection.size : collection.lowerBound(req.created.max + 1);
  const items = collection.items;
  const ok = req.matches ?? (() => true);
  const data: T[] = [];

  if (req.endingBefore !== undefined) {
    // The page just newer than the cursor, still served newest first.
    const at = cursorPosition(collection, req.endingBefore, 'ending_before', req.kind);
    let i = Math.max(lo, at + 1);
    for (; i < hi && data.length < req.limit; i++) if (ok(items[i]!)) data.push(items[i]!);
    let hasMore = false;
    for (; i < hi; i++) {
      if (ok(items[i]!)) {
        hasMore = true;
        break;
      }
    }
    return { data: data.reverse(), hasMore };
  }

  let i = hi - 1;
  if (req.startingAfter !== undefined) {
    i = Math.min(i, cursorPosition(collection, req.startingAfter, 'starting_after', req.kind) - 1);
  }
  for (; i >= lo && data.length < req.limit; i--) if (ok(items[i]!)) data.push(items[i]!);
  let hasMore = false;
  for (; i >= lo; i--) {
    if (ok(items[i]!)) {
      hasMore = true;
      break;
    }
  }
  return { data, hasMore };
}

function cursorPosition<T extends { id: string; created: number }>(collection: SortedCollection<T>, id: string, param: string, kind: string): number {
  const at = collection.indexOf(id);
  if (at === undefined) throw noSuch(kind, id, param);
  return at;
}
