import { describe, expect, it } from 'vitest';
import { mappedToEnvelopes } from '../../core/engine/envelopes.js';
import { scrubPersonalData } from '../../core/pii.js';
import { withNamespace } from './config.js';
import { mapAccount, mapAllocation, mapContact, mapOpportunity, mapPayment, mapRecurringDonation, postcodeDistrict, sfTime, type SalesforceMapOptions } from './mappings.js';
import { keysetSoql, parseToken } from './streams.js';

const opts: SalesforceMapOptions = { namespace: 'npsp', currency: 'GBP', paymentRefFields: ['npsp__Gateway_Payment_ID__c', 'npsp__Elevate_Payment_ID__c', 'npe01__Check_Reference_Number__c'], donationIdField: null };
const base = { Id: 'a018d0000000001AAA', CreatedDate: '2026-11-29T10:00:00.000+0000', SystemModstamp: '2026-11-29T10:05:00.000+0000', IsDeleted: false };

describe('Salesforce mappings', () => {
  it('maps a refund payment exactly, with the first non-empty payment ref and its original', () => {
    const [m] = mapPayment({ ...base, npe01__Payment_Amount__c: -10.1, npsp__Gateway_Payment_ID__c: '', npsp__Elevate_Payment_ID__c: 'el_1', npsp__OriginalPayment__c: 'a018d0000000000AAA' }, opts);
    expect(m!.payload).toMatchObject({ amount_minor: -1010, currency: 'GBP', payment_ref: 'el_1', original_payment_id: 'a018d0000000000AAA', updated_at: '2026-11-29T10:05:00.000Z' });
  });

  it('reads npsp fields under another namespace, and leaves a percent-based allocation without an amount', () => {
    expect(withNamespace('npsp__Amount__c', '')).toBe('Amount__c');
    const [m] = mapAllocation({ ...base, Amount__c: null, Percent__c: 60, Opportunity__c: '0068d0000000001AAA' }, { ...opts, namespace: '' });
    expect(m!.payload).toMatchObject({ amount_minor: null, currency: null, percent: '60', gift_id: '0068d0000000001AAA' });
  });

  it('reads the gift-aid and donation-id fields a setting names under the org\'s namespace: npsp__ takes it, another prefix or none is kept', () => {
    // NPSP's prefix as written becomes the org's; a name already under a namespace never gets a second; the charity's own field has none.
    expect(['npsp__X__c', 'acme__X__c', 'Gift_Aid__c', 'npe01__X__c'].map((f) => withNamespace(f, 'acme'))).toEqual(['acme__X__c', 'acme__X__c', 'Gift_Aid__c', 'npe01__X__c']);
    const contact = { ...base, Id: '0038d0000000001AAA', Deceased__c: true, acme__Gift_Aid__c: true, Gift_Aid__c: true };
    const declared = (giftAidField: string, namespace: string) => mapContact(contact, { ...opts, namespace, giftAidField })[0]!.payload.gift_aid_declared;
    expect([declared('npsp__Deceased__c', ''), declared('acme__Gift_Aid__c', 'acme'), declared('Gift_Aid__c', 'acme'), declared('Gift_Aid__c', '')]).toEqual([true, true, true, true]);
    const gift = { ...base, Id: '0068d0000000001AAA', Amount: 5, acme__Form_Id__c: 'don_1' };
    expect(mapOpportunity(gift, { ...opts, namespace: 'acme', donationIdField: 'npsp__Form_Id__c' })[0]!.payload.donation_id).toBe('don_1');
  });

  it('quarantines a recurring donation whose instalment frequency is below zero, naming the field; lands it otherwise', () => {
    const origin = { source: 'salesforce', stream: 'recurring_donations', delivery_id: 'run-1', received_at: '2026-11-29T10:10:00.000Z', raw: scrubPersonalData(base) };
    const rd = (npsp__InstallmentFrequency__c: number) =>
      mappedToEnvelopes(mapRecurringDonation({ ...base, npe03__Amount__c: 10, npe03__Installment_Period__c: 'Monthly', npsp__InstallmentFrequency__c }, opts), origin).envelopes;
    const [held] = rd(-1);
    expect(held!.contract).toBe('quarantine');
    expect(held!.payload).toMatchObject({ quarantine_id: `salesforce:recurring_donation:${base.Id}`, contract: 'recurring_donation' });
    expect(JSON.parse(held!.payload.reasons as string)).toEqual([{ path: 'payload.installment_frequency', message: 'must not be negative' }]);
    const [landed] = rd(2);
    expect(landed!.contract).toBe('recurring_donation');
    expect(landed!.payload).toMatchObject({ installment_frequency: 2, amount_minor: 1000 });
  });

  it("maps a closed regular gift's end date and closed reason (recurring_donation v2), under the org's namespace", () => {
    const [m] = mapRecurringDonation({ ...base, npe03__Amount__c: 10, npsp__Status__c: 'Closed', npsp__EndDate__c: '2026-11-20', npsp__ClosedReason__c: 'Deceased' }, opts);
    expect(m).toMatchObject({ contract: 'recurring_donation', version: 2, payload: { status: 'Closed', end_date: '2026-11-20', closed_reason: 'Deceased' } });
    const [bare] = mapRecurringDonation({ ...base, npe03__Amount__c: 10, Status__c: 'Active', EndDate__c: null, ClosedReason__c: '' }, { ...opts, namespace: '' });
    expect(bare!.payload).toMatchObject({ status: 'Active', end_date: null, closed_reason: null });
  });

  it("names a record type by describe's DeveloperName, and keeps an id describe does not list", () => {
    const o = { ...opts, recordTypes: new Map([['0128d000000DONoAAA', 'Donation']]) };
    const gift = (RecordTypeId: string | null) => mapOpportunity({ ...base, Amount: 5, RecordTypeId }, o)[0]!.payload.record_type;
    expect([gift('0128d000000DONoAAA'), gift('0128d000000GONEAAA'), gift(null)]).toEqual(['Donation', '0128d000000GONEAAA', null]);
    expect(mapAccount({ ...base, RecordTypeId: '0128d000000DONoAAA' }, o)[0]!.payload.record_type).toBe('Donation');
  });

  it('refuses amounts with more decimals than the currency has, and times that are not times', () => {
    expect(() => mapPayment({ ...base, npe01__Payment_Amount__c: 10.005 }, opts)).toThrow(/more decimals/);
    expect(() => sfTime('yesterday', 'SystemModstamp')).toThrow(/SystemModstamp is not a Salesforce datetime/);
    expect(postcodeDistrict('ec1a 1bb')).toBe('EC1A');
    expect(postcodeDistrict('not a postcode')).toBeNull();
  });

  it('writes SOQL datetimes as Salesforce requires and refuses a page token that is not ours', () => {
    const soql = keysetSoql('Opportunity', ['Id'], { from: new Date('2026-11-01T00:00:00Z'), to: new Date('2026-11-08T00:00:00Z') }, parseToken('2026-11-02T00:00:00.000Z|0068d0000000001AAA'), 2000);
    expect(soql).toBe(
      "SELECT Id FROM Opportunity WHERE SystemModstamp >= 2026-11-01T00:00:00.000Z AND SystemModstamp < 2026-11-08T00:00:00.000Z AND (SystemModstamp > 2026-11-02T00:00:00.000Z OR (SystemModstamp = 2026-11-02T00:00:00.000Z AND Id > '0068d0000000001AAA')) ORDER BY SystemModstamp, Id LIMIT 2000",
    );
    expect(() => parseToken("2026-11-02T00:00:00.000Z|x' OR Id != '")).toThrow(/bad page token/);
  });
});
