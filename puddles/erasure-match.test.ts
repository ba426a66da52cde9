import { DuckDBInstance } from '@duckdb/node-api';
import { describe, expect, it } from 'vitest';

import { ConfigError } from '../core/errors.js';
import { emailSha256 } from '../core/pii.js';
import { ERASED_TEXT, erasureNeedles, holdsNeedle, longerIdsSql, maskNeedle, newErasureSalt, phonePattern, scrubSql, scrubText, type ErasureNeedle } from './erasure-match.js';
import { sqlString } from './sql-text.js';

const needles = erasureNeedles({ supporterIds: ['sup_1'], emails: ['Jo@Example.org'], texts: ['Jo "Q" Quxworthy'] });
const token = needles.find((n) => n.kind === 'id')!.replacement;

const CASES: [string, string][] = [
  ['sup_1', token],
  ['sup_10', 'sup_10'],
  ['xsup_1', 'xsup_1'],
  ['sup_1,sup_1', `${token},${token}`],
  ['salesforce:sup_1-v2', `salesforce:${token}-v2`],
  [`{"supporter_id":"sup_1","email_sha256":"${emailSha256('jo@example.org')}"}`, `{"supporter_id":"${token}","email_sha256":"${needles[1]!.replacement}"}`],
  ['paid by JO "q" QUXWORTHY today', `paid by ${ERASED_TEXT} today`],
  ['{"cta":"Jo \\"Q\\" Quxworthy"}', `{"cta":"${ERASED_TEXT}"}`],
  ['mail jo@example.ORG now', `mail ${ERASED_TEXT} now`],
];

describe('erasure needles', () => {
  it('match whole ids exactly and text in any case, the same in JS and in DuckDB', async () => {
    const instance = await DuckDBInstance.create(':memory:');
    const conn = await instance.connect();
    try {
      for (const [text, want] of CASES) {
        expect(scrubText(text, needles), text).toBe(want);
        expect(holdsNeedle(text, needles), text).toBe(want !== text);
        const sql = `SELECT ${scrubSql('v', needles)} FROM (SELECT ${sqlString(text)} AS v)`;
        expect((await conn.runAndReadAll(sql)).getRowsJS()[0]![0], text).toBe(want);
      }
    } finally {
      conn.closeSync();
      instance.closeSync();
    }
  });

  it('give each id a token of its own, never derived from the id', () => {
    const again = erasureNeedles({ supporterIds: ['sup_1'], emails: [], texts: [] });
    expect(again[0]!.replacement).toMatch(/^erased-[0-9a-f]{16}$/);
    expect(again[0]!.replacement).not.toBe(token);
  });
});

