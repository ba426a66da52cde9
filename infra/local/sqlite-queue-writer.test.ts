import { describe, expect, it } from 'vitest';

import { splitEnvelopeTexts } from '../../core/envelope.js';
import { joinSmallPacks, packBodies, type PackedBodies } from './sqlite-queue-writer.mjs';

const unpackAll = (packs: readonly PackedBodies[]) => packs.flatMap(splitEnvelopeTexts);

describe('joinSmallPacks', () => {
  it('joins runs of small packs into one, leaves a large one alone, and keeps every body in order', () => {
    const small = (n: number, tag: string) => packBodies(Array.from({ length: n }, (_, i) => `{"${tag}":${i}}`));
    const large = packBodies(['y'.repeat(70_000), 'z']);
    const packs = [small(1, 'a'), small(3, 'b'), large, small(2, 'c'), small(1, 'd')];
    const joined = joinSmallPacks(packs);
    expect(joined).toHaveLength(3);
    expect(joined[1]).toBe(large);
    expect(Array.from(joined[0]!.lengths)).toEqual([7, 7, 7, 7]);
    expect(unpackAll(joined)).toEqual(unpackAll(packs));
  });

  it('starts a new pack where the next would pass 64 K characters', () => {
    const half = packBodies(['h'.repeat(40_000)]);
    const joined = joinSmallPacks([half, half, half]);
    expect(joined.map((p) => p.lengths.length)).toEqual([1, 1, 1]);
    const quarter = packBodies(['q'.repeat(16_384)]);
    expect(joinSmallPacks([quarter, quarter, quarter, quarter, quarter]).map((p) => p.text.length)).toEqual([65_536, 16_384]);
  });
});
