import { createHash } from 'node:crypto';

/**
 * Supporters are matched across sources by email without storing it: SHA-256 hex of the trimmed,
 * lower-cased address. Every connector must hash the same way, or the same person never joins up.
 */
export function emailSha256(email: string | null | undefined): string | null {
  if (typeof email !== 'string') return null;
  const normalised = email.trim().toLowerCase();
  if (normalised === '') return null;
  return createHash('sha256').update(normalised, 'utf8').digest('hex');
}

// Fields that hold a person's details or card data in provider records (Stripe billing_details,
// customer_details, card; Braintree customer, billing, credit-card; Salesforce contact fields).
// The raw trail keeps the record's shape for audit, with these values replaced.
const PERSONAL = new Set([
  'email', 'receipt_email', 'phone', 'name', 'first_name', 'last_name', 'firstname', 'lastname', 'address',
  'line1', 'line2', 'postal_code', 'postcode', 'billing_details', 'shipping', 'shipping_details', 'customer_details',
  'billing', 'fingerprint', 'last4', 'exp_month', 'exp_year', 'expiration_month', 'expiration_year', 'bin',
  'cardholder_name', 'card_number', 'number', 'cvc', 'cvv', 'iban', 'account_number', 'sort_code', 'ip_address',
  'customeremail', 'customer_email', 'mobilephone', 'homephone', 'mailingstreet', 'mailingpostalcode',
]);

/** A deep copy with personal and card fields replaced by '[redacted]' (nulls stay null). */
export function scrubPersonalData(value: unknown, depth = 0): unknown {
  if (depth > 32 || value === null || typeof value !== 'object') return value;
  if (Array.isArray(value)) return value.map((v) => scrubPersonalData(v, depth + 1));
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(value as Record<string, unknown>)) {
    out[k] = PERSONAL.has(k.toLowerCase()) && v !== null ? '[redacted]' : scrubPersonalData(v, depth + 1);
  }
  return out;
}