describe('a request erasureNeedles refuses (for every caller, not only the command)', () => {
  const req = (r: Partial<Parameters<typeof erasureNeedles>[0]>) => ({ supporterIds: [], emails: [], texts: [], ...r });
  const refusal = (r: Partial<Parameters<typeof erasureNeedles>[0]>) => {
    try {
      erasureNeedles(req(r));
      return null;
    } catch (err) {
      expect(err).toBeInstanceOf(ConfigError);
      return (err as Error).message;
    }
  };

  it('short ids, short digits, short text, digits-only text and no one at all, naming the option and never the value', () => {
    expect(refusal({ supporterIds: ['2026'] })).toMatch(/^--supporter-id: each id must be at least 5 characters/);
    expect(refusal({ supporterIds: ['1234567'] })).toMatch(/^--supporter-id: .*digits alone at least 8/);
    expect(refusal({ supporterIds: ['12345678'] })).toBeNull();
    expect(refusal({ texts: ['Jo'] })).toMatch(/^--text: each value must be at least 3 characters/);
    // A year typed as text would erase every date and reference holding it.
    expect(refusal({ texts: ['2026'] })).toMatch(/^--text: a value without a letter must hold at least 8 digits/);
    expect(refusal({ texts: ['07700 900123'] })).toBeNull();
    expect(refusal({ emails: ['not-an-address'] })).toBe('--email takes an email address (one of those given is not one)');
    expect(refusal({})).toMatch(/^name the person/);
    for (const m of [refusal({ supporterIds: ['2026'] }), refusal({ texts: ['2026'] }), refusal({ emails: ['not-an-address'] })]) expect(m).not.toMatch(/2026|not-an-address/);
  });

  it("a --text that is one of the lake's own values (a currency, a status, a contract) unless forced; a field name always", () => {
    for (const word of ['GBP', 'eur', 'online', 'donation', 'Stripe', 'succeeded']) {
      expect(refusal({ texts: ['Quxworthy', word] }), word).toMatch(/^--text: a value is one the lake holds in whole columns/);
      expect(refusal({ texts: [word], forceText: true }), word).toBeNull();
    }
    // A raw envelope's JSON key: erasing it renames the field in every record.
    for (const word of ['currency', 'payload', 'amount_minor', 'supporter_id', 'null']) {
      expect(refusal({ texts: [word], forceText: true }), word).toMatch(/^--text: a value is the name of one of the lake's fields/);
    }
    // Names, even short ones, pass.
    for (const name of ['Lee', 'Quxworthy', 'Jo Quxworthy']) expect(refusal({ texts: [name] }), name).toBeNull();
  });
});

describe('a phone number given as --text', () => {
  it('is found however its digits are spaced, and a UK number in its other form too, the same in JS and in DuckDB', async () => {
    const uk = erasureNeedles({ supporterIds: [], emails: [], texts: ['07700 900123'] });
    const intl = erasureNeedles({ supporterIds: [], emails: [], texts: ['+44 7700 900123'] });
    const us = erasureNeedles({ supporterIds: [], emails: [], texts: ['+1 (415) 555-0100'] });
    const bracketed = erasureNeedles({ supporterIds: [], emails: [], texts: ['+44 (0) 7700 900123'] });
    const cases: [ErasureNeedle[], string, string][] = [
      [uk, 'GIFT 07700900123', `GIFT ${ERASED_TEXT}`],
      [uk, '{"phone":"07700-900-123"}', `{"phone":"${ERASED_TEXT}"}`],
      [uk, 'tel:+447700900123.', `tel:${ERASED_TEXT}.`],
      [uk, 'call 0044 7700 900 123 now', `call ${ERASED_TEXT} now`],
      [uk, 'ref 447700900123', `ref ${ERASED_TEXT}`],
      [intl, 'on 07700 900123 after 6', `on ${ERASED_TEXT} after 6`],
      [intl, '(07700) 900123', `(${ERASED_TEXT}`],
      [uk, 'mob +44 (0) 7700 900123.', `mob ${ERASED_TEXT}.`],
      [bracketed, 'GIFT 07700900123 or +447700900123', `GIFT ${ERASED_TEXT} or ${ERASED_TEXT}`],
      [us, 'phone=14155550100&x', `phone=${ERASED_TEXT}&x`],
      [us, '415.555.0100', '415.555.0100'],
      // A letter glued to it (an extension, a label) ends it: until 2026-12-06 such a number was not found.
      [uk, 'mob 07700900123x12', `mob ${ERASED_TEXT}x12`],
      [uk, 'tel07700900123', `tel${ERASED_TEXT}`],
      [intl, 'ring+447700900123ext4', `ring${ERASED_TEXT}ext4`],
      // Not a longer number holding it, nor another number.
      [uk, '107700900123 077009001234 07700900124', '107700900123 077009001234 07700900124'],
      [uk, 'amount 7700900123', 'amount 7700900123'],
    ];
    const instance = await DuckDBInstance.create(':memory:');
    const conn = await instance.connect();
    try {
      for (const [ns, text, want] of cases) {
        expect(scrubText(text, ns), text).toBe(want);
        const sql = `SELECT ${scrubSql('v', ns)} FROM (SELECT ${sqlString(text)} AS v)`;
        expect((await conn.runAndReadAll(sql)).getRowsJS()[0]![0], text).toBe(want);
      }
    } finally {
      conn.closeSync();
      instance.closeSync();
    }
    expect(phonePattern('Quxworthy')).toBeNull();
    expect(phonePattern('12 Acacia Avenue')).toBeNull();
    expect(uk).toHaveLength(1);
    expect(uk[0]!.label).toBe('--text 1');
  });
});

describe('tokens under a salt', () => {
  it('are the same for the same salt (a run again after a crash), and differ under another', () => {
    const salt = newErasureSalt();
    const one = erasureNeedles({ supporterIds: ['sup_1', '0035g00000JoQxA'], emails: ['Jo@Example.org'], texts: [] }, salt);
    const two = erasureNeedles({ supporterIds: ['sup_1', '0035g00000JoQxA'], emails: ['Jo@Example.org'], texts: [] }, salt);
    expect(two.map((n) => n.replacement)).toEqual(one.map((n) => n.replacement));
    // Each id its own token.
    expect(new Set(one.filter((n) => n.kind === 'id').map((n) => n.replacement)).size).toBe(3);
    const other = erasureNeedles({ supporterIds: ['sup_1'], emails: [], texts: [] }, newErasureSalt());
    expect(other[0]!.replacement).not.toBe(one[0]!.replacement);
  });
});

describe('longer ids a value is found inside', () => {
  it('are the ids joined to it by a hyphen, colon or dot, found in DuckDB and shown with the value masked', async () => {
    const [n] = erasureNeedles({ supporterIds: ['sup-1'], emails: [], texts: [] });
    expect(n!.label).toBe('--supporter-id 1');
    const instance = await DuckDBInstance.create(':memory:');
    const conn = await instance.connect();
    try {
      const text = 'GIFT sup-1, sup-1-2 d-sup-1 xsup-1 sup-10 salesforce:sup-1. ok';
      const [[found]] = (await conn.runAndReadAll(`SELECT ${longerIdsSql('v', n!)} FROM (SELECT ${sqlString(text)} AS v)`)).getRowsJS() as [[string[]]];
      expect(found).toEqual(['sup-1', 'sup-1-2', 'd-sup-1', 'salesforce:sup-1']);
      expect(found.map((id) => maskNeedle(id, n!))).toEqual(['*', '*-2', 'd-*', 'salesforce:*']);
    } finally {
      conn.closeSync();
      instance.closeSync();
    }
  });
});
