// How publishes cross to the queue's writer thread: a ring of shared memory (see sqlite-queue-write-thread.ts for
// why). Plain JavaScript: the writer thread loads it without the parent's TypeScript loader. Types:
// sqlite-queue-ring.d.mts.
//
// The ring is a SharedArrayBuffer: a header of CONTROL Int32 slots, then `capacity` bytes of records, each at an
// 8-byte boundary. One writer (the event loop) and one reader (the writer thread). A record:
//   u32 size (bytes, a multiple of 8; 0 = go back to the start of the ring)   u32 kind
//   u32 packs   u32 meta bytes   then per pack: u32 body count, u32 text bytes   then every pack's lengths (u32 each)
//   then the meta JSON (contracts, rows, receivedAt, receivedMs)   then the packs' texts in UTF-8, back to back.
// The reader wakes on PUBLISHED (Atomics.wait), decodes what is there, writes it, and gives the space back by storing
// TAIL and then CONSUMED; the writer reads CONSUMED before TAIL, so it may think the ring fuller than it is, never emptier.
// Counts are Int32 and wrap; only their differences are used.
//
// Text goes as UTF-8: a lone surrogate (never in JSON.stringify's output) would come back as U+FFFD, one character
// for one, which is also what SQLite's UTF-8 storage would have made of it; the lengths still fit.

const PUBLISHED = 0;
const CONSUMED = 1;
const TAIL = 2;
const CONTROL = 16;
const HEADER = CONTROL * 4;

/** Record kinds. */
export const INLINE = 1;
/** The group was posted on the worker's port (too large for the ring): take it from there, in this order. */
export const ON_PORT = 2;
export const STOP = 3;

/** Bytes of UTF-8 up to which consecutive packs are decoded as one text (fewer strings for the writer to walk). */
const JOIN_BYTES = 64 * 1024;

/** @param {number} capacity bytes for records (a multiple of 8) */
export function createRing(capacity) {
  return new SharedArrayBuffer(HEADER + capacity);
}

const align8 = (n) => (n + 7) & ~7;

/** The ring's memory as either end sees it: its control slots, and its records as words and as bytes. */
class RingEnd {
  /** @param {SharedArrayBuffer} sab */
  constructor(sab) {
    this.ctl = new Int32Array(sab, 0, CONTROL);
    this.capacity = sab.byteLength - HEADER;
    this.u32 = new Uint32Array(sab, HEADER);
    this.bytes = Buffer.from(sab, HEADER);
  }
}

export class RingWriter extends RingEnd {
  /** @param {SharedArrayBuffer} sab */
  constructor(sab) {
    super(sab);
    this.head = 0;
    this.published = 0;
  }

  /** The meta JSON of a group's record. */
  meta(group, receivedMs) {
    return JSON.stringify({
      c: group.contracts,
      ...(group.rows ? { r: group.rows, a: group.receivedAt ?? [] } : {}),
      ...(receivedMs !== undefined ? { m: receivedMs } : {}),
    });
  }

  /**
   * Writes a group's record and wakes the reader: 'written'; 'full' when the ring has no room for it now (nothing
   * written); 'large' when it is over a quarter of the ring (such a group goes on the port, see mark()).
   * @param {import('./sqlite-queue-writer.mjs').WriteGroup} group @param {number} [receivedMs]
   * @returns {'written' | 'full' | 'large'}
   */
  write(group, receivedMs) {
    const meta = this.meta(group, receivedMs);
    const packs = group.packs;
    // An upper bound of the record's size: at most 3 bytes of UTF-8 per UTF-16 unit; counted exactly (a scan of the
    // text) only when that bound is over a quarter of the ring, as a group of 100-event requests can be.
    let need = 16 + 3 * meta.length;
    for (const p of packs) need += 8 + 4 * p.lengths.length + 3 * p.text.length;
    if (need > this.capacity >>> 2) {
      need = 16 + Buffer.byteLength(meta, 'utf8');
      for (const p of packs) need += 8 + 4 * p.lengths.length + Buffer.byteLength(p.text, 'utf8');
    }
    need = align8(need);
    if (need > this.capacity >>> 2) return 'large';
    const at = this.place(need);
    if (at < 0) return 'full';
    const u32 = this.u32;
    u32[(at >>> 2) + 1] = INLINE;
    u32[(at >>> 2) + 2] = packs.length;
    const sizes = (at >>> 2) + 4;
    let w = sizes + 2 * packs.length;
    for (let i = 0; i < packs.length; i++) {
      const lengths = packs[i].lengths;
      u32[sizes + 2 * i] = lengths.length;
      if (lengths instanceof Uint32Array) u32.set(lengths, w);
      else for (let k = 0; k < lengths.length; k++) u32[w + k] = lengths[k];
      w += lengths.length;
    }
    let b = w << 2;
    const metaBytes = this.bytes.write(meta, b, 'utf8');
    u32[(at >>> 2) + 3] = metaBytes;
    b += metaBytes;
    for (let i = 0; i < packs.length; i++) {
      const n = this.bytes.write(packs[i].text, b, 'utf8');
      u32[sizes + 2 * i + 1] = n;
      b += n;
    }
    const size = align8(b - at);
    u32[at >>> 2] = size;
    this.publish(at + size);
    return 'written';
  }

  /** Writes a record of `kind` alone (ON_PORT, STOP) and wakes the reader; false when the ring has no room now. */
  mark(kind) {
    const at = this.place(16);
    if (at < 0) return false;
    this.u32.fill(0, at >>> 2, (at >>> 2) + 4);
    this.u32[at >>> 2] = 16;
    this.u32[(at >>> 2) + 1] = kind;
    this.publish(at + 16);
    return true;
  }

