import { describe, expect, it } from 'vitest';
import { salesforceConfig } from './config.js';

const secrets = (m: Record<string, string>) => ({ get: (k: string) => m[k] });

describe('Salesforce configuration', () => {
  it('reads defaults: API 60.0, GBP, npsp namespace, the three payment ref fields, 10-minute lookback', () => {
    const c = salesforceConfig(secrets({ SALESFORCE_INSTANCE_URL: 'https://charity.my.salesforce.com/', SALESFORCE_ACCESS_TOKEN: 'tok' }));
    expect(c).toMatchObject({ auth: 'access_token', instanceUrl: 'https://charity.my.salesforce.com', apiVersion: '60.0', currency: 'GBP', namespace: 'npsp', lookbackMs: 600_000, maxApiShare: 0.5 });
    expect(c.paymentRefFields).toEqual(['npsp__Gateway_Payment_ID__c', 'npsp__Elevate_Payment_ID__c', 'npe01__Check_Reference_Number__c']);
  });

  it('names what is missing for the chosen auth mode, without echoing secrets', () => {
    const base = { SALESFORCE_INSTANCE_URL: 'https://charity.my.salesforce.com' };
    expect(() => salesforceConfig(secrets({ ...base, SALESFORCE_AUTH: 'client_credentials', SALESFORCE_CLIENT_ID: 'id' }))).toThrow('SALESFORCE_CLIENT_SECRET must be set when SALESFORCE_AUTH is client_credentials');
    expect(() => salesforceConfig(secrets({ ...base, SALESFORCE_AUTH: 'jwt', SALESFORCE_CLIENT_ID: 'id', SALESFORCE_USERNAME: 'u' }))).toThrow('SALESFORCE_PRIVATE_KEY must be set');
    expect(() => salesforceConfig(secrets({ ...base, SALESFORCE_AUTH: 'password' }))).toThrow(/SALESFORCE_AUTH must be one of/);
    expect(() => salesforceConfig(secrets({ ...base, SALESFORCE_ACCESS_TOKEN: 't', SALESFORCE_API_VERSION: 'v60' }))).toThrow(/look like 60.0/);
    expect(() => salesforceConfig(secrets({ SALESFORCE_ACCESS_TOKEN: 't' }))).toThrow(/SALESFORCE_INSTANCE_URL/);
    // field names go into SOQL: only API names
    expect(() => salesforceConfig(secrets({ ...base, SALESFORCE_ACCESS_TOKEN: 't', SALESFORCE_GIFT_AID_FIELD: "Gift_Aid__c, (SELECT Id FROM Contacts)" }))).toThrow('SALESFORCE_GIFT_AID_FIELD must be a field API name');
    expect(salesforceConfig(secrets({ ...base, SALESFORCE_ACCESS_TOKEN: 't', SALESFORCE_GIFT_AID_FIELD: 'Gift_Aid_Declared__c' })).giftAidField).toBe('Gift_Aid_Declared__c');
  });
});
