// `puddle query` runs an operator's SQL on a DuckDB that may open files only in the lake's folder, and no DuckDB
// of Puddle's ever downloads an extension. Until 2026-12-05 `puddle query "SELECT * FROM read_csv('/etc/passwd')"`
// printed the file, `glob('/*')` listed the machine's root, and `sqlite_scan(...)` had DuckDB try to download the
// sqlite_scanner extension from extensions.duckdb.org (puddles/duckdb.ts).
import { readdirSync, writeFileSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';

import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { createDuckDb } from '../puddles/duckdb.js';
import { sqlString } from '../puddles/sql-text.js';
import { createLake, donation, type Lake } from './puddles/lake-fixture.js';
import { runPuddle } from './support/run-cli.js';

let lake: Lake;
/** A folder outside the home, with a file an operator's SQL must not read. */
let outside: string;
/** HOME for the CLI: DuckDB installs extensions under $HOME/.duckdb, so a download attempt leaves that folder. */
let userHome: string;
let env: Record<string, string>;

const FORMATS = ['table', 'json', 'csv'] as const;
const query = (sql: string, format: string = 'json') => runPuddle(['query', '--format', format, sql], env);

beforeAll(async () => {
  lake = await createLake();
  await lake.subscribeAll();
  await lake.queue.publish([donation('d1', 100), donation('d2', 250)]);
  await lake.consumer('transactions').drain();
  outside = await mkdtemp(path.join(tmpdir(), 'puddle-outside-'));
  writeFileSync(path.join(outside, 'secret.csv'), 'name,password\nroot,hunter2\n');
  userHome = await mkdtemp(path.join(tmpdir(), 'puddle-user-home-'));
  env = { PUDDLE_HOME: lake.dir, HOME: userHome };
}, 60_000);

afterAll(async () => {
  await lake?.close();
  for (const dir of [outside, userHome]) if (dir) await rm(dir, { recursive: true, force: true });
});

describe('puddle query reads the lake and nothing else', { timeout: 120_000 }, () => {
  it('reads the views, and a lake file by its own path, in every format', async () => {
    for (const format of FORMATS) {
      const r = await query('SELECT sum(amount_minor) AS total FROM donation', format);
      expect(r.code, `${format}: ${r.stderr}`).toBe(0);
      expect(r.stdout, format).toContain('350');
    }
    // The lake's own files stay open to an operator's read_parquet and glob (docs/query-views.md, "Reading the lake from another tool").
    const files = `${path.join(lake.dir, 'lake')}/**/*.parquet`;
    const r = await query(`SELECT count(*) AS n FROM read_parquet(${sqlString(files)}, hive_partitioning = false, union_by_name = true)`);
    expect(r.code, r.stderr).toBe(0);
    expect(JSON.parse(r.stdout)).toEqual([{ n: 2 }]);
  });

  it('refuses a file outside the lake, a listing of the machine and a URL, with exit 1 and a note, in every format', async () => {
    const refused = [
      `SELECT * FROM read_csv(${sqlString(path.join(outside, 'secret.csv'))})`,
      "SELECT * FROM glob('/*')",
      // The home's own databases are beside the lake, not in it; nor is a path that climbs out of the lake.
      `SELECT count(*) FROM read_blob(${sqlString(path.join(lake.dir, 'catalog.db'))})`,
      `SELECT * FROM read_text(${sqlString(path.join(lake.dir, 'lake', '..', 'queue.db'))})`,
      "SELECT * FROM read_csv('https://example.com/x.csv')",
    ];
    for (const sql of refused) {
      for (const format of FORMATS) {
        const r = await query(sql, format);
        expect(r.code, `${format} ${sql}: ${r.stderr}`).toBe(1);
        expect(r.stderr, `${format} ${sql}`).toMatch(/Permission Error: Cannot access file/);
        expect(r.stderr).toContain('note: puddle query reads the lake through its views');
        expect(r.stdout).not.toContain('hunter2');
      }
    }
  });

  it('never downloads an extension: SQL that needs one not built in fails naming it', async () => {
    for (const sql of ["SELECT * FROM sqlite_scan('/tmp/none.db', 't')", "SELECT * FROM read_xlsx('/tmp/none.xlsx')"]) {
      const r = await query(sql);
      expect(r.code, r.stderr).toBe(1);
      expect(r.stderr, sql).toMatch(/exists in the \w+ extension/);
      expect(r.stderr).toContain('note: DuckDB extensions are never downloaded or loaded');
      expect(r.stderr).not.toMatch(/download extension/i);
    }
    // Installing one goes under $HOME/.duckdb/extensions: the folder DuckDB made to download into stays unmade.
    expect(readdirSync(userHome)).toEqual([]);
  });
});

describe('puddle query says what a care agent got wrong', () => {
  it('names the view for a plural, the hash for an email, and single quotes for a value in curly or double quotes', async () => {
    for (const [sql, says] of [
      // Until 2026-12-06: `Did you mean "pg_collation"?` alone (a user test).
      ['SELECT * FROM donations', 'note: the view is donation:'],
      ['SELECT * FROM supporterz', 'note: SHOW TABLES lists the views a query may read'],
      ["SELECT * FROM donation WHERE email = 'a@b.org'", "note: the lake keeps no email address, only its hash: WHERE email_sha256 = sha256(lower(trim('jo@example.org')))"],
      ['SELECT * FROM donation WHERE donation_id = ‘d1’', "note: text values go in straight single quotes ('cc-sup-8812'): the query has curly quotes"],
      ['SELECT * FROM donation WHERE donation_id = "d1"', `note: text values go in single quotes ('d1'): in SQL, "d1" names a column`],
    ] as const) {
      const r = await query(sql, 'table');
      expect(r.code, sql).toBe(1);
      expect(r.stderr, sql).toContain(says);
    }
  });
});

describe('every DuckDB Puddle opens', () => {
  it('neither installs nor autoloads an extension, and has the ones Puddle uses built in', async () => {
    for (const role of ['writer', 'query'] as const) {
      const instance = await createDuckDb(1, role);
      const conn = await instance.connect();
      try {
        const settings = await conn.runAndReadAll(
          "SELECT current_setting('autoinstall_known_extensions') AS install, current_setting('autoload_known_extensions') AS autoload",
        );
        expect(settings.getRowObjectsJS(), role).toEqual([{ install: false, autoload: false }]);
        const loaded = await conn.runAndReadAll("SELECT extension_name FROM duckdb_extensions() WHERE loaded AND install_mode = 'STATICALLY_LINKED'");
        expect(loaded.getRowsJS().flat(), role).toEqual(expect.arrayContaining(['parquet', 'json', 'icu', 'core_functions']));
        await expect(conn.run("SELECT * FROM sqlite_scan('/tmp/none.db', 't')"), role).rejects.toThrow(/exists in the sqlite_scanner extension/);
      } finally {
        conn.closeSync();
        instance.closeSync();
      }
    }
  });
});
