import { describe, expect, it } from 'vitest';
import { salesforceHarness } from './support/salesforce-harness.js';

const MINUTE = 60_000;
const scenario = { seed: 3, donations: 100, start: new Date('2026-11-20T18:00:00Z') };

/**
 * What a stream checks before it reads (describe, the org's id) costs calls against the org's daily limit: once per
 * run, and once more after a re-login, however many pages the run reads and however long it takes.
 */
describe('Salesforce: the org and field checks of a run', () => {
  const setUp = async () => {
    const h = await salesforceHarness({ scenario });
    const describes = () => h.sandbox.requests.entries.filter((e) => e.path.endsWith('/sobjects/Opportunity/describe') && e.status === 200).length;
    const organizations = () => h.sandbox.queriesOf('Organization');
    return { h, describes, organizations };
  };

  it('describe and the Organization query run once in a run of many pages, a minute apart', async () => {
    const { h, describes, organizations } = await setUp();
    try {
      // A slow backfill: each page a minute after the last (past the client's four-minute cache of both).
      h.sandbox.onQuery = () => h.clock.advance(MINUTE);
      const [run] = await h.sync({ streams: ['gifts'] }, { pageSize: 10 });
      expect(run).toMatchObject({ outcome: 'succeeded', records: 100 });
      expect(h.sandbox.queriesOf('Opportunity')).toBeGreaterThan(10);
      expect({ describes: describes(), organizations: organizations() }).toEqual({ describes: 1, organizations: 1 });
    } finally {
      await h.close();
    }
  });

  it('runs them again after a re-login, and reads on in the same org', async () => {
    const { h, describes, organizations } = await setUp();
    try {
      h.sandbox.onQuery = () => {
        if (h.sandbox.queriesOf('Opportunity') === 5) h.sandbox.expireTokens();
      };
      const [run] = await h.sync({ streams: ['gifts'] }, { pageSize: 10 });
      expect(run).toMatchObject({ outcome: 'succeeded', records: 100 });
      // The run's first call logs in (the harness starts without a token), then the re-login mid-run.
      expect(h.sandbox.requests.countByStatus(401)).toBe(2);
      expect({ describes: describes(), organizations: organizations() }).toEqual({ describes: 2, organizations: 2 });
    } finally {
      await h.close();
    }
  });

  it('stops at the page read after a re-login that reached another org (the sandbox refreshed during the run), before its records land', async () => {
    const { h } = await setUp();
    try {
      h.sandbox.onQuery = () => {
        if (h.sandbox.queriesOf('Opportunity') === 5) h.sandbox.refreshOrg('00D8d000001rfshEAA');
      };
      const [run] = await h.sync({ streams: ['gifts'] }, { pageSize: 10 });
      expect(run!.outcome).toBe('failed');
      // Only what the old org's session read: the pages before the refresh.
      expect(run!.records).toBeGreaterThan(0);
      expect(run!.records).toBeLessThan(100);
      expect(run!.error).toMatch(/^salesforce: gifts's bookmark was read in org 00D8d000000sboxEAA, but SALESFORCE_INSTANCE_URL now reaches org 00D8d000001rfshEAA/);
    } finally {
      await h.close();
    }
  });
});
