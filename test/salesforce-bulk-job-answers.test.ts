// What a Bulk 2.0 job says of itself, checked (connectors/salesforce/answers.ts, bulk-backfill.ts): a job that
// ends Failed or Aborted, one whose results hold fewer rows than its numberRecordsProcessed, and a job answer of
// the wrong shape, each through the sandbox and the real jsforce.
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { loadBookmark } from '../core/engine/bookmark.js';
import { salesforceHarness } from './support/salesforce-harness.js';

type H = Awaited<ReturnType<typeof salesforceHarness>>;
const OVER = { bulkThreshold: 1000, pageSize: 1000 };
const ROWS = 2500;

describe('Salesforce Bulk 2.0 job answers', () => {
  let h: H;
  beforeEach(async () => {
    h = await salesforceHarness({ opportunities: ROWS });
  });
  afterEach(() => h.close());

  const backfill = async () => (await h.sync({ streams: ['backfill'] }, OVER))[0]!;
  const jobsMade = () => h.sandbox.requests.entries.filter((e) => e.path.endsWith('/jobs/query')).length;
  const giftsCursor = async () => (await loadBookmark(h.engineRuntime.state, 'salesforce', 'gifts')).cursor;
  /** Every gift landed once. */
  const landedOnce = async () => {
    await h.land();
    expect(await h.q('SELECT count(DISTINCT gift_id) AS ids FROM gift')).toEqual([{ ids: ROWS }]);
  };

  it('fails a run whose job results hold fewer rows than the job reports, and reads the object again from a new job', async () => {
    h.sandbox.faults.bulkRowsLost = 3;
    const short = await backfill();
    expect(short).toMatchObject({ outcome: 'failed', records: ROWS - 3, error: `salesforce: bulk job for Opportunity reported ${ROWS} records, but its results held ${ROWS - 3}; the next run starts a new job` });
    // REST did not take over from the job: the rows it left out are still to be read.
    expect(await giftsCursor()).toBeNull();
    const again = await backfill();
    expect(again).toMatchObject({ outcome: 'succeeded', records: ROWS });
    expect(jobsMade()).toBe(2);
    expect(await giftsCursor()).not.toBeNull();
    await landedOnce();
  });

  it.each(['Failed', 'Aborted'] as const)('fails a run whose job ended %s, forgets the job, and the next run starts a new one', async (state) => {
    h.sandbox.faults.bulkJobEnds = { state, errorMessage: 'InvalidBatch : Failed to process query' };
    const ended = await backfill();
    expect(ended).toMatchObject({ outcome: 'failed', records: 0, error: `salesforce: bulk job for Opportunity ${state}: InvalidBatch : Failed to process query; the next run starts a new job` });
    expect(await giftsCursor()).toBeNull();
    // Until 2026-12-02 the failed job stayed saved, and every later run polled it and failed the same way.
    const again = await backfill();
    expect(again).toMatchObject({ outcome: 'succeeded', records: ROWS });
    expect(jobsMade()).toBe(2);
    await landedOnce();
  });

  it('retries a job answer of the wrong shape, fails with what was missing, and the next run goes on with the same job', async () => {
    // Every attempt of the poll (the engine's five): an answer without a state, then a complete job without its count.
    h.sandbox.faults.bulkPollAnswers.push(...Array.from({ length: 5 }, () => ({ id: 'x', object: 'Opportunity' })));
    expect(await backfill()).toMatchObject({ outcome: 'failed', retries: 4, records: 0, error: 'salesforce: unexpected answer from Salesforce bulk poll Opportunity: no job state' });
    h.sandbox.faults.bulkPollAnswers.push(...Array.from({ length: 5 }, () => ({ state: 'JobComplete' })));
    expect(await backfill()).toMatchObject({
      outcome: 'failed', records: 0, error: 'salesforce: unexpected answer from Salesforce bulk poll Opportunity: a complete job without its numberRecordsProcessed',
    });
    expect(await giftsCursor()).toBeNull();
    expect(await backfill()).toMatchObject({ outcome: 'succeeded', records: ROWS });
    expect(jobsMade()).toBe(1);
    await landedOnce();
  });
});
