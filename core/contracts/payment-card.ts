import { extendContract } from './contract.js';
import { payment_v3 } from './regular-giving.js';
import { oneOfNormalised, string } from './schema.js';

/**
 * The brands a charge's card may name, as Stripe's payment details name them (and the other networks Stripe and
 * Braintree report). A list, not a shape: a shape of lower-case words let `visa4111111111111111` or a cardholder's
 * name land as a brand, kept through an erasure (a security review, 2026-12-07).
 */
const CARD_BRANDS = [
  'amex', 'cartes_bancaires', 'diners', 'discover', 'eftpos_au', 'elo', 'hiper', 'hipercard', 'interac', 'jcb', 'maestro',
  'mastercard', 'mir', 'rupay', 'solo', 'switch', 'unionpay', 'visa',
] as const;
/** Other names for them, by their trimmed lower-case form: Braintree's `card_type`, Stripe's older Card `brand`. */
const BRAND_NAMES: Readonly<Record<string, (typeof CARD_BRANDS)[number]>> = {
  'american express': 'amex',
  'diners club': 'diners',
  'diners club international': 'diners',
  'china unionpay': 'unionpay',
  'uk maestro': 'maestro',
  'eftpos australia': 'eftpos_au',
  'cartes bancaires': 'cartes_bancaires',
};
const LAST4 = /^[0-9]{4}$/;

/**
 * payment v4: the card a charge was taken from, as a receipt shows it: its brand and last four digits. "Charged £25
 * twice on my Mastercard ending 4444" is how a donor most often names a charge, and without these care could narrow
 * 31 payments of £25 in a day no further (a supporter care lead's user test, 2026-12-05, M6). Both are what PCI DSS
 * lets a merchant keep and show (a truncated number), so the lake holds them and the raw trail keeps them too
 * (core/pii.ts); the expiry, the BIN, the fingerprint and the cardholder's name stay out and `[redacted]`.
 */
export const payment_v4 = extendContract(payment_v3, 4, {
  card_brand: oneOfNormalised(CARD_BRANDS, BRAND_NAMES)
    .optional()
    .doc("The card's brand, as Stripe names them (visa, mastercard, amex, ...; Braintree's `MasterCard` is `mastercard`); absent: not a card, or not said"),
  card_last4: string()
    .optional()
    .shaped(LAST4, "the card's last four digits: exactly four digits, never more of the number")
    .doc("The card's last four digits, as a receipt shows them; absent: not a card, or not said"),
});

/**
 * A provider's card brand as payment v4 holds it: Stripe's payment-details names (`visa`, `mastercard`, `amex`) as
 * they are, Braintree's `card_type` (`Visa`, `MasterCard`, `American Express`, `UK Maestro`, `Apple Pay - Visa`) and
 * Stripe's older Card names made the same, so one query finds a Mastercard at either. `Unknown`, blank or any other
 * value is null: the brand describes a charge, and a charge must not wait in quarantine for it.
 */
export function cardBrand(value: unknown): string | null {
  if (typeof value !== 'string') return null;
  // Braintree's Apple Pay card types name the wallet first (`Apple Pay - MasterCard`): the brand is the card's.
  const name = value.trim().toLowerCase().replace(/\s+/g, ' ').replace(/^apple pay - /, '');
  const brand = BRAND_NAMES[name] ?? name;
  return (CARD_BRANDS as readonly string[]).includes(brand) ? brand : null;
}

/** A card's last four digits as payment v4 holds them, or null when the provider's value is not four digits (as cardBrand). */
export function cardLast4(value: unknown): string | null {
  return typeof value === 'string' && LAST4.test(value) ? value : null;
}
