// The envelope id (`_id`) of each slot's current version in the live totals (puddles/live-totals.ts), read only to
// decide between versions changed at the same instant (LiveTotals #tie). Every _id Puddle makes is envelopeId's
// (core/envelope.ts): 32 lowercase hex digits, a 46-byte string object on the heap, here 16 bytes. An id of any
// other form (hand-written rows in tests; none comes from a landing) is kept as it is, by slot, beside them.
import { SlotColumn } from './slot-column.js';

const HEX_DIGITS = 32;
const BYTES = HEX_DIGITS / 2;
/**
 * Each character's value as a lowercase hex digit, -1 for the rest (uppercase too: read back it would come out
 * lowercase, another id). A table, not comparisons: random digits would defeat the branch predictor, and this
 * runs for every new version on the hub's main thread.
 */
const DIGIT = new Int8Array(256).fill(-1);
for (let d = 0; d < 16; d++) DIGIT['0123456789abcdef'.charCodeAt(d)] = d;

export class SlotIds {
  /** BYTES per slot: its id's hex digits, two a byte. */
  #bytes = new SlotColumn((n) => new Uint8Array(n), BYTES);
  /** Ids not of envelopeId's form, by slot: these slots' bytes are not read. */
  #other = new Map<number, string>();

  /** Room for the ids of slots below `slots`, made before a slot is taken, so that set does not allocate then. */
  reserve(slots: number): void {
    this.#bytes.reserve(slots);
  }

  get(slot: number): string {
    const other = this.#other.size > 0 ? this.#other.get(slot) : undefined;
    if (other !== undefined) return other;
    const chunk = this.#bytes.chunkOf(slot);
    return Buffer.from(chunk.buffer, chunk.byteOffset + this.#bytes.indexIn(slot), BYTES).toString('hex');
  }

  set(slot: number, id: string): void {
    this.reserve(slot + 1);
    if (this.#pack(slot, id)) {
      if (this.#other.size > 0) this.#other.delete(slot);
    } else {
      this.#other.set(slot, id);
    }
  }

  /** The id's digits into the slot's bytes; false (the bytes left meaningless) when it is not 32 lowercase hex digits. */
  #pack(slot: number, id: string): boolean {
    if (id.length !== HEX_DIGITS) return false;
    const bytes = this.#bytes.chunkOf(slot);
    for (let j = 0, at = this.#bytes.indexIn(slot); j < HEX_DIGITS; j += 2, at++) {
      // A code unit beyond the table (above 0xFF) reads undefined.
      const high = DIGIT[id.charCodeAt(j)] ?? -1;
      const low = DIGIT[id.charCodeAt(j + 1)] ?? -1;
      if ((high | low) < 0) return false;
      bytes[at] = (high << 4) | low;
    }
    return true;
  }
}
