import { describe, expect, it } from 'vitest';
import { loadBookmark } from '../core/engine/bookmark.js';
import { salesforceHarness } from './support/salesforce-harness.js';

const scenario = { seed: 3, donations: 100, start: new Date('2026-11-20T18:00:00Z') };

/**
 * SALESFORCE_NPSP_NAMESPACE against an org whose NPSP names carry another namespace, or none (NPSP unmanaged): the
 * sandbox answers and is asked in the org's names. A field a setting names as `npsp__...` is read under the org's
 * namespace, as the connector's own NPSP fields are; the charity's own field (`Gift_Aid_Declared__c`) as written.
 */
describe.each([
  ['an unmanaged org (no namespace)', ''],
  ['an org of another namespace', 'acme'],
])('Salesforce: %s', (_what, namespace) => {
  it('reads every stream, the gift-aid field as written and an npsp__ field a setting names under the namespace', async () => {
    const h = await salesforceHarness({ scenario, namespace });
    try {
      const org = (object: string) => [...h.sandbox.org.rows.get(object)!.values()];
      // Any NPSP field shows which name is read; the primary contact's is known for every gift.
      const runs = await h.sync({}, { namespace, giftAidField: 'Gift_Aid_Declared__c', donationIdField: 'npsp__Primary_Contact__c' });
      expect(runs.filter((r) => r.outcome !== 'succeeded')).toEqual([]);
      await h.land();
      const gifts = org('Opportunity').filter((g) => g.npsp__Primary_Contact__c);
      expect(gifts.length).toBeGreaterThan(50);
      expect(await h.q('SELECT count(*) FILTER (WHERE donation_id = supporter_id) AS linked FROM gift')).toEqual([{ linked: gifts.length }]);
      const declared = org('Contact').filter((c) => c.Gift_Aid_Declared__c === true).length;
      expect(declared).toBeGreaterThan(0);
      expect(await h.q('SELECT count(*) FILTER (WHERE gift_aid_declared) AS yes FROM supporter')).toEqual([{ yes: declared }]);
      expect(await h.q('SELECT count(*) AS n FROM gift_allocation')).toEqual([{ n: org('npsp__Allocation__c').length }]);
    } finally {
      await h.close();
    }
  });

  it('stops every stream reading NPSP names, naming the setting, when SALESFORCE_NPSP_NAMESPACE is left at npsp; set right, gifts land linked', async () => {
    const h = await salesforceHarness({ scenario, namespace });
    try {
      const runs = await h.sync();
      expect(runs.find((r) => r.stream === 'allocations')).toMatchObject({
        outcome: 'failed', records: 0,
        error: 'salesforce: the org has no npsp__Allocation__c object: is the NPSP package installed, and is SALESFORCE_NPSP_NAMESPACE (npsp) right?',
      });
      // The streams reading NPSP's fields on other objects stop too, naming the setting and the org's namespace,
      // instead of landing gifts without their supporter and payments without their processor's id.
      const theirs = namespace ? 'under "acme"' : 'without a namespace (NPSP unmanaged)';
      const field = `${namespace ? 'acme__' : ''}Primary_Contact__c`;
      expect(runs.find((r) => r.stream === 'gifts')).toMatchObject({
        outcome: 'failed', records: 0,
        error: `salesforce: SALESFORCE_NPSP_NAMESPACE is "npsp", but this org names NPSP's fields ${theirs} (Opportunity.${field}, not npsp__Primary_Contact__c): `
          + `set SALESFORCE_NPSP_NAMESPACE to ${namespace ? '"acme"' : 'empty'} (Setup > Installed Packages shows NPSP's namespace prefix). `
          + "Reading on would land every record without NPSP's fields (gifts without their supporter, payments without their processor's id); this stream reads nothing until then, and its bookmark stays where it is",
      });
      expect(runs.filter((r) => r.outcome === 'failed').map((r) => r.stream).sort()).toEqual(['allocations', 'backfill', 'gift_payments', 'gifts', 'recurring_donations']);
      expect(runs.find((r) => r.stream === 'backfill')!.error).toMatch(/^salesforce: INVALID_TYPE: .*: is the NPSP package installed, and is SALESFORCE_NPSP_NAMESPACE \(npsp\) right\?$/);
      expect(await loadBookmark(h.engineRuntime.state, 'salesforce', 'gifts')).toMatchObject({ cursor: null, window: null });
      // Set right, every stream reads, and every gift with a primary contact lands linked to its supporter.
      h.clock.advance(10 * 60_000);
      expect((await h.sync({}, { namespace })).filter((r) => r.outcome !== 'succeeded')).toEqual([]);
      await h.land();
      const linked = [...h.sandbox.org.rows.get('Opportunity')!.values()].filter((g) => g.npsp__Primary_Contact__c).length;
      expect(await h.q('SELECT count(*) FILTER (WHERE supporter_id IS NOT NULL) AS linked FROM gift')).toEqual([{ linked }]);
    } finally {
      await h.close();
    }
  });
});

describe('Salesforce: SALESFORCE_NPSP_NAMESPACE empty in an org where NPSP is the managed package', () => {
  it('stops the gifts stream naming the setting and npsp, instead of landing gifts without their supporter', async () => {
    const h = await salesforceHarness({ scenario });
    try {
      const [gifts] = await h.sync({ streams: ['gifts'] }, { namespace: '' });
      expect(gifts).toMatchObject({ outcome: 'failed', records: 0 });
      expect(gifts!.error).toMatch(/^salesforce: SALESFORCE_NPSP_NAMESPACE is empty, but this org names NPSP's fields under "npsp" \(Opportunity\.npsp__Primary_Contact__c, not Primary_Contact__c\): set SALESFORCE_NPSP_NAMESPACE to "npsp"/);
    } finally {
      await h.close();
    }
  });
});
