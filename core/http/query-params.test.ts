import { describe, expect, it } from 'vitest';
import { numberParam, queryParams } from './query-params.js';

describe('queryParams', () => {
  it('repeats at most 40 characters of a parameter name it does not take, without control characters', () => {
    const long = `${'a'.repeat(39)}\u0007\r\n${'b'.repeat(500)}`;
    const read = queryParams({ [long]: '1' }, ['limit']);
    expect(read).toEqual({ error: `${'a'.repeat(39)}b… is not a parameter (limit)` });
  });

  it('repeats a short name as it is', () => {
    expect(queryParams({ sql: '1' }, ['after', 'limit'])).toEqual({ error: 'sql is not a parameter (after, limit)' });
  });
});

describe('numberParam', () => {
  const range = { whole: true, min: 1, max: 1000 };
  it('takes digits only: 1e2, 0x10, 100.0 and " 100" are refused as a number out of range is', () => {
    for (const text of ['1e2', '0x10', '100.0', ' 100', 'Infinity', '', '0', '1001']) {
      expect(numberParam('limit', text, 100, range)).toEqual({ error: 'limit must be a whole number from 1 to 1000' });
    }
  });
  it('reads a number in range, and takes the fallback when absent', () => {
    expect(numberParam('limit', '100', 7, range)).toEqual({ value: 100 });
    expect(numberParam('limit', undefined, 7, range)).toEqual({ value: 7 });
  });
});
