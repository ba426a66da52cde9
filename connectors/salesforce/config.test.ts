import { describe, expect, it } from 'vitest';
import { ConfigError, FatalError } from '../../core/errors.js';
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
    // Set in part: a mistake (ConfigError), not "not configured"; the values set are named, never shown.
    expect(() => salesforceConfig(secrets({ ...base, SALESFORCE_AUTH: 'client_credentials', SALESFORCE_CLIENT_ID: 'id-123' }))).toThrow(
      new ConfigError(
        'SALESFORCE_CLIENT_SECRET must be set too: SALESFORCE_INSTANCE_URL, SALESFORCE_CLIENT_ID are set, and salesforce (SALESFORCE_AUTH client_credentials) needs all of SALESFORCE_INSTANCE_URL, SALESFORCE_CLIENT_ID, SALESFORCE_CLIENT_SECRET (or none, to leave it unconfigured)',
      ),
    );
    expect(() => salesforceConfig(secrets({ ...base, SALESFORCE_AUTH: 'jwt', SALESFORCE_CLIENT_ID: 'id', SALESFORCE_USERNAME: 'u' }))).toThrow(/^SALESFORCE_PRIVATE_KEY must be set too/);
    expect(() => salesforceConfig(secrets({ ...base }))).toThrow(/^SALESFORCE_CLIENT_ID, SALESFORCE_CLIENT_SECRET must be set too: SALESFORCE_INSTANCE_URL is set/);
    // Another mode's credential shows Salesforce was meant to be configured.
    expect(() => salesforceConfig(secrets({ SALESFORCE_REFRESH_TOKEN: 'r' }))).toThrow(/^SALESFORCE_INSTANCE_URL, SALESFORCE_CLIENT_ID, SALESFORCE_CLIENT_SECRET must be set too: SALESFORCE_REFRESH_TOKEN is set/);
    expect(() => salesforceConfig(secrets({ ...base, SALESFORCE_AUTH: 'password' }))).toThrow('SALESFORCE_AUTH must be one of access_token, client_credentials, refresh_token, jwt (got "password")');
    expect(() => salesforceConfig(secrets({ ...base, SALESFORCE_ACCESS_TOKEN: 't', SALESFORCE_API_VERSION: 'v60' }))).toThrow('SALESFORCE_API_VERSION must be an API version such as 60.0 (got "v60")');
    // Nothing set: not configured (the hub runs the sandbox).
    expect(() => salesforceConfig(secrets({}))).toThrow(FatalError);
    expect(() => salesforceConfig(secrets({}))).not.toThrow(ConfigError);
    expect(() => salesforceConfig(secrets({ SALESFORCE_ACCESS_TOKEN: 't' }))).toThrow(new ConfigError(
      'SALESFORCE_INSTANCE_URL must be set too: SALESFORCE_ACCESS_TOKEN is set, and salesforce (SALESFORCE_AUTH access_token) needs all of SALESFORCE_INSTANCE_URL, SALESFORCE_ACCESS_TOKEN (or none, to leave it unconfigured)',
    ));
    // A URL without its scheme is set but wrong; its value is not repeated (a URL can carry a password).
    expect(() => salesforceConfig(secrets({ SALESFORCE_INSTANCE_URL: 'charity.my.salesforce.com' }))).toThrow(ConfigError);
    // field names go into SOQL: only API names
    expect(() => salesforceConfig(secrets({ ...base, SALESFORCE_ACCESS_TOKEN: 't', SALESFORCE_GIFT_AID_FIELD: "Gift_Aid__c, (SELECT Id FROM Contacts)" }))).toThrow('SALESFORCE_GIFT_AID_FIELD must be a field API name');
    expect(() => salesforceConfig(secrets({ ...base, SALESFORCE_ACCESS_TOKEN: 't', SALESFORCE_PAYMENT_REF_FIELDS: 'Ref__c,Id FROM Contact' }))).toThrow(
      'SALESFORCE_PAYMENT_REF_FIELDS must be field API names separated by commas, such as npsp__Gateway_Payment_ID__c (got "Id FROM Contact")',
    );
    // A key Node cannot read is named, never shown.
    expect(() => salesforceConfig(secrets({ ...base, SALESFORCE_AUTH: 'jwt', SALESFORCE_CLIENT_ID: 'id', SALESFORCE_USERNAME: 'u', SALESFORCE_PRIVATE_KEY: 'not-a-pem-sekrit' }))).toThrow(
      /^SALESFORCE_PRIVATE_KEY must be the PEM private key of the connected app's certificate \(-----BEGIN PRIVATE KEY----- \.\.\.\)$/,
    );
    expect(salesforceConfig(secrets({ ...base, SALESFORCE_ACCESS_TOKEN: 't', SALESFORCE_GIFT_AID_FIELD: 'Gift_Aid_Declared__c' })).giftAidField).toBe('Gift_Aid_Declared__c');
  });
});
