// Strings to slot numbers (0, 1, 2, ... in the order the strings were first added) held in typed arrays: the live
// totals' donation keys (puddles/live-totals.ts), millions of them on an appeal night. A Map<string, number> took
// 42 bytes an entry and the key a string object, 16 bytes besides its characters (docs/benchmarks.md, soak); here a key
// takes its characters' bytes and one more, 4 bytes for where they start, and 5 to 11 bytes of hash table (up to 5
// more while the table grows). Every lookup compares the key's bytes in full: two donations whose keys hash alike
// are never taken for one, which would put a wrong figure on the TV total.
import { SlotColumn } from './slot-column.js';

/** The hash table grows to twice its length when it is more than this full (linear probing stays short). */
const MAX_LOAD = 0.75;
const FIRST_TABLE = 1024;
/**
 * Buckets of the table before moved into the grown one at each key added (see #grow). Two would do: the old table
 * (n buckets) is empty after n / 4 keys added, long before the new one (2n) is full again, after 3n / 4.
 */
const MOVED_PER_ADD = 4;
/**
 * The keys' bytes are kept in chunks of up to 1 MiB (the first ones smaller, a longer key alone in its own), so
 * they are never copied to grow and at most a chunk stands empty, where one growing array is up to a third empty.
 */
const CHUNK_BITS = 20;
const CHUNK = 2 ** CHUNK_BITS;
const FIRST_CHUNK = 16 * 1024;
/** Where a key starts is a Uint32: (its chunk << CHUNK_BITS) + where in the chunk. */
const MAX_CHUNKS = 2 ** (32 - CHUNK_BITS);
/** Ends each key's bytes: never one of a key's own (see #encode), so a key never reads as the start of a longer one. */
const END = 0xff;

export class StringSlotMap {
  /**
   * Open addressing with linear probing, a power of two long. 0 is an empty bucket; otherwise the bits below the
   * table's length (#mask) hold the key's slot + 1 and the bits above them the same bits of the key's hash, so
   * probing passes over other keys' buckets without reading their bytes nearly every time. At most three-quarters
   * full, so slot + 1 always fits below the length.
   */
  #table = new Int32Array(FIRST_TABLE);
  #mask = FIRST_TABLE - 1;
  /** While the table grows (#grow): the one before, keys from #moved on not yet in #table. */
  #old: Int32Array | null = null;
  #oldMask = 0;
  #moved = 0;
  /** The keys' bytes (see #encode), each followed by END, one after another in slot order. */
  #chunks = [new Uint8Array(FIRST_CHUNK)];
  /** Bytes used in the last chunk. */
  #used = 0;
  /** Where each slot's key starts in #chunks (see CHUNK_BITS). */
  #starts = new SlotColumn((n) => new Uint32Array(n));
  #size = 0;
  /** The key being looked up, encoded (#keyLength bytes), and its hash. */
  #key = new Uint8Array(256);
  #keyLength = 0;
  #hash = 0;

  get size(): number {
    return this.#size;
  }

  /** The key's slot, or -1 when it has none. */
  get(key: string): number {
    const found = this.#find(key);
    return found >= 0 ? found : -1;
  }

  /** The key's slot, the key added when it has none: its slot is then the size before. */
  slotFor(key: string): number {
    const found = this.#find(key);
    return found >= 0 ? found : this.#add(-1 - found);
  }

  /** The key's slot, or -1 - the empty bucket of #table where it goes. Leaves the key in #key, its hash in #hash. */
  #find(key: string): number {
    this.#encode(key);
    const found = this.#probe(this.#table, this.#mask);
    if (found >= 0 || this.#old === null) return found;
    const old = this.#probe(this.#old, this.#oldMask);
    return old >= 0 ? old : found;
  }

  /** The slot of the key in #key as `table` has it, or -1 - the empty bucket where it would go. */
  #probe(table: Int32Array, mask: number): number {
    const tag = this.#hash & ~mask;
    for (let i = this.#hash & mask; ; i = (i + 1) & mask) {
      const entry = table[i]!;
      if (entry === 0) return -1 - i;
      if ((entry & ~mask) === tag && this.#holds((entry & mask) - 1)) return (entry & mask) - 1;
    }
  }

