// What `puddle query` adds under DuckDB's own message, for the mistakes its users make: a view named in the plural, an
// email searched in clear, a value in curly or double quotes (pasted from an email or a document), and what the
// engine's confinement refuses. Until 2026-12-06 only the last; the others got DuckDB's message alone, such as `Did you
// mean "pg_collation"?` for `donations` (a user test: supporter care).
import { CONTRACTS } from '../../core/contracts/index.js';
import { NAMED_VIEW_FILES } from '../../puddles/named-views.js';

/** Every view a query may name: each contract's (current and history) and the named views (recon_*, totals ...). */
function viewNames(): string[] {
  return [...[...CONTRACTS.keys()].flatMap((c) => [c, `${c}_history`]), ...NAMED_VIEW_FILES, 'raw', 'quarantine'];
}

/** The hint for a DuckDB error `message` on `sql`, one or more lines each ending in a newline, or ''. */
export function queryHint(message: string, sql: string): string {
  const notes: string[] = [];
  if (/^Permission Error: Cannot access (file|directory)/.test(message)) notes.push('puddle query reads the lake through its views, and no file outside the lake (<home>/lake) or URL');
  if (/^Missing Extension Error|exists in the \w+ extension/.test(message)) notes.push('DuckDB extensions are never downloaded or loaded: puddle query has those built in (parquet, json, icu) only');
  const table = /^Catalog Error: Table with name (\S+) does not exist/.exec(message)?.[1]?.toLowerCase();
  if (table !== undefined) {
    const views = viewNames();
    const near = [table.replace(/s$/, ''), table.replace(/ies$/, 'y'), table.replace(/es$/, '')].find((v) => v !== table && views.includes(v));
    notes.push(near ? `the view is ${near}: Puddle's views are named for one record (donation, payment, supporter); SHOW TABLES lists them` : 'SHOW TABLES lists the views a query may read');
  }
  const column = /Referenced column "([^"]+)" not found/.exec(message)?.[1];
  if (column !== undefined && /^(email|email_address|e_?mail)$/i.test(column)) {
    notes.push("the lake keeps no email address, only its hash: WHERE email_sha256 = sha256(lower(trim('jo@example.org')))");
  } else if (column !== undefined && /[‘’“”]/.test(column)) {
    notes.push("text values go in straight single quotes ('cc-sup-8812'): the query has curly quotes, as pasted from an email or a document");
  } else if (column !== undefined && sql.includes(`"${column}"`)) {
    notes.push(`text values go in single quotes ('${column}'): in SQL, "${column}" names a column`);
  }
  return notes.map((n) => `note: ${n}\n`).join('');
}
