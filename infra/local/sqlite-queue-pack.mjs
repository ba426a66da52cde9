// A pack: the events of one producer request kept as one queue_messages row (their JSON texts back to back, with
// their lengths), and one queue_deliveries row per subscription that says which of them it has settled. Plain
// JavaScript, as the writer thread loads it (see sqlite-queue-writer.mjs). Types: sqlite-queue-pack.d.mts.
//
// Why: at 100 events a request, one row per event (and one delivery row per event and subscription) was most of
// the writer thread's work (docs/benchmarks.md, "The whole hub"). A pack is one row and one delivery row per subscription.

/**
 * Most events in one pack: a larger request is stored as several packs. A claim never splits a pack, so this
 * bounds how far a claim can pass its `max`, and how many events an event that keeps failing holds back.
 */
export const PACK_MAX = 256;

/**
 * `lengths[from..to)` as the queue_messages.lengths blob: each body's length in UTF-16 code units (JavaScript's
 * string length), 4 bytes little-endian each.
 * @param {ArrayLike<number>} lengths @param {number} from @param {number} to
 * @returns {Buffer}
 */
export function encodeLengths(lengths, from, to) {
  const out = Buffer.allocUnsafe((to - from) * 4);
  for (let i = from; i < to; i++) out.writeUInt32LE(lengths[i], (i - from) * 4);
  return out;
}

/**
 * A pack's bodies from its text and lengths blob; null when they do not add up (the row was changed by hand).
 * @param {string} text @param {Uint8Array} blob
 * @returns {string[] | null}
 */
export function splitPack(text, blob) {
  const buf = Buffer.isBuffer(blob) ? blob : Buffer.from(blob.buffer, blob.byteOffset, blob.byteLength);
  if (buf.length % 4 !== 0) return null;
  const n = buf.length / 4;
  const bodies = new Array(n);
  let at = 0;
  for (let i = 0; i < n; i++) {
    const len = buf.readUInt32LE(i * 4);
    bodies[i] = text.slice(at, (at += len));
  }
  return at === text.length ? bodies : null;
}

/**
 * Whether body `i` of a pack is settled for a delivery: acked, dead-lettered, or never routed to its subscription.
 * `bits` is queue_deliveries.settled (null: none is).
 * @param {Uint8Array | null} bits @param {number} i
 */
export function isSettled(bits, i) {
  return bits !== null && (i >>> 3) < bits.length && (bits[i >>> 3] & (1 << (i & 7))) !== 0;
}

/**
 * `bits` with `indexes` set too, and how many of them were not set before (indexes at or past `n` are ignored).
 * @param {Uint8Array | null} bits @param {number} n @param {Iterable<number>} indexes
 * @returns {{ bits: Buffer, newly: number }}
 */
export function withSettled(bits, n, indexes) {
  const out = Buffer.alloc((n + 7) >>> 3);
  if (bits) out.set(bits.subarray(0, out.length));
  let newly = 0;
  for (const i of indexes) {
    if (!Number.isInteger(i) || i < 0 || i >= n) continue;
    const mask = 1 << (i & 7);
    if ((out[i >>> 3] & mask) === 0) {
      out[i >>> 3] |= mask;
      newly++;
    }
  }
  return { bits: out, newly };
}

/**
 * How many bits are set: with a delivery's unsettled count, the pack's size (n = unsettled + settledCount).
 * @param {Uint8Array | null} bits
 */
export function settledCount(bits) {
  if (!bits) return 0;
  let c = 0;
  for (let i = 0; i < bits.length; i++) {
    let b = bits[i];
    while (b) {
      b &= b - 1;
      c++;
    }
  }
  return c;
}
