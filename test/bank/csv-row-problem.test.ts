import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { importBankFile } from '../../connectors/bank/import-file.js';
import { useTempLake } from '../support/temp-lake.js';

// A NatWest export lists every account of the login in one file, each account a statement. A row whose balance does
// not follow (line 4, current account) was a problem the importer could not place, so until 2026-12-05 it was put
// on every statement of the file: the deposit account, which adds up, became a STATEMENT_UNBALANCED break too,
// telling finance to correct a statement that is right.

const NATWEST = readFileSync(new URL('../fixtures/bank/natwest_made_export.csv', import.meta.url), 'utf8');

describe("a CSV row's problem belongs to its own account's statement", () => {
  const lake = useTempLake();

  it('a wrong balance on a current-account row leaves the deposit account out of the break', async () => {
    const bytes = NATWEST.replace('-45.50,11116.50', '-45.50,11116.05');
    const r = await importBankFile(lake.rt.queue, { name: 'natwest.csv', bytes }, { layout: 'natwest' });
    expect(r.status).toBe('unbalanced');
    // Line 4's balance is wrong, so line 5's does not follow from it either: both are the current account's rows.
    expect(r.problems.map((p) => p.where)).toEqual(['line 4', 'line 5']);
    await lake.land();
    const rows = await lake.q('SELECT account, balanced, problems FROM bank_statement');
    expect(rows).toEqual([{ account: '560036-12345678', balanced: false, problems: expect.stringMatching(/^line 4: balance 11116\.05 GBP .*; line 5: /) }]);
    const breaks = await lake.q("SELECT object_id FROM recon_breaks WHERE break_type = 'STATEMENT_UNBALANCED'");
    expect(breaks).toHaveLength(1);
  });
});
