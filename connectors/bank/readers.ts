import { readBai2 } from './bai2.js';
import { readCamt } from './camt.js';
import { readCsv } from './csv.js';
import type { BankFormat } from './detect.js';
import type { BankFileReader } from './statement.js';

/** The reader of each bank file format; a format without one is refused by name (exit code 2). */
export const READERS: Record<BankFormat, BankFileReader> = {
  camt: readCamt,
  bai2: readBai2,
  csv: readCsv,
};