  /** Whether the slot's key is the one in #key. */
  #holds(slot: number): boolean {
    const at = this.#starts.get(slot);
    const chunk = this.#chunks[at >>> CHUNK_BITS]!;
    const start = at & (CHUNK - 1);
    const key = this.#key;
    const n = this.#keyLength;
    for (let j = 0; j < n; j++) if (chunk[start + j] !== key[j]) return false;
    return chunk[start + n] === END;
  }

  /** The key in #key as the next slot, in the empty bucket of #table found for it. */
  #add(bucket: number): number {
    const slot = this.#size;
    const n = this.#keyLength;
    // What may fail to allocate, before anything changes.
    this.#starts.reserve(slot + 1);
    let last = this.#chunks.length - 1;
    if (this.#used + n + 1 > this.#chunks[last]!.length) {
      if (last + 1 === MAX_CHUNKS) throw new RangeError(`no room for more keys (${MAX_CHUNKS} chunks of them)`);
      this.#chunks.push(new Uint8Array(Math.max(n + 1, Math.min(CHUNK, this.#chunks[last]!.length * 2))));
      this.#used = 0;
      last++;
    }
    const chunk = this.#chunks[last]!;
    chunk.set(this.#key.subarray(0, n), this.#used);
    chunk[this.#used + n] = END;
    this.#starts.set(slot, last * CHUNK + this.#used);
    this.#used += n + 1;
    this.#table[bucket] = (this.#hash & ~this.#mask) | (slot + 1);
    this.#size = slot + 1;
    if (this.#old !== null) this.#moveSome(MOVED_PER_ADD);
    if (this.#size > this.#table.length * MAX_LOAD) this.#grow();
    return slot;
  }

  /**
   * A table twice as long. The keys move into it a few at each key added, not all at once: each one's hash is made
   * again from its bytes, and at millions of keys moving them all took seconds, the hub's event loop stopped
   * meanwhile (a Map's growth stops it too, for about as long). Until then lookups read both tables.
   */
  #grow(): void {
    if (this.#old !== null) this.#moveSome(this.#old.length);
    this.#old = this.#table;
    this.#oldMask = this.#mask;
    this.#moved = 0;
    this.#table = new Int32Array(this.#old.length * 2);
    this.#mask = this.#table.length - 1;
  }

  /** Up to `buckets` more buckets of #old moved into #table; #old dropped once all are. */
  #moveSome(buckets: number): void {
    const old = this.#old!;
    const end = Math.min(old.length, this.#moved + buckets);
    const table = this.#table;
    const mask = this.#mask;
    for (let b = this.#moved; b < end; b++) {
      if (old[b] === 0) continue;
      const slot = (old[b]! & this.#oldMask) - 1;
      const hash = this.#hashOf(slot);
      let i = hash & mask;
      while (table[i] !== 0) i = (i + 1) & mask;
      table[i] = (hash & ~mask) | (slot + 1);
    }
    this.#moved = end;
    if (end === old.length) this.#old = null;
  }

  /** The hash of the slot's key, from its bytes, as #encode made it. */
  #hashOf(slot: number): number {
    const at = this.#starts.get(slot);
    const chunk = this.#chunks[at >>> CHUNK_BITS]!;
    const start = at & (CHUNK - 1);
    return hashBytes(chunk, start, chunk.indexOf(END, start));
  }

  /**
   * The key's bytes into #key, and their hash into #hash: each UTF-16 code unit as UTF-8 writes that code point,
   * 1 to 3 bytes, a surrogate on its own too (as CESU-8 does). An ASCII key is one byte a character, no two strings
   * have the same bytes, lone surrogates included (UTF-8 proper, TextEncoder's, turns those into U+FFFD: two keys
   * would be one), and no byte is above 0xEF (END).
   */
  #encode(key: string): void {
    if (this.#key.length < key.length * 3) this.#key = new Uint8Array(key.length * 3);
    const out = this.#key;
    // ASCII, nearly every key, hashed as it is copied: one pass.
    let h = FNV_BASIS;
    for (let i = 0; i < key.length; i++) {
      const c = key.charCodeAt(i);
      if (c >= 0x80) return this.#encodeWide(key);
      out[i] = c;
      h = Math.imul(h ^ c, FNV_PRIME);
    }
    this.#keyLength = key.length;
    this.#hash = mixed(h);
  }

  /** #encode for a key with a character beyond ASCII. */
  #encodeWide(key: string): void {
    const out = this.#key;
    let n = 0;
    for (let i = 0; i < key.length; i++) {
      const c = key.charCodeAt(i);
      if (c < 0x80) {
        out[n++] = c;
      } else if (c < 0x800) {
        out[n++] = 0xc0 | (c >> 6);
        out[n++] = 0x80 | (c & 0x3f);
      } else {
        out[n++] = 0xe0 | (c >> 12);
        out[n++] = 0x80 | ((c >> 6) & 0x3f);
        out[n++] = 0x80 | (c & 0x3f);
      }
    }
    this.#keyLength = n;
    this.#hash = hashBytes(out, 0, n);
  }
}

// The hash of a key's bytes: FNV-1a, then murmur3's finalizer, so that both the low bits (the bucket) and the high
// bits (the tag) vary.
const FNV_BASIS = 0x811c9dc5 | 0;
const FNV_PRIME = 0x01000193;

function hashBytes(bytes: Uint8Array, start: number, end: number): number {
  let h = FNV_BASIS;
  for (let i = start; i < end; i++) h = Math.imul(h ^ bytes[i]!, FNV_PRIME);
  return mixed(h);
}

function mixed(h: number): number {
  h = Math.imul(h ^ (h >>> 16), 0x85ebca6b);
  h = Math.imul(h ^ (h >>> 13), 0xc2b2ae35);
  return h ^ (h >>> 16);
}
