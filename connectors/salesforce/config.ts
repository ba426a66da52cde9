import { startDateSetting } from '../../core/config.js';
import { FatalError } from '../../core/errors.js';
import type { SecretStore } from '../../core/ports.js';

export const SALESFORCE_AUTH_MODES = ['access_token', 'client_credentials', 'refresh_token', 'jwt'] as const;
export type SalesforceAuthMode = (typeof SALESFORCE_AUTH_MODES)[number];

export interface SalesforceConfig {
  auth: SalesforceAuthMode;
  /** The org's My Domain URL (where the API calls go). */
  instanceUrl: string;
  /** Where tokens are minted: login.salesforce.com, test.salesforce.com or the My Domain URL. */
  loginUrl: string;
  /** Always sent: jsforce would otherwise use 50.0. */
  apiVersion: string;
  accessToken: string | null;
  clientId: string | null;
  clientSecret: string | null;
  refreshToken: string | null;
  username: string | null;
  /** PEM private key of the connected app's certificate (jwt). */
  privateKey: string | null;
  startDate: Date;
  requestsPerSecond: number;
  concurrency: number;
  /** Rows commit after their SystemModstamp: each run re-reads this far behind its bookmark. */
  lookbackMs: number;
  /** The NPSP package namespace for `npsp__` fields and objects (empty in an unmanaged org). */
  namespace: string;
  /** Single-currency orgs have no CurrencyIsoCode: every amount is in this currency. */
  currency: string;
  /** Payment fields holding the processor's id, first non-empty wins (NPSP names, before the namespace is applied). */
  paymentRefFields: string[];
  /** A custom Opportunity field holding the web form's donation id. */
  donationIdField: string | null;
  /** A Contact checkbox: the supporter has a Gift Aid declaration (supporter.gift_aid_declared). */
  giftAidField: string | null;
  /** Stop the run cleanly once this share of the org's daily API requests is used (other integrations need the rest). */
  maxApiShare: number;
  /** A first sync of an object with at least this many rows goes through a Bulk API 2.0 job. */
  bulkThreshold: number;
  /** Rows per query (keyset page). */
  pageSize: number;
}

export const DEFAULT_PAYMENT_REF_FIELDS = ['npsp__Gateway_Payment_ID__c', 'npsp__Elevate_Payment_ID__c', 'npe01__Check_Reference_Number__c'];

const need = (value: string | null, name: string, auth: string): string => {
  if (!value) throw new FatalError(`salesforce: ${name} must be set when SALESFORCE_AUTH is ${auth}`);
  return value;
};

const positive = (raw: string | undefined, name: string, fallback: number): number => {
  if (raw === undefined || raw === '') return fallback;
  const n = Number(raw);
  if (!Number.isFinite(n) || n < 0) throw new FatalError(`salesforce: ${name} must be a non-negative number`);
  return n;
};

