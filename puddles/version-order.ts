// Which version of a record is the current one: the one definition every place that picks a version follows,
// in SQL for the views (and so the fold, compaction, `totals_by_box` and Athena) and in TypeScript for the live
// totals (embedded, puddles/live-totals.ts, and on DynamoDB, infra/aws/dynamodb-totals.ts).
//
// The latest version of a key has the latest _changed_at (the source's updated_at, else occurred_at). Versions
// changed at the same instant (a correction sent without updated_at) are told apart by arrival, an envelope id
// counting at its first: the later arrival wins. An arrival is _received_at, then _received_seq, the event's
// position in its producer request: every event of one request shares the request's _received_at, and an IVR or
// call-centre upload sends a pledge and its correction in one request, in that order. A row with no position
// (landed before 2026-12-02, or from a connector's page or a webhook, whose order says nothing about which version
// is newer) arrives before any position at the same _received_at, and such rows tie among themselves as they
// always did. What still ties goes to the greatest envelope id, so that every engine decides it alike.

/** The order in which a key's newest version comes first (ORDER BY items). */
export const LATEST_FIRST: readonly string[] = ['_changed_at DESC', '_received_at DESC', '_received_seq DESC NULLS LAST', '_id DESC'];

/** The order in which an envelope id's first delivery comes first (ORDER BY items). */
export const FIRST_ARRIVAL: readonly string[] = ['_received_at', '_received_seq NULLS FIRST', '_delivery_id'];

/** "No position": below every position, as NULL sorts in LATEST_FIRST and FIRST_ARRIVAL. */
export const NO_POSITION = -1;

/** An arrival as the live totals keep it: _received_at in epoch ms, _received_seq (absent or NO_POSITION: none). */
export interface Arrival {
  received: number;
  seq?: number;
}

/** The _received_seq of a landed row's cell as an Arrival's `seq`: NO_POSITION unless it is a position. */
export function positionOf(cell: unknown): number {
  const n = typeof cell === 'number' ? cell : typeof cell === 'bigint' || (typeof cell === 'string' && cell !== '') ? Number(cell) : Number.NaN;
  return Number.isSafeInteger(n) && n >= 0 ? n : NO_POSITION;
}

/** Negative when `a` arrived before `b`, positive when after, 0 for the same arrival (FIRST_ARRIVAL's order). */
export function compareArrivals(a: Arrival, b: Arrival): number {
  return a.received - b.received || (a.seq ?? NO_POSITION) - (b.seq ?? NO_POSITION);
}
