import { describe, expect, it } from 'vitest';
import { loadBookmark } from '../core/engine/bookmark.js';
import { startSalesforceSandbox } from '../connectors/salesforce/sandbox/index.js';
import { SALESFORCE_STREAM_NAMES } from '../connectors/salesforce/streams.js';
import { salesforceHarness, SF_NOW } from './support/salesforce-harness.js';

const MINUTE = 60_000;
const DAY = 86_400_000;
const REST = SALESFORCE_STREAM_NAMES.filter((s) => s !== 'backfill');

describe('Salesforce: the hub pointed at another org (a refreshed sandbox)', () => {
  it('stops every stream with its bookmark untouched instead of skipping what the new org changed before it; --full reads the new org', async () => {
    const scenario = { seed: 3, donations: 100, start: new Date('2026-11-20T18:00:00Z') };
    const h = await salesforceHarness({ scenario });
    // The refresh: the same records with the same ids (the seed), in a new org at a new session.
    const refreshed = await startSalesforceSandbox({ now: h.clock.now, scenario, orgId: '00D8d000001rfshEAA' });
    try {
      expect((await h.sync()).every((r) => r.outcome === 'succeeded')).toBe(true);
      const bookmarks = await Promise.all(REST.map((s) => loadBookmark(h.engineRuntime.state, 'salesforce', s)));
      // A gift the new org holds that was last changed before the bookmarks (made in production since the last copy).
      const older = refreshed.org.insert('Opportunity', { Name: 'before the bookmark', Amount: 25, StageName: 'Closed Won', IsWon: true }, SF_NOW.getTime() - 3 * DAY);
      h.clock.advance(10 * MINUTE);
      const there = { instanceUrl: refreshed.url, loginUrl: refreshed.url, clientId: refreshed.clientId, clientSecret: refreshed.clientSecret };

      const refused = await h.sync({}, there);
      expect(refused.map((r) => [r.stream, r.outcome])).toEqual(SALESFORCE_STREAM_NAMES.map((s) => [s, s === 'backfill' ? 'succeeded' : 'failed']));
      expect(refused.find((r) => r.stream === 'gifts')!.error).toBe(
        "salesforce: gifts's bookmark was read in org 00D8d000000sboxEAA, but SALESFORCE_INSTANCE_URL now reaches org 00D8d000001rfshEAA (a refreshed sandbox is a new org): "
        + 'reading on from it would skip every record changed before it. Run puddle sync salesforce --full to read this org from SALESFORCE_START_DATE '
        + '(what landed from the other org stays), or point SALESFORCE_INSTANCE_URL back at the other org, or give this org its own PUDDLE_HOME',
      );
      expect(refused.reduce((n, r) => n + r.records, 0)).toBe(0);
      expect(await Promise.all(REST.map((s) => loadBookmark(h.engineRuntime.state, 'salesforce', s)))).toEqual(bookmarks);

      // --full for one stream takes the new org for that stream only: the others still refuse.
      expect((await h.sync({ full: true, streams: ['gifts'] }, there))[0]).toMatchObject({ outcome: 'succeeded', records: 101 });
      h.clock.advance(10 * MINUTE);
      const next = await h.sync({ streams: ['contacts', 'gifts'] }, there);
      expect(next.map((r) => r.outcome)).toEqual(['failed', 'succeeded']);
      await h.land();
      expect(await h.q(`SELECT amount_minor FROM gift WHERE gift_id = '${older}'`)).toEqual([{ amount_minor: 2500 }]);

      // Back at the first org, gifts' bookmark is now the new org's: it refuses there in turn.
      h.clock.advance(10 * MINUTE);
      const back = await h.sync({ streams: ['contacts', 'gifts'] });
      expect(back.map((r) => r.outcome)).toEqual(['succeeded', 'failed']);
      expect(back[1]!.error).toMatch(/^salesforce: gifts's bookmark was read in org 00D8d000001rfshEAA, but SALESFORCE_INSTANCE_URL now reaches org 00D8d000000sboxEAA/);
    } finally {
      await refreshed.close();
      await h.close();
    }
  });
});
