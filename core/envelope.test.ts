import { describe, expect, it } from 'vitest';
import { canonicalJson, envelopeId, makeEnvelope, parseEnvelopeWithoutRaw, type Envelope } from './envelope.js';

const PAYLOAD = {
  donation_id: 'don_1',
  occurred_at: '2026-11-29T20:15:00.000Z',
  channel: 'sms',
  amount_minor: 500,
  currency: 'GBP',
  campaign: 'xmas',
  gift_aid: null,
};

/** The definition canonicalJson must keep matching: ids already landed depend on it. */
function reference(value: unknown): string {
  if (value === null || typeof value !== 'object') return JSON.stringify(value) ?? 'null';
  if (Array.isArray(value)) return `[${value.map(reference).join(',')}]`;
  const obj = value as Record<string, unknown>;
  const keys = Object.keys(obj)
    .filter((k) => obj[k] !== undefined)
    .sort();
  return `{${keys.map((k) => `${JSON.stringify(k)}:${reference(obj[k])}`).join(',')}}`;
}

describe('envelope id', () => {
  it('is the same for equal payloads whatever their key order', () => {
    const reversed = Object.fromEntries(Object.entries(PAYLOAD).reverse());
    const a = makeEnvelope({ contract: 'donation', version: 1, source: 'producer', payload: PAYLOAD, delivery_id: 'r1' });
    const b = makeEnvelope({ contract: 'donation', version: 1, source: 'webhook', payload: reversed, delivery_id: 'r2' });
    expect(b.id).toBe(a.id);
    expect(canonicalJson(reversed)).toBe(canonicalJson(PAYLOAD));
  });

  it('does not change between releases (a re-sent event must still de-duplicate)', () => {
    expect(envelopeId('donation', 1, 'don_1', PAYLOAD)).toBe('35b5efc9fd84f650a2e6a6113cf365c0');
  });

  it('differs when a value, the key, the contract or the version differs', () => {
    const id = envelopeId('donation', 1, 'don_1', PAYLOAD);
    expect(envelopeId('donation', 1, 'don_1', { ...PAYLOAD, amount_minor: 501 })).not.toBe(id);
    expect(envelopeId('donation', 1, 'don_2', PAYLOAD)).not.toBe(id);
    expect(envelopeId('payment', 1, 'don_1', PAYLOAD)).not.toBe(id);
    expect(envelopeId('donation', 2, 'don_1', PAYLOAD)).not.toBe(id);
  });

  it('writes exactly the reference canonical JSON for nested, odd and many-shaped values', () => {
    const values: unknown[] = [
      null,
      1.5,
      'a"b\u2028',
      [1, { b: 2, a: [3, { d: undefined, c: null }] }],
      { z: { y: { x: 1 } }, 'é': true, '': 0, a: undefined, n: Number.NaN, d: new Date(0) },
    ];
    // More shapes than the cache keeps, so eviction is exercised too.
    for (let i = 0; i < 200; i++) values.push({ [`k${i}`]: i, [`j${200 - i}`]: [i], b: { [`x${i % 7}`]: 'v' } });
    for (const v of values) expect(canonicalJson(v)).toBe(reference(v));
    for (const v of values) expect(canonicalJson(v)).toBe(reference(v));
  });
});

describe('canonical JSON of a string field', () => {
  it('escapes exactly what JSON.stringify escapes (the fast path quotes the rest directly)', () => {
    const strings = ['plain', '', 'quote " inside', 'back\\slash', 'tab\tnew\nline\r', '\u0000\u001f\u007f', '\u2028\u2029', 'é ü £ €', '😀 pair', 'lone \ud83d high', 'lone \ude00 low', '\ude00\ud83d reversed'];
    for (const s of strings) {
      expect(canonicalJson({ s })).toBe(`{"s":${JSON.stringify(s)}}`);
    }
    expect(canonicalJson({ s: 'lone \ud83d' })).toBe('{"s":"lone \\ud83d"}');
  });
});

describe('an envelope read back without raw', () => {
  const base = { contract: 'payment', version: 1, source: 'stripe', stream: 'charges', delivery_id: 'run-1', received_at: '2026-11-29T20:00:00.000Z' };
  const cases: Envelope[] = [
    makeEnvelope({ ...base, payload: { payment_id: 'ch_1', note: 'a ,"raw": inside a string' }, raw: { id: 'ch_1', nested: { raw: 1, x: ',"raw":' } } }),
    // A payload (quarantined, so never validated) with its own nested "raw" key before the top-level one.
    makeEnvelope({ ...base, contract: 'quarantine', payload: { quarantine_id: 'q', record: { a: 1, raw: { b: 2 } } }, raw: [1, 2] }),
    makeEnvelope({ ...base, payload: { payment_id: 'ch_2', raw: 'flat' }, raw: null }),
  ];

  it('is the envelope with raw null, or (when the payload holds the key itself) the whole envelope', () => {
    const [strings, nested, flat] = cases.map((e) => parseEnvelopeWithoutRaw(JSON.stringify(e)));
    expect(strings).toEqual({ ...cases[0]!, raw: null });
    expect(nested).toEqual(cases[1]); // the first ,"raw": was the payload's: parsed whole, never cut wrong
    expect(flat).toEqual({ ...cases[2]!, raw: null });
  });

  it('reads a text whose raw is not last, or that has none, whole', () => {
    const e = cases[0]!;
    const { raw, ...rest } = e;
    const rawFirst = JSON.stringify({ raw, ...rest });
    expect(parseEnvelopeWithoutRaw(rawFirst)).toEqual(e);
    expect(parseEnvelopeWithoutRaw(JSON.stringify(rest))).toEqual(rest);
    expect(() => parseEnvelopeWithoutRaw('{"id":')).toThrow(SyntaxError);
  });
});
