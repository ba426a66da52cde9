import { generateKeyPairSync } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AuthError } from '../../../core/errors.js';
import { SalesforceClient, classifySalesforceError } from '../client.js';
import type { SalesforceConfig } from '../config.js';
import { parseSoql } from './soql.js';
import { startSalesforceSandbox, type SalesforceSandbox } from './index.js';

const NOW = new Date('2026-11-29T12:00:00Z');

describe('SOQL subset parser', () => {
  it('parses the keyset query the connector sends', () => {
    const q = parseSoql(
      "SELECT Id, SystemModstamp FROM Opportunity WHERE SystemModstamp >= 2026-11-01T00:00:00.000Z AND SystemModstamp < 2026-11-08T00:00:00+00:00 AND (SystemModstamp > 2026-11-02T00:00:00.000Z OR (SystemModstamp = 2026-11-02T00:00:00.000Z AND Id > '006xx')) ORDER BY SystemModstamp, Id LIMIT 2000",
    );
    expect(q.object).toBe('Opportunity');
    expect(q.orderBy.map((o) => o.field)).toEqual(['SystemModstamp', 'Id']);
    expect(q.limit).toBe(2000);
  });

  it('refuses a datetime pasted from a response (+0000) and names where a query went wrong', () => {
    expect(() => parseSoql('SELECT Id FROM Contact WHERE SystemModstamp >= 2026-11-01T00:00:00.000+0000')).toThrow(/not a valid datetime/);
    expect(() => parseSoql('SELECT Id FROM Contact WHERE')).toThrow(/expecting a field name/);
    expect(() => parseSoql('SELECT Id FROM Contact LIMIT 10 junk')).toThrow(/unexpected token 'junk'/);
  });
});

describe('Salesforce sandbox with the real jsforce', () => {
  let sandbox: SalesforceSandbox;
  const config = (over: Partial<SalesforceConfig> = {}): SalesforceConfig => ({
    auth: 'access_token', instanceUrl: sandbox.url, loginUrl: sandbox.url, apiVersion: '60.0', accessToken: sandbox.accessToken,
    clientId: sandbox.clientId, clientSecret: sandbox.clientSecret, refreshToken: sandbox.refreshToken, username: null, privateKey: null,
    startDate: new Date('2026-11-01T00:00:00Z'), requestsPerSecond: 0, concurrency: 2, lookbackMs: 600_000, namespace: 'npsp',
    currency: 'GBP', paymentRefFields: ['npsp__Gateway_Payment_ID__c'], donationIdField: null, giftAidField: null, maxApiShare: 1, bulkThreshold: 1_000_000, pageSize: 2000, ...over,
  });
  const keys = generateKeyPairSync('rsa', { modulusLength: 2048, publicKeyEncoding: { type: 'spki', format: 'pem' }, privateKeyEncoding: { type: 'pkcs8', format: 'pem' } });
  beforeAll(async () => {
    sandbox = await startSalesforceSandbox({
      now: () => NOW, scenario: { seed: 5, donations: 300, start: new Date('2026-11-20T18:00:00Z') }, batchSize: 100,
      jwt: { publicKey: keys.publicKey, username: 'integration@charity.example' },
    });
  });
  afterAll(() => sandbox.close());

  it('answers query and queryMore (nextRecordsUrl) with Sforce-Limit-Info counted per call', async () => {
    const client = new SalesforceClient(config());
    const first = await client.conn.query<{ Id: string }>('SELECT Id, SystemModstamp FROM Opportunity ORDER BY SystemModstamp, Id', { autoFetch: false });
    expect(first.done).toBe(false);
    expect(first.records).toHaveLength(100);
    const second = await client.conn.queryMore(first.nextRecordsUrl!);
    expect(second.records[0]!.Id).not.toBe(first.records[0]!.Id);
    expect(second.totalSize).toBe(first.totalSize);
    expect(client.conn.limitInfo.apiUsage?.used).toBeGreaterThan(0);
  });

  it('seeds gift payments with the Stripe charge id of the same scenario', async () => {
    const client = new SalesforceClient(config());
    const page = await client.query("SELECT Id, npsp__Gateway_Payment_ID__c FROM npe01__OppPayment__c WHERE npsp__Type__c = 'Sale' LIMIT 5", false);
    expect(page.records.some((r) => /^ch_/.test(String(r.npsp__Gateway_Payment_ID__c)))).toBe(true);
  });

  it('shows deleted rows only to queryAll', async () => {
    const client = new SalesforceClient(config());
    const id = sandbox.org.insert('Campaign', { Name: 'Gone' });
    sandbox.org.delete('Campaign', id);
    const soql = `SELECT Id, IsDeleted FROM Campaign WHERE Id = '${id}'`;
    expect((await client.query(soql, false)).records).toHaveLength(0);
    expect((await client.query(soql, true)).records).toMatchObject([{ Id: id, IsDeleted: true }]);
  });

  it('client_credentials mints through refreshFn on INVALID_SESSION_ID and replays; a refused mint is an auth failure', async () => {
    const client = new SalesforceClient(config({ auth: 'client_credentials', accessToken: null }));
    expect((await client.query('SELECT Id FROM Campaign LIMIT 1', false)).records).toHaveLength(1);
    sandbox.expireTokens();
    expect((await client.query('SELECT Id FROM Campaign LIMIT 1', false)).records).toHaveLength(1);
    sandbox.expireTokens();
    sandbox.faults.refuseAuth = true;
    try {
      const err = await client.query('SELECT Id FROM Campaign LIMIT 1', false).then(() => null, (e: unknown) => e);
      expect(String(err)).toMatch(/Unable to refresh session due to: check SALESFORCE_CLIENT_ID and SALESFORCE_CLIENT_SECRET \(SALESFORCE_AUTH client_credentials\): Salesforce answered invalid_grant: expired/);
      expect(classifySalesforceError(err)).toBeInstanceOf(AuthError);
    } finally {
      sandbox.faults.refuseAuth = false;
    }
  });

  it('jwt (RS256 assertion verified against the public key) and refresh_token mint sessions; a wrong key is refused', async () => {
    const jwt = new SalesforceClient(config({ auth: 'jwt', accessToken: null, username: 'integration@charity.example', privateKey: keys.privateKey }));
    expect((await jwt.query('SELECT Id FROM Campaign LIMIT 1', false)).records).toHaveLength(1);
    const refresh = new SalesforceClient(config({ auth: 'refresh_token', accessToken: null }));
    expect((await refresh.query('SELECT Id FROM Campaign LIMIT 1', false)).records).toHaveLength(1);
    const other = generateKeyPairSync('rsa', { modulusLength: 2048, privateKeyEncoding: { type: 'pkcs8', format: 'pem' }, publicKeyEncoding: { type: 'spki', format: 'pem' } });
    const forged = new SalesforceClient(config({ auth: 'jwt', accessToken: null, username: 'integration@charity.example', privateKey: other.privateKey }));
    const err = await forged.query('SELECT Id FROM Campaign LIMIT 1', false).then(() => null, (e: unknown) => e);
    expect(String(err)).toMatch(/invalid assertion signature/);
    expect(classifySalesforceError(err)).toBeInstanceOf(AuthError);
  });

  it('answers errors as Salesforce does: INVALID_FIELD, MALFORMED_QUERY, and a 503 jsforce does not retry', async () => {
    const client = new SalesforceClient(config({ accessToken: (await new SalesforceClient(config({ auth: 'client_credentials', accessToken: null })).conn.oauth2.requestToken({ grant_type: 'client_credentials' })).access_token }));
    await expect(client.query('SELECT Nope__c FROM Contact', false)).rejects.toMatchObject({ errorCode: 'INVALID_FIELD' });
    await expect(client.query('SELECT Id FROM Contact WHERE SystemModstamp > 2026-11-01T00:00:00.000+0000', false)).rejects.toMatchObject({ errorCode: 'MALFORMED_QUERY' });
    const before = sandbox.requests.countByStatus(503);
    sandbox.faults.status5xx = 1;
    await expect(client.query('SELECT Id FROM Contact LIMIT 1', false)).rejects.toMatchObject({ errorCode: 'SERVER_UNAVAILABLE' });
    expect(sandbox.requests.countByStatus(503) - before).toBe(1);
    expect((await client.query('SELECT Id FROM Contact LIMIT 1', false)).records).toHaveLength(1);
  });
});

