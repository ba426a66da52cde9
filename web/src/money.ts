// Money on screen: integer minor units to "£1,234,567.89", from digits (never dividing floats), with the
// currency's own exponent and symbol. The exponents are the hub's own table (vite bundles it from core/): a
// short copy here showed UGX 50000 as "UGX500.00" and IQD 1234 as "IQD12.34".
import { CURRENCY_EXPONENTS } from '../../core/currency-exponents.js';

/**
 * The sign as the browser writes it before an amount: "£", "€", "US$", "CA$", or a code with its space ("UGX ",
 * "SEK "). Never the narrow sign: it is "$" for USD, CAD, AUD, NZD, MXN and two dozen more, "kr" for SEK, NOK,
 * DKK and ISK, "¥" for JPY and CNY, so a TV showing "+ $1,000" beside "+ $1,000" could not say which was which
 * (1,000 Mexican pesos read as dollars). en-GB's signs name one currency each.
 */
function symbolOf(currency: string): string {
  try {
    const parts = new Intl.NumberFormat('en-GB', { style: 'currency', currency, currencyDisplay: 'symbol' }).formatToParts(1);
    const at = parts.findIndex((p) => p.type === 'currency');
    if (at < 0) return `${currency} `;
    // A code or a worded sign ("F CFA") comes with a space before the digits; keep it.
    const gap = parts[at + 1]?.type === 'literal' ? parts[at + 1]!.value : '';
    return `${parts[at]!.value}${gap}`;
  } catch {
    return `${currency} `;
  }
}

/** Thousands separators on a string of digits. */
function group(digits: string): string {
  return digits.replace(/\B(?=(\d{3})+(?!\d))/g, ',');
}

function exponentOf(currency: string): number {
  return CURRENCY_EXPONENTS[currency.toUpperCase()] ?? 2;
}

export function formatMoney(minor: number, currency: string): string {
  const exponent = exponentOf(currency);
  const sign = minor < 0 ? '-' : '';
  const digits = String(Math.abs(Math.trunc(minor))).padStart(exponent + 1, '0');
  const whole = exponent === 0 ? digits : digits.slice(0, -exponent);
  const fraction = exponent === 0 ? '' : `.${digits.slice(-exponent)}`;
  return `${sign}${symbolOf(currency)}${group(whole)}${fraction}`;
}

export function formatCount(n: number): string {
  return group(String(n));
}

/** `1 pledge`, `2,340 pledges`: a count with its noun, singular for one. */
export function counted(n: number, one: string, many: string): string {
  return `${formatCount(n)} ${n === 1 ? one : many}`;
}
