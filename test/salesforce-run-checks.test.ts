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

  it('does not run them again after a re-login to the same org, however often its sessions end', async () => {
    const { h, describes, organizations } = await setUp();
    try {
      // Every session ends after one page (a short session timeout, sessions locked to an IP behind a rotating proxy):
      // each page's query is refused once, the client logs in again and the page is asked again.
      h.sandbox.onQuery = () => h.sandbox.expireTokens();
      const [run] = await h.sync({ streams: ['gifts'] }, { pageSize: 10 });
      expect(run).toMatchObject({ outcome: 'succeeded', records: 100 });
      const pages = h.sandbox.queriesOf('Opportunity');
      expect(pages).toBeGreaterThan(10);
      // The run's first call logs in (the harness starts without a token), then a re-login for each session ended.
      expect(h.sandbox.requests.countByStatus(401)).toBeGreaterThan(10);
      // Each new token names the same org (its identity URL, its session id's prefix): nothing to check again.
      // Until 2026-12-03 each re-login cost a describe and an Organization query: 2 more calls a page.
      expect({ describes: describes(), organizations: organizations() }).toEqual({ describes: 1, organizations: 1 });
    } finally {
      await h.close();
    }
  });

  it('checks again once per re-login when tokens do not name their org, and stops a page that a new session ends each time', async () => {
    const h = await salesforceHarness({ scenario, opaqueTokens: true });
    try {
      const organizations = () => h.sandbox.queriesOf('Organization');
      // Two sessions ended during the run, each on a page: the checks run once more for each.
      h.sandbox.onQuery = () => {
        if ([3, 6].includes(h.sandbox.queriesOf('Opportunity'))) h.sandbox.expireTokens();
      };
      expect((await h.sync({ streams: ['gifts'] }, { pageSize: 10 }))[0]).toMatchObject({ outcome: 'succeeded', records: 100 });
      expect(organizations()).toBe(3);
      // Every call ends the session: each page is read again under a new one, checked again, and ends again.
      // Until 2026-12-03 the run went round for ever; now it stops after a few re-logins for one page.
      h.clock.advance(10 * MINUTE);
      h.sandbox.onQuery = () => h.sandbox.expireTokens();
      const [run] = await h.sync({ streams: ['gifts'] }, { pageSize: 10 });
      expect(run).toMatchObject({ outcome: 'failed', records: 0 });
      expect(run!.error).toMatch(/^salesforce: the session ended 4 times while one page of Opportunity was read/);
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
