import { describe, expect, it } from 'vitest';
import { eventTexts, minorWrittenAsMajor } from './event-texts.js';

/** What eventTexts must give: texts that parse to the events JSON.parse finds, cut from the body as sent. */
function expectCuts(body: string): string[] {
  const texts = eventTexts(body);
  expect(texts).not.toBeNull();
  const events = (JSON.parse(body) as { events: unknown[] }).events;
  expect(texts!.map((t) => JSON.parse(t) as unknown)).toEqual(events);
  for (const t of texts!) expect(body.includes(t)).toBe(true);
  return texts!;
}

describe('eventTexts', () => {
  it('cuts each event of a compact body', () => {
    const events = [{ contract: 'donation', version: 1, payload: { a: 1 } }, { b: [1, 2, { c: null }] }, 'x', 12.5e3, true, null, []];
    expect(expectCuts(JSON.stringify({ events }))).toEqual(events.map((e) => JSON.stringify(e)));
  });

  it('keeps the text as sent: spacing, number spelling, escapes', () => {
    const one = '{ "payload" : { "amount_minor" : 500.0, "name": "caf\\u00e9 \\"x\\" \\\\" } ,\n\t"version":1 }';
    const two = '{"s":"]}[{,\\\\"}';
    const body = `\r\n {\n  "other": {"events": [1]},\n  "events" : [ ${one} ,\n${two}\n ] \n}`;
    expect(expectCuts(body)).toEqual([one, two]);
  });

  it('takes the last events key, as JSON.parse does', () => {
    expect(expectCuts('{"events":[{"a":1}],"x":"events","events":[{"b":2},{"c":3}]}')).toEqual(['{"b":2}', '{"c":3}']);
  });

  it('gives an empty list for an empty array', () => {
    expect(eventTexts('{"events":[ ]}')).toEqual([]);
  });

  it('gives null for bodies of another shape (the caller serialises instead)', () => {
    for (const body of ['[]', '{}', '{"events":{}}', '{"events":"x"}', '"events"', '{"ev\\u0065nts":[1]}', '{"events":[1', '{"events":[{"a":"b]']) {
      expect(eventTexts(body)).toBeNull();
    }
  });

  it('handles strings that end in backslashes and hold quotes and brackets', () => {
    const events = [{ a: 'x\\' }, { b: '\\"' }, { c: '\\\\"}]' }, { d: '"' }, { e: '😀\u2028\u0000' }];
    expectCuts(JSON.stringify({ events }));
  });
});

describe('minorWrittenAsMajor', () => {
  it('names the money members written with two zero decimals, and nothing else', () => {
    expect(minorWrittenAsMajor('{"payload":{"amount_minor":5.00,"fee_minor" : 12.00 ,"net_minor":500}}')).toEqual(['amount_minor', 'fee_minor']);
    expect(minorWrittenAsMajor('{"amount_minor":500.0,"b_minor":5.5,"c_minor":5e2,"d_minor":"5.00","pack":5.00}')).toEqual([]);
    // In a string the key's quote would be escaped: never a member.
    expect(minorWrittenAsMajor('{"cta":"amount_minor\\": 5.00","amount_minor":5}')).toEqual([]);
  });
});

