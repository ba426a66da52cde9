import { defineCommand } from '../command.js';
import { formatRows, type Format } from '../format.js';
import { withLocalQueryEngine } from '../local-runtime.js';

export const query = defineCommand({
  name: 'query',
  summary: 'Run SQL over the catalog views (donation, donation_history, payment, ..., raw, quarantine).',
  usage: 'puddle query "<SQL>" [--format table|json|csv] [--raw-csv]',
  options: {
    format: { type: 'string', default: 'table', description: 'table (default), json (one array of row objects) or csv' },
    'raw-csv': { type: 'boolean', description: 'CSV: write text cells as stored, even one a spreadsheet would run as a formula (=, +, -, @): for programs, not spreadsheets' },
  },
  async run({ values, positionals }) {
    const sql = positionals.join(' ').trim();
    const format = values.format as Format;
    if (!sql) {
      process.stderr.write('puddle query: give the SQL to run, e.g. puddle query "SELECT count(*) FROM donation"\n');
      return 2;
    }
    if (!['table', 'json', 'csv'].includes(format)) {
      process.stderr.write(`puddle query: --format must be table, json or csv\n`);
      return 2;
    }
    return withLocalQueryEngine(async (engine) => {
      try {
        // The engine's column names, not the rows' keys: a result with no rows still has its CSV header.
        const { columns, types, rows } = await engine.queryWithColumns(sql);
        process.stdout.write(formatRows(rows, format, columns, { types, raw: Boolean(values['raw-csv']) }));
        return 0;
      } catch (err) {
        process.stderr.write(`puddle query: ${(err as Error).message}\n`);
        return 1;
      }
    });
  },
});
