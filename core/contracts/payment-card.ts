import { extendContract } from './contract.js';
import { payment_v3 } from './regular-giving.js';
import { string } from './schema.js';

/**
 * payment v4: the card a charge was taken from, as a receipt shows it: its brand and last four digits. "Charged £25
 * twice on my Mastercard ending 4444" is how a donor most often names a charge, and without these care could narrow
 * 31 payments of £25 in a day no further (a supporter care lead's user test, 2026-12-05, M6). Both are what PCI DSS
 * lets a merchant keep and show (a truncated number), so the lake holds them and the raw trail keeps them too
 * (core/pii.ts); the expiry, the BIN, the fingerprint and the cardholder's name stay out and `[redacted]`.
 */
const BRAND = /^[a-z][a-z0-9_]{1,29}$/;
const LAST4 = /^[0-9]{4}$/;

export const payment_v4 = extendContract(payment_v3, 4, {
  card_brand: string()
    .optional()
    .shaped(BRAND, 'a card brand in lower case, as Stripe names them (visa, mastercard, amex, discover, diners, jcb, unionpay, maestro)')
    .doc("The card's brand, as Stripe names them (visa, mastercard, amex, ...; Braintree's `MasterCard` is `mastercard`); absent: not a card, or not said"),
  card_last4: string()
    .optional()
    .shaped(LAST4, "the card's last four digits: exactly four digits, never more of the number")
    .doc("The card's last four digits, as a receipt shows them; absent: not a card, or not said"),
});

/** Braintree's and Stripe's older card names (a Card object's `brand`), by lower-cased name, as Stripe's payment details name them. */
const BRAND_NAMES: Readonly<Record<string, string>> = {
  'american express': 'amex',
  'diners club': 'diners',
  'diners club international': 'diners',
  'china unionpay': 'unionpay',
  'uk maestro': 'maestro',
  'eftpos australia': 'eftpos_au',
};

/**
 * A provider's card brand as payment v4 holds it: Stripe's payment-details names (`visa`, `mastercard`, `amex`) as
 * they are, Braintree's `card_type` (`Visa`, `MasterCard`, `American Express`, `UK Maestro`, `Apple Pay - Visa`) and Stripe's older Card
 * names made the same, so one query finds a Mastercard at either. `Unknown`, blank or a value of another form is
 * null: the brand describes a charge, and a charge must not wait in quarantine for it.
 */
export function cardBrand(value: unknown): string | null {
  if (typeof value !== 'string') return null;
  // Braintree's Apple Pay card types name the wallet first (`Apple Pay - MasterCard`): the brand is the card's.
  const name = value.trim().toLowerCase().replace(/\s+/g, ' ').replace(/^apple pay - /, '');
  const brand = BRAND_NAMES[name] ?? name.replace(/[ -]/g, '_');
  return brand === 'unknown' || !BRAND.test(brand) ? null : brand;
}

/** A card's last four digits as payment v4 holds them, or null when the provider's value is not four digits (as cardBrand). */
export function cardLast4(value: unknown): string | null {
  return typeof value === 'string' && LAST4.test(value) ? value : null;
}
