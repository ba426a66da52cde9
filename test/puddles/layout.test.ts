import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { setHash, utcDate } from '../../puddles/layout.js';

// File keys are a pure function of their rows' identities: a batch landed by an older release and redelivered
// to a newer one must get the same key, or it lands twice. These pin the two functions keys are made from.
describe('file key parts', () => {
  it("setHash is the SHA-256 of the identities in sort()'s order, whatever order they come in", () => {
    // Identities with ids, times, delivery ids, non-ASCII and astral characters (sort() compares UTF-16 code units).
    let s = 7;
    const rnd = () => (s = (Math.imul(s, 1_664_525) + 1_013_904_223) >>> 0) / 2 ** 32;
    const alphabet = ['a', 'B', '0', '|', '-', 'é', 'ü', '\uffff', '😀', '\ud800', 'Z', ' '];
    const parts = Array.from({ length: 3000 }, () => Array.from({ length: 1 + Math.floor(rnd() * 12) }, () => alphabet[Math.floor(rnd() * alphabet.length)]).join(''));
    parts.push('same', 'same', '');
    const expected = createHash('sha256').update([...parts].sort().join('\n')).digest('hex').slice(0, 32);
    expect(setHash(parts)).toBe(expected);
    expect(setHash([...parts].reverse())).toBe(expected);
    // The pinned key of a small set (what every release so far computed).
    expect(setHash(['b|2026-11-29T20:15:00.000Z|d1', 'a|2026-11-29T20:15:00.000Z|d1'])).toBe(
      createHash('sha256').update('a|2026-11-29T20:15:00.000Z|d1\nb|2026-11-29T20:15:00.000Z|d1').digest('hex').slice(0, 32),
    );
  });

  it('utcDate is the UTC day of any time Date reads, and null otherwise', () => {
    const cases: [unknown, string | null][] = [
      ['2026-11-29T23:59:59.999Z', '2026-11-29'],
      ['2026-11-29T23:30:00-01:00', '2026-11-30'],
      ['2026-11-29T00:15:00+01:00', '2026-11-28'],
      ['2026-02-30T10:00:00.000Z', '2026-03-02'], // Date.parse rolls it over; validation refuses it before landing
      ['2026-11-29', '2026-11-29'],
      ['not a time', null],
      [17, null],
      ['+010000-01-01T00:00:00.000Z', null],
    ];
    for (const [v, day] of cases) expect(utcDate(v), String(v)).toBe(day);
  });
});
