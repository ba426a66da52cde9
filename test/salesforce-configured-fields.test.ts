import { describe, expect, it } from 'vitest';
import { loadBookmark } from '../core/engine/bookmark.js';
import { emailSha256 } from '../core/pii.js';
import { salesforceHarness } from './support/salesforce-harness.js';

const MINUTE = 60_000;
const typo = 'salesforce: SALESFORCE_GIFT_AID_FIELD names Contact.Gift_Aid_Declraed__c, which the integration user cannot see: check its API name (Setup > Object Manager > Contact > Fields & Relationships) and that field-level security gives the integration user\'s profile or permission set Read access to it; this stream reads nothing until then, and its bookmark stays where it is';

describe('Salesforce: a field a setting names that the integration user cannot see', () => {
  it('stops that stream (a misspelt SALESFORCE_GIFT_AID_FIELD), runs the others, and once corrected lands every declaration', async () => {
    const h = await salesforceHarness({ scenario: { seed: 3, donations: 100, start: new Date('2026-11-20T18:00:00Z') } });
    try {
      const contacts = [...h.sandbox.org.rows.get('Contact')!.values()];
      const declared = contacts.filter((c) => c.Gift_Aid_Declared__c === true).length;
      expect(declared).toBeGreaterThan(0);
      const first = await h.sync({}, { giftAidField: 'Gift_Aid_Declraed__c' });
      expect(first.map((r) => [r.stream, r.outcome])).toEqual(first.map((r) => [r.stream, r.stream === 'contacts' ? 'failed' : 'succeeded']));
      expect(first.find((r) => r.stream === 'contacts')!.error).toBe(typo);
      expect((await loadBookmark(h.engineRuntime.state, 'salesforce', 'contacts')).cursor).toBeNull();
      await h.land();
      expect(await h.q('SELECT count(*) AS n FROM supporter')).toEqual([{ n: 0 }]);
      expect(await h.q('SELECT count(*) AS n FROM gift')).toEqual([{ n: 100 }]);

      h.clock.advance(10 * MINUTE);
      const [fixed] = await h.sync({ streams: ['contacts'] });
      expect(fixed).toMatchObject({ outcome: 'succeeded', records: contacts.length });
      await h.land();
      expect(await h.q('SELECT count(*) AS n, count(*) FILTER (WHERE gift_aid_declared) AS yes, count(gift_aid_declared) AS known FROM supporter'))
        .toEqual([{ n: contacts.length, yes: declared, known: contacts.length }]);
    } finally {
      await h.close();
    }
  });

  it('stops when field-level security hides it after a good sync: the declarations already landed are kept, edits wait, then land', async () => {
    const h = await salesforceHarness({ scenario: { seed: 3, donations: 100, start: new Date('2026-11-20T18:00:00Z') } });
    try {
      expect((await h.sync({ streams: ['contacts'] }))[0]!.outcome).toBe('succeeded');
      const before = await loadBookmark(h.engineRuntime.state, 'salesforce', 'contacts');
      const contacts = [...h.sandbox.org.rows.get('Contact')!.values()];
      const yes = contacts.filter((c) => c.Gift_Aid_Declared__c === true);
      h.clock.advance(10 * MINUTE);
      // The admin edits every contact (a new email, say), and a profile change takes the field from the integration user.
      for (const c of contacts) h.sandbox.org.update('Contact', String(c.Id), { Email: `new.${String(c.Id)}@example.org` });
      h.sandbox.org.hidden.add('Contact.Gift_Aid_Declared__c');
      h.clock.advance(5 * MINUTE); // past the describe cache
      const [hidden] = await h.sync({ streams: ['contacts'] });
      expect(hidden).toMatchObject({ outcome: 'failed', records: 0 });
      expect(hidden!.error).toBe(typo.replace('Gift_Aid_Declraed__c', 'Gift_Aid_Declared__c'));
      expect((await loadBookmark(h.engineRuntime.state, 'salesforce', 'contacts')).cursor).toBe(before.cursor);
      await h.land();
      expect(await h.q('SELECT count(*) FILTER (WHERE gift_aid_declared) AS yes, count(gift_aid_declared) AS known FROM supporter'))
        .toEqual([{ yes: yes.length, known: contacts.length }]);

      h.sandbox.org.hidden.delete('Contact.Gift_Aid_Declared__c');
      h.clock.advance(5 * MINUTE);
      expect((await h.sync({ streams: ['contacts'] }))[0]).toMatchObject({ outcome: 'succeeded', records: contacts.length });
      await h.land();
      expect(await h.q('SELECT count(*) FILTER (WHERE gift_aid_declared) AS yes, count(gift_aid_declared) AS known FROM supporter'))
        .toEqual([{ yes: yes.length, known: contacts.length }]);
      const c = contacts[0]!;
      expect(await h.q(`SELECT email_sha256 FROM supporter WHERE supporter_id = '${String(c.Id)}'`)).toEqual([{ email_sha256: emailSha256(`new.${String(c.Id)}@example.org`) }]);
    } finally {
      await h.close();
    }
  });

  it('stops gift_payments when none of SALESFORCE_PAYMENT_REF_FIELDS can be seen; one of them is enough', async () => {
    const h = await salesforceHarness({ scenario: { seed: 3, donations: 100, start: new Date('2026-11-20T18:00:00Z') } });
    try {
      const [none] = await h.sync({ streams: ['gift_payments'] }, { paymentRefFields: ['Gateway_Payment_ID__c', 'npe01__Check_Ref__c'] });
      expect(none).toMatchObject({ outcome: 'failed', records: 0 });
      expect(none!.error).toBe(
        'salesforce: SALESFORCE_PAYMENT_REF_FIELDS names npe01__OppPayment__c.Gateway_Payment_ID__c, npe01__OppPayment__c.npe01__Check_Ref__c, none of which the integration user can see: '
        + 'check their API names (Setup > Object Manager > npe01__OppPayment__c > Fields & Relationships) and that field-level security gives the integration user\'s profile or permission set Read access to one; '
        + 'this stream reads nothing until then, and its bookmark stays where it is',
      );
      const [one] = await h.sync({ streams: ['gift_payments'] }, { paymentRefFields: ['Gateway_Payment_ID__c', 'npsp__Gateway_Payment_ID__c'] });
      expect(one!.outcome).toBe('succeeded');
      await h.land();
      const [refs] = await h.q("SELECT count(*) FILTER (WHERE payment_ref LIKE 'ch_%') AS stripe FROM gift_payment");
      const charges = [...h.sandbox.org.rows.get('npe01__OppPayment__c')!.values()].filter((p) => String(p.npsp__Gateway_Payment_ID__c ?? '').startsWith('ch_')).length;
      expect(charges).toBeGreaterThan(10);
      expect(refs!.stripe).toBe(charges);
    } finally {
      await h.close();
    }
  });

  it('stops the Bulk backfill of the object too, naming SALESFORCE_DONATION_ID_FIELD', async () => {
    const h = await salesforceHarness({ scenario: { seed: 3, donations: 100, start: new Date('2026-11-20T18:00:00Z') } });
    try {
      const [backfill] = await h.sync({ streams: ['backfill'] }, { bulkThreshold: 50, donationIdField: 'Donation_Id_c' });
      expect(backfill!.outcome).toBe('failed');
      expect(backfill!.error).toMatch(/^salesforce: SALESFORCE_DONATION_ID_FIELD names Opportunity\.Donation_Id_c, which the integration user cannot see/);
    } finally {
      await h.close();
    }
  });
});
