import { startDateSetting } from '../../core/config.js';
import { FatalError } from '../../core/errors.js';
import type { SecretStore } from '../../core/ports.js';

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

function positive(secrets: SecretStore, name: string, fallback: number): number {
  const raw = secrets.get(name);
  if (raw === undefined || raw === '') return fallback;
  const n = Number(raw);
  if (!Number.isFinite(n) || n <= 0) throw new FatalError(`freshdesk: ${name} must be a positive number`);
  return n;
}

export function freshdeskConfig(secrets: SecretStore, now = new Date()): FreshdeskConfig {
  const apiKey = secrets.get('FRESHDESK_API_KEY') ?? '';
  if (!apiKey) throw new FatalError('freshdesk: FRESHDESK_API_KEY is not set');
  const domain = secrets.get('FRESHDESK_DOMAIN');
  const base = secrets.get('FRESHDESK_API_BASE') || (domain ? `https://${domain.includes('.') ? domain : `${domain}.freshdesk.com`}` : '');
  if (!/^https?:\/\/[^/]+\/?$/.test(base)) {
    throw new FatalError('freshdesk: set FRESHDESK_DOMAIN (acme or acme.freshdesk.com) or FRESHDESK_API_BASE (the host URL such as https://acme.freshdesk.com, without /api/v2)');
  }
  const startDate = startDateSetting(secrets, 'FRESHDESK_START_DATE', now);
  const plan = (secrets.get('FRESHDESK_PLAN') || 'growth').toLowerCase();
  if (!(plan in FRESHDESK_PLAN_LIMITS)) throw new FatalError(`freshdesk: FRESHDESK_PLAN must be one of ${Object.keys(FRESHDESK_PLAN_LIMITS).join(', ')}`);
  const planLimits = FRESHDESK_PLAN_LIMITS[plan as FreshdeskPlan];
  const pattern = secrets.get('FRESHDESK_REFERENCE_PATTERN') || DEFAULT_REFERENCE_PATTERN;
  let referencePattern: RegExp;
  try {
    referencePattern = new RegExp(pattern);
  } catch {
    throw new FatalError('freshdesk: FRESHDESK_REFERENCE_PATTERN is not a valid regular expression');
  }
  const keep = (secrets.get('FRESHDESK_KEEP_SUBJECT') || 'false').toLowerCase();
  if (!['true', 'false'].includes(keep)) throw new FatalError('freshdesk: FRESHDESK_KEEP_SUBJECT must be true or false');
  return {
    apiBase: base.replace(/\/$/, ''),
    apiKey,
    startDate,
    limits: {
      perMinute: positive(secrets, 'FRESHDESK_REQUESTS_PER_MINUTE', planLimits.perMinute),
      ticketsList: positive(secrets, 'FRESHDESK_TICKET_LIST_PER_MINUTE', planLimits.ticketsList),
      contactsList: positive(secrets, 'FRESHDESK_CONTACT_LIST_PER_MINUTE', planLimits.contactsList),
    },
    minuteMs: positive(secrets, 'FRESHDESK_MINUTE_MS', 60_000),
    includeCredits: positive(secrets, 'FRESHDESK_INCLUDE_CREDITS', 1),
    donationIdField: secrets.get('FRESHDESK_DONATION_ID_FIELD') || 'cf_donation_id',
    paymentRefField: secrets.get('FRESHDESK_PAYMENT_REF_FIELD') || null,
    referencePattern,
    crmIdField: secrets.get('FRESHDESK_CRM_ID_FIELD') || 'unique_external_id',
    keepSubject: keep === 'true',
    webhookUser: secrets.get('FRESHDESK_WEBHOOK_USER') ?? '',
    webhookSecret: secrets.get('FRESHDESK_WEBHOOK_SECRET') ?? '',
    webhookHeader: (secrets.get('FRESHDESK_WEBHOOK_HEADER') || '').toLowerCase(),
    concurrency: positive(secrets, 'FRESHDESK_CONCURRENCY', 2),
  };
}
