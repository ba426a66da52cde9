import { afterEach, describe, expect, it, vi } from 'vitest';

import { lakeTime, spanLines } from '../../connectors/bank/earlier-ids.js';
import { earlierIssues } from '../../connectors/bank/imported-before.js';
import type { QueryEngine, Row } from '../../core/ports.js';
import { jsonValue } from '../../infra/aws/athena-query-engine.js';
import { portableSqlErrors } from '../../puddles/portable-sql.js';

// What an import asks the lake before publishing (imported-before.ts earlierIssues, earlier-ids.ts spanLines) is
// asked of DuckDB on one machine and of Athena in the AWS shape's bank-import function: one SQL for both, and
// times read as the lake's UTC whichever engine answers.

/** An engine that records the SQL it is asked and answers with `rows`. */
function recording(rows: Row[] = []): QueryEngine & { sent: string[] } {
  const sent: string[] = [];
  return { sent, query: async (sql: string) => (sent.push(sql), rows), queryWithColumns: async () => ({ columns: [], types: [], rows: [] }), close: async () => undefined };
}

afterEach(() => {
  vi.unstubAllEnvs();
});

describe("the bank import's questions to the lake", () => {
  it('are in the SQL Athena (Trino) and DuckDB both run, quotes in ids and accounts escaped', async () => {
    const lake = recording();
    await earlierIssues(lake, ["GB33/csv/sha256:ab/1", "it's/1"]);
    await spanLines(lake, { accounts: ['GB33BUKB20201555555555', "o'brien"], from: '2026-11-01', to: '2026-11-30' });
    // A file that does not add up: the unbalanced statements of its accounts too, in the same query.
    await earlierIssues(lake, ['GB33/csv/sha256:ab/1'], ["o'brien"]);
    expect(lake.sent).toHaveLength(3);
    for (const sql of lake.sent) expect(portableSqlErrors(sql), sql).toEqual([]);
    expect(lake.sent[0]).toContain("'it''s/1'");
    expect(lake.sent[1]).toContain("'o''brien'");
    expect(lake.sent[2]).toContain("(bank_statement_id IN ('GB33/csv/sha256:ab/1') OR (balanced = false AND account IN ('o''brien')))");
  });

  it("read Athena's times as UTC on a machine in another zone", async () => {
    vi.stubEnv('TZ', 'America/New_York');
    // As the Athena engine types them (a `timestamp` column), and as zoneless text (a type it passes on as text).
    for (const received of [jsonValue('2026-11-20 22:00:00.000', 'timestamp'), '2026-11-20 22:00:00.000']) {
      const statements = recording([
        { bank_statement_id: 's/1', occurred_at: '2026-11-20 21:00:00.000', currency: 'GBP', file_sha256: 'ab', file_name: null, balanced: true, closing_balance_minor: 100, _received_at: received, period_from: '2026-11-20 00:00:00.000', period_to: null },
      ]);
      expect(await earlierIssues(statements, ['s/1'])).toMatchObject([{ created_at: '2026-11-20T21:00:00Z', received_at: '2026-11-20T22:00:00Z', period_from: '2026-11-20T00:00:00Z', period_to: null }]);
      const lines = recording([
        { bank_line_id: 'a/2026-11-20/100GBP/1', account: 'a', day: '2026-11-20', amount_minor: 100, currency: 'GBP', reference: 'R', end_to_end_id: null, entry_reference: null, source_format: 'csv', _received_at: received },
      ]);
      expect(await spanLines(lines, { accounts: ['a'], from: '2026-11-20', to: '2026-11-20' })).toMatchObject([{ received_at: '2026-11-20T22:00:00Z' }]);
    }
    // Times with a zone keep it; the local engine's ISO text with Z is unchanged.
    expect(lakeTime('2026-11-20T22:00:00.000Z')).toBe('2026-11-20T22:00:00Z');
    expect(lakeTime('2026-11-20T23:00:00+01:00')).toBe('2026-11-20T22:00:00Z');
    expect(lakeTime('2026-11-20T22:00:00.123Z')).toBe('2026-11-20T22:00:00.123Z');
  });
});
