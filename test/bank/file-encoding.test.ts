import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { describeImport, importBankFile } from '../../connectors/bank/import-file.js';
import { useTempLake } from '../support/temp-lake.js';

// A bank file in another encoding than UTF-8, through the real path (import -> queue -> landing -> DuckDB). Until
// 2026-12-03 every file was read as UTF-8: a camt.053 declaring ISO-8859-1 and a Windows-1252 CSV imported with
// U+FFFD in place of every accented letter and £, for good (the raw trail is never rewritten), and a UTF-16 export
// was refused as "binary data (a spreadsheet, an archive or an image?)".

const fixture = (name: string) => readFileSync(new URL(`../fixtures/bank/${name}`, import.meta.url));
const barclays = { layout: 'barclays' };
const CSV = 'Number,Date,Account,Amount,Subcategory,Memo\n,05/12/2026,20-32-06 13152170,12.00,FT,CAFÉ MÜLLER GIFT £5\n,06/12/2026,20-32-06 13152170,-3.50,DD,ACME\n';

describe('bank files in another encoding than UTF-8', () => {
  const lake = useTempLake();

  it('reads a camt.053 in the encoding its XML declaration names, and lands the same lines as its UTF-8 original', async () => {
    const utf8 = fixture('camt053_v02_4entries_batch.xml');
    // The same statement as ISO-8859-1 says it is (the sample holds "Überweisungs-Gutschrift").
    const latin1 = Buffer.from(utf8.toString('utf8').replace('encoding="UTF-8"', 'encoding="ISO-8859-1"'), 'latin1');
    expect(latin1.includes(Buffer.from([0xdc]))).toBe(true);
    expect(await importBankFile(lake.rt.queue, { name: 'latin1.xml', bytes: latin1 })).toMatchObject({ status: 'imported', lines: 4 });
    await lake.land();
    const lines = await lake.q('SELECT bank_line_id, reference, description FROM bank_line ORDER BY bank_line_id');
    expect(lines.map((l) => l.description)).toContain('Überweisungs-Gutschrift; GVC: SEPA Credit Transfer (Einzelbuchung-Haben)');
    expect(JSON.stringify(lines)).not.toContain('\uFFFD');
    // Imported again as UTF-8, it is the same lines, not new ones beside them.
    expect(await importBankFile(lake.rt.queue, { name: 'utf8.xml', bytes: utf8 })).toMatchObject({ status: 'imported', lines: 4 });
    await lake.land();
    expect(await lake.q('SELECT bank_line_id, reference, description FROM bank_line ORDER BY bank_line_id')).toEqual(lines);
  });

  it('reads UTF-16 files with a byte order mark (Excel\'s "Unicode text"), CSV and camt alike', async () => {
    const bom = Buffer.from([0xff, 0xfe]);
    const csv16 = Buffer.concat([bom, Buffer.from(CSV.replaceAll('\n', '\r\n'), 'utf16le')]);
    const r = await importBankFile(lake.rt.queue, { name: 'export.csv', bytes: csv16 }, barclays);
    expect(r).toMatchObject({ status: 'imported', entries: 2, lines: 2, error: null });
    const camt16 = Buffer.concat([bom, Buffer.from(fixture('camt053_v02_4entries_batch.xml').toString('utf8'), 'utf16le')]);
    expect(await importBankFile(lake.rt.queue, { name: 'stmt.xml', bytes: camt16 })).toMatchObject({ status: 'imported', lines: 4 });
    await lake.land();
    expect(await lake.q("SELECT amount_minor, reference FROM bank_line WHERE currency = 'GBP' ORDER BY amount_minor")).toEqual([
      { amount_minor: -350, reference: 'ACME' },
      { amount_minor: 1200, reference: 'CAFÉ MÜLLER GIFT £5' },
    ]);
    expect(await lake.q("SELECT count(*) AS n FROM bank_line WHERE currency = 'EUR'")).toEqual([{ n: 4 }]);
  });

  it('refuses a CSV that is not UTF-8 (Windows-1252), naming the line and quoting none of it; nothing lands', async () => {
    const cp1252 = Buffer.from(CSV, 'latin1');
    const r = await importBankFile(lake.rt.queue, { name: 'export.csv', bytes: cp1252 }, barclays);
    expect(r.status).toBe('malformed');
    expect(r.error).toMatch(/^line 2: not UTF-8 text: .*Windows-1252.*save the file as UTF-8/);
    // A camt.053 that declares UTF-8 and is not: refused naming the line, as the bank's file is not what it says.
    const utf8 = fixture('camt053_v02_4entries_batch.xml').toString('utf8');
    const lying = Buffer.from(utf8.replace('encoding="UTF-8"', 'encoding="UTF-8" '), 'latin1');
    const x = await importBankFile(lake.rt.queue, { name: 'stmt.xml', bytes: lying });
    expect(x).toMatchObject({ status: 'malformed' });
    expect(x.error).toMatch(/^line \d+: not text in UTF-8, the encoding its XML declaration names/);
    const said = describeImport('export.csv', r);
    expect(said).not.toMatch(/CAF|LLER|GIFT/);
    await lake.land();
    expect(await lake.q('SELECT count(*) AS n FROM bank_line')).toEqual([{ n: 0 }]);
  });
});
