import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { describeImport, importBankFile } from '../../connectors/bank/import-file.js';
import { useTempLake } from '../support/temp-lake.js';

// A donor may type a card number or an email address into a transfer's remittance text, and the bank's file brings it.
// Until 2026-12-06 an import landed it as it was, in bank_line, the raw trail and every export, where the producer
// refuses the same text with a 400 (a user test: an external auditor). Now it lands masked; the statement still adds up.

const CSV = [
  'Transaction Date,Transaction Type,Sort Code,Account Number,Transaction Description,Debit Amount,Credit Amount,Balance,',
  "28/11/2026,FPI,'99-88-74,1515152252,J SMITH CARD 4111 1111 1111 1111 GIFT,,20.00,1169.78",
  "27/11/2026,FPI,'99-88-74,1515152252,JANE DOE jane.doe@example.com DONATION,,0.01,1149.78",
  "26/11/2026,FPI,'99-88-74,1515152252,R ROE GIFT REF 2026112600042,,5.00,1149.77",
  '',
].join('\n');

describe('a bank line whose text holds a card number or an email address', () => {
  const lake = useTempLake();

  it('lands masked, in the lake and the raw trail, says how many, and never prints them', async () => {
    const r = await importBankFile(lake.rt.queue, { name: 'lloyds.csv', bytes: CSV }, { layout: 'lloyds' });
    expect(r).toMatchObject({ status: 'imported', lines: 3, masked_records: 2 });
    const said = describeImport('lloyds.csv', r);
    expect(said).toContain('lloyds.csv: 2 lines hold a card number or an email address in its text: masked in the lake');
    expect(said).not.toMatch(/4111|jane/i);
    await lake.land();
    const lines = await lake.q('SELECT description, amount_minor FROM bank_line ORDER BY booking_date');
    expect(lines).toEqual([
      { description: 'R ROE GIFT REF 2026112600042', amount_minor: 500 },
      { description: 'JANE DOE [email] DONATION', amount_minor: 1 },
      { description: 'J SMITH CARD **** **** **** 1111 GIFT', amount_minor: 2000 },
    ]);
    const raw = await lake.q("SELECT count(*)::INT AS n FROM raw WHERE envelope LIKE '%4111 1111%' OR envelope LIKE '%jane.doe%'");
    expect(raw).toEqual([{ n: 0 }]);
    expect(await lake.q('SELECT balanced FROM bank_statement')).toEqual([{ balanced: true }]);
    // The line's id hashes its text as it lands: a hash of the whole card number would give it back from the last four.
    const card = (await lake.q("SELECT bank_line_id FROM bank_line WHERE amount_minor = 2000"))[0]!.bank_line_id as string;
    const hashOf = (text: string) => createHash('sha256').update(`type:FPI\ndesc:${text}`).digest('hex').slice(0, 16);
    expect(card).toContain(`/${hashOf('J SMITH CARD **** **** **** 1111 GIFT')}/`);
    expect(card).not.toContain(hashOf('J SMITH CARD 4111 1111 1111 1111 GIFT'));
  });
});
