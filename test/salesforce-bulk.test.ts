import { describe, expect, it, vi } from 'vitest';
import { loadBookmark } from '../core/engine/bookmark.js';
import { salesforceHarness, SF_NOW } from './support/salesforce-harness.js';

describe('Salesforce first sync through Bulk API 2.0', () => {
  it('reads a large object with a queryAll job, paging CSV results by Sforce-Locator through the engine, then REST takes over', async () => {
    const h = await salesforceHarness({ opportunities: 2500 });
    try {
      const gone = [...h.sandbox.org.rows.get('Opportunity')!.keys()][7]!;
      h.sandbox.org.delete('Opportunity', gone);
      const over = { bulkThreshold: 1000, pageSize: 1000 };
      const [backfill, gifts] = await h.sync({ streams: ['backfill', 'gifts'] }, over);
      expect(backfill).toMatchObject({ outcome: 'succeeded', records: 2500, pages: 3 });
      expect(gifts!.outcome).toBe('succeeded');
      const results = h.sandbox.requests.entries.filter((e) => /\/jobs\/query\/\w+\/results$/.test(e.path));
      expect(results.map((e) => e.status)).toEqual([200, 200, 200]);
      // the REST stream starts from the job's creation minus the lookback, not from the start date
      expect(gifts!.records).toBeLessThan(10);
      expect((await loadBookmark(h.engineRuntime.state, 'salesforce', 'gifts')).cursor).toBe(new Date(SF_NOW.getTime() - 60_000).toISOString());
      await h.land();
      const rows = [...h.sandbox.org.rows.get('Opportunity')!.values()];
      const [g] = await h.q('SELECT count(*) AS n, count(DISTINCT gift_id) AS ids, sum(amount_minor) AS amount, count(*) FILTER (WHERE deleted) AS deleted FROM gift');
      expect(g).toEqual({ n: 2500, ids: 2500, amount: rows.reduce((s, r) => s + (r.Amount as number) * 100, 0), deleted: 1 });
      expect(await h.q(`SELECT is_won, stage, record_type FROM gift WHERE gift_id = '${String(rows[0]!.Id)}'`)).toEqual([{ is_won: true, stage: 'Closed Won', record_type: 'Donation' }]);

      // a later run starts no second job for gifts (the other objects, still unsynced and small, cost one count)
      const [again] = await h.sync({ streams: ['backfill'] }, over);
      expect(again).toMatchObject({ outcome: 'succeeded', requests: 1, records: 0 });
      expect(h.sandbox.requests.entries.filter((e) => e.path.endsWith('/jobs/query')).length).toBe(1);
    } finally {
      await h.close();
    }
  });

  it('resumes a job that a run left mid-way from its saved locator: one job, every row once', async () => {
    const h = await salesforceHarness({ opportunities: 2500 });
    try {
      const over = { bulkThreshold: 1000, pageSize: 1000 };
      h.sandbox.faults.bulkPagesBeforeFailure = 2;
      const [first] = await h.sync({ streams: ['backfill'] }, over);
      expect(first).toMatchObject({ outcome: 'failed', records: 2000 });
      expect((await loadBookmark(h.engineRuntime.state, 'salesforce', 'gifts')).cursor).toBeNull();
      h.sandbox.faults.bulkPagesBeforeFailure = -1;
      const [second] = await h.sync({ streams: ['backfill'] }, over);
      expect(second).toMatchObject({ outcome: 'succeeded', records: 500 });
      expect(h.sandbox.requests.entries.filter((e) => e.path.endsWith('/jobs/query')).length).toBe(1);
      await h.land();
      expect(await h.q('SELECT count(*) AS n, count(DISTINCT gift_id) AS ids FROM gift')).toEqual([{ n: 2500, ids: 2500 }]);
      const [raw] = await h.q("SELECT count(*) AS n FROM raw WHERE contract = 'gift'");
      expect(raw!.n).toBe(2500);
    } finally {
      await h.close();
    }
  });

  it("stops between result pages once the run's time box ends: partial, and the next run reads on from there", async () => {
    const h = await salesforceHarness({ opportunities: 2500 });
    try {
      const over = { bulkThreshold: 1000, pageSize: 1000 };
      const deadline = new Date(SF_NOW.getTime() + 3_600_000);
      // The time box ends (the harness's clock stands still) while the first result page is served: the page
      // in flight has CALL_GRACE_MS to answer, so it is kept. Until 2026-12-03 this moved the deadline to 0
      // (Ctrl-C), whose page in flight is dropped unless it answers within the 200 ms check: under load it
      // read `records: 0` (the next run reads that page again, so nothing is lost, but the test flaked).
      h.sandbox.onBulkPage = (n) => {
        if (n === 1) deadline.setTime(h.clock.now().getTime());
      };
      const [first] = await h.sync({ streams: ['backfill'], deadline }, over);
      expect(first).toMatchObject({ outcome: 'partial', records: 1000 });
      h.sandbox.onBulkPage = null;
      const [second] = await h.sync({ streams: ['backfill'] }, over);
      expect(second).toMatchObject({ outcome: 'succeeded', records: 1500 });
      expect(h.sandbox.requests.entries.filter((e) => e.path.endsWith('/jobs/query')).length).toBe(1);
      await h.land();
      expect(await h.q('SELECT count(*) AS n, count(DISTINCT gift_id) AS ids FROM gift')).toEqual([{ n: 2500, ids: 2500 }]);
    } finally {
      await h.close();
    }
  });

  it('re-mints a session that expires between two result pages (own HTTP call) and goes on', async () => {
    const h = await salesforceHarness({ opportunities: 2500 });
    try {
      let before = -1;
      h.sandbox.onBulkPage = (n) => {
        if (n !== 1) return;
        before = h.sandbox.requests.countByStatus(401);
        h.sandbox.expireTokens();
      };
      const [r] = await h.sync({ streams: ['backfill'] }, { bulkThreshold: 1000, pageSize: 1000 });
      expect(r).toMatchObject({ outcome: 'succeeded', records: 2500 });
      // after the first page: our page call was refused, then jsforce's poll, which re-minted and replayed
      expect(h.sandbox.requests.countByStatus(401) - before).toBe(2);
    } finally {
      await h.close();
    }
  });
});

