// `puddle quarantine` lists what is open and says what closes it. A bank statement that does not add up is not
// retried (the retry says so): a corrected statement closes it. Until 2026-12-05 the list said "once the cause is
// fixed: puddle quarantine retry" for it all the same (user test).
import { readFileSync } from 'node:fs';
import { afterAll, describe, expect, it } from 'vitest';
import { bankHome } from './support/bank-home.js';

describe('puddle quarantine with a bank statement that does not add up', { timeout: 120_000 }, () => {
  const { puddle, file, remove } = bankHome('puddle-quarantine-bank-');
  afterAll(remove);

  it('says to import the corrected statement, not to retry', async () => {
    const bad = file('export.csv', readFileSync(new URL('./fixtures/bank/lloyds_online_export.csv', import.meta.url), 'utf8'));
    expect((await puddle(['import', 'bank', bad, '--layout', 'lloyds'])).code).toBe(1);
    expect((await puddle(['land'])).code).toBe(0);
    const listed = await puddle(['quarantine']);
    expect(listed.code, listed.stderr).toBe(0);
    expect(listed.stdout).toContain('bank_statement');
    expect(listed.stdout).toContain('a bank statement that does not add up: import the corrected statement');
    expect(listed.stdout).not.toContain('puddle quarantine retry');
  });
});
