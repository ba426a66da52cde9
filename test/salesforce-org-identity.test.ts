import { describe, expect, it } from 'vitest';
import { loadBookmark } from '../core/engine/bookmark.js';
import { startSalesforceSandbox, type SalesforceSandbox } from '../connectors/salesforce/sandbox/index.js';
import { SALESFORCE_STREAM_NAMES } from '../connectors/salesforce/streams.js';
import { countSweepPages, refuseDeletedOnce, salesforceHarness, SF_NOW } from './support/salesforce-harness.js';

const MINUTE = 60_000;
const DAY = 86_400_000;
const REST = SALESFORCE_STREAM_NAMES.filter((s) => s !== 'backfill');

/** The next run passes its checks, then its first read is refused (any error that stops a run before its first checkpoint). */
function refuseFirstRead(sandbox: SalesforceSandbox): void {
  sandbox.onQuery = () => {
    if (sandbox.queriesOf('Organization') === 1 && sandbox.queriesOf('Opportunity') === 0) sandbox.faults.answerNext.push({ status: 400, errorCode: 'MALFORMED_QUERY', message: 'refused' });
  };
}

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
        + '(what only the other org had then lands as deleted), or point SALESFORCE_INSTANCE_URL back at the other org, or give this org its own PUDDLE_HOME',
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

  it('a --full against the new org that fails before its first checkpoint leaves the old org the stream\'s: the next plain run still refuses', async () => {
    const scenario = { seed: 3, donations: 100, start: new Date('2026-11-20T18:00:00Z') };
    const h = await salesforceHarness({ scenario });
    const refreshed = await startSalesforceSandbox({ now: h.clock.now, scenario, orgId: '00D8d000001rfshEAA' });
    try {
      expect((await h.sync({ streams: ['gifts'] }))[0]!.outcome).toBe('succeeded');
      const bookmark = await loadBookmark(h.engineRuntime.state, 'salesforce', 'gifts');
      const older = refreshed.org.insert('Opportunity', { Name: 'before the bookmark', Amount: 25, StageName: 'Closed Won', IsWon: true }, SF_NOW.getTime() - 3 * DAY);
      h.clock.advance(10 * MINUTE);
      const there = { instanceUrl: refreshed.url, loginUrl: refreshed.url, clientId: refreshed.clientId, clientSecret: refreshed.clientSecret };
      refuseFirstRead(refreshed);
      const [failed] = await h.sync({ full: true, streams: ['gifts'] }, there);
      expect(failed).toMatchObject({ outcome: 'failed', records: 0 });
      expect(await loadBookmark(h.engineRuntime.state, 'salesforce', 'gifts')).toEqual(bookmark);
      refreshed.onQuery = null;

      // Until 2026-12-03 the --full had saved the new org's id already: this run read the new org from the old
      // org's bookmark, and the gift changed before it never landed.
      h.clock.advance(10 * MINUTE);
      const [plain] = await h.sync({ streams: ['gifts'] }, there);
      expect(plain).toMatchObject({ outcome: 'failed', records: 0 });
      expect(plain!.error).toMatch(/^salesforce: gifts's bookmark was read in org 00D8d000000sboxEAA, but SALESFORCE_INSTANCE_URL now reaches org 00D8d000001rfshEAA/);

      // The --full again takes the new org with its first checkpoint; from then on plain runs read on in it.
      expect((await h.sync({ full: true, streams: ['gifts'] }, there))[0]).toMatchObject({ outcome: 'succeeded', records: 101 });
      h.clock.advance(10 * MINUTE);
      expect((await h.sync({ streams: ['gifts'] }, there))[0]).toMatchObject({ outcome: 'succeeded' });
      await h.land();
      expect(await h.q(`SELECT amount_minor FROM gift WHERE gift_id = '${older}'`)).toEqual([{ amount_minor: 2500 }]);
    } finally {
      await refreshed.close();
      await h.close();
    }
  });

  it('a first sync that fails before its first checkpoint takes no org: pointed at the right org, the next run reads it without asking for --full', async () => {
    const scenario = { seed: 3, donations: 100, start: new Date('2026-11-20T18:00:00Z') };
    const h = await salesforceHarness({ scenario });
    // First pointed at the wrong org (another sandbox), whose first read is refused.
    const wrong = await startSalesforceSandbox({ now: h.clock.now, scenario: { ...scenario, seed: 4 }, orgId: '00D8d000002wrngEAA' });
    try {
      const there = { instanceUrl: wrong.url, loginUrl: wrong.url, clientId: wrong.clientId, clientSecret: wrong.clientSecret };
      refuseFirstRead(wrong);
      const [failed] = await h.sync({ streams: ['gifts'] }, there);
      expect(failed).toMatchObject({ outcome: 'failed', records: 0 });

      // Until 2026-12-04 the wrong org's id was saved as the first sync began: this run refused ("gifts's bookmark
      // was read in org 00D8d000002wrngEAA ... Run puddle sync salesforce --full"), though nothing had been read.
      h.clock.advance(10 * MINUTE);
      expect((await h.sync({ streams: ['gifts'] }))[0]).toMatchObject({ outcome: 'succeeded', records: h.sandbox.org.rows.get('Opportunity')!.size });
      // Having read it, the stream is the right org's: the wrong one is refused now.
      wrong.onQuery = null;
      h.clock.advance(10 * MINUTE);
      const [refused] = await h.sync({ streams: ['gifts'] }, there);
      expect(refused!.error).toMatch(/^salesforce: gifts's bookmark was read in org 00D8d000000sboxEAA, but SALESFORCE_INSTANCE_URL now reaches org 00D8d000002wrngEAA/);
    } finally {
      await wrong.close();
      await h.close();
    }
  });

  it('a --full against the new org that fails before its first checkpoint owes no sweep: back at the old org, the next run reads on without sweeping', async () => {
    const scenario = { seed: 3, donations: 100, start: new Date('2026-11-20T18:00:00Z') };
    const h = await salesforceHarness({ scenario });
    const refreshed = await startSalesforceSandbox({ now: h.clock.now, scenario, orgId: '00D8d000001rfshEAA' });
    const sweeps = countSweepPages(h.sandbox);
    try {
      expect((await h.sync({ streams: ['gifts'] }))[0]!.outcome).toBe('succeeded');
      h.clock.advance(10 * MINUTE);
      const there = { instanceUrl: refreshed.url, loginUrl: refreshed.url, clientId: refreshed.clientId, clientSecret: refreshed.clientSecret };
      refuseFirstRead(refreshed);
      expect((await h.sync({ full: true, streams: ['gifts'] }, there))[0]).toMatchObject({ outcome: 'failed', records: 0 });

      // The finance lead points the hub back at the old org. Until 2026-12-04 this run swept every id of Opportunity
      // first, owed by the --full that never took the new org.
      const changed = h.sandbox.org.insert('Opportunity', { Name: 'since', Amount: 30, StageName: 'Closed Won', IsWon: true }, h.clock.now().getTime());
      h.clock.advance(10 * MINUTE);
      expect((await h.sync({ streams: ['gifts'] }))[0]).toMatchObject({ outcome: 'succeeded' });
      expect(sweeps()).toBe(0);
      await h.land();
      expect(await h.q(`SELECT amount_minor, deleted FROM gift WHERE gift_id = '${changed}'`)).toEqual([{ amount_minor: 3000, deleted: false }]);

      // A --full that does take the new org still sweeps: what only the old org had lands as deleted.
      refreshed.onQuery = null;
      h.clock.advance(10 * MINUTE);
      expect((await h.sync({ full: true, streams: ['gifts'] }, there))[0]).toMatchObject({ outcome: 'succeeded', records: 101 });
      await h.land();
      expect(await h.q(`SELECT deleted FROM gift WHERE gift_id = '${changed}'`)).toEqual([{ deleted: true }]);
    } finally {
      await refreshed.close();
      await h.close();
    }
  });

  it("a --full whose sweep of the new org never reached the queue leaves the old org's gifts live when the hub goes back to it", async () => {
    const scenario = { seed: 3, donations: 100, start: new Date('2026-11-20T18:00:00Z') };
    const h = await salesforceHarness({ scenario });
    const refreshed = await startSalesforceSandbox({ now: h.clock.now, scenario, orgId: '00D8d000001rfshEAA' });
    try {
      // A gift the old org has and the new one does not: the --full's sweep finds it gone there.
      const only = h.sandbox.org.insert('Opportunity', { Name: 'old org only', Amount: 1, StageName: 'Closed Won', IsWon: true }, SF_NOW.getTime() - DAY);
      expect((await h.sync({ streams: ['gifts'] }))[0]!.outcome).toBe('succeeded');
      h.clock.advance(10 * MINUTE);
      const there = { instanceUrl: refreshed.url, loginUrl: refreshed.url, clientId: refreshed.clientId, clientSecret: refreshed.clientSecret };
      // The queue refuses the sweep's page (its deleted version), once: the --full fails before its first checkpoint.
      const queue = refuseDeletedOnce(h);
      expect((await h.sync({ full: true, streams: ['gifts'] }, there))[0]).toMatchObject({ outcome: 'failed', records: 0 });
      expect(queue.refused).toBe(1);

      // Back at the old org. Until 2026-12-04 this run landed the other org's sweep: the gift became deleted here.
      h.clock.advance(10 * MINUTE);
      expect((await h.sync({ streams: ['gifts'] }))[0]).toMatchObject({ outcome: 'succeeded' });
      await h.land();
      expect(await h.q(`SELECT deleted FROM gift WHERE gift_id = '${only}'`)).toEqual([{ deleted: false }]);
      expect(await h.q('SELECT count(*) AS n FROM gift WHERE deleted')).toEqual([{ n: 0 }]);

      // A --full that does take the new org still finds it gone there, with its amount.
      h.clock.advance(10 * MINUTE);
      expect((await h.sync({ full: true, streams: ['gifts'] }, there))[0]).toMatchObject({ outcome: 'succeeded' });
      await h.land();
      expect(await h.q(`SELECT deleted, amount_minor FROM gift WHERE gift_id = '${only}'`)).toEqual([{ deleted: true, amount_minor: 100 }]);
    } finally {
      await refreshed.close();
      await h.close();
    }
  });

  it('--full against the new org lands what only the old org had as deleted (its versions kept in gift_history); what both hold stays live', async () => {
    const scenario = { seed: 3, donations: 100, start: new Date('2026-11-20T18:00:00Z') };
    const h = await salesforceHarness({ scenario });
    const refreshed = await startSalesforceSandbox({ now: h.clock.now, scenario, orgId: '00D8d000001rfshEAA' });
    try {
      // A test gift made in the old sandbox, which the copy of production does not have.
      const test = h.sandbox.org.insert('Opportunity', { Name: 'test gift', Amount: 1, StageName: 'Closed Won', IsWon: true }, SF_NOW.getTime() - DAY);
      // A gift both orgs hold, edited in the old sandbox after the copy: its old version is the newer one.
      const edited = String([...h.sandbox.org.rows.get('Opportunity')!.values()][0]!.Id);
      h.sandbox.org.update('Opportunity', edited, { Amount: 999 }, SF_NOW.getTime() - 2 * MINUTE);
      expect((await h.sync({ streams: ['gifts'] }))[0]!.outcome).toBe('succeeded');
      await h.land();
      const live = "SELECT count(*) FILTER (WHERE NOT deleted) AS live, count(*) FILTER (WHERE deleted) AS gone FROM gift";
      expect(await h.q(live)).toEqual([{ live: 101, gone: 0 }]);

      h.clock.advance(10 * MINUTE);
      const there = { instanceUrl: refreshed.url, loginUrl: refreshed.url, clientId: refreshed.clientId, clientSecret: refreshed.clientSecret };
      const [full] = await h.sync({ full: true, streams: ['gifts'] }, there);
      expect(full).toMatchObject({ outcome: 'succeeded', records: 101 });
      await h.land();
      expect(await h.q(live)).toEqual([{ live: 100, gone: 1 }]);
      // What is left (docs/connectors.md, "Another org"): the old org's newer version stays current until the new org changes
      // the gift. The query there lists such records: current, live, and not landed since the --full began.
      const since = full!.startedAt.replace('T', ' ').replace('Z', '');
      const stale = await h.q(
        `SELECT g.gift_id, g.amount_minor FROM gift g WHERE NOT g.deleted AND NOT EXISTS (SELECT 1 FROM raw r WHERE r.id = g._id AND r.received_at >= TIMESTAMP '${since}')`,
      );
      expect(stale).toEqual([{ gift_id: edited, amount_minor: 99900 }]);
      expect(await h.q(`SELECT deleted, amount_minor FROM gift WHERE gift_id = '${test}'`)).toEqual([{ deleted: true, amount_minor: 100 }]);
      expect(await h.q(`SELECT count(*) AS n FROM gift_history WHERE gift_id = '${test}'`)).toEqual([{ n: 2 }]);

      // The next runs read on in the new org without sweeping again.
      h.clock.advance(10 * MINUTE);
      expect((await h.sync({ streams: ['gifts'] }, there))[0]).toMatchObject({ outcome: 'succeeded', records: 0 });
    } finally {
      await refreshed.close();
      await h.close();
    }
  });
});