describe('Salesforce Bulk result pages: what the engine retries', () => {
  it('retries a page that answers 5xx, whatever errorCode its body names, then goes on', async () => {
    const h = await salesforceHarness({ opportunities: 2500 });
    try {
      h.sandbox.onBulkPage = (n) => {
        if (n === 1) h.sandbox.faults.answerNext.push({ status: 500, errorCode: 'INTERNAL_ERROR', message: 'An unexpected error occurred' }, { status: 503, errorCode: 'SERVER_UNAVAILABLE', message: 'Server temporarily unavailable.' });
      };
      const [r] = await h.sync({ streams: ['backfill'] }, { bulkThreshold: 1000, pageSize: 1000 });
      expect(r).toMatchObject({ outcome: 'succeeded', records: 2500, retries: 2 });
      const results = h.sandbox.requests.entries.filter((e) => /\/jobs\/query\/\w+\/results$/.test(e.path));
      expect(results.map((e) => e.status)).toEqual([200, 500, 503, 200, 200]);
    } finally {
      await h.close();
    }
  });

  it('never retries the daily limit (REQUEST_LIMIT_EXCEEDED): the run stops as quota and the next one resumes the job', async () => {
    const h = await salesforceHarness({ opportunities: 2500 });
    try {
      h.sandbox.onBulkPage = (n) => {
        if (n === 1) h.sandbox.faults.answerNext.push({ status: 403, errorCode: 'REQUEST_LIMIT_EXCEEDED', message: 'TotalRequests Limit exceeded.' });
      };
      const over = { bulkThreshold: 1000, pageSize: 1000 };
      const [first] = await h.sync({ streams: ['backfill'] }, over);
      expect(first).toMatchObject({ outcome: 'quota', records: 1000, retries: 0 });
      const results = () => h.sandbox.requests.entries.filter((e) => /\/jobs\/query\/\w+\/results$/.test(e.path)).map((e) => e.status);
      expect(results()).toEqual([200, 403]);
      const [second] = await h.sync({ streams: ['backfill'] }, over);
      expect(second).toMatchObject({ outcome: 'succeeded', records: 1500 });
      expect(results()).toEqual([200, 403, 200, 200]);
      await h.land();
      expect(await h.q('SELECT count(*) AS n, count(DISTINCT gift_id) AS ids FROM gift')).toEqual([{ n: 2500, ids: 2500 }]);
    } finally {
      await h.close();
    }
  });
});

