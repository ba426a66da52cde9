import type { SecretStore } from '../../core/ports.js';
import { startDateSetting } from '../../core/config.js';
import { FatalError } from '../../core/errors.js';

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
}

export const STRIPE_API_BASE = 'https://api.stripe.com';

export function stripeConfig(secrets: SecretStore, now = new Date()): StripeConfig {
  const apiKey = secrets.get('STRIPE_API_KEY') ?? '';
  if (!apiKey) throw new FatalError('stripe: STRIPE_API_KEY is not set');
  const startDate = startDateSetting(secrets, 'STRIPE_START_DATE', now);
  const rps = Number(secrets.get('STRIPE_REQUESTS_PER_SECOND') ?? (apiKey.startsWith('sk_live') ? 90 : 25));
  return {
    apiKey,
    apiBase: secrets.get('STRIPE_API_BASE') || STRIPE_API_BASE,
    webhookSecret: secrets.get('STRIPE_WEBHOOK_SECRET') ?? '',
    startDate,
    requestsPerSecond: rps,
    concurrency: Number(secrets.get('STRIPE_CONCURRENCY') ?? 4),
    donationIdKey: stripeDonationIdKey(secrets),
  };
}

/** The one setting Stripe's mappings read (metadata key of the donation id): no credentials needed. */
export function stripeDonationIdKey(secrets: SecretStore): string {
  return secrets.get('STRIPE_DONATION_ID_KEY') || 'donation_id';
}
