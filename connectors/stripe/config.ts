import type { SecretStore } from '../../core/ports.js';
import { FatalError } from '../../core/errors.js';
import { SettingsReader } from '../../core/settings.js';
import { STRIPE_LOOKBACK_MS } from './streams.js';

export interface StripeConfig {
  apiKey: string;
  /** Full URL of the API (the real one unless pointed at the sandbox). */
  apiBase: string;
  webhookSecret: string;
  startDate: Date;
  /** Stripe documents 100 req/s live and 25 in test mode; stay under them. */
  requestsPerSecond: number;
  concurrency: number;
  donationIdKey: string;
  /** How far behind its bookmark an object stream reads again (see STRIPE_LOOKBACK_MS). */
  lookbackMs: number;
}

export const STRIPE_API_BASE = 'https://api.stripe.com';

/**
 * Stripe's settings. Each one set but wrong is a ConfigError (all of them, a line each), whether or not a key is
 * set; no key is "not configured" (FatalError): the hub runs the sandbox instead.
 */
export function stripeConfig(secrets: SecretStore, now = new Date()): StripeConfig {
  const settings = new SettingsReader(secrets);
  const apiKey = secrets.get('STRIPE_API_KEY') ?? '';
  // A publishable key (pk_) or a webhook secret pasted here cannot read anything: every run would fail with 401.
  if (apiKey && !/^(sk|rk)_/.test(apiKey)) settings.problem('STRIPE_API_KEY', 'a secret key (sk_live_..., sk_test_...) or a restricted key (rk_...)');
  const webhookSecret = secrets.get('STRIPE_WEBHOOK_SECRET') ?? '';
  // Stripe's signing secrets start whsec_; anything else would refuse every webhook as badly signed.
  if (webhookSecret && !webhookSecret.startsWith('whsec_')) settings.problem('STRIPE_WEBHOOK_SECRET', "the endpoint's signing secret (whsec_...)");
  const startDate = settings.startDate('STRIPE_START_DATE', now);
  const requestsPerSecond = settings.number('STRIPE_REQUESTS_PER_SECOND', apiKey.startsWith('sk_live') ? 90 : 25, { min: 0 });
  const concurrency = settings.number('STRIPE_CONCURRENCY', 4, { min: 1, whole: true });
  const lookbackMs = settings.number('STRIPE_LOOKBACK_SECONDS', STRIPE_LOOKBACK_MS / 1000, { min: 0 }) * 1000;
  const apiBase = settings.url('STRIPE_API_BASE', 'a full http(s) URL such as http://127.0.0.1:12111') ?? STRIPE_API_BASE;
  settings.check();
  if (!apiKey) throw new FatalError('stripe: STRIPE_API_KEY is not set');
  return {
    apiKey,
    apiBase,
    webhookSecret,
    startDate,
    requestsPerSecond,
    concurrency,
    donationIdKey: stripeDonationIdKey(secrets),
    lookbackMs,
  };
}

/** The one setting Stripe's mappings read (metadata key of the donation id): no credentials needed. */
export function stripeDonationIdKey(secrets: SecretStore): string {
  return secrets.get('STRIPE_DONATION_ID_KEY') || 'donation_id';
}
