import { expect } from 'vitest';
import { BankFileError } from '../../connectors/bank/statement.js';

/** The BankFileError `fn` throws (fails the test when it throws nothing or something else). */
export function bankError(fn: () => unknown): BankFileError {
  try {
    fn();
  } catch (e) {
    expect(e).toBeInstanceOf(BankFileError);
    return e as BankFileError;
  }
  throw new Error('expected a BankFileError');
}
