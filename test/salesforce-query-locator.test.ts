import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { classifySalesforceError, SalesforceClient } from '../connectors/salesforce/client.js';
import { defineConnector, defineStream, loadBookmark, RequestBudget, runStream } from '../core/engine/index.js';
import { CursorGoneError, NotFoundError } from '../core/errors.js';
import { salesforceHarness } from './support/salesforce-harness.js';

// A REST query locator (nextRecordsUrl, queryMore) that Salesforce no longer holds answers INVALID_QUERY_LOCATOR:
// the engine's CursorGoneError. The connector's own streams page by keyset and never hold a locator across
// pages; these tests read through one, with jsforce against the sandbox, which releases locators as Salesforce does.

const SOQL = 'SELECT Id, SystemModstamp FROM Opportunity ORDER BY Id';

describe('Salesforce query locators that are gone', () => {
  let h: Awaited<ReturnType<typeof salesforceHarness>>;
  beforeAll(async () => {
    h = await salesforceHarness({ opportunities: 700, batchSize: 200 });
  });
  afterAll(() => h.close());

  it('classifies INVALID_QUERY_LOCATOR (400, or 404 in some releases) as CursorGoneError, and other 404s not', async () => {
    const client = new SalesforceClient(h.config());
    const first = await client.conn.query(SOQL, { autoFetch: false });
    expect(first.done).toBe(false);
    // 15 minutes idle: Salesforce lets the cursor go.
    h.clock.advance(16 * 60_000);
    const idle = await client.conn.queryMore(first.nextRecordsUrl!).then(() => null, (e: unknown) => e);
    expect(idle).toMatchObject({ errorCode: 'INVALID_QUERY_LOCATOR' });
    expect(classifySalesforceError(idle)).toBeInstanceOf(CursorGoneError);

    const again = await client.conn.query(SOQL, { autoFetch: false });
    h.sandbox.faults.answerNext.push({ status: 404, errorCode: 'INVALID_QUERY_LOCATOR', message: 'invalid query locator' });
    const as404 = await client.conn.queryMore(again.nextRecordsUrl!).then(() => null, (e: unknown) => e);
    expect(classifySalesforceError(as404)).toBeInstanceOf(CursorGoneError);

    const elsewhere = await client.conn.request('/services/data/v60.0/nothing/here').then(() => null, (e: unknown) => e);
    expect(elsewhere).toMatchObject({ errorCode: 'NOT_FOUND' });
    const kind = classifySalesforceError(elsewhere);
    expect(kind).toBeInstanceOf(NotFoundError);
    expect(kind).not.toBeInstanceOf(CursorGoneError);
  });

  it('reads the stream again from its start when its locator is released between two pages of one run', async () => {
    // Another integration of the same user opens ten queries while the run is between its first two pages:
    // the eleventh cursor releases the oldest, this run's.
    const other = new SalesforceClient(h.config());
    let crowded = false;
    const seen: string[][] = [];
    const byLocator = defineStream<SalesforceClient, Record<string, unknown>>({
      name: 'gifts_by_locator',
      contract: 'gift',
      primaryKey: (r) => String(r.Id),
      async fetchPage(ctx, { token }) {
        const page = await ctx.call('query', async () => (token ? ctx.client.conn.queryMore(token) : ctx.client.conn.query(SOQL, { autoFetch: false })));
        seen.push(page.records.map((r) => String(r.Id)));
        if (!crowded) {
          crowded = true;
          for (let i = 0; i < 10; i++) await other.conn.query(SOQL, { autoFetch: false });
        }
        return { records: page.records, next: page.done ? null : (page.nextRecordsUrl ?? null) };
      },
      toContract: () => [],
    });
    const connector = defineConnector<SalesforceClient>({ name: 'salesforce', streams: [], classifyError: classifySalesforceError });
    const lines: string[] = [];
    const spy = vi.spyOn(process.stderr, 'write').mockImplementation((chunk: string | Uint8Array) => lines.push(String(chunk)) > 0);
    let run;
    try {
      run = await runStream({
        connector, stream: byLocator as never, client: new SalesforceClient(h.config()), runtime: h.engineRuntime,
        budget: new RequestBudget({ requestsPerSecond: 0 }), settings: { startDate: new Date(0), retry: { maxAttempts: 2, baseMs: 1, maxMs: 2 } },
      });
    } finally {
      spy.mockRestore();
    }
    expect(run).toMatchObject({ outcome: 'succeeded', error: null });
    // the first page, then (its locator refused) every page from the start: each row once in that pass
    const pass = seen.slice(1).flat();
    expect(seen[0]).toEqual(seen[1]);
    expect(new Set(pass).size).toBe(pass.length);
    expect(pass).toHaveLength(h.sandbox.org.rows.get('Opportunity')!.size);
    const warnings = lines.filter((l) => l.includes('"level":"warn"'));
    expect(warnings).toHaveLength(1);
    expect(JSON.parse(warnings[0]!)).toMatchObject({ connector: 'salesforce', stream: 'gifts_by_locator', window: '(the whole stream)' });
    expect((await loadBookmark(h.engineRuntime.state, 'salesforce', 'gifts_by_locator')).window).toBeNull();
  });
});