  publish(head) {
    this.head = head;
    this.published = (this.published + 1) | 0;
    Atomics.store(this.ctl, PUBLISHED, this.published);
    // Wakes the reader if it waits (a futex wake, a few µs, once a group: a group is every request the event loop
    // read in one turn). Until 2026-12-07 the reader slept a millisecond at a time and looked again, unwoken, to save
    // this call; but at 1 event a request the 64 connections' requests then went round in step with those naps: each
    // turn's group waited half a millisecond on average for the reader to look, while the event loop, every request
    // in hand waiting for its commit, sat idle (30% of the time, measured with wrk). Woken at once, the hub answered
    // 12-16% more requests a second for the same CPU a request (docs/benchmarks.md, "Where the time goes").
    Atomics.notify(this.ctl, PUBLISHED);
  }

  /** Where a record of up to `need` bytes can start (writing the wrap marker if it goes back to 0), or -1. */
  place(need) {
    const outstanding = (this.published - Atomics.load(this.ctl, CONSUMED)) | 0;
    const tail = Atomics.load(this.ctl, TAIL);
    const head = this.head;
    if (outstanding === 0) {
      // Empty: the reader waits at `head` (== tail).
      // A record is at most a quarter of the ring (write()), so it always fits from 0.
      if (head + need <= this.capacity) return head;
      this.wrap();
      return 0;
    }
    if (head > tail) {
      if (head + need <= this.capacity) return head;
      if (need < tail) {
        this.wrap();
        return 0;
      }
      return -1;
    }
    // head < tail (or == with records outstanding: full): the free space is [head, tail), kept strictly short of it.
    return head + need < tail ? head : -1;
  }

  wrap() {
    if (this.head + 8 <= this.capacity) this.u32[this.head >>> 2] = 0;
    this.head = 0;
  }
}

export class RingReader extends RingEnd {
  /** @param {SharedArrayBuffer} sab */
  constructor(sab) {
    super(sab);
    this.tail = 0;
    this.consumed = 0;
  }

  /**
   * Blocks until there is at least one record: the writer wakes it with each one it publishes. Groups published while
   * it writes are taken, and written, together. Atomics.wait sleeps only while PUBLISHED still holds what it was
   * read as, so a record published between the look and the wait is not missed.
   */
  wait() {
    while (Atomics.load(this.ctl, PUBLISHED) === this.consumed) Atomics.wait(this.ctl, PUBLISHED, this.consumed);
  }

  /**
   * Every record written since the last call, decoded. Runs of ASCII bodies are views of the ring's memory, so their
   * space is given back only by release(), once they are written.
   * @returns {{ kind: number, group?: import('./sqlite-queue-writer.mjs').WriteGroup, receivedMs?: number }[]} (a pack's text a string or, for ASCII, a Buffer)
   */
  takeAll() {
    const out = [];
    const published = Atomics.load(this.ctl, PUBLISHED);
    while (this.consumed !== published) {
      out.push(this.decode());
      this.consumed = (this.consumed + 1) | 0;
    }
    return out;
  }

  /** Gives back the space of every record taken: their views must no longer be read. */
  release() {
    Atomics.store(this.ctl, TAIL, this.tail);
    Atomics.store(this.ctl, CONSUMED, this.consumed);
  }

  decode() {
    if (this.tail + 8 > this.capacity || this.u32[this.tail >>> 2] === 0) this.tail = 0;
    const at = this.tail;
    const u32 = this.u32;
    const w = at >>> 2;
    const size = u32[w];
    const kind = u32[w + 1];
    this.tail = at + size;
    if (kind !== INLINE) return { kind };
    const packCount = u32[w + 2];
    const metaBytes = u32[w + 3];
    const sizes = w + 4;
    let lw = sizes + 2 * packCount;
    let b = 0;
    for (let i = 0; i < packCount; i++) b += u32[sizes + 2 * i];
    b = (lw + b) << 2;
    const meta = JSON.parse(this.bytes.toString('utf8', b, b + metaBytes));
    b += metaBytes;
    // Runs of small packs decoded as one text with their lengths joined; a large pack on its own.
    const packs = [];
    for (let i = 0; i < packCount; ) {
      let end = i + 1;
      let bytes = u32[sizes + 2 * i + 1];
      let count = u32[sizes + 2 * i];
      while (end < packCount && bytes + u32[sizes + 2 * end + 1] <= JOIN_BYTES) {
        bytes += u32[sizes + 2 * end + 1];
        count += u32[sizes + 2 * end];
        end++;
      }
      const lengths = u32.slice(lw, lw + count);
      let chars = 0;
      for (let k = 0; k < count; k++) chars += lengths[k];
      // As many bytes as characters: all ASCII (nearly every run), so its bytes are its text, a byte a character,
      // and go to SQLite as they are (QueueWriter binds them as text) instead of being decoded here and encoded
      // again there. A view, not a copy. Measured (taking, writing and committing groups of ten 100-event requests,
      // six runs of each, µs of this thread an event): decoding 2.92-3.41, views 2.67-3.22, copies 3.39-4.19.
      packs.push({ text: chars === bytes ? this.bytes.subarray(b, b + bytes) : this.bytes.toString('utf8', b, b + bytes), lengths });
      b += bytes;
      lw += count;
      i = end;
    }
    const group = { contracts: meta.c, packs };
    if (meta.r) {
      group.rows = meta.r;
      group.receivedAt = meta.a;
    }
    return { kind, group, ...(meta.m !== undefined ? { receivedMs: meta.m } : {}) };
  }
}