describe('Salesforce Bulk: a saved job that no longer exists (Salesforce deletes jobs after seven days)', () => {
  const DAY = 86_400_000;
  const over = { bulkThreshold: 1000, pageSize: 1000 };
  const jobsMade = (h: Awaited<ReturnType<typeof salesforceHarness>>) => h.sandbox.requests.entries.filter((e) => e.path.endsWith('/jobs/query')).length;
  const warnings = async <T>(fn: () => Promise<T>): Promise<{ out: T; warned: Record<string, unknown>[] }> => {
    const lines: string[] = [];
    const spy = vi.spyOn(process.stderr, 'write').mockImplementation((chunk: string | Uint8Array) => lines.push(String(chunk)) > 0);
    try {
      const out = await fn();
      return { out, warned: lines.map((l) => JSON.parse(l) as Record<string, unknown>).filter((l) => l.level === 'warn') };
    } finally {
      spy.mockRestore();
    }
  };

  it('starts a new job instead of failing every run: every row lands once, and REST takes over from the new job', async () => {
    const h = await salesforceHarness({ opportunities: 2500 });
    try {
      h.sandbox.faults.bulkPagesBeforeFailure = 1;
      const [first] = await h.sync({ streams: ['backfill'] }, over);
      expect(first).toMatchObject({ outcome: 'failed', records: 1000 });
      h.sandbox.faults.bulkPagesBeforeFailure = -1;
      // The backfill is not resumed within the week: its job is deleted.
      h.clock.advance(8 * DAY);
      const { out: [second], warned } = await warnings(() => h.sync({ streams: ['backfill'] }, over));
      expect(second).toMatchObject({ outcome: 'succeeded', records: 2500 });
      expect(jobsMade(h)).toBe(2);
      const polls = h.sandbox.requests.entries.filter((e) => /\/jobs\/query\/\w+$/.test(e.path));
      expect(polls.map((e) => e.status)).toContain(404);
      expect(warned).toEqual([expect.objectContaining({ connector: 'salesforce', stream: 'backfill', object: 'Opportunity', msg: expect.stringContaining('starting a new one') })]);
      // REST takes over from the new job's creation (minus the lookback), not the lost one's
      expect(Date.parse((await loadBookmark(h.engineRuntime.state, 'salesforce', 'gifts')).cursor!)).toBeGreaterThan(SF_NOW.getTime() + 7 * DAY);
      await h.land();
      expect(await h.q('SELECT count(*) AS n, count(DISTINCT gift_id) AS ids FROM gift')).toEqual([{ n: 2500, ids: 2500 }]);
    } finally {
      await h.close();
    }
  });

  it('fails the run if the new job is gone too within the same run (no loop); the next run starts again', async () => {
    const h = await salesforceHarness({ opportunities: 2500 });
    try {
      h.sandbox.faults.bulkPagesBeforeFailure = 1;
      await h.sync({ streams: ['backfill'] }, over);
      h.sandbox.faults.bulkPagesBeforeFailure = -1;
      h.clock.advance(8 * DAY);
      // The new job's first page is served, then a week passes before the next.
      h.sandbox.onBulkPage = (n) => {
        if (n === 2) h.clock.advance(8 * DAY);
      };
      const { out: [second], warned } = await warnings(() => h.sync({ streams: ['backfill'] }, over));
      expect(second).toMatchObject({ outcome: 'failed', records: 1000 });
      expect(second!.error).toMatch(/the bulk job for Opportunity no longer exists/);
      expect(jobsMade(h)).toBe(2);
      expect(warned).toHaveLength(1);
      h.sandbox.onBulkPage = null;
      const [third] = await h.sync({ streams: ['backfill'] }, over);
      expect(third).toMatchObject({ outcome: 'succeeded', records: 2500 });
      expect(jobsMade(h)).toBe(3);
    } finally {
      await h.close();
    }
  });
  it("checks the org before resuming a job: a sandbox refreshed since stops the backfill, and --full starts the new org's job", async () => {
    const h = await salesforceHarness({ opportunities: 2500 });
    try {
      const over = { bulkThreshold: 1000, pageSize: 1000 };
      h.sandbox.faults.bulkPagesBeforeFailure = 2;
      expect((await h.sync({ streams: ['backfill'] }, over))[0]).toMatchObject({ outcome: 'failed', records: 2000 });
      const job = await h.engineRuntime.state.get('salesforce:bulk:Opportunity');
      h.sandbox.faults.bulkPagesBeforeFailure = -1;
      // The refresh: a new org at the same URL, every session ended.
      h.sandbox.refreshOrg('00D8d000001rfshEAA');
      const [refused] = await h.sync({ streams: ['backfill'] }, over);
      // Until 2026-12-03 the backfill read on: the rest of the old org's job landed, and the REST stream took the new
      // org's id with a bookmark from the old org's job.
      expect(refused).toMatchObject({ outcome: 'failed', records: 0 });
      expect(refused!.error).toMatch(/^salesforce: gifts's bookmark was read in org 00D8d000000sboxEAA, but SALESFORCE_INSTANCE_URL now reaches org 00D8d000001rfshEAA/);
      expect(await h.engineRuntime.state.get('salesforce:bulk:Opportunity')).toEqual(job);
      expect(h.sandbox.requests.entries.filter((e) => e.path.endsWith('/jobs/query')).length).toBe(1);

      // --full drops the old org's job and reads the new org through a job of its own.
      const [full] = await h.sync({ full: true, streams: ['backfill'] }, over);
      expect(full).toMatchObject({ outcome: 'succeeded', records: 2500 });
      expect(h.sandbox.requests.entries.filter((e) => e.path.endsWith('/jobs/query')).length).toBe(2);
      h.clock.advance(10 * 60_000);
      expect((await h.sync({ streams: ['backfill', 'gifts'] }, over)).map((r) => r.outcome)).toEqual(['succeeded', 'succeeded']);
    } finally {
      await h.close();
    }
  });
  it('stops at the result page read after a re-login that reached another org (refreshed during the backfill), before its rows land', async () => {
    const h = await salesforceHarness({ opportunities: 2500 });
    try {
      h.sandbox.onBulkPage = (n) => {
        if (n === 1) h.sandbox.refreshOrg('00D8d000001rfshEAA');
      };
      const [run] = await h.sync({ streams: ['backfill'] }, { bulkThreshold: 1000, pageSize: 1000 });
      // The first page was the old org's; the second, read under the new org's session, does not land.
      expect(run).toMatchObject({ outcome: 'failed', records: 1000 });
      expect(run!.error).toMatch(/^salesforce: gifts's bookmark was read in org 00D8d000000sboxEAA, but SALESFORCE_INSTANCE_URL now reaches org 00D8d000001rfshEAA/);
      // The refreshed org has no such job (404, as Salesforce answers), and none is started there under the old org's id:
      // until 2026-12-04 the connector started a new job in the new org before it checked the org.
      expect(h.sandbox.requests.entries.filter((e) => /\/jobs\/query\/\w+$/.test(e.path) && e.status === 404).length).toBe(1);
      expect(h.sandbox.requests.entries.filter((e) => e.path.endsWith('/jobs/query')).length).toBe(1);
    } finally {
      await h.close();
    }
  });
  it("a --full whose job the refresh deletes (404) takes the new org and reads it through a new job: every row of the new org lands", async () => {
    const h = await salesforceHarness({ opportunities: 3500 });
    try {
      const over = { bulkThreshold: 1000, pageSize: 1000 };
      // The first sync's job is read to 2,000 of 3,500 rows; the --full resumes it (the same org, as it begins).
      h.sandbox.faults.bulkPagesBeforeFailure = 2;
      expect((await h.sync({ streams: ['backfill'] }, over))[0]).toMatchObject({ outcome: 'failed', records: 2000 });
      h.sandbox.faults.bulkPagesBeforeFailure = -1;
      h.clock.advance(10 * 60_000);
      let copied = '';
      h.sandbox.onBulkPage = (n) => {
        if (n !== 3) return;
        // As the --full's first page is answered, the sandbox is refreshed from a copy of production that holds a gift
        // the old sandbox never had, last changed a day ago.
        h.sandbox.refreshOrg('00D8d000001rfshEAA');
        copied = h.sandbox.org.insert('Opportunity', { Name: 'from production', Amount: 40, StageName: 'Closed Won', IsWon: true }, h.clock.now().getTime() - 86_400_000);
      };
      const [full] = await h.sync({ full: true, streams: ['backfill'] }, over);
      // Until 2026-12-04 the sandbox kept the old org's job across the refresh and the --full read on from it: the
      // gift only the new org holds never landed (the REST stream takes over from the job's start, after it).
      expect(full).toMatchObject({ outcome: 'succeeded', records: 1000 + 3501 });
      expect(h.sandbox.requests.entries.filter((e) => /\/jobs\/query\/\w+$/.test(e.path) && e.status === 404).length).toBe(1);
      expect(h.sandbox.requests.entries.filter((e) => e.path.endsWith('/jobs/query')).length).toBe(2);
      await h.land();
      expect(await h.q(`SELECT amount_minor FROM gift WHERE gift_id = '${copied}'`)).toEqual([{ amount_minor: 4000 }]);
      const live = [...h.sandbox.org.rows.get('Opportunity')!.values()].filter((r) => !r.IsDeleted).length;
      expect(await h.q('SELECT count(*) AS n FROM gift WHERE NOT deleted')).toEqual([{ n: live }]);
    } finally {
      await h.close();
    }
  });
});
