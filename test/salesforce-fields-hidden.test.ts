import { describe, expect, it } from 'vitest';
import { loadBookmark } from '../core/engine/bookmark.js';
import { salesforceHarness, SF_NOW } from './support/salesforce-harness.js';

const MINUTE = 60_000;
const PAYMENTS = 'npe01__OppPayment__c';
const hiddenError =
  'salesforce: gift_payments has read npe01__OppPayment__c.npe01__Payment_Method__c until now, and the integration user can no longer see it: '
  + 'give its profile or permission set Read access again (Setup > Object Manager > npe01__OppPayment__c > Fields & Relationships > Set Field-Level Security); '
  + 'reading on would land every record changed from now on without it, over what landed before. To go on without it, run puddle sync salesforce --streams gift_payments --full';

describe('Salesforce: field-level security takes a field the connector has been reading', () => {
  it('stops the stream with its bookmark untouched, keeps what landed, reads on once access is back, and --full goes on without it', async () => {
    const h = await salesforceHarness({ scenario: { seed: 3, donations: 100, start: new Date('2026-11-20T18:00:00Z') } });
    const payments = () => [...h.sandbox.org.rows.get(PAYMENTS)!.values()];
    const touchAll = (at: number) => {
      for (const p of payments()) h.sandbox.org.update(PAYMENTS, String(p.Id), {}, at);
    };
    const methods = "SELECT count(*) AS n, count(method) AS methods FROM gift_payment";
    try {
      expect((await h.sync({ streams: ['gift_payments', 'allocations'] }))[0]!.outcome).toBe('succeeded');
      await h.land();
      const withMethod = payments().filter((p) => p.npe01__Payment_Method__c != null).length;
      expect(withMethod).toBeGreaterThan(50);
      expect(await h.q(methods)).toEqual([{ n: payments().length, methods: withMethod }]);
      const before = await loadBookmark(h.engineRuntime.state, 'salesforce', 'gift_payments');

      // Mid-run: the object was described, then the field is taken before the next page.
      h.clock.advance(10 * MINUTE);
      touchAll(SF_NOW.getTime() + 5 * MINUTE);
      let pages = 0;
      h.sandbox.onQuery = () => {
        if (++pages === 2) h.sandbox.org.hidden.add(`${PAYMENTS}.npe01__Payment_Method__c`);
      };
      const midRun = await h.sync({ streams: ['gift_payments', 'allocations'] }, { pageSize: 50 });
      h.sandbox.onQuery = null;
      expect(midRun.map((r) => r.outcome)).toEqual(['failed', 'succeeded']);
      expect(midRun[0]!.error).toBe(
        "salesforce: INVALID_FIELD: No such column 'npe01__Payment_Method__c' on entity 'npe01__OppPayment__c': field-level security may have changed during the run; it stopped at its last checkpoint, and the next run describes the object again",
      );

      // The next run, described again: it names the field and what to do, reads nothing, and keeps its bookmark.
      h.clock.advance(5 * MINUTE);
      const [hidden] = await h.sync({ streams: ['gift_payments'] });
      expect(hidden).toMatchObject({ outcome: 'failed', records: 0, error: hiddenError });
      expect((await loadBookmark(h.engineRuntime.state, 'salesforce', 'gift_payments')).cursor).toBe(before.cursor);
      await h.land();
      expect(await h.q(methods)).toEqual([{ n: payments().length, methods: withMethod }]);

      // Access back: the rest of the payments changed meanwhile lands (the mid-run failure kept its first page), with their methods.
      h.sandbox.org.hidden.delete(`${PAYMENTS}.npe01__Payment_Method__c`);
      h.clock.advance(5 * MINUTE);
      expect(midRun[0]!.records).toBe(50);
      expect((await h.sync({ streams: ['gift_payments'] }))[0]).toMatchObject({ outcome: 'succeeded', records: payments().length - 50 });
      await h.land();
      expect(await h.q(methods)).toEqual([{ n: payments().length, methods: withMethod }]);

      // Taken on purpose: --full reads on without it, and the runs after it do too.
      h.sandbox.org.hidden.add(`${PAYMENTS}.npe01__Payment_Method__c`);
      h.clock.advance(5 * MINUTE);
      expect((await h.sync({ streams: ['gift_payments'] }))[0]).toMatchObject({ outcome: 'failed', error: hiddenError });
      expect((await h.sync({ streams: ['gift_payments'], full: true }))[0]).toMatchObject({ outcome: 'succeeded', records: payments().length });
      h.clock.advance(5 * MINUTE);
      expect((await h.sync({ streams: ['gift_payments'] }))[0]).toMatchObject({ outcome: 'succeeded' });
      await h.land();
      expect(await h.q(methods)).toEqual([{ n: payments().length, methods: 0 }]);
    } finally {
      await h.close();
    }
  });
});
