// Which reader a bank file needs, from its content: banks and users name files anything (`statement.txt` holding
// camt XML, `export.dat` holding BAI2), so the name is never consulted.

export const BANK_FORMATS = ['camt', 'bai2', 'csv'] as const;
export type BankFormat = (typeof BANK_FORMATS)[number];

export function isBankFormat(v: string): v is BankFormat {
  return (BANK_FORMATS as readonly string[]).includes(v);
}

/**
 * What the file is when it is plainly no statement of any format Puddle reads (a PDF statement, a spreadsheet, a
 * note), else null. Only what detection would otherwise send to the CSV reader, which would ask for a layout:
 * binary content for any format, and, for CSV, text without a line of three comma-separated columns (every
 * layout has at least a date, a description and an amount).
 */
export function notAStatement(text: string, format: BankFormat): string | null {
  const head = text.slice(0, 4096).replace(/^\uFEFF?\s*/, '');
  if (head.startsWith('%PDF-')) return 'it is a PDF document (download the statement as CSV, camt or BAI2 instead)';
  if (head.startsWith('PK\u0003\u0004')) return 'it is a ZIP archive (an Excel .xlsx workbook? save it as CSV)';
  if (head.includes('\u0000')) return 'it holds binary data (a spreadsheet, an archive or an image?)';
  if (format === 'csv' && !/^[^\r\n]*,[^\r\n]*,/m.test(text)) return 'no line has three comma-separated columns (a date, a text and an amount at least)';
  return null;
}

/**
 * camt: an XML document (its root and namespace are checked by the camt reader, which names what it found);
 * BAI2: the first record is a `01` file header (`01,` then the sender); anything else is read as CSV.
 */
export function detectFormat(text: string): BankFormat {
  let i = text.charCodeAt(0) === 0xfeff ? 1 : 0;
  while (i < text.length && (text[i] === ' ' || text[i] === '\t' || text[i] === '\r' || text[i] === '\n')) i++;
  if (text[i] === '<') return 'camt';
  if (text.startsWith('01,', i)) return 'bai2';
  return 'csv';
}
