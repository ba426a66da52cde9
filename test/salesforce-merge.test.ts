import { describe, expect, it } from 'vitest';
import { salesforceHarness } from './support/salesforce-harness.js';

const MINUTE = 60_000;

describe('Salesforce: two supporters merged in the CRM', () => {
  it('lands the merged-away contact as deleted with merged_into, and its gifts, donor roles and memberships under the winner', async () => {
    const h = await salesforceHarness({ scenario: { seed: 3, donations: 100, start: new Date('2026-11-20T18:00:00Z') } });
    try {
      expect((await h.sync()).every((r) => r.outcome === 'succeeded')).toBe(true);
      const gifts = [...h.sandbox.org.rows.get('Opportunity')!.values()];
      const [loser, winner] = [String(gifts[0]!.npsp__Primary_Contact__c), String(gifts[1]!.npsp__Primary_Contact__c)];
      expect(loser).not.toBe(winner);
      const ofLoser = gifts.filter((g) => g.npsp__Primary_Contact__c === loser).map((g) => String(g.Id));
      const ofWinner = gifts.filter((g) => g.npsp__Primary_Contact__c === winner).map((g) => String(g.Id));
      h.clock.advance(10 * MINUTE);
      h.sandbox.org.merge('Contact', loser, winner);
      h.clock.advance(5 * MINUTE);
      expect((await h.sync()).every((r) => r.outcome === 'succeeded')).toBe(true);
      await h.land();
      expect(await h.q(`SELECT deleted, merged_into, email_sha256 FROM supporter WHERE supporter_id = '${loser}'`)).toEqual([{ deleted: true, merged_into: winner, email_sha256: null }]);
      expect(await h.q(`SELECT deleted FROM supporter WHERE supporter_id = '${winner}'`)).toEqual([{ deleted: false }]);
      const under = (table: string) => h.q(`SELECT count(*) FILTER (WHERE supporter_id = '${loser}') AS loser, count(*) FILTER (WHERE supporter_id = '${winner}') AS winner FROM ${table}`);
      expect(await under('gift')).toEqual([{ loser: 0, winner: ofLoser.length + ofWinner.length }]);
      expect(await under('gift_contact_role')).toEqual([{ loser: 0, winner: ofLoser.length + ofWinner.length }]);
      expect((await under('campaign_member'))[0]).toMatchObject({ loser: 0 });
      expect(await h.q(`SELECT count(*) AS n FROM gift WHERE gift_id IN (${ofLoser.map((id) => `'${id}'`).join(', ')}) AND NOT deleted`)).toEqual([{ n: ofLoser.length }]);
    } finally {
      await h.close();
    }
  });
});
