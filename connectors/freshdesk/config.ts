import { FatalError } from '../../core/errors.js';
import type { SecretStore } from '../../core/ports.js';
import { SettingsReader } from '../../core/settings.js';

/** Freshdesk's per-minute limits by plan (support article 225439): the account's credits and the list endpoints' calls. */
export const FRESHDESK_PLAN_LIMITS = {
  growth: { perMinute: 200, ticketsList: 20, contactsList: 20 },
  pro: { perMinute: 400, ticketsList: 100, contactsList: 100 },
  enterprise: { perMinute: 700, ticketsList: 200, contactsList: 200 },
} as const;
export type FreshdeskPlan = keyof typeof FRESHDESK_PLAN_LIMITS;
export interface FreshdeskLimits {
  perMinute: number;
  ticketsList: number;
  contactsList: number;
}

/** Stripe's charge, payment and payment intent ids; a Braintree id is 8 bare characters, so give it a prefix in your own pattern. */
export const DEFAULT_REFERENCE_PATTERN = '\\b(?:ch|py|pi)_[A-Za-z0-9]{10,}\\b';

export interface FreshdeskConfig {
  /** `https://acme.freshdesk.com`, without `/api/v2`. */
  apiBase: string;
  apiKey: string;
  startDate: Date;
  limits: FreshdeskLimits;
  /** A "minute" of the limits, in ms: 60,000 except in a benchmark that shrinks the sandbox's minute with it. */
  minuteMs: number;
  /** Credits one `include=` adds to a call (Freshdesk: each include costs extra credits). */
  includeCredits: number;
  donationIdField: string;
  paymentRefField: string | null;
  referencePattern: RegExp;
  /** Where a contact keeps the CRM's id (`unique_external_id` or a custom field). */
  crmIdField: string;
  keepSubject: boolean;
  webhookUser: string;
  webhookSecret: string;
  /** A header carrying the token instead of Basic auth (e.g. `x-puddle-token`). */
  webhookHeader: string;
  concurrency: number;
}

/** An HTTP header name (RFC 9110 token): a name with a space or a colon could never arrive, so every webhook got 401. */
const HEADER_NAME = /^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/;

/** The host's URL: what FRESHDESK_API_BASE must be, and what FRESHDESK_DOMAIN must make. */
const HOST_URL = /^https?:\/\/[^/\s]+\/?$/;

/** The API's base from FRESHDESK_API_BASE, else FRESHDESK_DOMAIN; null when neither is set. */
function apiBaseSetting(settings: SettingsReader): string | null {
  const base = settings.text('FRESHDESK_API_BASE');
  if (base !== undefined) {
    if (HOST_URL.test(base)) return base.replace(/\/$/, '');
    settings.problem('FRESHDESK_API_BASE', 'the host\'s URL such as https://acme.freshdesk.com, without /api/v2');
    return null;
  }
  const domain = settings.text('FRESHDESK_DOMAIN');
  if (domain === undefined) return null;
  const url = `https://${domain.includes('.') ? domain : `${domain}.freshdesk.com`}`;
  if (HOST_URL.test(url)) return url.replace(/\/$/, '');
  settings.problem('FRESHDESK_DOMAIN', 'your Freshdesk domain such as acme or acme.freshdesk.com', domain);
  return null;
}

/**
 * Freshdesk's settings. Each one set but wrong is a ConfigError (all of them, a line each), whether or not the
 * key is set, and so is a key without a domain or a domain without a key; neither set is "not configured"
 * (FatalError): the hub runs the sandbox instead.
 */
export function freshdeskConfig(secrets: SecretStore, now = new Date()): FreshdeskConfig {
  const settings = new SettingsReader(secrets);
  const apiBase = apiBaseSetting(settings);
  const startDate = settings.startDate('FRESHDESK_START_DATE', now);
  const plan = settings.oneOf('FRESHDESK_PLAN', Object.keys(FRESHDESK_PLAN_LIMITS) as FreshdeskPlan[], 'growth');
  const planLimits = FRESHDESK_PLAN_LIMITS[plan];
  const positive = (name: string, fallback: number) => settings.number(name, fallback, { above: 0 });
  let referencePattern = new RegExp(DEFAULT_REFERENCE_PATTERN);
  const pattern = secrets.get('FRESHDESK_REFERENCE_PATTERN');
  if (pattern) {
    try {
      referencePattern = new RegExp(pattern);
    } catch {
      settings.problem('FRESHDESK_REFERENCE_PATTERN', 'a valid regular expression', pattern);
    }
  }
  const config = {
    apiBase: apiBase ?? '',
    apiKey: secrets.get('FRESHDESK_API_KEY') ?? '',
    startDate,
    limits: {
      perMinute: positive('FRESHDESK_REQUESTS_PER_MINUTE', planLimits.perMinute),
      ticketsList: positive('FRESHDESK_TICKET_LIST_PER_MINUTE', planLimits.ticketsList),
      contactsList: positive('FRESHDESK_CONTACT_LIST_PER_MINUTE', planLimits.contactsList),
    },
    minuteMs: positive('FRESHDESK_MINUTE_MS', 60_000),
    includeCredits: positive('FRESHDESK_INCLUDE_CREDITS', 1),
    donationIdField: settings.text('FRESHDESK_DONATION_ID_FIELD') ?? 'cf_donation_id',
    paymentRefField: settings.text('FRESHDESK_PAYMENT_REF_FIELD') ?? null,
    referencePattern,
    crmIdField: settings.text('FRESHDESK_CRM_ID_FIELD') ?? 'unique_external_id',
    keepSubject: settings.flag('FRESHDESK_KEEP_SUBJECT', false),
    webhookUser: secrets.get('FRESHDESK_WEBHOOK_USER') ?? '',
    webhookSecret: secrets.get('FRESHDESK_WEBHOOK_SECRET') ?? '',
    webhookHeader: (settings.matching('FRESHDESK_WEBHOOK_HEADER', HEADER_NAME, 'a header name such as X-Puddle-Token') ?? '').toLowerCase(),
    concurrency: settings.number('FRESHDESK_CONCURRENCY', 2, { min: 1, whole: true }),
  };
  const complete = settings.credentials('freshdesk', ['FRESHDESK_API_KEY', ['FRESHDESK_DOMAIN', 'FRESHDESK_API_BASE']]);
  settings.check();
  if (!complete) throw new FatalError('freshdesk: FRESHDESK_API_KEY and FRESHDESK_DOMAIN (or FRESHDESK_API_BASE) are not set');
  return config;
}
