import { holdsCardNumber } from './contracts/free-text.js';
import { CURRENCY_EXPONENTS } from './currency-exponents.js';
import { RecordError } from './errors.js';

// DESIGN.md rule 7: money is integer minor units plus an ISO 4217 code. Providers that send decimal
// strings ("25.00") are converted here, digit by digit: going through a float turns "0.29" into
// 28.999999999999996 and 1.005 * 100 into 100.49999999999999, which rounding then "fixes" wrongly.

/** ISO 4217 minor-unit exponents other than 2: one table, shared with the web pages. */
const EXPONENTS = CURRENCY_EXPONENTS;

const CURRENCY = /^[A-Za-z]{3}$/;

/** Whether `code` has the shape of an ISO 4217 code (three letters, in any case), in use or not. */
export function isCurrencyShaped(code: unknown): code is string {
  return typeof code === 'string' && CURRENCY.test(code);
}

/**
 * The ISO 4217 codes in use: ICU's list (Node ships full ICU; 160-odd codes, recent ones such as ZWG and SLE
 * included) and the fund codes above it leaves out. A well-formed code outside it is a typo (`GPB`) or made up
 * (`ZZZ`): taken, it would put a donation or a bank line in a currency that never totals or reconciles with
 * anything. A Node without the list (small ICU) checks the shape only.
 */
const ISO_4217: ReadonlySet<string> | null =
  typeof Intl.supportedValuesOf === 'function' ? new Set([...Intl.supportedValuesOf('currency'), ...Object.keys(EXPONENTS)]) : null;

/** Whether `code` is an ISO 4217 currency code in use, in any case. */
export function isCurrencyCode(code: unknown): code is string {
  return isCurrencyShaped(code) && (ISO_4217 === null || ISO_4217.has(code.toUpperCase()));
}
// Plain decimals only: no exponent ("1e3"), no bare point (".5", "25."), no spaces, no "+", no
// thousands separators. Provider APIs never send those, so seeing one means the input is not money.
const DECIMAL = /^(-?)(\d+)(?:\.(\d+))?$/;
// Longer than any amount a safe integer can hold; checked first so a huge string costs nothing.
const MAX_LENGTH = 40;

/** An amount string that is not an exact decimal in the currency's minor units. */
export class InvalidAmountError extends RecordError {
  constructor(
    message: string,
    /** What is wrong without the value itself, for errors about files that hold personal data (bank files). */
    readonly reason: string = message,
  ) {
    super(message, [{ path: 'amount', message }]);
  }
}

/**
 * What an error may say about the input: short values verbatim, never a huge one, and never one that holds a card
 * number or an email address (an amount field a form filled with the card number: `"4111111111111111" is too large`
 * went to the quarantine and the log until 2026-12-07, a security review).
 */
function describe(value: unknown): string {
  if (typeof value !== 'string') return `a ${value === null ? 'null' : typeof value}`;
  const shown = value.length <= 24 && !value.includes('@') && !holdsCardNumber(value);
  return shown ? JSON.stringify(value) : `a ${value.length}-character string`;
}

/** Fails naming what (`amount`, `currency`) and its value, with `reason` saying what is wrong. */
function fail(what: string, value: unknown, reason: string, shown = describe(value)): never {
  throw new InvalidAmountError(`${what} ${shown} ${reason}`, `${what} ${reason}`);
}

/** The ISO 4217 exponent: 2 for USD/GBP/EUR and most codes, 0 for JPY, 3 for KWD, ... */
export function exponentOf(currency: string): number {
  if (!isCurrencyCode(currency)) fail('currency', currency, 'is not an ISO 4217 code');
  return EXPONENTS[currency.toUpperCase()] ?? 2;
}

/**
 * Exact decimal string -> integer minor units: "25.00" GBP -> 2500, "2500" JPY -> 2500,
 * "2.500" KWD -> 2500, "-5.00" -> -500, "25.5" -> 2550. Digits past the exponent are accepted only
 * when they are zeros ("2500.00" JPY); anything else would silently round money.
 */
export function toMinorUnits(amount: string, currency: string): number {
  const exponent = exponentOf(currency);
  if (typeof amount !== 'string' || amount.length > MAX_LENGTH) fail('amount', amount, 'is not a decimal string');
  const m = DECIMAL.exec(amount);
  if (!m) fail('amount', amount, 'is not a plain decimal like 25.00');
  const [, sign, whole, fraction = ''] = m;
  const kept = fraction.slice(0, exponent);
  if (/[^0]/.test(fraction.slice(exponent))) {
    fail('amount', amount, `has more decimals than ${currency.toUpperCase()} allows (${exponent})`);
  }
  const digits = `${whole}${kept.padEnd(exponent, '0')}`;
  const n = Number(digits);
  if (!Number.isSafeInteger(n)) fail('amount', amount, 'is too large');
  // `-0` would compare equal but serialise and hash differently from 0.
  return sign === '-' && n !== 0 ? -n : n;
}

/**
 * Integer minor units -> the exact decimal string with the currency's exponent, the inverse of
 * toMinorUnits: 2500 GBP -> "25.00", 2500 JPY -> "2500", 2500 KWD -> "2.500", -5 GBP -> "-0.05".
 * Built from digits, not by dividing, for the same float reasons.
 */
export function fromMinorUnits(minor: number, currency: string): string {
  const exponent = exponentOf(currency);
  if (!Number.isSafeInteger(minor)) {
    fail('amount', minor, 'is not a whole number of minor units', typeof minor === 'number' ? String(minor) : describe(minor));
  }
  const sign = minor < 0 ? '-' : '';
  const digits = String(Math.abs(minor)).padStart(exponent + 1, '0');
  if (exponent === 0) return sign + digits;
  return `${sign}${digits.slice(0, -exponent)}.${digits.slice(-exponent)}`;
}
