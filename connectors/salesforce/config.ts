import { createPrivateKey } from 'node:crypto';
import { FatalError } from '../../core/errors.js';
import type { SecretStore } from '../../core/ports.js';
import { SettingsReader } from '../../core/settings.js';

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

/** HTTP_TIMEOUT (jsforce's variable, read by client.ts when it loads): what it accepts. */
export const HTTP_TIMEOUT_RANGE = { min: 1, whole: true, unit: 'milliseconds' } as const;

export const DEFAULT_PAYMENT_REF_FIELDS = ['npsp__Gateway_Payment_ID__c', 'npsp__Elevate_Payment_ID__c', 'npe01__Check_Reference_Number__c'];

/** The credentials each auth mode needs, beside SALESFORCE_INSTANCE_URL (a refused token names them: client.ts). */
export const AUTH_CREDENTIALS: Record<SalesforceAuthMode, readonly string[]> = {
  access_token: ['SALESFORCE_ACCESS_TOKEN'],
  client_credentials: ['SALESFORCE_CLIENT_ID', 'SALESFORCE_CLIENT_SECRET'],
  refresh_token: ['SALESFORCE_CLIENT_ID', 'SALESFORCE_REFRESH_TOKEN'],
  jwt: ['SALESFORCE_CLIENT_ID', 'SALESFORCE_USERNAME', 'SALESFORCE_PRIVATE_KEY'],
};
const ALL_CREDENTIALS = [...new Set(Object.values(AUTH_CREDENTIALS).flat())];

/** A field's API name: field names go into SOQL, so nothing else may. */
const API_NAME = /^[A-Za-z]\w*$/;
const API_NAME_WORDS = 'a field API name such as Gift_Aid_Declared__c';

/** The PEM key signs every token request: one Node cannot read failed each run instead of stopping the start. */
function readablePrivateKey(pem: string): boolean {
  try {
    createPrivateKey(pem);
    return true;
  } catch {
    return false;
  }
}

/**
 * Salesforce's settings. Each one set but wrong is a ConfigError (all of them, a line each), whether or not the
 * org is set, and so is the org without the credentials its auth mode needs, or credentials without the org;
 * none of them set is "not configured" (FatalError): the hub runs the sandbox instead.
 */
