import { startDateSetting } from '../../core/config.js';
import { FatalError } from '../../core/errors.js';
import type { SecretStore } from '../../core/ports.js';

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
}

/** The settings a mapping reads: no credentials, so `puddle quarantine retry` can map without them. */
export type BraintreeMappingSettings = Pick<BraintreeConfig, 'donationIdField' | 'accountCurrencies' | 'defaultCurrency'>;

export function braintreeMappingSettings(secrets: SecretStore): BraintreeMappingSettings {
  const accountCurrencies = Object.fromEntries(
    (secrets.get('BRAINTREE_ACCOUNT_CURRENCIES') ?? '')
      .split(',')
      .map((pair) => pair.split(':').map((x) => x.trim()))
      .filter((p) => p.length === 2 && p[0] && p[1])
      .map(([account, cur]) => [account!, cur!.toUpperCase()]),
  );
  return {
    donationIdField: secrets.get('BRAINTREE_DONATION_ID_FIELD') || null,
    accountCurrencies,
    defaultCurrency: (secrets.get('BRAINTREE_CURRENCY') ?? 'GBP').toUpperCase(),
  };
}

export function braintreeConfig(secrets: SecretStore, now = new Date()): BraintreeConfig {
  const merchantId = secrets.get('BRAINTREE_MERCHANT_ID') ?? '';
  const publicKey = secrets.get('BRAINTREE_PUBLIC_KEY') ?? '';
  const privateKey = secrets.get('BRAINTREE_PRIVATE_KEY') ?? '';
  if (!merchantId || !publicKey || !privateKey) {
    throw new FatalError('braintree: BRAINTREE_MERCHANT_ID, BRAINTREE_PUBLIC_KEY and BRAINTREE_PRIVATE_KEY must all be set');
  }
  const environment = (secrets.get('BRAINTREE_ENVIRONMENT') ?? 'sandbox').toLowerCase();
  if (environment !== 'sandbox' && environment !== 'production') throw new FatalError('braintree: BRAINTREE_ENVIRONMENT must be sandbox or production');
  const startDate = startDateSetting(secrets, 'BRAINTREE_START_DATE', now);
  return {
    merchantId,
    publicKey,
    privateKey,
    environment,
    apiBase: secrets.get('BRAINTREE_API_BASE') || null,
    startDate,
    requestsPerSecond: Number(secrets.get('BRAINTREE_REQUESTS_PER_SECOND') ?? 10),
    concurrency: Number(secrets.get('BRAINTREE_CONCURRENCY') ?? 2),
    ...braintreeMappingSettings(secrets),
  };
}
