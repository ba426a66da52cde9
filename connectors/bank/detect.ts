// Which reader a bank file needs, from its content: banks and users name files anything (`statement.txt` holding
// camt XML, `export.dat` holding BAI2), so the name is never consulted.

export const BANK_FORMATS = ['camt', 'bai2', 'csv'] as const;
export type BankFormat = (typeof BANK_FORMATS)[number];

export function isBankFormat(v: string): v is BankFormat {
  return (BANK_FORMATS as readonly string[]).includes(v);
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