export function salesforceConfig(secrets: SecretStore, now = new Date()): SalesforceConfig {
  const settings = new SettingsReader(secrets);
  const get = (k: string) => secrets.get(k) || null;
  const auth = settings.oneOf('SALESFORCE_AUTH', SALESFORCE_AUTH_MODES, get('SALESFORCE_ACCESS_TOKEN') ? 'access_token' : 'client_credentials');
  const instanceUrl = settings.url('SALESFORCE_INSTANCE_URL', "the org's My Domain URL, such as https://example.my.salesforce.com");
  const loginUrl = settings.url('SALESFORCE_LOGIN_URL', 'where tokens are minted, such as https://login.salesforce.com or https://test.salesforce.com') ?? 'https://login.salesforce.com';
  const fieldName = (name: string) => settings.matching(name, API_NAME, API_NAME_WORDS) ?? null;
  const paymentRefFields: string[] = [];
  for (const field of (settings.text('SALESFORCE_PAYMENT_REF_FIELDS') ?? DEFAULT_PAYMENT_REF_FIELDS.join(',')).split(',').map((f) => f.trim()).filter(Boolean)) {
    if (API_NAME.test(field)) paymentRefFields.push(field);
    else settings.problem('SALESFORCE_PAYMENT_REF_FIELDS', 'field API names separated by commas, such as npsp__Gateway_Payment_ID__c', field);
  }
  const privateKey = get('SALESFORCE_PRIVATE_KEY');
  if (privateKey && !readablePrivateKey(privateKey)) settings.problem('SALESFORCE_PRIVATE_KEY', "the PEM private key of the connected app's certificate (-----BEGIN PRIVATE KEY----- ...)");
  const config: SalesforceConfig = {
    auth,
    instanceUrl: (instanceUrl ?? '').replace(/\/+$/, ''),
    loginUrl: loginUrl.replace(/\/+$/, ''),
    apiVersion: settings.matching('SALESFORCE_API_VERSION', /^\d+\.\d$/, 'an API version such as 60.0') ?? '60.0',
    accessToken: get('SALESFORCE_ACCESS_TOKEN'),
    clientId: get('SALESFORCE_CLIENT_ID'),
    clientSecret: get('SALESFORCE_CLIENT_SECRET'),
    refreshToken: get('SALESFORCE_REFRESH_TOKEN'),
    username: get('SALESFORCE_USERNAME'),
    privateKey,
    startDate: settings.startDate('SALESFORCE_START_DATE', now),
    requestsPerSecond: settings.number('SALESFORCE_REQUESTS_PER_SECOND', 5, { min: 0 }),
    concurrency: settings.number('SALESFORCE_CONCURRENCY', 2, { min: 1, whole: true }),
    lookbackMs: settings.number('SALESFORCE_LOOKBACK_SECONDS', 600, { min: 0 }) * 1000,
    // Empty is meaningful here (an unmanaged org), so the text is read as it is.
    namespace: secrets.get('SALESFORCE_NPSP_NAMESPACE')?.trim() ?? 'npsp',
    currency: settings.currency('SALESFORCE_CURRENCY', 'GBP'),
    paymentRefFields,
    donationIdField: fieldName('SALESFORCE_DONATION_ID_FIELD'),
    giftAidField: fieldName('SALESFORCE_GIFT_AID_FIELD'),
    maxApiShare: settings.number('SALESFORCE_MAX_API_SHARE', 0.5, { above: 0, max: 1 }),
    bulkThreshold: settings.number('SALESFORCE_BULK_THRESHOLD', 50_000, { min: 0, whole: true }),
    // Salesforce pages at most 2,000 rows.
    pageSize: settings.number('SALESFORCE_PAGE_SIZE', 2000, { min: 1, max: 2000, whole: true }),
  };
  // Only checked here: client.ts reads it when it loads, and falls back to its default on a wrong one.
  settings.number('HTTP_TIMEOUT', undefined, HTTP_TIMEOUT_RANGE);
  if (!/^\w*$/.test(config.namespace)) settings.problem('SALESFORCE_NPSP_NAMESPACE', 'a namespace prefix such as npsp, or empty', config.namespace);
  // The org and what its auth mode needs, all or none; another mode's credentials count as meant to configure it.
  const complete = settings.credentials(`salesforce (SALESFORCE_AUTH ${auth})`, ['SALESFORCE_INSTANCE_URL', ...AUTH_CREDENTIALS[auth]], ALL_CREDENTIALS);
  settings.check();
  if (!complete) throw new FatalError('salesforce: SALESFORCE_INSTANCE_URL and its credentials are not set');
  return config;
}

/**
 * An API name as this org spells it, for the connector's own names and the settings' alike (SALESFORCE_GIFT_AID_FIELD,
 * SALESFORCE_DONATION_ID_FIELD, SALESFORCE_PAYMENT_REF_FIELDS): `npsp__`, NPSP's prefix as its documentation and the
 * defaults write it, becomes SALESFORCE_NPSP_NAMESPACE's (`npsp__Amount__c` -> `Amount__c` in an unmanaged org,
 * `acme__Amount__c` under `acme`). Any other name is the org's as written: a charity's own field (`Gift_Aid__c`) has
 * no namespace to take, and one that already carries a prefix (`acme__Gift_Aid__c`, another package's `npe01__`)
 * never gets a second one.
 */
export function withNamespace(name: string, namespace: string): string {
  return name.replace(/^npsp__/, namespace ? `${namespace}__` : '');
}
