// The portable SQL rule: shipped queries and generated views are written in the subset that both DuckDB (embedded
// shape) and Trino/Athena (AWS shape) accept, so one definition serves the CLI, the API and Tableau on either.
// Trino's grammar (checked in tests, puddles/portable-sql.ts) rejects most DuckDB-only syntax, but not all of it:
// these are the constructs it lets through, or that parse on both engines and mean different things.
// This file has no dependencies, so runtime code may use it too.

export interface SqlToken {
  kind: 'word' | 'number' | 'string' | 'quoted' | 'op';
  text: string;
  line: number;
  col: number;
}

const WORD = /[A-Za-z_][A-Za-z0-9_$]*/y;
const NUMBER = /(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?/y;
const OPS = new Set(['::', '//', '<=', '>=', '<>', '!=', '||', '->', '==']);
const isSpace = (c: number) => c === 32 || (c >= 9 && c <= 13) || c === 160 || c === 0xfeff || (c > 127 && /\s/.test(String.fromCharCode(c)));
const isDigit = (c: number) => c >= 48 && c <= 57;
const isWordStart = (c: number) => (c >= 65 && c <= 90) || (c >= 97 && c <= 122) || c === 95;

/**
 * A small SQL lexer: words, numbers, 'strings', "quoted identifiers", operators; comments dropped. One pass over
 * the text with sticky patterns: every `puddle query` lexes the views' SQL (about 180 KB) to learn which views read
 * which (duckdb-query-engine.ts), and a first version that cut the rest of the text for each token and tested each
 * character with a pattern took 40-150 ms of every command's start.
 */
export function sqlTokens(sql: string): SqlToken[] {
  const out: SqlToken[] = [];
  const n = sql.length;
  let i = 0;
  let line = 1;
  let lineStart = 0;
  const advance = (to: number) => {
    for (let k = sql.indexOf('\n', i); k >= 0 && k < to; k = sql.indexOf('\n', k + 1)) {
      line++;
      lineStart = k + 1;
    }
    i = to;
  };
  const push = (kind: SqlToken['kind'], text: string, at: number) => out.push({ kind, text, line, col: at - lineStart + 1 });
  while (i < n) {
    const c = sql.charCodeAt(i);
    if (isSpace(c)) {
      if (c === 10) {
        line++;
        lineStart = i + 1;
      }
      i++;
    } else if (c === 45 && sql.charCodeAt(i + 1) === 45) {
      const end = sql.indexOf('\n', i);
      i = end < 0 ? n : end;
    } else if (c === 47 && sql.charCodeAt(i + 1) === 42) {
      const end = sql.indexOf('*/', i + 2);
      advance(end < 0 ? n : end + 2);
    } else if (c === 39 || c === 34) {
      let j = i + 1;
      for (;;) {
        j = sql.indexOf(sql[i]!, j);
        if (j < 0) {
          j = n;
          break;
        }
        if (sql.charCodeAt(j + 1) === c) j += 2;
        else break;
      }
      const q = sql[i]!;
      push(c === 39 ? 'string' : 'quoted', sql.slice(i + 1, j).replaceAll(q + q, q), i);
      advance(Math.min(j + 1, n));
    } else if (isDigit(c) || (c === 46 && isDigit(sql.charCodeAt(i + 1)))) {
      NUMBER.lastIndex = i;
      NUMBER.test(sql);
      push('number', sql.slice(i, NUMBER.lastIndex), i);
      i = NUMBER.lastIndex;
    } else if (isWordStart(c)) {
      WORD.lastIndex = i;
      WORD.test(sql);
      push('word', sql.slice(i, WORD.lastIndex), i);
      i = WORD.lastIndex;
    } else {
      const two = sql.slice(i, i + 2);
      const op = OPS.has(two) ? two : sql[i]!;
      push('op', op, i);
      i += op.length;
    }
  }
  return out;
}

/** Functions DuckDB has and Trino does not (or has with another meaning); Trino's grammar does not check names. */
const DUCKDB_ONLY_FUNCTIONS: Record<string, string> = {
  strftime: "use date_trunc / CAST(x AS DATE), or format in the client (Trino's is date_format with MySQL codes)",
  strptime: 'use CAST of an ISO string (Trino: date_parse)',
  string_agg: 'no common form: array_join(array_agg(x ORDER BY y), sep) (a macro in DuckDB, puddles/duckdb.ts)',
  group_concat: 'no common form',
  array_to_string: "Trino calls it array_join (DuckDB has array_join as a macro, puddles/duckdb.ts)",
  median: 'Trino has none: approx_percentile(x, 0.5) there (an estimate), quantile_cont here; say which in the query',
  quantile: 'Trino has none: approx_percentile',
  quantile_cont: 'Trino has none: approx_percentile',
  quantile_disc: 'Trino has none: approx_percentile',
  arg_max: 'Trino calls it max_by (DuckDB has max_by too: use that)',
  arg_min: 'Trino calls it min_by (DuckDB has min_by too: use that)',
  string_split: 'Trino calls it split',
  string_split_regex: 'Trino calls it regexp_split',
  timezone: "use `CAST(x AS TIMESTAMP WITH TIME ZONE) AT TIME ZONE 'Europe/London'` (the lake's timestamps are UTC without a zone: cast first, or DuckDB reads them as London's); Trino's timezone() returns a zone's name",
  struct_pack: 'rows/structs differ between engines',
  epoch_ms: 'use date_diff or a TIMESTAMP literal',
  regexp_matches: 'Trino calls it regexp_like (shim it in DuckDB with a macro)',
  datediff: "use date_diff('unit', a, b)",
  read_parquet: 'file reading is engine-specific: keep it in the view source (puddles/views.ts SourceSql)',
  read_csv: 'file reading is engine-specific',
  read_csv_auto: 'file reading is engine-specific',
  read_json: 'file reading is engine-specific',
  read_json_auto: 'file reading is engine-specific',
};

/** DuckDB's list functions (list_value, list_extract, list_sort, ...): Trino's arrays have other names. */
const DUCKDB_ONLY_PREFIXES: [string, string][] = [['list_', "DuckDB's list functions have other names on Trino (array functions): no common form"]];

/** Why `name` (lower case) is DuckDB-only, or undefined. */
function duckDbOnly(name: string): string | undefined {
  if (Object.hasOwn(DUCKDB_ONLY_FUNCTIONS, name)) return DUCKDB_ONLY_FUNCTIONS[name];
  return DUCKDB_ONLY_PREFIXES.find(([prefix]) => name.startsWith(prefix))?.[1];
}

const INTERVAL_UNITS = new Set(['YEAR', 'MONTH', 'DAY', 'HOUR', 'MINUTE', 'SECOND']);
const FRACTIONAL_TYPES = new Set(['DOUBLE', 'REAL', 'DECIMAL']);

const up = (t: SqlToken | undefined) => (t?.kind === 'word' ? t.text.toUpperCase() : undefined);

/** Index of the token that closes the parenthesis opened at `open` (or -1). */
function closing(tokens: readonly SqlToken[], open: number): number {
  let depth = 0;
  for (let k = open; k < tokens.length; k++) {
    if (tokens[k]!.text === '(' && tokens[k]!.kind === 'op') depth++;
    else if (tokens[k]!.text === ')' && tokens[k]!.kind === 'op' && --depth === 0) return k;
  }
  return -1;
}

/** Index of the token that opens the parenthesis closed at `close` (or -1). */
function opening(tokens: readonly SqlToken[], close: number): number {
  let depth = 0;
  for (let k = close; k >= 0; k--) {
    if (tokens[k]!.text === ')' && tokens[k]!.kind === 'op') depth++;
    else if (tokens[k]!.text === '(' && tokens[k]!.kind === 'op' && --depth === 0) return k;
  }
  return -1;
}

/** `CAST(... AS DOUBLE|REAL|DECIMAL...)` spanning tokens [open-1, close]? */
function isFractionalCast(tokens: readonly SqlToken[], open: number, close: number): boolean {
  if (!['CAST', 'TRY_CAST'].includes(up(tokens[open - 1]) ?? '')) return false;
  for (let k = close - 1; k > open; k--) {
    if (up(tokens[k]) === 'AS') return FRACTIONAL_TYPES.has(up(tokens[k + 1]) ?? '');
  }
  return false;
}

const isDecimalLiteral = (t: SqlToken | undefined) => t?.kind === 'number' && /[.eE]/.test(t.text);

/** Is the operand of `/` on this side explicitly fractional (a decimal literal or a CAST to DOUBLE/REAL/DECIMAL)? */
function fractionalOperand(tokens: readonly SqlToken[], slash: number, side: -1 | 1): boolean {
  if (side === -1) {
    const prev = tokens[slash - 1];
    if (isDecimalLiteral(prev)) return true;
    if (prev?.kind === 'op' && prev.text === ')') {
      const open = opening(tokens, slash - 1);
      return open > 0 && isFractionalCast(tokens, open, slash - 1);
    }
    return false;
  }
  let k = slash + 1;
  if (tokens[k]?.kind === 'op' && (tokens[k]!.text === '-' || tokens[k]!.text === '+')) k++;
  if (isDecimalLiteral(tokens[k])) return true;
  if (['CAST', 'TRY_CAST'].includes(up(tokens[k]) ?? '') && tokens[k + 1]?.text === '(') {
    const close = closing(tokens, k + 1);
    return close > 0 && isFractionalCast(tokens, k + 1, close);
  }
  return false;
}

/**
 * Constructs outside the portable subset, each as `line L:C: what, and what to write instead`. Empty when none.
 * Catches what Trino's grammar accepts but DuckDB reads otherwise (`/` on integers, `INTERVAL '1 day'`), plus the
 * DuckDB-only syntax, so the rule holds even without the grammar check.
 */
export function forbiddenSqlConstructs(sql: string): string[] {
  const tokens = sqlTokens(sql);
  const errors: string[] = [];
  const err = (t: SqlToken, msg: string) => errors.push(`line ${t.line}:${t.col}: ${msg}`);
  for (let k = 0; k < tokens.length; k++) {
    const t = tokens[k]!;
    const w = up(t);
    if (w === 'QUALIFY') err(t, 'QUALIFY is DuckDB-only: number rows with row_number() in a subquery and filter with WHERE');
    else if (t.kind === 'op' && t.text === '::') err(t, '`::` casts are DuckDB-only: use CAST(x AS T)');
    else if (t.kind === 'op' && t.text === '//') err(t, '`//` is DuckDB-only: make integer division explicit');
    else if (t.kind === 'op' && t.text === '==') err(t, '`==` is DuckDB-only: use `=`');
    else if (w === 'ILIKE') err(t, 'ILIKE is DuckDB-only: use lower(x) LIKE');
    else if ((w === 'GROUP' || w === 'ORDER') && up(tokens[k + 1]) === 'BY' && up(tokens[k + 2]) === 'ALL') {
      err(t, `${w} BY ALL is DuckDB-only: list the columns`);
    } else if (t.kind === 'op' && t.text === '*' && (up(tokens[k + 1]) === 'EXCLUDE' || up(tokens[k + 1]) === 'REPLACE')) {
      err(t, `SELECT * ${up(tokens[k + 1])} is DuckDB-only: list the columns`);
    } else if (w === 'INTERVAL') {
      const value = tokens[k + 1];
      const unit = up(tokens[k + 2]);
      if (value?.kind !== 'string' || !/^\s*[+-]?\d+\s*$/.test(value.text) || !unit || !INTERVAL_UNITS.has(unit)) {
        err(t, "write intervals as INTERVAL '<n>' <UNIT> (e.g. INTERVAL '1' DAY): other forms are DuckDB-only or read differently");
      }
    } else if (t.kind === 'word' && tokens[k + 1]?.text === '(' && duckDbOnly(t.text.toLowerCase()) !== undefined) {
      err(t, `${t.text}() is DuckDB-only: ${duckDbOnly(t.text.toLowerCase())}`);
    } else if (t.kind === 'op' && t.text === '/') {
      // DuckDB's `/` on integers gives a DOUBLE (7/2 = 3.5), Trino's truncates (3): one side must say which.
      if (!fractionalOperand(tokens, k, -1) && !fractionalOperand(tokens, k, 1)) {
        err(t, "division must be explicit: CAST(a AS DOUBLE) / b (or a decimal literal such as 100.0); integer division differs between DuckDB and Trino");
      }
    }
  }
  return errors;
}
