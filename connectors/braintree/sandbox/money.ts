import { exponentOf } from '../../../core/money.js';

/** Minor units -> the gateway's decimal string with the currency's exponent: 2500 GBP "25.00", JPY "2500", KWD "2.500". */
export function formatMinor(minor: number, currency: string): string {
  const exponent = exponentOf(currency);
  const sign = minor < 0 ? '-' : '';
  const digits = String(Math.abs(Math.trunc(minor))).padStart(exponent + 1, '0');
  if (exponent === 0) return sign + digits;
  return `${sign}${digits.slice(0, -exponent)}.${digits.slice(-exponent)}`;
}
