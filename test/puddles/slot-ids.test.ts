import { describe, expect, it } from 'vitest';
import { envelopeId } from '../../core/envelope.js';
import { SlotIds } from '../../puddles/slot-ids.js';

describe('SlotIds', () => {
  it("gives back envelopeId's ids as they were set, past several growths", () => {
    const ids = new SlotIds();
    const id = (i: number) => envelopeId('donation', 1, `d${i}`, { donation_id: `d${i}`, n: i });
    for (let i = 0; i < 20_000; i++) ids.set(i, id(i));
    const wrong = Array.from({ length: 20_000 }, (_, i) => i).filter((i) => ids.get(i) !== id(i));
    expect(wrong).toEqual([]);
    expect(ids.get(7)).toMatch(/^[0-9a-f]{32}$/);
  });

  it('keeps ids of any other form as they are, and a slot may change between the two forms', () => {
    const hex = '0123456789abcdef0123456789abcdef';
    const others = [
      hex.toUpperCase(), `${hex.slice(0, 31)}A`, hex.slice(1), `${hex}0`, '', 'id-1-2', `${hex.slice(0, 31)}g`, `${hex.slice(0, 31)}\u0130`,
      `${hex.slice(0, 30)}😀`, `${hex.slice(0, 31)}\u0000`, '0x23456789abcdef0123456789abcdef',
    ];
    const ids = new SlotIds();
    others.forEach((id, slot) => ids.set(slot, id));
    others.forEach((id, slot) => expect(ids.get(slot)).toBe(id));
    // Each slot from the other form to envelopeId's and back.
    others.forEach((_, slot) => ids.set(slot, hex));
    others.forEach((_, slot) => expect(ids.get(slot)).toBe(hex));
    others.forEach((id, slot) => ids.set(slot, id));
    others.forEach((id, slot) => expect(ids.get(slot)).toBe(id));
  });

  it('sets a slot without touching its neighbours', () => {
    const ids = new SlotIds();
    const a = 'a'.repeat(32);
    const b = 'b'.repeat(32);
    for (let slot = 0; slot < 3; slot++) ids.set(slot, a);
    ids.set(1, b);
    ids.set(1, `${'c'.repeat(31)}X`); // not packed: the bytes of slot 1 may be half written, its neighbours not
    expect([ids.get(0), ids.get(1), ids.get(2)]).toEqual([a, `${'c'.repeat(31)}X`, a]);
  });
});
