import { describe, expect, it } from 'vitest';
import { SlotColumn } from '../../puddles/slot-column.js';

describe('SlotColumn', () => {
  it('keeps each slot its value across chunks (4,096 slots each), new room zeroed', () => {
    const column = new SlotColumn((n) => new Float64Array(n));
    column.reserve(10_000);
    expect(column.get(9_999)).toBe(0);
    for (let slot = 0; slot < 10_000; slot++) column.set(slot, slot * 1.5 - 7);
    column.reserve(20_000); // more chunks: the values already set stay
    const wrong = Array.from({ length: 10_000 }, (_, slot) => slot).filter((slot) => column.get(slot) !== slot * 1.5 - 7);
    expect(wrong).toEqual([]);
    expect(column.get(19_999)).toBe(0);
  });

  it('reads no slot it has no room for', () => {
    const column = new SlotColumn((n) => new Int32Array(n));
    column.reserve(1);
    expect(() => column.get(4_096)).toThrow(TypeError);
  });

  it('gives a slot of a wider column its own elements of its chunk', () => {
    const column = new SlotColumn((n) => new Uint8Array(n), 16);
    column.reserve(4_097);
    expect(column.chunkOf(4_095)).not.toBe(column.chunkOf(4_096));
    expect(column.chunkOf(4_095)).toHaveLength(4_096 * 16);
    expect([column.indexIn(0), column.indexIn(1), column.indexIn(4_095), column.indexIn(4_096)]).toEqual([0, 16, 4_095 * 16, 0]);
  });
});
