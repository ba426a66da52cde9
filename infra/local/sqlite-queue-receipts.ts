// The SQLite queue's receipts. A receipt names a delivery row by (seq, attempts): re-claiming bumps attempts, which
// retires every older receipt. An event kept in a row of its own has `${seq}.${attempts}`; an event of a pack
// (sqlite-queue-pack.mjs) `${seq}.${attempts}.${index}`, its place in the pack.

export interface Receipt {
  seq: number;
  attempts: number;
  /** The event's place in its pack; null for a row of one event. */
  index: number | null;
}

export function receiptOf(seq: number, attempts: number, index: number | null): string {
  return index === null ? `${seq}.${attempts}` : `${seq}.${attempts}.${index}`;
}

/** Null for anything that is not a receipt (a stale or garbage one is a no-op, never an error). */
export function parseReceipt(receipt: string): Receipt | null {
  // indexOf, not split: an ack parses a batch's receipts, 5,000 at a time.
  const dot = receipt.indexOf('.');
  if (dot <= 0) return null;
  const dot2 = receipt.indexOf('.', dot + 1);
  const seq = whole(receipt, 0, dot);
  const attempts = whole(receipt, dot + 1, dot2 < 0 ? receipt.length : dot2);
  if (seq === null || attempts === null) return null;
  if (dot2 < 0) return { seq, attempts, index: null };
  const index = whole(receipt, dot2 + 1, receipt.length);
  return index === null ? null : { seq, attempts, index };
}

/** The whole number written in text[from, to): digits only (no sign, no empty part); null otherwise. */
function whole(text: string, from: number, to: number): number | null {
  if (to <= from) return null;
  for (let i = from; i < to; i++) {
    const c = text.charCodeAt(i);
    if (c < 48 || c > 57) return null;
  }
  const n = Number(text.slice(from, to));
  return Number.isSafeInteger(n) ? n : null;
}

/** The receipts of one attempts number: per seq, the pack indexes named (null: the row's one event), and their range. */
export interface ReceiptGroup {
  seqs: Map<number, number[] | null>;
  lo: number;
  hi: number;
}

/**
 * Receipts by attempts number (receipts of one claim share one and cover a seq range). A seq named both as a row
 * and with indexes keeps the indexes: only one of the two can match its row, and a row of one event has none.
 */
export function groupReceipts(receipts: readonly string[]): Map<number, ReceiptGroup> {
  const groups = new Map<number, ReceiptGroup>();
  for (const r of receipts) {
    const parsed = parseReceipt(r);
    if (!parsed) continue;
    let g = groups.get(parsed.attempts);
    if (!g) groups.set(parsed.attempts, (g = { seqs: new Map(), lo: parsed.seq, hi: parsed.seq }));
    const named = g.seqs.get(parsed.seq);
    if (parsed.index === null) {
      if (named === undefined) g.seqs.set(parsed.seq, null);
    } else if (named) named.push(parsed.index);
    else g.seqs.set(parsed.seq, [parsed.index]);
    if (parsed.seq < g.lo) g.lo = parsed.seq;
    if (parsed.seq > g.hi) g.hi = parsed.seq;
  }
  return groups;
}
