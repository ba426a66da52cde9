import { describe, expect, it } from 'vitest';
import { seededRandom } from '../../core/scenario/random.js';
import { StringSlotMap } from '../../puddles/string-slot-map.js';

/** Adds the keys in order; each new one must take the next slot. */
function filled(keys: readonly string[]): StringSlotMap {
  const m = new StringSlotMap();
  keys.forEach((k, i) => expect(m.slotFor(k)).toBe(i));
  return m;
}

describe('StringSlotMap', () => {
  it('numbers keys from 0 as they first come, and gives a known key its slot again', () => {
    const m = new StringSlotMap();
    expect(m.slotFor('website:don_a')).toBe(0);
    expect(m.slotFor('website:don_b')).toBe(1);
    expect(m.slotFor('website:don_a')).toBe(0);
    expect(m.size).toBe(2);
    expect(m.get('website:don_b')).toBe(1);
    expect(m.get('website:don_c')).toBe(-1);
    // Looking up an absent key does not add it.
    expect(m.size).toBe(2);
  });

  it('keeps apart keys that are prefixes of one another, the empty key among them', () => {
    const keys = ['', 'd', 'do', 'don', 'don_', 'don_1', 'don_12', 'don_123', 'don_1234', 'on_123', 'don_123 ', ' don_123'];
    const m = filled(keys);
    keys.forEach((k, i) => expect(m.get(k)).toBe(i));
    for (const absent of ['don_12345', 'don_2', 'x', 'don_123\u0000', '\u0000']) expect(m.get(absent)).toBe(-1);
  });

  it('keeps apart non-ASCII keys, astral characters and lone surrogates (which UTF-8 would make one U+FFFD)', () => {
    const keys = [
      'é', 'e\u0301', 'Ã©', '\u00ff', '\u0100', 'ß', '中文', '中', '文中', '😀', '\ud83d', '\ude00', '\ude00\ud83d', '\ufffd', '\ud800', '\udfff',
      '\ud800\ud800', 'don_😀', 'don_\ud83d', '\u07ff', '\u0800', '\uffff', 'a\u0000b', 'a\u0000', 'sms:don_ñ1', 'sms:don_n1',
    ];
    const m = filled(keys);
    keys.forEach((k, i) => expect(m.get(k)).toBe(i));
    expect(m.get('😀😀')).toBe(-1);
    expect(m.get('\ud83d\ude01')).toBe(-1);
    // The same text made another way (not the same string object) is the same key.
    expect(m.get(['\ud83d', '\ude00'].join(''))).toBe(keys.indexOf('😀'));
  });

  it('keeps apart keys whose hashes are equal (all 32 bits), one a prefix of another too: it compares the bytes', () => {
    // Found by searching with the map's hash (FNV-1a, murmur3's finalizer): the first two both hash to -1129477772;
    // the last three to -2096417367 (`Gvsk41` takes FNV's state back to where it was).
    const keys = ['website:don_229599', 'website:don_432382', 'website:don_1Gvsk41', 'website:don_1', 'website:don_1Gvsk41Gvsk41'];
    for (const order of [keys, [...keys].reverse()]) {
      const m = filled(order);
      order.forEach((k, i) => expect(m.get(k)).toBe(i));
      expect(m.get('website:don_229598')).toBe(-1);
    }
    const m = filled(['website:don_1Gvsk41']);
    expect(m.get('website:don_1')).toBe(-1);
    expect(m.get('website:don_1Gvsk41Gvsk41')).toBe(-1);
  });

  it('keeps every slot through many growths of its table and chunks, for keys long and short', () => {
    const key = (i: number) => `${['website', 'sms', 'ivr', 'ünï'][i % 4]}:don_${i.toString(16).padStart(i % 29, '0')}`;
    const m = new StringSlotMap();
    const wrong: string[] = [];
    // 100,000 keys: the table grows from 1,024 buckets to 262,144, the keys' bytes take several chunks.
    for (let i = 0; i < 100_000; i++) {
      if (m.slotFor(key(i)) !== i) wrong.push(`added ${i}`);
      // Every earlier key still has its slot, as each growth goes on (keys move a few at a time) and after it.
      if (i % 97 === 0) for (let j = 0; j <= i; j += 89) if (m.get(key(j)) !== j) wrong.push(`${j} after ${i}`);
    }
    for (let i = 0; i < 100_000; i++) if (m.get(key(i)) !== i) wrong.push(`${i} at the end`);
    for (let i = 100_000; i < 101_000; i++) if (m.get(key(i)) !== -1) wrong.push(`absent ${i}`);
    expect(wrong.slice(0, 10)).toEqual([]);
    expect(m.size).toBe(100_000);
  });

  it('holds keys longer than a chunk (1 MiB) between ordinary ones', () => {
    const long = 'x'.repeat(1.5 * 2 ** 20);
    const wide = '€'.repeat(400_000); // 1.2 million bytes
    const keys = ['a', long, 'b', `${long}y`, wide, 'c', long.slice(1), `${wide}€`];
    const m = filled(keys);
    keys.forEach((k, i) => expect(m.get(k)).toBe(i));
    expect(m.get(long.slice(2))).toBe(-1);
  });

  it('answers as a Map<string, number> does over 200,000 random lookups and adds', () => {
    const rand = seededRandom(29);
    const alphabet = ['a', 'b', '0', '9', '_', ':', 'é', 'ß', '中', '😀', '\ud800', '\udc00', '\u0000', 'ÿ', 'Ā'];
    const prefixes = ['', 'website:don_', 'sms:don_', 'website:don_0'];
    const pool: string[] = [];
    const randomKey = () => {
      let k = prefixes[Math.floor(rand() * prefixes.length)]!;
      const n = Math.floor(rand() * 12);
      for (let i = 0; i < n; i++) k += alphabet[Math.floor(rand() * alphabet.length)]!;
      return k;
    };
    const m = new StringSlotMap();
    const want = new Map<string, number>();
    const wrong: string[] = [];
    for (let op = 0; op < 200_000; op++) {
      // Known keys again (half the time), the last one cut short, new keys.
      const r = rand();
      const key = pool.length > 0 && r < 0.5 ? pool[Math.floor(rand() * pool.length)]! : r < 0.6 && pool.length > 0 ? pool[pool.length - 1]!.slice(0, -1) : randomKey();
      if (rand() < 0.3) {
        if (m.get(key) !== (want.get(key) ?? -1)) wrong.push(`get ${JSON.stringify(key)} at ${op}`);
      } else {
        if (!want.has(key)) {
          want.set(key, want.size);
          pool.push(key);
        }
        if (m.slotFor(key) !== want.get(key)) wrong.push(`slotFor ${JSON.stringify(key)} at ${op}`);
      }
    }
    for (const [k, slot] of want) if (m.get(k) !== slot) wrong.push(`${JSON.stringify(k)} at the end`);
    expect(wrong.slice(0, 10)).toEqual([]);
    expect(m.size).toBe(want.size);
    expect(want.size).toBeGreaterThan(50_000);
  });
});