describe('Salesforce sandbox seed beside the other sandboxes', () => {
  it('names the Stripe and Braintree sandboxes\' own ids on the gift payments of their appeals', async () => {
    const { startBraintreeSandbox } = await import('../../braintree/sandbox/start-braintree-sandbox.js');
    const { startStripeSandbox } = await import('../../stripe/sandbox/index.js');
    const start = new Date(NOW.getTime() - 5 * 86_400_000);
    const stripeScenario = { seed: 31, donations: 200, start, durationMinutes: 3 * 24 * 60 };
    const braintreeScenario = { seed: 32, donations: 200, start, durationMinutes: 3 * 24 * 60 };
    const now = () => NOW;
    const bt = await startBraintreeSandbox({ scenario: braintreeScenario, now });
    const stripe = await startStripeSandbox({ scenario: stripeScenario, now });
    const sf = await startSalesforceSandbox({ scenario: stripeScenario, braintreeScenario, now });
    try {
      const refs = new Map([...sf.org.rows.get('npe01__OppPayment__c')!.values()].filter((r) => r.npsp__Gateway_Payment_ID__c).map((r) => [r.npsp__Gateway_Payment_ID__c as string, r.npe01__Payment_Amount__c as number]));
      const sales = bt.data.transactions.filter((t) => t.type === 'sale' && t.status !== 'processor_declined');
      const charges = stripe.data.charges.filter((c) => c.status === 'succeeded');
      expect(sales.length).toBeGreaterThan(10);
      expect(charges.length).toBeGreaterThan(10);
      for (const t of sales) expect(refs.get(t.id), t.id).toBe(t.amount_minor / 100);
      for (const c of charges) expect(refs.get(c.id), c.id).toBe(c.amount / 100);
      expect(refs.size).toBe(sales.length + charges.length);
    } finally {
      await Promise.all([sf.close(), bt.close(), stripe.close()]);
    }
  });
});
