import { describe, expect, it } from 'vitest';
import { canonicalJson, envelopeId, envelopeText, EnvelopeTextWriter, makeEnvelope, parseEnvelopeWithoutRaw, splitEnvelopeTexts, type Envelope } from './envelope.js';

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

describe('an envelope without its key', () => {
  it('is refused, naming the field, rather than keyed "undefined" (a webhook that spelt its provider_event_id otherwise)', () => {
    const init = { contract: 'provider_event', version: 1, source: 'givepage', stream: 'webhook', delivery_id: 'd1', received_at: '2026-12-07T00:00:00.000Z' };
    expect(() => makeEnvelope({ ...init, payload: { event_id: 'evt_1', type: 'donation.created' } })).toThrow('an envelope of provider_event has no provider_event_id, its key');
    expect(makeEnvelope({ ...init, payload: { provider_event_id: 'evt_1', type: 'donation.created' } }).key).toBe('evt_1');
    expect(() => makeEnvelope({ ...init, contract: 'donation', payload: { ...PAYLOAD, donation_id: null } })).toThrow('has no donation_id');
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

describe('an envelope made with its queued text', () => {
  const AWKWARD = ['plain', '', 'quote " inside', 'back\\slash', 'tab\tnew\nline\r', '\u0000\u001f\u007f', '\u2028\u2029', 'é ü £ €', '😀 pair', 'lone \ud83d high', 'lone \ude00 low', '\ude00\ud83d reversed', ',"raw":'];

  function made(init: Parameters<EnvelopeTextWriter['add']>[0]): { envelope: Envelope; text: string } {
    const writer = new EnvelopeTextWriter();
    const envelope = writer.add(init);
    return { envelope, text: writer.finish().text };
  }

  function check(init: Parameters<EnvelopeTextWriter['add']>[0]) {
    const { envelope, text } = made(init);
    expect(envelope).toEqual(makeEnvelope(init));
    const stringified = JSON.stringify(envelope);
    // The same JSON value, and the keys in JSON.stringify's order (one envelope shape; raw last).
    expect(JSON.parse(text)).toEqual(JSON.parse(stringified));
    expect(Object.keys(JSON.parse(text) as object)).toEqual(Object.keys(JSON.parse(stringified) as object));
    // Everything but the payload is written exactly as JSON.stringify writes it; the payload is its canonical JSON.
    const payloadAt = stringified.indexOf(',"payload":');
    expect(text.slice(0, payloadAt)).toBe(stringified.slice(0, payloadAt));
    expect(text).toBe(`${stringified.slice(0, payloadAt)},"payload":${canonicalJson(envelope.payload)},"raw":${JSON.stringify(envelope.raw)}}`);
    expect(parseEnvelopeWithoutRaw(text)).toEqual({ ...JSON.parse(stringified), raw: null });
    return text;
  }

  it('writes every field as JSON.stringify does, awkward strings included, with the id makeEnvelope gives', () => {
    for (const s of AWKWARD) {
      const init = {
        contract: `donation${s}`,
        version: 1,
        source: `producer${s}`,
        stream: s,
        payload: { [`donation${s}_id`]: `d${s}`, campaign: s, [`k${s}`]: s, amount_minor: 5, ok: true, none: null, updated_at: `t${s}` },
        raw: { s, [s]: [s, 1.5, null, { n: { s } }], nested: { raw: s } },
        received_at: `2026-11-29T20:00:00.000Z${s}`,
        delivery_id: `req${s}`,
      };
      check(init);
      check({ ...init, stream: null, raw: undefined });
      check({ ...init, raw: [s, { z: 1, a: 2 }], payload: { [`donation${s}_id`]: s, occurred_at: s } });
    }
  });

  it('keeps the ids of earlier releases', () => {
    const { envelope, text } = made({ contract: 'donation', version: 1, source: 'producer', payload: PAYLOAD, delivery_id: 'r1', received_at: '2026-11-29T20:00:00.000Z' });
    expect(envelope.id).toBe('35b5efc9fd84f650a2e6a6113cf365c0');
    expect(text).toContain('"id":"35b5efc9fd84f650a2e6a6113cf365c0"');
  });

  it('writes many envelopes into one text, each the same as written alone', () => {
    const writer = new EnvelopeTextWriter();
    const inits = AWKWARD.map((s, i) => ({ contract: 'donation', version: 1, source: 'producer', stream: i % 2 ? null : s, payload: { donation_id: `d${i}${s}`, note: s }, raw: { s }, delivery_id: `r${s}` }));
    const envelopes = inits.map((init) => writer.add(init));
    const texts = writer.finish();
    expect(texts.lengths).toHaveLength(inits.length);
    expect(splitEnvelopeTexts(texts)).toEqual(envelopes.map((e) => envelopeText(e, canonicalJson(e.payload))));
    expect(splitEnvelopeTexts(texts).map((t) => JSON.parse(t) as unknown)).toEqual(envelopes.map((e) => JSON.parse(JSON.stringify(e)) as unknown));
    expect(() => splitEnvelopeTexts({ text: texts.text.slice(1), lengths: texts.lengths })).toThrow(/characters listed/);
  });

  it('falls back to JSON.stringify for an envelope makeEnvelope would not make, still the same JSON value', () => {
    const e = makeEnvelope({ contract: 'donation', version: 1, source: 'x', payload: { donation_id: 'd' }, delivery_id: 'r' });
    const odd = [
      { ...e, raw: undefined },
      { ...e, raw: () => 1 },
      { ...e, delivery_id: undefined },
      { ...e, version: '1' },
      { ...e, stream: 3 },
      { ...e, occurred_at: new Date(0) },
    ] as unknown as Envelope[];
    for (const o of odd) {
      const text = envelopeText(o, canonicalJson(o.payload));
      expect(JSON.parse(text)).toEqual(JSON.parse(JSON.stringify(o)));
      expect(text).toBe(JSON.stringify(o));
    }
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
