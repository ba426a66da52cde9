// The pages' money formatting (web/src/money.ts) against the hub's ISO 4217 table (core/money.ts): one
// definition of each currency's exponent, so the TV never shows UGX 50000 as "UGX500.00".
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { exponentOf } from '../core/money.js';
import { sharedWebInputs } from '../infra/local/web-assets.js';
import { counted, formatMoney } from '../web/src/money.js';

describe('web money', () => {
  it('writes every ISO 4217 code with the decimals core/money.ts gives it', () => {
    const codes = Intl.supportedValuesOf('currency');
    expect(codes.length).toBeGreaterThan(100);
    for (const code of codes) {
      const decimals = /\.(\d+)$/.exec(formatMoney(123_456_789, code))?.[1]?.length ?? 0;
      expect({ code, decimals }).toEqual({ code, decimals: exponentOf(code) });
    }
  });

  it('writes the amounts the tester saw wrong with their own exponent and sign', () => {
    const shown = (minor: number, currency: string) => formatMoney(minor, currency).replace(/\s/g, ' ');
    expect(shown(50_000, 'UGX')).toBe('UGX 50,000');
    expect(shown(1000, 'XOF')).toBe('F CFA 1,000');
    expect(shown(1234, 'IQD')).toBe('IQD 1.234');
    expect(shown(-123_456, 'GBP')).toBe('-£1,234.56');
    expect(shown(5, 'KWD')).toBe('KWD 0.005');
  });

  it('rebuilds the pages when the shared exponent table changes: the build hash reads it', () => {
    expect(sharedWebInputs().map((f) => path.relative(process.cwd(), f))).toContain(path.join('core', 'currency-exponents.ts'));
  });

  it('says a count with its noun, singular for one (the dashboard read "1 pledges")', () => {
    expect(counted(1, 'pledge', 'pledges')).toBe('1 pledge');
    expect(counted(0, 'pledge', 'pledges')).toBe('0 pledges');
    expect(counted(2340, 'box', 'boxes')).toBe('2,340 boxes');
  });
});
