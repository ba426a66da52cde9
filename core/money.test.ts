import { describe, expect, it } from 'vitest';
import { RecordError } from './errors.js';
import { InvalidAmountError, exponentOf, fromMinorUnits, isCurrencyCode, isCurrencyShaped, toMinorUnits } from './money.js';

describe('exponentOf', () => {
  it('knows the zero-, three- and four-decimal currencies and defaults to 2', () => {
    for (const c of ['JPY', 'KRW', 'VND', 'CLP', 'ISK', 'XOF', 'XPF', 'UGX']) expect(exponentOf(c)).toBe(0);
    for (const c of ['KWD', 'BHD', 'JOD', 'OMR', 'TND', 'LYD', 'IQD']) expect(exponentOf(c)).toBe(3);
    for (const c of ['CLF', 'UYW']) expect(exponentOf(c)).toBe(4);
    for (const c of ['GBP', 'USD', 'EUR', 'CHF', 'ZWG', 'SLE']) expect(exponentOf(c)).toBe(2);
  });

  it('takes lower case and refuses what is not an ISO 4217 code in use: a typo or a made-up code', () => {
    expect(exponentOf('jpy')).toBe(0);
    for (const c of ['', 'JP', 'JPYY', '12A', 'J Y', 'ZZZ', 'GPB', 'XYZ']) expect(() => exponentOf(c)).toThrow(InvalidAmountError);
    expect(isCurrencyCode('gbp')).toBe(true);
    expect(isCurrencyCode('GPB')).toBe(false);
  });

  it('tells a well-formed code not in use (a typo) from a value that is no code at all', () => {
    for (const c of ['GBP', 'gbp', 'GPB', 'ZZZ']) expect(isCurrencyShaped(c), c).toBe(true);
    for (const c of ['', 'GB', 'GBPP', 'G1P', 'G P', 'pounds', 826, null]) expect(isCurrencyShaped(c), String(c)).toBe(false);
  });
});

