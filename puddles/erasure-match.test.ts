import { DuckDBInstance } from '@duckdb/node-api';
import { describe, expect, it } from 'vitest';

import { emailSha256 } from '../core/pii.js';
import { ERASED_TEXT, erasureNeedles, holdsNeedle, scrubSql, scrubText } from './erasure-match.js';
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
