import { FatalError } from '../../core/errors.js';
import { isCurrencyCode } from '../../core/money.js';
import type { SecretStore } from '../../core/ports.js';
import { SettingsReader } from '../../core/settings.js';

export interface BraintreeConfig {
  merchantId: string;
  publicKey: string;
  privateKey: string;
  environment: 'sandbox' | 'production';
  /** A full URL that overrides the environment (a local gateway such as the sandbox). */
  apiBase: string | null;
  startDate: Date;
  requestsPerSecond: number;
  concurrency: number;
  /** A custom field holding the donation id; by default the transaction's order_id is. */
  donationIdField: string | null;
  /** Settlement summaries carry no currency: each merchant account's, e.g. `charity_gbp:GBP,charity_eur:EUR`. */
  accountCurrencies: Record<string, string>;
  defaultCurrency: string;
  /** How long a request waits for an answer; BRAINTREE_TIMEOUT_MS when unset, and no setting sets it (see client.ts). */
  requestTimeoutMs?: number;
}

/** The settings a mapping reads: no credentials, so `puddle quarantine retry` can map without them. */
export type BraintreeMappingSettings = Pick<BraintreeConfig, 'donationIdField' | 'accountCurrencies' | 'defaultCurrency'>;

export function braintreeMappingSettings(secrets: SecretStore): BraintreeMappingSettings {
  const settings = new SettingsReader(secrets);
  const out = readMappingSettings(settings);
  settings.check();
  return out;
}

const ACCOUNT_CURRENCIES = 'merchant accounts with their currencies, such as charity_gbp:GBP,charity_eur:EUR';

function readMappingSettings(settings: SettingsReader): BraintreeMappingSettings {
  const accountCurrencies: Record<string, string> = {};
  // A pair that does not read was dropped without a word: its account's summaries then went to quarantine.
  for (const pair of (settings.text('BRAINTREE_ACCOUNT_CURRENCIES') ?? '').split(',')) {
    if (!pair.trim()) continue;
    const [account, currency, ...rest] = pair.split(':').map((x) => x.trim());
    if (!account || !currency || rest.length || !isCurrencyCode(currency)) {
      settings.problem('BRAINTREE_ACCOUNT_CURRENCIES', ACCOUNT_CURRENCIES, pair.trim());
      continue;
    }
    accountCurrencies[account] = currency.toUpperCase();
  }
  return {
    donationIdField: settings.text('BRAINTREE_DONATION_ID_FIELD') ?? null,
    accountCurrencies,
    defaultCurrency: settings.currency('BRAINTREE_CURRENCY', 'GBP'),
  };
}

/**
 * Braintree's settings. Each one set but wrong is a ConfigError (all of them, a line each), whether or not the
 * credentials are set, and so are credentials set in part; none set is "not configured" (FatalError): the hub
 * runs the sandbox instead.
 */
export function braintreeConfig(secrets: SecretStore, now = new Date()): BraintreeConfig {
  const settings = new SettingsReader(secrets);
  const environment = settings.oneOf('BRAINTREE_ENVIRONMENT', ['sandbox', 'production'] as const, 'sandbox');
  const apiBase = settings.url('BRAINTREE_API_BASE', 'a full http(s) URL such as http://127.0.0.1:14000') ?? null;
  const startDate = settings.startDate('BRAINTREE_START_DATE', now);
  const requestsPerSecond = settings.number('BRAINTREE_REQUESTS_PER_SECOND', 10, { min: 0 });
  const concurrency = settings.number('BRAINTREE_CONCURRENCY', 2, { min: 1, whole: true });
  const mapping = readMappingSettings(settings);
  const complete = settings.credentials('braintree', ['BRAINTREE_MERCHANT_ID', 'BRAINTREE_PUBLIC_KEY', 'BRAINTREE_PRIVATE_KEY']);
  settings.check();
  if (!complete) throw new FatalError('braintree: BRAINTREE_MERCHANT_ID, BRAINTREE_PUBLIC_KEY and BRAINTREE_PRIVATE_KEY are not set');
  const merchantId = secrets.get('BRAINTREE_MERCHANT_ID') ?? '';
  const publicKey = secrets.get('BRAINTREE_PUBLIC_KEY') ?? '';
  const privateKey = secrets.get('BRAINTREE_PRIVATE_KEY') ?? '';
  return { merchantId, publicKey, privateKey, environment, apiBase, startDate, requestsPerSecond, concurrency, ...mapping };
}