describe('toMinorUnits', () => {
  it('converts two-decimal amounts exactly, including the ones floats get wrong', () => {
    expect(toMinorUnits('25.00', 'GBP')).toBe(2500);
    expect(toMinorUnits('0.29', 'USD')).toBe(29); // 0.29 * 100 = 28.999999999999996
    expect(toMinorUnits('1.15', 'GBP')).toBe(115); // Math.floor(1.15 * 100) = 114
    expect(toMinorUnits('19.99', 'USD')).toBe(1999);
  });

  it('pads short or missing fractions', () => {
    expect(toMinorUnits('25', 'GBP')).toBe(2500);
    expect(toMinorUnits('25.5', 'GBP')).toBe(2550);
    expect(toMinorUnits('250.0', 'USD')).toBe(25000);
    expect(toMinorUnits('0.07', 'EUR')).toBe(7);
  });

  it('handles zero-decimal currencies', () => {
    expect(toMinorUnits('2500', 'JPY')).toBe(2500);
    expect(toMinorUnits('2500.00', 'JPY')).toBe(2500);
    expect(toMinorUnits('150000', 'krw')).toBe(150000);
    expect(() => toMinorUnits('2500.5', 'JPY')).toThrow(/more decimals than JPY allows \(0\)/);
  });

  it('handles three- and four-decimal currencies', () => {
    for (const c of ['KWD', 'BHD', 'JOD', 'OMR', 'TND', 'LYD', 'IQD']) expect(toMinorUnits('2.500', c)).toBe(2500);
    expect(toMinorUnits('2.5', 'KWD')).toBe(2500);
    expect(toMinorUnits('0.001', 'BHD')).toBe(1);
    expect(toMinorUnits('1.2345', 'CLF')).toBe(12345);
    expect(() => toMinorUnits('2.5001', 'KWD')).toThrow(InvalidAmountError);
  });

  it('keeps the sign and never returns -0', () => {
    expect(toMinorUnits('-5.00', 'GBP')).toBe(-500);
    expect(toMinorUnits('-2500', 'JPY')).toBe(-2500);
    expect(Object.is(toMinorUnits('-0.00', 'GBP'), 0)).toBe(true);
  });

  it('accepts extra decimals only when they are zeros', () => {
    expect(toMinorUnits('25.0000', 'GBP')).toBe(2500);
    expect(() => toMinorUnits('25.001', 'GBP')).toThrow(/more decimals than GBP allows \(2\)/);
    expect(() => toMinorUnits('1.005', 'GBP')).toThrow(InvalidAmountError);
  });

  it('refuses what is not a plain decimal string', () => {
    for (const bad of ['.5', '25.', '1e3', '', ' 25', '25 ', '+25', '2,500.00', '0x10', 'NaN', 'Infinity', '--5', '25.0.0', '٢٥']) {
      expect(() => toMinorUnits(bad, 'GBP'), bad).toThrow(InvalidAmountError);
    }
    expect(() => toMinorUnits(25 as unknown as string, 'GBP')).toThrow(/a number/);
    expect(() => toMinorUnits(null as unknown as string, 'GBP')).toThrow(/a null/);
    expect(() => toMinorUnits('25.00', 'pounds')).toThrow(/not an ISO 4217 code/);
  });

  it('refuses amounts past the safe-integer range instead of losing pennies', () => {
    expect(toMinorUnits('90071992547409.91', 'USD')).toBe(9007199254740991);
    expect(() => toMinorUnits('90071992547409.92', 'USD')).toThrow(/too large/);
  });

  it('is a record error whose message quotes short input and never echoes a huge one', () => {
    const huge = `1${'0'.repeat(5000)}x`;
    let err: unknown;
    try {
      toMinorUnits(huge, 'GBP');
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(RecordError);
    const message = (err as Error).message;
    expect(message).toBe('amount a 5002-character string is not a decimal string');
    expect(message.length).toBeLessThan(100);
    expect(() => toMinorUnits('12abc', 'GBP')).toThrow('amount "12abc" is not a plain decimal like 25.00');
  });

  it('never quotes a card number or an email address sent as an amount or a currency', () => {
    expect(() => toMinorUnits('4111111111111111', 'GBP')).toThrow('amount a 16-character string is too large');
    expect(() => toMinorUnits('4111 1111 1111 1111', 'GBP')).toThrow('amount a 19-character string is not a plain decimal like 25.00');
    expect(() => toMinorUnits('a@b.org', 'GBP')).toThrow('amount a 7-character string is not a plain decimal like 25.00');
    expect(() => toMinorUnits('25.00', 'x@y.io')).toThrow('currency a 6-character string is not an ISO 4217 code');
    // A long number that is not a card's is still quoted: it says what was sent.
    expect(() => toMinorUnits('1234567890123456', 'GBP')).toThrow('amount "1234567890123456" is too large');
  });
});

describe('fromMinorUnits', () => {
  it('writes the currency\'s exponent: two, zero, three and four decimals', () => {
    expect(fromMinorUnits(2500, 'GBP')).toBe('25.00');
    expect(fromMinorUnits(2500, 'JPY')).toBe('2500');
    expect(fromMinorUnits(2500, 'KWD')).toBe('2.500');
    expect(fromMinorUnits(12345, 'CLF')).toBe('1.2345');
    expect(fromMinorUnits(1999, 'usd')).toBe('19.99');
  });

  it('pads small amounts and keeps the sign, never writing -0', () => {
    expect(fromMinorUnits(7, 'EUR')).toBe('0.07');
    expect(fromMinorUnits(0, 'GBP')).toBe('0.00');
    expect(fromMinorUnits(-0, 'GBP')).toBe('0.00');
    expect(fromMinorUnits(-5, 'GBP')).toBe('-0.05');
    expect(fromMinorUnits(-2500, 'JPY')).toBe('-2500');
    expect(fromMinorUnits(1, 'BHD')).toBe('0.001');
  });

  it('is the inverse of toMinorUnits', () => {
    for (const [minor, currency] of [[29, 'USD'], [115, 'GBP'], [-500, 'GBP'], [150000, 'KRW'], [2500, 'OMR'], [9007199254740991, 'USD']] as const) {
      expect(toMinorUnits(fromMinorUnits(minor, currency), currency)).toBe(minor);
    }
  });

  it('refuses what is not a safe integer, or not a currency code', () => {
    for (const bad of [2.5, Number.NaN, Infinity, 2 ** 53]) expect(() => fromMinorUnits(bad, 'GBP')).toThrow(InvalidAmountError);
    expect(() => fromMinorUnits(2.5, 'GBP')).toThrow('amount 2.5 is not a whole number of minor units');
    expect(() => fromMinorUnits(2500, 'pounds')).toThrow(/not an ISO 4217 code/);
  });
});
