// Deletions after a gap longer than the Recycle Bin keeps them: the sandbox purges a row, and another's
// deletion ages past 15 days, while the connector does not run; the next run begins with an id-only sweep
// and lands both as deleted versions, with their amounts, beside a deletion still in the bin.
import { describe, expect, it } from 'vitest';
import { salesforceHarness } from './support/salesforce-harness.js';

const DAY = 86_400_000;

describe('Salesforce deletion sweep after a long gap', () => {
  it('lands rows purged during the gap as deleted versions, once, and sweeps only after a gap', async () => {
    const h = await salesforceHarness({ opportunities: 30 });
    const soql: string[] = [];
    const query = h.sandbox.org.query.bind(h.sandbox.org);
    h.sandbox.org.query = (q, all) => {
      soql.push(q);
      return query(q, all);
    };
    const sweeps = () => soql.filter((q) => q.startsWith('SELECT Id FROM Opportunity WHERE Id >')).length;
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
});
