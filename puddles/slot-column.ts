// Numbers per slot (0, 1, 2, ...) kept in chunks of typed arrays, 4,096 slots each, rather than in one typed array
// grown by copying: the live totals' per-donation state (puddles/live-totals.ts, string-slot-map.ts, slot-ids.ts),
// millions of slots on an appeal night. One grown array stands up to a third empty (half when doubled) and to grow
// is copied whole, stopping the hub's event loop while it is (hundreds of MB at millions of donations); chunks
// leave at most one chunk's room empty, and nothing is ever copied.

const CHUNK_BITS = 12;
const CHUNK_SLOTS = 2 ** CHUNK_BITS;
const IN_CHUNK = CHUNK_SLOTS - 1;

export type ColumnArray = Float64Array | Int32Array | Uint32Array | Uint8Array;

export class SlotColumn<T extends ColumnArray> {
  readonly #chunks: T[] = [];
  readonly #make: (length: number) => T;
  /** Elements a slot, one after another. */
  readonly width: number;

  /** `make` makes a chunk, `length` elements (zeroed). */
  constructor(make: (length: number) => T, width = 1) {
    this.#make = make;
    this.width = width;
  }

  /** Room for the slots below `slots`, chunks added as needed: the other methods touch only slots with room. */
  reserve(slots: number): void {
    while (this.#chunks.length * CHUNK_SLOTS < slots) this.#chunks.push(this.#make(CHUNK_SLOTS * this.width));
  }

  /** The slot's element (a column of width 1). */
  get(slot: number): number {
    return this.#chunks[slot >>> CHUNK_BITS]![slot & IN_CHUNK]!;
  }

  set(slot: number, value: number): void {
    this.#chunks[slot >>> CHUNK_BITS]![slot & IN_CHUNK] = value;
  }

  /** The chunk holding the slot's `width` elements, from indexIn(slot) on. */
  chunkOf(slot: number): T {
    return this.#chunks[slot >>> CHUNK_BITS]!;
  }

  indexIn(slot: number): number {
    return (slot & IN_CHUNK) * this.width;
  }
}