export function salesforceConfig(secrets: SecretStore, now = new Date()): SalesforceConfig {
  const get = (k: string) => secrets.get(k) || null;
  const auth = (get('SALESFORCE_AUTH') ?? (get('SALESFORCE_ACCESS_TOKEN') ? 'access_token' : 'client_credentials')) as SalesforceAuthMode;
  if (!SALESFORCE_AUTH_MODES.includes(auth)) throw new FatalError(`salesforce: SALESFORCE_AUTH must be one of ${SALESFORCE_AUTH_MODES.join(', ')}`);
  const instanceUrl = get('SALESFORCE_INSTANCE_URL');
  if (!instanceUrl || !/^https?:\/\//.test(instanceUrl)) throw new FatalError('salesforce: SALESFORCE_INSTANCE_URL must be the org URL, e.g. https://example.my.salesforce.com');
  const config: SalesforceConfig = {
    auth,
    instanceUrl: instanceUrl.replace(/\/+$/, ''),
    loginUrl: (get('SALESFORCE_LOGIN_URL') ?? 'https://login.salesforce.com').replace(/\/+$/, ''),
    apiVersion: get('SALESFORCE_API_VERSION') ?? '60.0',
    accessToken: get('SALESFORCE_ACCESS_TOKEN'),
    clientId: get('SALESFORCE_CLIENT_ID'),
    clientSecret: get('SALESFORCE_CLIENT_SECRET'),
    refreshToken: get('SALESFORCE_REFRESH_TOKEN'),
    username: get('SALESFORCE_USERNAME'),
    privateKey: get('SALESFORCE_PRIVATE_KEY'),
    startDate: startDateSetting(secrets, 'SALESFORCE_START_DATE', now),
    requestsPerSecond: positive(secrets.get('SALESFORCE_REQUESTS_PER_SECOND'), 'SALESFORCE_REQUESTS_PER_SECOND', 5),
    concurrency: positive(secrets.get('SALESFORCE_CONCURRENCY'), 'SALESFORCE_CONCURRENCY', 2) || 1,
    lookbackMs: positive(secrets.get('SALESFORCE_LOOKBACK_SECONDS'), 'SALESFORCE_LOOKBACK_SECONDS', 600) * 1000,
    namespace: secrets.get('SALESFORCE_NPSP_NAMESPACE') ?? 'npsp',
    currency: (get('SALESFORCE_CURRENCY') ?? 'GBP').toUpperCase(),
    paymentRefFields: (get('SALESFORCE_PAYMENT_REF_FIELDS') ?? DEFAULT_PAYMENT_REF_FIELDS.join(',')).split(',').map((f) => f.trim()).filter(Boolean),
    donationIdField: get('SALESFORCE_DONATION_ID_FIELD'),
    giftAidField: get('SALESFORCE_GIFT_AID_FIELD'),
    maxApiShare: positive(secrets.get('SALESFORCE_MAX_API_SHARE'), 'SALESFORCE_MAX_API_SHARE', 0.5),
    bulkThreshold: positive(secrets.get('SALESFORCE_BULK_THRESHOLD'), 'SALESFORCE_BULK_THRESHOLD', 50_000),
    pageSize: Math.min(2000, positive(secrets.get('SALESFORCE_PAGE_SIZE'), 'SALESFORCE_PAGE_SIZE', 2000) || 2000),
  };
  if (config.maxApiShare <= 0 || config.maxApiShare > 1) throw new FatalError('salesforce: SALESFORCE_MAX_API_SHARE must be above 0 and at most 1');
  if (!/^\d+\.\d$/.test(config.apiVersion)) throw new FatalError('salesforce: SALESFORCE_API_VERSION must look like 60.0');
  if (!/^[A-Z]{3}$/.test(config.currency)) throw new FatalError('salesforce: SALESFORCE_CURRENCY must be an ISO 4217 code such as GBP');
  for (const [name, v] of [['SALESFORCE_DONATION_ID_FIELD', config.donationIdField], ['SALESFORCE_GIFT_AID_FIELD', config.giftAidField]] as const) {
    if (v !== null && !/^[A-Za-z]\w*$/.test(v)) throw new FatalError(`salesforce: ${name} must be a field API name such as Gift_Aid_Declared__c`);
  }
  if (!/^\w*$/.test(config.namespace)) throw new FatalError('salesforce: SALESFORCE_NPSP_NAMESPACE must be a namespace prefix such as npsp, or empty');
  if (auth === 'access_token') need(config.accessToken, 'SALESFORCE_ACCESS_TOKEN', auth);
  if (auth === 'client_credentials') {
    need(config.clientId, 'SALESFORCE_CLIENT_ID', auth);
    need(config.clientSecret, 'SALESFORCE_CLIENT_SECRET', auth);
  }
  if (auth === 'refresh_token') {
    need(config.clientId, 'SALESFORCE_CLIENT_ID', auth);
    need(config.refreshToken, 'SALESFORCE_REFRESH_TOKEN', auth);
  }
  if (auth === 'jwt') {
    need(config.clientId, 'SALESFORCE_CLIENT_ID', auth);
    need(config.username, 'SALESFORCE_USERNAME', auth);
    need(config.privateKey, 'SALESFORCE_PRIVATE_KEY', auth);
  }
  return config;
}

/** An NPSP API name under the configured namespace: `npsp__Amount__c` -> `Amount__c` in an unmanaged org. */
export function withNamespace(name: string, namespace: string): string {
  return name.replace(/^npsp__/, namespace ? `${namespace}__` : '');
}
