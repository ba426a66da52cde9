import { describe, expect, it } from 'vitest';

import { errorReason, isErrorReason } from './error-reason.js';
import { RecordError, RetriableError } from './errors.js';

const LEFT = 'message left out (it can quote the record)';

describe('errorReason', () => {
  it("gives an error's kind and never its message", () => {
    const duck = new Error("Conversion Error: Could not convert string 'jane@example.org' to INT32");
    expect(errorReason(duck)).toBe('Conversion Error: message left out (it can quote the record)');
    expect(errorReason(new TypeError('Jane Smith is not a function'))).toBe('TypeError: message left out (it can quote the record)');
    // A name that is no class name is not shown either.
    const named = Object.assign(new Error('x'), { name: 'jane@example.org' });
    expect(errorReason(named)).toBe('Error: message left out (it can quote the record)');
    expect(errorReason('jane@example.org')).toBe('thrown string: message left out (it can quote the record)');
  });

  it("gives a record error's reasons as the quarantine keeps them: path and rule", () => {
    const err = new RecordError('amount -5 for jane@example.org', [{ path: 'payload.amount_minor', message: 'must not be negative' }]);
    expect(errorReason(err)).toBe('RecordError: payload.amount_minor: must not be negative');
  });

  it('names the causes and where things are written failing', () => {
    const full = Object.assign(new Error('ENOSPC: no space left on device, write /lake/jane.parquet'), { code: 'ENOSPC' });
    expect(errorReason(new RetriableError('store put failed', undefined, { cause: full }))).toBe('RetriableError (caused by Error ENOSPC): disk_full');
  });

  it("tells its own form from an older hub's name and whole message", () => {
    const full = Object.assign(new Error('ENOSPC: no space left on device'), { code: 'ENOSPC' });
    const made = [
      new Error("Conversion Error: Could not convert string 'jane@example.org' to INT32"),
      new TypeError('Jane Smith is not a function'),
      'jane@example.org',
      new RecordError('x', [{ path: 'payload.amount_minor', message: 'must not be negative' }, { path: 'payload.status', message: 'must be one of paid, pledged (in any case; canceled means cancelled)' }]),
      new RecordError('x', [{ path: 'npe01__Payment_Amount__c', message: 'is required' }]),
      new RetriableError('store put failed', undefined, { cause: full }),
      Object.assign(new Error('database or disk is full'), { code: 'SQLITE_FULL' }),
    ].map(errorReason);
    for (const reason of made) expect(isErrorReason(reason), reason).toBe(true);
    // What a hub before 2026-12-02 kept: `${err.name}: ${err.message}`, or String(err) for a non-Error.
    const older = [
      "Error: Conversion Error: Could not convert string 'jane@example.org' to INT32",
      "TypeError: Cannot read properties of undefined (reading 'jane@example.org')",
      'RecordError: amount -5 for jane@example.org',
      'RecordError: merchant account acc-1 is not in BRAINTREE_ACCOUNT_CURRENCIES: its currency is unknown',
      "RecordError: payload.email: must not be 'jane@example.org'",
      'Error: ENOSPC: no space left on device, write /lake/jane.parquet',
      'jane@example.org',
      `TypeError: x\n${LEFT}`,
    ];
    for (const reason of older) expect(isErrorReason(reason), reason).toBe(false);
  });
});
