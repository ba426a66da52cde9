import { describe, expect, it } from 'vitest';

import { splitEnvelopeTexts } from '../../core/envelope.js';
import { createRing, INLINE, ON_PORT, RingReader, RingWriter, STOP } from './sqlite-queue-ring.mjs';
import { packBodies, type TakenBodies, type WriteGroup } from './sqlite-queue-writer.mjs';

/** A group of `packs` publishes, each of `n` bodies of varied length and characters (multi-byte ones too). */
function group(tag: string, sizes: number[], extra?: Partial<WriteGroup>): WriteGroup {
  const packs = sizes.map((n, p) => packBodies(Array.from({ length: n }, (_, i) => `{"${tag}":${p},"i":${i},"s":"${'é€😀x'.repeat((p + i) % 5)}"}`)));
  return { contracts: packs.flatMap((p) => Array.from(p.lengths, () => `c.${tag}`)), packs, ...extra };
}

/** A group's bodies as strings, whether a pack came back as text or as the bytes of ASCII text. */
const bodies = (g: WriteGroup<TakenBodies>) =>
  g.packs.flatMap((p) => splitEnvelopeTexts({ text: typeof p.text === 'string' ? p.text : p.text.toString('latin1'), lengths: Uint32Array.from(p.lengths) }));

describe('the writer thread ring', () => {
  it('gives back each group as written: its bodies, contracts, rows, received times and mark', () => {
    const sab = createRing(64 * 1024);
    const writer = new RingWriter(sab);
    const reader = new RingReader(sab);
    const a = group('a', [1, 3, 2]);
    const b = group('b', [4], { rows: [4], receivedAt: ['2026-12-04T16:00:00.000Z'] });
    expect(writer.write(a, 1_764_864_000_123)).toBe('written');
    expect(writer.write(b)).toBe('written');
    expect(writer.mark(STOP)).toBe(true);
    const [ra, rb, stop] = reader.takeAll();
    expect(ra!.kind).toBe(INLINE);
    expect(ra!.receivedMs).toBe(1_764_864_000_123);
    expect(ra!.group!.contracts).toEqual(a.contracts);
    expect(ra!.group!.rows).toBeUndefined();
    // Small packs come back joined into one text: the same bodies in the same order.
    expect(ra!.group!.packs).toHaveLength(1);
    expect(bodies(ra!.group!)).toEqual(bodies(a));
    expect(rb!.receivedMs).toBeUndefined();
    expect(rb!.group!.rows).toEqual([4]);
    expect(rb!.group!.receivedAt).toEqual(['2026-12-04T16:00:00.000Z']);
    expect(bodies(rb!.group!)).toEqual(bodies(b));
    expect(stop!.kind).toBe(STOP);
    expect(reader.takeAll()).toEqual([]);
  });

  it('keeps a pack over 64 KB of text on its own', () => {
    const sab = createRing(1024 * 1024);
    const writer = new RingWriter(sab);
    const reader = new RingReader(sab);
    const big = packBodies(['y'.repeat(70_000), 'z']);
    const g: WriteGroup = { contracts: ['c', 'c', 'c', 'c'], packs: [packBodies(['a']), big, packBodies(['b', 'c'])] };
    expect(writer.write(g)).toBe('written');
    const [r] = reader.takeAll();
    expect(r!.group!.packs.map((p) => p.lengths.length)).toEqual([1, 2, 2]);
    expect(bodies(r!.group!)).toEqual(bodies(g));
  });

  it('wraps round, says full until the reader takes what is there, and never hands back a record twice or torn', () => {
    const sab = createRing(8192);
    const writer = new RingWriter(sab);
    const reader = new RingReader(sab);
    const sent: WriteGroup[] = [];
    const got: { contracts: string[]; bodies: string[] }[] = [];
    // What the writer thread does: take, read the bodies (views of the ring), then give the space back.
    const take = () => {
      got.push(...reader.takeAll().map((x) => ({ contracts: x.group!.contracts, bodies: bodies(x.group!) })));
      reader.release();
    };
    let fulls = 0;
    for (let i = 0; i < 400; i++) {
      const g = group(`g${i}`, [1 + (i % 4), (i * 7) % 3]);
      let r = writer.write(g);
      if (r === 'full') {
        fulls++;
        take();
        r = writer.write(g); // an empty ring always has room for a record of at most a quarter of it
      }
      expect(r).toBe('written');
      sent.push(g);
      // The reader takes now and then, so that records start and end all round the ring.
      if (i % 50 === 49) take();
    }
    take();
    expect(fulls).toBeGreaterThan(3);
    expect(got.map((g) => g.contracts)).toEqual(sent.map((g) => g.contracts));
    expect(got.map((g) => g.bodies)).toEqual(sent.map(bodies));
  });

  it('refuses a group over a quarter of the ring (it goes on the port), counting its bytes, and writes its marker in order', () => {
    const sab = createRing(4096);
    const writer = new RingWriter(sab);
    const reader = new RingReader(sab);
    // 400 é: 800 bytes, under a quarter, though three bytes a character would be over.
    const fits = { contracts: ['c'], packs: [packBodies(['é'.repeat(400)])] };
    expect(writer.write(fits)).toBe('written');
    expect(writer.write({ contracts: ['c'], packs: [packBodies(['é'.repeat(520)])] })).toBe('large');
    expect(writer.write(group('small', [1]))).toBe('written');
    expect(writer.mark(ON_PORT)).toBe(true);
    const got = reader.takeAll();
    expect(got.map((r) => r.kind)).toEqual([INLINE, INLINE, ON_PORT]);
    expect(bodies(got[0]!.group!)).toEqual(bodies(fits));
  });

  it('hands back a run of ASCII bodies as its bytes, a byte a character, and any other run as text', () => {
    const sab = createRing(1024 * 1024);
    const writer = new RingWriter(sab);
    const reader = new RingReader(sab);
    const ascii = packBodies(['{"a":1}', '{"b":"two"}']);
    const big = packBodies(['{"c":"' + 'x'.repeat(70_000) + '"}']);
    const accented = packBodies(['{"name":"Zoë"}']);
    expect(writer.write({ contracts: ['c', 'c', 'c'], packs: [ascii, big] })).toBe('written');
    expect(writer.write({ contracts: ['c', 'c'], packs: [packBodies(['{"a":1}']), accented] })).toBe('written');
    const [r1, r2] = reader.takeAll();
    const [p1, p2] = r1!.group!.packs;
    expect(Buffer.isBuffer(p1!.text) && Buffer.isBuffer(p2!.text)).toBe(true);
    expect(p1!.text.toString()).toBe(ascii.text);
    expect(p2!.text.length).toBe(big.text.length);
    // A run holding one multi-byte character is decoded whole: its lengths count characters, not bytes.
    expect(r2!.group!.packs).toHaveLength(1);
    expect(r2!.group!.packs[0]!.text).toBe('{"a":1}{"name":"Zoë"}');
    // They are views of the ring: its space is not given back until release(), so a writer filling it leaves them whole.
    let n = 0;
    while (writer.write(group(`f${n}`, [3])) === 'written') n++;
    expect(n).toBeGreaterThan(100);
    expect(p1!.text.toString()).toBe(ascii.text);
    expect(p2!.text.toString()).toBe(big.text);
    reader.takeAll();
    expect(writer.write(group(`f${n}`, [3]))).toBe('full');
    reader.release();
    expect(writer.write(group(`f${n}`, [3]))).toBe('written');
  });
});
