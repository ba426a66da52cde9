// Where `puddle query` takes its SQL from: the command line (`puddle query "SELECT ..."`), a file (`--file
// board.sql`) or standard input (`puddle query - < board.sql`). A board pack's queries run to a page or more:
// until 2026-12-06 they had to be pasted into one quoted argument, and `echo "SELECT 1" | puddle query` printed
// the usage (user test). Wherever it comes from, the SQL then meets every check an argument meets (query.ts: one
// statement, read only, files in the lake only).
import { readFile } from 'node:fs/promises';

/** The SQL to run, or what is wrong (for exit code 2, said after `puddle query: `). */
export type QuerySql = { sql: string } | { problem: string };

/** What standard input is to querySql: process.stdin, or a stand-in in a test. */
export type SqlInput = AsyncIterable<Buffer | string> & { isTTY?: boolean };

/** `-` in place of the SQL (or as --file's path): read it from standard input. */
const STDIN = '-';

/**
 * The SQL `puddle query` was given: its words (`positionals`, joined, so `puddle query SELECT 1` runs as it did), the
 * file `--file` names, or standard input when the one word is `-`. A file or input holding nothing but blanks is
 * refused, as an empty argument is; a leading byte-order mark (Windows editors write one) is dropped.
 */
export async function querySql(positionals: readonly string[], file: string | undefined, stdin: SqlInput = process.stdin): Promise<QuerySql> {
  if (file !== undefined && positionals.length > 0) {
    return { problem: `give the SQL one way: as an argument, with --file ${file}, or - to read standard input, not two of them` };
  }
  if (file === STDIN || (file === undefined && positionals.length === 1 && positionals[0] === STDIN)) return fromStdin(stdin);
  if (file !== undefined) return fromFile(file);
  const sql = positionals.join(' ').trim();
  if (!sql) {
    return { problem: 'give the SQL to run, e.g. puddle query "SELECT count(*) FROM donation", or a file of it: puddle query --file board.sql, or puddle query - < board.sql' };
  }
  return { sql };
}

async function fromFile(file: string): Promise<QuerySql> {
  if (!file) return { problem: '--file takes the path of a file of SQL, e.g. --file board.sql' };
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (err) {
    return { problem: `--file ${file}: ${unreadable(err as NodeJS.ErrnoException)}` };
  }
  const sql = textOf(text);
  return sql ? { sql } : { problem: `--file ${file} is empty: it holds no SQL to run` };
}

async function fromStdin(stdin: SqlInput): Promise<QuerySql> {
  // At a terminal the SQL is typed in: say how it ends, or the command would seem to hang.
  if (stdin.isTTY) process.stderr.write('puddle query: reading the SQL from standard input: end it with Ctrl-D\n');
  const chunks: Buffer[] = [];
  try {
    for await (const chunk of stdin) chunks.push(typeof chunk === 'string' ? Buffer.from(chunk) : chunk);
  } catch (err) {
    return { problem: `cannot read standard input (${(err as NodeJS.ErrnoException).code ?? (err as Error).message})` };
  }
  const sql = textOf(Buffer.concat(chunks).toString('utf8'));
  return sql ? { sql } : { problem: 'standard input held no SQL to run (- reads it from there: puddle query - < board.sql)' };
}

/** A file's text as SQL: without a byte-order mark or the blank lines around it. */
const textOf = (text: string) => text.replace(/^\uFEFF/, '').trim();

/** Why a file cannot be read, in words (not `ENOENT: no such file or directory, open ...`), as `import bank` says it. */
function unreadable(err: NodeJS.ErrnoException): string {
  if (err.code === 'ENOENT') return 'no such file (check the name and the folder the command runs from)';
  if (err.code === 'EISDIR') return 'a folder, not a file';
  if (err.code === 'EACCES' || err.code === 'EPERM') return 'permission denied: this user cannot read it';
  return `cannot read it (${err.code ?? err.message})`;
}
