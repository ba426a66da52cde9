// The embedded queue's dead letters (queue_dead_letters in queue.db), listed and sent back by
// `puddle dead-letters`. That command runs in a process of its own, often while the hub runs: both open the
// same WAL file, and SQLite serialises their writes (busy_timeout), so moving dead letters back is safe beside
// a running hub, whose consumers simply find them visible at their next claim.
import { errorReason, isErrorReason } from '../../core/error-reason.js';
import { hasColumn, type SqliteDatabase } from './sqlite.js';

export interface DeadLetterSummary {
  puddle: string;
  count: number;
  /** When the oldest and newest of them failed for the last time (ISO). */
  oldest: string;
  newest: string;
  /** Each distinct reason, most frequent first: the error's kind and what failed (core/error-reason.ts), never a payload. */
  reasons: { reason: string; count: number }[];
}

/** Per puddle with dead letters, how many, since when and why. Reads no body. */
export function summarizeDeadLetters(db: SqliteDatabase): DeadLetterSummary[] {
  const rows = db
    .prepare(
      `SELECT s.name AS puddle, d.reason, count(*) AS n, min(d.failed_at) AS oldest, max(d.failed_at) AS newest
       FROM queue_dead_letters d JOIN queue_subscriptions s ON s.id = d.sub_id
       GROUP BY s.name, d.reason ORDER BY s.name, n DESC, d.reason`,
    )
    .all() as { puddle: string; reason: string; n: number; oldest: string; newest: string }[];
  const out = new Map<string, DeadLetterSummary>();
  for (const r of rows) {
    let s = out.get(r.puddle);
    if (!s) out.set(r.puddle, (s = { puddle: r.puddle, count: 0, oldest: r.oldest, newest: r.newest, reasons: [] }));
    s.count += r.n;
    if (r.oldest < s.oldest) s.oldest = r.oldest;
    if (r.newest > s.newest) s.newest = r.newest;
    s.reasons.push({ reason: r.reason, count: r.n });
  }
  return [...out.values()];
}

/** queue_meta's mark that every dead letter's reason is errorReason's: set once the older ones are rewritten. */
const REASONS_SAFE = 'dead_letter_reasons_safe';

/**
 * A hub before 2026-12-02 kept a dead letter's reason as the error's name and whole message, which can quote the
 * record (DuckDB's "Could not convert string 'jane@example.org' to INT32"), and `puddle dead-letters` would show it
 * after an upgrade. So the first time today's code opens a queue.db (the hub's queue or the command), the reasons
 * it holds are rewritten as errorReason makes them, from the name and message the older hub joined with ': ': the
 * error's kind, the message left out. Every reason written after that is errorReason's already, so it runs once.
 * A reason already in errorReason's form (a hub from earlier on 2026-12-02 wrote those, before this rewrite) is
 * left as it is: read as a name and message, "RecordError: payload.amount_minor: must not be negative" lost its
 * field ("message left out") and "Conversion Error: ..." its type ("Error").
 */
export function forgetOlderReasons(db: SqliteDatabase): void {
  // Read first: once marked (every open after the first), no write transaction, which would wait on the hub's writer.
  const marked = () => db.prepare(`SELECT 1 FROM queue_meta WHERE k = ?`).get(REASONS_SAFE) !== undefined;
  if (marked()) return;
  db.transaction(() => {
    if (marked()) return;
    const update = db.prepare(`UPDATE queue_dead_letters SET reason = ? WHERE reason = ?`);
    for (const reason of db.prepare(`SELECT DISTINCT reason FROM queue_dead_letters`).pluck().all() as string[]) {
      if (!isErrorReason(reason)) update.run(olderReason(reason), reason);
    }
    db.prepare(`INSERT INTO queue_meta (k, v) VALUES (?, 1)`).run(REASONS_SAFE);
  }).immediate();
}

/** An older hub's reason (`${err.name}: ${err.message}`, or String(err) for a non-Error) as errorReason says it. */
function olderReason(reason: string): string {
  const colon = reason.indexOf(': ');
  if (colon <= 0) return errorReason(new Error(reason));
  return errorReason(Object.assign(new Error(reason.slice(colon + 2)), { name: reason.slice(0, colon) }));
}

/** Dead letters moved back per transaction: each holds the queue's write lock, which the hub's producer waits on. */
const REDRIVE_CHUNK = 500;

/**
 * Move the dead letters of `puddle` (or of every puddle) back onto their own subscription's queue, at its end,
 * visible now and with no attempts counted. Each chunk is one transaction that adds the deliveries and deletes
 * the dead-letter rows together, so a redrive killed half-way has moved some and kept the rest: none is both
 * redriven and kept, none lost. Only the subscription the message died in gets it back (raw does not land
 * again what transactions failed on). Returns how many moved, per puddle.
 */
export function redriveDeadLetters(db: SqliteDatabase, opts: { puddle?: string } = {}): Record<string, number> {
  const subs = db.prepare(`SELECT id, name FROM queue_subscriptions ORDER BY name`).all() as { id: number; name: string }[];
  // Queues made before bodies lost their reference count still have the NOT NULL column (as the writer does).
  const legacyRefs = hasColumn(db, 'queue_messages', 'refs');
  const next = db.prepare(`SELECT id, body FROM queue_dead_letters WHERE sub_id = ? ORDER BY id LIMIT ?`);
  const insertBody = db.prepare(legacyRefs ? `INSERT INTO queue_messages (body, refs) VALUES (?, 1)` : `INSERT INTO queue_messages (body) VALUES (?)`);
  const insertDelivery = db.prepare(`INSERT INTO queue_deliveries (sub_id, seq, visible_at, attempts) VALUES (?, ?, 0, 0)`);
  const remove = db.prepare(`DELETE FROM queue_dead_letters WHERE id = ?`);
  const moveChunk = db.transaction((subId: number): number => {
    const rows = next.all(subId, REDRIVE_CHUNK) as { id: number; body: string }[];
    for (const r of rows) {
      const seq = insertBody.run(r.body).lastInsertRowid;
      insertDelivery.run(subId, seq);
      remove.run(r.id);
    }
    return rows.length;
  }).immediate;
  const moved: Record<string, number> = {};
  for (const sub of subs) {
    if (opts.puddle !== undefined && sub.name !== opts.puddle) continue;
    let n = 0;
    for (let got = moveChunk(sub.id); got > 0; got = moveChunk(sub.id)) n += got;
    if (n) moved[sub.name] = n;
  }
  return moved;
}
