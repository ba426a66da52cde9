import { rm } from 'node:fs/promises';

import { WriteRefusedError } from '../../../core/errors.js';
import { isCalendarDate } from '../../../core/time.js';
import { namesNamedView } from '../../../puddles/named-views.js';
import { setReconParams } from '../../../puddles/reports.js';
import { defineCommand } from '../command.js';
import { csvFolder, csvToStdout } from '../copy-out.js';
import { withLocalQueryEngine } from '../local-runtime.js';
import { AS_KNOWN_DOC, asKnownProblem, futureAsOfNote } from '../options.js';
import { queryHint } from '../query-hints.js';
import { rowsForStdout, writeOut } from '../stdout.js';
import { querySql } from './query-sql.js';

const CSV_TAKES_A_QUERY =
  'note: --format csv takes one query (SELECT, FROM, WITH, VALUES, DESCRIBE, SHOW, SUMMARIZE); other statements, such as PRAGMA or EXPLAIN, print with --format table or json\n';

/** Thrown out of the json stream when the reader closed stdout: nothing more to write, and no failure. */
const READER_GONE = new Error('the reader closed standard output');

export const query = defineCommand({
  name: 'query',
  summary: 'Run SQL over the catalog views (donation, donation_history, payment, ..., raw, quarantine).',
  usage: 'puddle query "<SQL>" | --file FILE.sql | - [--format table|json|csv] [--as-of DATE [--as-known]] [--raw-csv]',
  options: {
    // A board pack's query runs to a page: from a file, or standard input (`-`), rather than one quoted argument.
    file: { type: 'string', description: 'read the SQL from this file, one statement as an argument is; - (here, or in place of the SQL: puddle query - < board.sql) reads standard input' },
    // As `puddle report --as-of` and `export --as-of` read the lake (docs/reconciliation.md, "Parameters"), for SQL of one's own:
    // a year-end figure no report gives. Until 2026-12-04 only those two rewound, and `puddle query` read today's.
    'as-of': { type: 'string', description: 'the lake as at the end of DATE (YYYY-MM-DD): each record as it stood then, the history views holding the versions changed by then, and recon_params\' as_of (raw and quarantine are not rewound)' },
    format: { type: 'string', default: 'table', description: 'table (default), json (one array of row objects; a DECIMAL as its exact text, "25.10") or csv' },
    'as-known': { type: 'boolean', description: AS_KNOWN_DOC },
    'raw-csv': { type: 'boolean', description: 'CSV: write text cells as stored, even one a spreadsheet would run as a formula (=, +, -, @): for programs, not spreadsheets' },
  },
  async run({ values, positionals }) {
    const given = await querySql(positionals, values.file as string | undefined);
    if ('problem' in given) {
      process.stderr.write(`puddle query: ${given.problem}\n`);
      return 2;
    }
    const { sql } = given;
    const format = values.format as string;
    if (!['table', 'json', 'csv'].includes(format)) {
      process.stderr.write(`puddle query: --format must be table, json or csv\n`);
      return 2;
    }
    const asOf = values['as-of'] as string | undefined;
    if (asOf !== undefined && !isCalendarDate(asOf)) {
      process.stderr.write(`puddle query: --as-of takes a date YYYY-MM-DD, not ${JSON.stringify(asOf)}\n`);
      return 2;
    }
    const knownProblem = asKnownProblem(values);
    if (knownProblem) {
      process.stderr.write(`puddle query: ${knownProblem}\n`);
      return 2;
    }
    const future = futureAsOfNote('query', asOf);
    if (future) process.stderr.write(future);
    // The operator's SQL may open files only in the lake and, for csv, the folder COPY writes its file in, made
    // before the engine's DuckDB (whose allowed folders are fixed when it opens: duckdb.ts onlyFolders).
    const csvDir = format === 'csv' ? await csvFolder() : undefined;
    const confineTo = csvDir ? [csvDir] : [];
    // A named view (recon_breaks, recon_journey, ...) reads each contract several times: the contracts it reads are
    // worked out once, into a table, first, as `puddle report` does. Measured on a 5-minute sandbox lake: recon_breaks
    // 13.8 s through the plain views, `puddle report breaks` 3.7 s (2026-12-05). A query of contracts alone (a lookup
    // by id) reads them as they are: a snapshot of a large contract would cost it far more than it saves.
    const materializeCurrent = namesNamedView(sql);
    return withLocalQueryEngine(async (engine) => {
      try {
        if (asOf !== undefined) await setReconParams(engine, { as_of: asOf });
        if (format === 'csv') {
          // Before anything runs: a COPY, ATTACH or EXPORT here wrote wherever it named, the lake included.
          await engine.refuseWrites(sql);
          // The CSV `report` and `export` write (copy-out.ts): one quoting, one instant format, one neutraliser.
          await csvToStdout(engine, sql, { rawCsv: Boolean(values['raw-csv']) }, csvDir);
          return 0;
        }
        if (format === 'json') {
          // Streamed: one array, written a chunk of rows at a time, so 3M rows never sit in memory at once (until
          // 2026-12-03 they all did, about 800 MB, then as one string). The same text JSON.stringify(rows) gave.
          let first = true;
          await engine.streamReadOnly(sql, async (rows) => {
            let text = first ? '[' : '';
            for (const row of rows) {
              text += `${first ? '' : ','}${JSON.stringify(row)}`;
              first = false;
            }
            if (!(await writeOut(text))) throw READER_GONE;
          });
          await writeOut(first ? '[]\n' : ']\n');
          return 0;
        }
        // A table pads each column to its widest cell, so it reads every row before printing the first.
        const { columns, rows } = await engine.queryReadOnly(sql); // refuses writes as the CSV path does
        process.stdout.write(rowsForStdout(rows, 'table', columns));
        return 0;
      } catch (err) {
        if (err === READER_GONE) return 0;
        if (err instanceof WriteRefusedError) {
          process.stderr.write(`puddle query: ${err.message}\n`);
          return 2;
        }
        const message = (err as Error).message;
        // COPY writes the rows of a query: a statement that is not one (PRAGMA, EXPLAIN, SET) fails to parse
        // inside it, where the table and JSON output run it as it is.
        const hint = format === 'csv' && message.startsWith('Parser Error') ? CSV_TAKES_A_QUERY : queryHint(message, sql);
        process.stderr.write(`puddle query: ${message}\n${hint}`);
        return 1;
      }
    }, { asOf, asKnown: Boolean(values['as-known']), confineTo, materializeCurrent }).finally(() => (csvDir ? rm(csvDir, { recursive: true, force: true }) : undefined));
  },
});
