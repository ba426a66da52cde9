// Deletions after a gap longer than the Recycle Bin keeps them: the sandbox purges a row, and another's
// deletion ages past 15 days, while the connector does not run; the next run begins with an id-only sweep
// and lands both as deleted versions, with their amounts, beside a deletion still in the bin.
import { describe, expect, it } from 'vitest';
import { loadBookmark } from '../core/engine/bookmark.js';
import { countSweepPages, refuseDeletedOnce, salesforceHarness, type SalesforceHarness } from './support/salesforce-harness.js';

const DAY = 86_400_000;


describe('Salesforce deletion sweep after a long gap', () => {
  it('lands rows purged during the gap as deleted versions, once, and sweeps only after a gap', async () => {
    const h = await salesforceHarness({ opportunities: 30 });
    const sweeps = countSweepPages(h.sandbox);
    try {
      const [first] = await h.sync({ streams: ['gifts'] });
      expect(first).toMatchObject({ outcome: 'succeeded', records: 30 });
      expect(sweeps()).toBe(0); // a first sync has nothing to miss
      const ids = [...h.sandbox.org.rows.get('Opportunity')!.keys()].sort();
      const [purged, aged, recent] = [ids[3]!, ids[11]!, ids[20]!];
      const amount = h.sandbox.org.get('Opportunity', purged).Amount as number;
      h.sandbox.org.purge('Opportunity', purged);
      h.clock.advance(DAY);
      h.sandbox.org.delete('Opportunity', aged); // 19 days before the next run: out of the bin by then
      h.clock.advance(19 * DAY);
      h.sandbox.org.delete('Opportunity', recent, h.clock.now().getTime() - 300_000); // still in the bin: arrives as any deletion does

      const [second] = await h.sync({ streams: ['gifts'] }, { pageSize: 10 });
      expect(second!.outcome).toBe('succeeded');
      expect(sweeps()).toBe(3); // 28 ids present in pages of 10
      await h.land();
      const deleted = await h.q('SELECT gift_id, amount_minor FROM gift WHERE deleted ORDER BY gift_id');
      expect(deleted.map((r) => r.gift_id)).toEqual([purged, aged, recent].sort());
      expect(deleted.find((r) => r.gift_id === purged)!.amount_minor).toBe(amount * 100);
      expect(await h.q('SELECT count(*) AS n, count(*) FILTER (WHERE NOT deleted) AS live FROM gift')).toEqual([{ n: 30, live: 27 }]);

      // a run soon after: no sweep (it re-reads only its lookback)
      const [versions] = await h.q('SELECT count(*) AS n FROM gift_history');
      h.clock.advance(DAY);
      const [third] = await h.sync({ streams: ['gifts'] });
      expect(third!.outcome).toBe('succeeded');
      expect(sweeps()).toBe(3);
      // another long gap: a sweep, and the rows already gone are not landed again
      h.clock.advance(20 * DAY);
      const [fourth] = await h.sync({ streams: ['gifts'] });
      expect(fourth).toMatchObject({ outcome: 'succeeded', records: 0 });
      expect(sweeps()).toBe(4);
      await h.land();
      expect(await h.q('SELECT count(*) AS n FROM gift_history')).toEqual([versions]);
    } finally {
      await h.close();
    }
  });

  it('lands the deleted versions of a sweep whose run died before the queue took them, on the next run', async () => {
    const h = await salesforceHarness({ opportunities: 30 });
    try {
      await h.sync({ streams: ['gifts'] });
      const ids = [...h.sandbox.org.rows.get('Opportunity')!.keys()].sort();
      h.sandbox.org.purge('Opportunity', ids[3]!);
      h.sandbox.org.purge('Opportunity', ids[25]!);
      h.clock.advance(20 * DAY);
      // the queue refuses the pages carrying the deleted versions, once: the run fails after the sweep ended
      const queue = h.engineRuntime.queue;
      const publish = queue.publish.bind(queue);
      let refused = 0;
      queue.publish = async (envelopes) => {
        if (refused === 0 && envelopes.some((e) => (e.payload as { deleted?: boolean }).deleted === true)) {
          refused++;
          throw new Error('queue unavailable');
        }
        return publish(envelopes);
      };
      const [failed] = await h.sync({ streams: ['gifts'] }, { pageSize: 10 });
      expect(failed!.outcome).toBe('failed');
      expect(refused).toBe(1);
      const [resumed] = await h.sync({ streams: ['gifts'] }, { pageSize: 10 });
      expect(resumed!.outcome).toBe('succeeded');
      await h.land();
      expect((await h.q('SELECT gift_id FROM gift WHERE deleted ORDER BY gift_id')).map((r) => r.gift_id)).toEqual([ids[3], ids[25]]);
      // and once confirmed, a later run does not land them again
      const [versions] = await h.q('SELECT count(*) AS n FROM gift_history');
      h.clock.advance(DAY);
      await h.sync({ streams: ['gifts'] });
      await h.land();
      expect(await h.q('SELECT count(*) AS n FROM gift_history')).toEqual([versions]);
    } finally {
      await h.close();
    }
  });

  describe('during a --from backfill', () => {
    // The scheduled run read everything up to 2026-11-29; 20 days later, before it runs again, a backfill of
    // the first half of November sweeps (its window is weeks behind now) and the queue refuses the deleted
    // versions. The sweep's pending versions are the backfill's to confirm, by the backfill's own checkpoint:
    // until 2026-12-02 they were judged by the scheduled run's bookmark, already past the backfill's window,
    // taken as published and forgotten, and the purged rows never landed as deleted.
    const backfill = { from: new Date('2026-11-01T00:00:00Z'), to: new Date('2026-11-15T00:00:00Z') };

    async function sweptByAFailedBackfill(h: SalesforceHarness) {
      await h.sync({ streams: ['gifts'] });
      const scheduled = await loadBookmark(h.rt.state, 'salesforce', 'gifts');
      const ids = [...h.sandbox.org.rows.get('Opportunity')!.keys()].sort();
      h.sandbox.org.purge('Opportunity', ids[3]!);
      h.sandbox.org.purge('Opportunity', ids[25]!);
      h.clock.advance(20 * DAY);
      const queue = refuseDeletedOnce(h);
      const [failed] = await h.sync({ streams: ['gifts'], ...backfill }, { pageSize: 10 });
      expect(failed!.outcome).toBe('failed');
      expect(queue.refused).toBe(1);
      return { scheduled, purged: [ids[3], ids[25]], queue };
    }
    /** The scheduled run's own position: a backfill never moves it back, nor over what it did not read. */
    const ownPosition = async (h: SalesforceHarness) => {
      const { cursor, window, revisitFrom } = await loadBookmark(h.rt.state, 'salesforce', 'gifts');
      return { cursor, window, revisitFrom };
    };

    it('lands the deleted versions when the same backfill runs again, and leaves the scheduled position alone', async () => {
      const h = await salesforceHarness({ opportunities: 30 });
      try {
        const { scheduled, purged, queue } = await sweptByAFailedBackfill(h);
        const own = { cursor: scheduled.cursor, window: scheduled.window, revisitFrom: scheduled.revisitFrom };
        expect(await ownPosition(h)).toEqual(own);
        const [resumed] = await h.sync({ streams: ['gifts'], ...backfill }, { pageSize: 10 });
        expect(resumed!.outcome).toBe('succeeded');
        expect(queue.published).toBe(2);
        expect(await ownPosition(h)).toEqual(own);
        await h.land();
        expect((await h.q('SELECT gift_id FROM gift WHERE deleted ORDER BY gift_id')).map((r) => r.gift_id)).toEqual(purged);
        // Confirmed by the backfill's own checkpoints: the scheduled run neither hands them over again nor sweeps again.
        const [versions] = await h.q('SELECT count(*) AS n FROM gift_history');
        const [next] = await h.sync({ streams: ['gifts'] });
        expect(next!.outcome).toBe('succeeded');
        expect(queue.published).toBe(2);
        await h.land();
        expect(await h.q('SELECT count(*) AS n FROM gift_history')).toEqual([versions]);
      } finally {
        await h.close();
      }
    });

    it('lands them on the next scheduled run when the backfill is not run again', async () => {
      const h = await salesforceHarness({ opportunities: 30 });
      try {
        const { purged, queue } = await sweptByAFailedBackfill(h);
        const [next] = await h.sync({ streams: ['gifts'] });
        expect(next!.outcome).toBe('succeeded');
        expect(queue.published).toBe(2);
        await h.land();
        expect((await h.q('SELECT gift_id FROM gift WHERE deleted ORDER BY gift_id')).map((r) => r.gift_id)).toEqual(purged);
        // Now confirmed by the scheduled run's checkpoints: the backfill run again does not hand them over again.
        const [versions] = await h.q('SELECT count(*) AS n FROM gift_history');
        expect((await h.sync({ streams: ['gifts'], ...backfill }))[0]!.outcome).toBe('succeeded');
        expect(queue.published).toBe(2);
        await h.land();
        expect(await h.q('SELECT count(*) AS n FROM gift_history')).toEqual([versions]);
      } finally {
        await h.close();
      }
    });
  });
  it('a page of the sweep read under a new session is read again without losing the rows it found gone', async () => {
    // Tokens that do not name their org: a re-login is checked again, and the page read under it is read again.
    const h = await salesforceHarness({ opportunities: 30, opaqueTokens: true });
    try {
      expect((await h.sync({ streams: ['gifts'] }))[0]).toMatchObject({ outcome: 'succeeded', records: 30 });
      const ids = [...h.sandbox.org.rows.get('Opportunity')!.keys()].sort();
      const purged = [ids[3]!, ids[14]!];
      for (const id of purged) h.sandbox.org.purge('Opportunity', id);
      h.clock.advance(20 * DAY);
      // The session ends as the sweep's first page is answered: the second (ids 11-20 of 28, one of them gone) is read
      // under a new one, checked again, and read again.
      let sweepPages = 0;
      const query = h.sandbox.org.query.bind(h.sandbox.org);
      h.sandbox.org.query = (q, all) => {
        const out = query(q, all);
        if (q.startsWith('SELECT Id FROM Opportunity WHERE Id >') && ++sweepPages === 1) h.sandbox.expireTokens();
        return out;
      };
      const [run] = await h.sync({ streams: ['gifts'] }, { pageSize: 10 });
      expect(run!.outcome).toBe('succeeded');
      expect(sweepPages).toBe(4); // the second page twice
      await h.land();
      // Until 2026-12-03 the first reading of the page took its gone row out of the sweep's memory, and the page read
      // again found nothing gone: that row never landed as deleted.
      expect(await h.q('SELECT gift_id FROM gift WHERE deleted ORDER BY gift_id')).toEqual(purged.map((gift_id) => ({ gift_id })));
    } finally {
      await h.close();
    }
  });
  it('a sandbox refreshed during the sweep stops the stream at the page read in the new org, before the sweep takes anything from it', async () => {
    const h = await salesforceHarness({ opportunities: 30 });
    try {
      expect((await h.sync({ streams: ['gifts'] }))[0]).toMatchObject({ outcome: 'succeeded', records: 30 });
      const ids = [...h.sandbox.org.rows.get('Opportunity')!.keys()].sort();
      h.sandbox.org.purge('Opportunity', ids[3]!);
      h.clock.advance(20 * DAY);
      const state = h.engineRuntime.state;
      const memory = async () => ({ sweep: await state.get('salesforce:sweep:Opportunity'), known: await state.get('salesforce:known:Opportunity'), first: await state.get('salesforce:known:Opportunity:0') });
      const before = await memory();
      let sweepPages = 0;
      const query = h.sandbox.org.query.bind(h.sandbox.org);
      h.sandbox.org.query = (q, all) => {
        const out = query(q, all);
        // The refresh as the second of three sweep pages is answered: the last is read in the new org, where a gift is gone.
        if (q.startsWith('SELECT Id FROM Opportunity WHERE Id >') && ++sweepPages === 2) {
          h.sandbox.refreshOrg('00D8d000001rfshEAA');
          h.sandbox.org.purge('Opportunity', ids[25]!);
        }
        return out;
      };
      const [run] = await h.sync({ streams: ['gifts'] }, { pageSize: 10 });
      expect(run).toMatchObject({ outcome: 'failed' });
      expect(run!.error).toMatch(/^salesforce: gifts's bookmark was read in org 00D8d000000sboxEAA, but SALESFORCE_INSTANCE_URL now reaches org 00D8d000001rfshEAA/);
      // Until 2026-12-03 the last page, read in the new org, rewrote what the connector knew of the old one and left
      // the new org's gone gift pending as deleted, to be landed by whichever run came next.
      expect(await memory()).toEqual(before);
      await h.land();
      expect(await h.q('SELECT gift_id FROM gift WHERE deleted')).toEqual([{ gift_id: ids[3]! }]);
    } finally {
      await h.close();
    }
  });
});
