import { describe, expect, it } from 'vitest';

import { errorReason } from './error-reason.js';
import { RecordError, RetriableError } from './errors.js';

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
});
