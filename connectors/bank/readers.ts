import { readCamt } from './camt.js';
import type { BankFormat } from './detect.js';
import type { BankFileReader } from './statement.js';

/** The reader of each bank file format; a format without one is refused by name (exit code 2). */
export const READERS: Partial<Record<BankFormat, BankFileReader>> = {
  camt: readCamt,
  // bai2: readBai2, csv: readCsv,  (connectors/bank/bai2.ts and csv.ts)
};
