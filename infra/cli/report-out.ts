// Where a report's rows go, for every report `puddle report` prints: standard output or `--out`, as a table, JSON,
// CSV or Parquet. CSV and Parquet go through the writer `puddle export` uses: one CSV format (timestamps, quoting)
// whichever command wrote it.
import { writeFile } from 'node:fs/promises';
import type { QueryEngine } from '../../core/ports.js';
import { copyOut, csvToStdout } from './copy-out.js';
import { formatRows, rowsText, type Format } from './format.js';
import { replacingNote } from './options.js';
import { rowsForStdout } from './stdout.js';

export interface ReportOutput {
  format: string;
  out?: string;
  rawCsv: boolean;
}

export async function writeReport(query: QueryEngine, sql: string, output: ReportOutput): Promise<void> {
  const { format, out } = output;
  const csv = { rawCsv: output.rawCsv };
  const replacing = out === undefined ? '' : replacingNote(out);
  if (format === 'parquet' || (format === 'csv' && out)) {
    const n = await copyOut(query, sql, format, out!, csv);
    process.stderr.write(`puddle report: wrote ${rowsText(n)} to ${out!}${replacing}\n`);
  } else if (format === 'csv') {
    await csvToStdout(query, sql, csv);
  } else {
    const { columns, rows } = await query.queryWithColumns(sql);
    if (out) {
      await writeFile(out, formatRows(rows, format as Format, columns));
      // As the CSV and Parquet writers say it: a scheduled job's log shows what each file holds.
      process.stderr.write(`puddle report: wrote ${rowsText(rows.length)} to ${out}${replacing}\n`);
    } else process.stdout.write(rowsForStdout(rows, format as Format, columns));
  }
}
