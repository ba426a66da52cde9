// The lake as a data engineer meets it from outside, through the `puddle` CLI (bin/puddle.mjs) over a real
// landed lake: what `puddle compact` leaves on disk, how another tool reads the lake correctly (docs/query-views.md,
// "Reading the lake from another tool"), `puddle query` refusing to write, reading its SQL from a file or standard
// input, and a damaged or missing file.
import { execFile, spawn } from 'node:child_process';
import { chmodSync, closeSync, existsSync, openSync, readdirSync, readFileSync, rmSync, statSync, truncateSync, unlinkSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';

import { DuckDBInstance } from '@duckdb/node-api';
import Database from 'better-sqlite3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { runPuddle, type CliResult } from './support/run-cli.js';
import { createLake, donation, type Lake } from './puddles/lake-fixture.js';
import { GARBAGE_GRACE_MS } from '../puddles/compact.js';

/** docs/query-views.md's list of a contract's live history files (every version), keys relative to PUDDLE_HOME. */
const LIVE_HISTORY_FILES = "SELECT key FROM files WHERE contract = 'donation' AND current = 0 ORDER BY key";
const PARTITION = 'lake/transactions/donation/v1/dt=2026-11-29';
const BIN = fileURLToPath(new URL('../bin/puddle.mjs', import.meta.url));

let lake: Lake;
let out: string;
let env: Record<string, string>;

async function duckdbCount(sql: string): Promise<number> {
  const instance = await DuckDBInstance.create(':memory:');
  const conn = await instance.connect();
  try {
    return Number((await conn.runAndReadAll(sql)).getRowsJS()[0]![0]);
  } finally {
    conn.closeSync();
    instance.closeSync();
  }
}

async function queryCount(sql: string): Promise<number> {
  const r = await runPuddle(['query', sql, '--format', 'json'], env);
  expect(r.code, r.stderr).toBe(0);
  return Number(Object.values((JSON.parse(r.stdout) as Record<string, unknown>[])[0]!)[0]);
}

/** runPuddle with `input` on the command's standard input, a pipe, as `puddle query - < board.sql` gives it. */
function runPuddleWithInput(args: string[], input: string): Promise<CliResult> {
  return new Promise((resolve) => {
    const child = execFile(process.execPath, [BIN, ...args], { env: { ...process.env, PUDDLE_LOG_LEVEL: 'error', ...env } }, (err, stdout, stderr) =>
      resolve({ code: err ? Number((err as { code?: unknown }).code ?? 1) : 0, stdout, stderr }),
    );
    child.stdin!.end(input);
  });
}

const filesIn = (folder: string) => readdirSync(path.join(lake.dir, folder)).filter((f) => f.endsWith('.parquet')).sort();

beforeAll(async () => {
  lake = await createLake();
  await lake.subscribeAll();
  out = await mkdtemp(path.join(tmpdir(), 'puddle-lake-out-'));
  env = { PUDDLE_HOME: lake.dir };
  // Three landings, so three files in one partition: 10 donations, a correction of 5 of them, 5 more.
  // Raw lands too: it is what a replay re-derives from.
  const consumers = [lake.consumer('transactions'), lake.consumer('raw')];
  const land = async () => {
    for (const c of consumers) await c.drain();
  };
  await lake.queue.publish(Array.from({ length: 10 }, (_, i) => donation(`d${i}`, 100 + i)));
  await land();
  await lake.queue.publish(Array.from({ length: 5 }, (_, i) => donation(`d${i}`, 900, { updated_at: '2026-11-29T21:00:00Z', received_at: '2026-11-29T21:00:01.000Z', delivery: 'req-2' })));
  await land();
  await lake.queue.publish(Array.from({ length: 5 }, (_, i) => donation(`d${10 + i}`, 50, { delivery: 'req-3' })));
  await land();
}, 60_000);

afterAll(async () => {
  await lake?.close();
  if (out) await rm(out, { recursive: true, force: true });
});

describe('puddle compact', () => {
  it('deletes the files earlier compactions retired once they are past the hub\'s grace, never sooner', async () => {
    const inputs = filesIn(PARTITION);
    expect(inputs).toHaveLength(3);
    const first = await runPuddle(['compact'], env);
    expect(first.code, first.stderr).toBe(0);
    expect(JSON.parse(first.stdout)).toMatchObject({ deleted: 0 });
    // Retired a moment ago: a query that listed them before the swap may still be reading them.
    const afterFirst = filesIn(PARTITION);
    expect(afterFirst).toEqual(expect.arrayContaining(inputs));
    expect(afterFirst).toHaveLength(4);

    // Past the hub's grace, as a later cron run would find them.
    const db = new Database(path.join(lake.dir, 'catalog.db'));
    try {
      db.prepare('UPDATE garbage SET removed_at = removed_at - ?').run(GARBAGE_GRACE_MS + 1000);
    } finally {
      db.close();
    }
    const second = await runPuddle(['compact'], env);
    expect(second.code, second.stderr).toBe(0);
    expect(JSON.parse(second.stdout)).toMatchObject({ deleted: 3 });
    const merged = filesIn(PARTITION);
    expect(merged).toHaveLength(1);
    expect(merged[0]).toMatch(/^c-/);
    expect(await queryCount('SELECT count(*) FROM donation')).toBe(15);
  });
});

describe('reading the lake from another tool (docs/query-views.md)', () => {
  it('gets puddle query\'s answers from puddle export, or from the catalog\'s live file list; never from the folder', async () => {
    const current = await queryCount('SELECT count(*) FROM donation');
    const versions = await queryCount('SELECT count(*) FROM donation_history');
    expect([current, versions]).toEqual([15, 20]);

    // The folder holds the history and the current-state file: every record at least twice.
    const folder = await duckdbCount(`SELECT count(*) FROM read_parquet('${lake.dir}/lake/transactions/donation/*/*/*.parquet', union_by_name = true)`);
    expect(folder).toBe(versions + current);

    const file = path.join(out, 'donation.parquet');
    const exported = await runPuddle(['export', 'donation', '--out', file], env);
    expect(exported.code, exported.stderr).toBe(0);
    expect(await duckdbCount(`SELECT count(*) FROM '${file}'`)).toBe(current);
    // Readable by this user only, as the home is: until 2026-12-06 an export was 0644 (umask 022), personal data and all.
    expect(statSync(file).mode & 0o777).toBe(0o600);
    const csv = path.join(out, 'donation.csv');
    expect((await runPuddle(['export', 'donation', '--format', 'csv', '--out', csv], env)).code).toBe(0);
    expect(statSync(csv).mode & 0o777).toBe(0o600);
    expect(exported.stderr).toMatch(/^puddle export: wrote 15 rows of donation to .*donation\.parquet\n/);
    // A file already there is replaced, as a nightly export to one name expects, and the line says so.
    const again = await runPuddle(['export', 'donation', '--format', 'csv', '--out', csv], env);
    expect(again.code, again.stderr).toBe(0);
    expect(again.stderr).toContain('donation.csv (it replaced the file that was there)');

    // A nightly load's increment: the five corrections were received at 21:00:01, the rest at 20:15:01.
    const increment = path.join(out, 'increment.parquet');
    const since = await runPuddle(['export', 'donation_history', '--received-after', '2026-11-29T22:00:00+01:00', '--out', increment], env);
    expect(since.code, since.stderr).toBe(0);
    expect(since.stderr).toMatch(/^puddle export: wrote 5 rows of donation_history/);
    expect(await duckdbCount(`SELECT count(*) FROM '${increment}' WHERE amount_minor = 900`)).toBe(5);
    const report = await runPuddle(['export', 'recon_breaks', '--received-after', '2026-11-29', '--out', increment], env);
    expect([report.code, report.stderr]).toEqual([2, 'puddle export: recon_breaks has no _received_at, so --received-after cannot narrow it: export a contract\'s view or its _history\n']);
    const typo = await runPuddle(['export', 'donation', '--received-after', 'yesterday', '--out', increment], env);
    expect([typo.code, typo.stderr]).toEqual([2, 'puddle export: --received-after takes a time, 2026-12-07T00:00:00Z (UTC unless it says its zone), not "yesterday"\n']);

    const db = new Database(path.join(lake.dir, 'catalog.db'), { readonly: true });
    const keys = db.prepare(LIVE_HISTORY_FILES).pluck().all() as string[];
    db.close();
    const list = keys.map((k) => `'${path.join(lake.dir, k)}'`).join(', ');
    expect(await duckdbCount(`SELECT count(DISTINCT _id) FROM read_parquet([${list}], union_by_name = true)`)).toBe(versions);
  });
});

describe('puddle query only reads', () => {
  const evil = () => path.join(lake.dir, PARTITION, 'evil.parquet');
  const copy = () => `COPY (SELECT 1 AS x) TO '${evil()}' (FORMAT parquet)`;

  it('refuses a statement that writes (exit 2, nothing written), however it is wrapped', async () => {
    const attempts = [
      [copy()],
      [`SELECT 1; ${copy()}`],
      [`/* just a look */ EXPLAIN ANALYZE ${copy()}`],
      [`ATTACH '${path.join(lake.dir, 'lake', 'evil.db')}' AS evil`],
    ];
    // CSV wraps the SQL in a COPY of its own: closing that early made a second statement that ran. Alone it
    // is not SQL at all, so it is refused before anything runs.
    const wrapped = ['query', `SELECT 1) AS t; ${copy()}; SELECT * FROM (SELECT 1`, '--format', 'csv'];
    const [csv, ...results] = await Promise.all([runPuddle(wrapped, env), ...attempts.map((a) => runPuddle(['query', ...a], env))]);
    for (const [i, r] of results.entries()) {
      expect(r.code, `${attempts[i]![0]}: ${r.stderr}`).toBe(2);
      expect(r.stderr).toContain('puddle query: it only reads');
    }
    expect(csv!.code).not.toBe(0);
    expect(existsSync(evil())).toBe(false);
    expect(existsSync(path.join(lake.dir, 'lake', 'evil.db'))).toBe(false);
  });

  // Until 2026-12-03 `puddle query "SELECT 1; SELECT 2"` printed 2 alone, exit 0, and with --format csv failed
  // with a parser error (exit 1).
  it('refuses several statements (exit 2, nothing printed), in every format, saying what to do', async () => {
    const sql = 'SELECT count(*) AS n FROM donation; SELECT 2 AS y';
    const results = await Promise.all(['table', 'json', 'csv'].map((f) => runPuddle(['query', sql, '--format', f], env)));
    for (const r of results) {
      expect(r.code, r.stderr).toBe(2);
      expect(r.stdout).toBe('');
      expect(r.stderr).toContain("puddle query: one statement at a time: this SQL holds 2 (separated by ';')");
      expect(r.stderr).toContain('UNION ALL');
    }
    // A trailing ';' or comment is no second statement.
    expect(await queryCount('SELECT count(*) AS n FROM donation; -- all of them')).toBe(15);
  });

  // Until 2026-12-03 --format json held every row, then all of them as one string (3M rows, about 800 MB), and csv
  // read COPY's whole file into one string. Now json writes a chunk of rows at a time and csv pipes the file: 400,000 rows of 200 characters (88 MB of JSON) in a 48 MB heap, which the
  // old output ran out of (V8's "heap out of memory", exit 134). A heap limit, not a clock: the same on any load.
  it('streams --format json and csv: a result larger than its heap comes out whole', async () => {
    const big = async (format: string) => {
      const file = path.join(out, `big.${format}`);
      const fd = openSync(file, 'w');
      const child = spawn(process.execPath, [BIN, 'query', "SELECT i, repeat('x', 200) AS pad FROM range(400000) t(i)", '--format', format], {
        env: { ...process.env, ...env, PUDDLE_LOG_LEVEL: 'error', NODE_OPTIONS: '--max-old-space-size=48' },
        stdio: ['ignore', fd, 'pipe'],
      });
      let stderr = '';
      child.stderr!.on('data', (d: Buffer) => (stderr += d.toString()));
      const code = await new Promise<number | null>((resolve) => child.on('close', resolve));
      closeSync(fd);
      expect(code, `${format}: ${stderr.slice(0, 400)}`).toBe(0);
      const text = readFileSync(file, 'utf8');
      rmSync(file);
      return text;
    };
    const rows = JSON.parse(await big('json')) as { i: number; pad: string }[];
    expect(rows).toHaveLength(400_000);
    expect(rows[399_999]).toEqual({ i: 399_999, pad: 'x'.repeat(200) });
    const lines = (await big('csv')).split('\n');
    expect(lines).toHaveLength(400_002); // the header, the rows, and the empty string after the last line end
    expect(lines.at(-2)).toBe(`399999,${'x'.repeat(200)}`);
    // No row is an empty array, with its line end, as before.
    expect((await runPuddle(['query', 'SELECT 1 AS x WHERE false', '--format', 'json'], env)).stdout).toBe('[]\n');
    expect((await runPuddle(['query', 'SELECT 1 AS x UNION ALL SELECT 2', '--format', 'json'], env)).stdout).toBe('[{"x":1},{"x":2}]\n');
  }, 120_000);

  it('still answers queries, DESCRIBE, PRAGMAs that read and EXPLAIN', async () => {
    const reads = ['SELECT count(*) AS n FROM donation', 'DESCRIBE donation', "PRAGMA table_info('donation')", 'EXPLAIN SELECT count(*) FROM donation', 'SUMMARIZE donation'];
    const results = await Promise.all(reads.map((sql) => runPuddle(['query', sql], env)));
    for (const [i, r] of results.entries()) expect(r.code, `${reads[i]}: ${r.stderr}`).toBe(0);
  });
});

// A board pack's query runs to a page: until 2026-12-06 it had to be one quoted argument, and
// `echo "SELECT 1" | puddle query` printed the usage (user test).
describe('puddle query --file and - (standard input)', () => {
  // As an editor on Windows saves it: a byte-order mark, CRLF line ends, a comment, a trailing ';'.
  const BOARD = '\uFEFF-- Board pack: donations by channel\r\nSELECT channel,\r\n       count(*) AS n\r\nFROM donation\r\nGROUP BY channel\r\nORDER BY channel;\r\n';
  const sqlFile = (name: string, text: string) => {
    const file = path.join(out, name);
    writeFileSync(file, text);
    return file;
  };

  it('runs the SQL of a file or of standard input as it runs an argument', async () => {
    const file = sqlFile('board.sql', BOARD);
    const [arg, fromFile, fromStdin, fileDash, csv] = await Promise.all([
      runPuddle(['query', 'SELECT channel, count(*) AS n FROM donation GROUP BY channel ORDER BY channel', '--format', 'json'], env),
      runPuddle(['query', '--file', file, '--format', 'json'], env),
      runPuddleWithInput(['query', '-', '--format', 'json'], BOARD),
      runPuddleWithInput(['query', '--file', '-', '--format', 'json'], BOARD),
      runPuddle(['query', '--format', 'csv', '--file', file], env),
    ]);
    for (const r of [arg, fromFile, fromStdin, fileDash, csv]) expect(r.code, r.stderr).toBe(0);
    expect(JSON.parse(arg.stdout)).toEqual([{ channel: 'online', n: 15 }]);
    for (const r of [fromFile, fromStdin, fileDash]) expect(r.stdout).toBe(arg.stdout);
    expect(csv.stdout).toBe('channel,n\nonline,15\n');
  });

  it('keeps every check an argument meets: one statement, read only, files in the lake only', async () => {
    const evil = path.join(lake.dir, PARTITION, 'evil-from-file.parquet');
    const copy = `-- looks like a report\nCOPY (SELECT 1 AS x) TO '${evil}' (FORMAT parquet);\n`;
    const writes = sqlFile('writes.sql', copy);
    const two = sqlFile('two.sql', 'SELECT count(*) FROM donation;\nSELECT 2;\n');
    const outside = sqlFile('outside.sql', "SELECT * FROM read_csv('/etc/passwd')\n");
    const [written, writtenCsv, writtenStdin, several, escaped] = await Promise.all([
      runPuddle(['query', '--file', writes], env),
      runPuddle(['query', '--file', writes, '--format', 'csv'], env),
      runPuddleWithInput(['query', '-', '--format', 'json'], copy),
      runPuddle(['query', '--file', two], env),
      runPuddleWithInput(['query', '-'], readFileSync(outside, 'utf8')),
    ]);
    for (const r of [written, writtenCsv, writtenStdin]) {
      expect(r.code, r.stderr).toBe(2);
      expect(r.stderr).toContain('puddle query: it only reads');
    }
    expect(existsSync(evil)).toBe(false);
    expect(several.code).toBe(2);
    expect(several.stdout).toBe('');
    expect(several.stderr).toContain("puddle query: one statement at a time: this SQL holds 2 (separated by ';')");
    expect(escaped.code).toBe(1);
    expect(escaped.stderr).toContain('Permission Error');
    expect(escaped.stdout).not.toContain('root:');
  });

  it('refuses a file it cannot read, one holding no SQL, or SQL given two ways, with exit code 2 naming the path', async () => {
    const missing = path.join(out, 'no-such.sql');
    const empty = sqlFile('empty.sql', '');
    const blank = sqlFile('blank.sql', '\uFEFF\n  \r\n');
    const board = sqlFile('one.sql', 'SELECT 1');
    const [noFile, folder, emptyFile, blankFile, argAndFile, dashAndFile, emptyStdin, pipedWithoutDash] = await Promise.all([
      runPuddle(['query', '--file', missing], env),
      runPuddle(['query', '--file', out], env),
      runPuddle(['query', '--file', empty], env),
      runPuddle(['query', '--file', blank, '--format', 'csv'], env),
      runPuddle(['query', 'SELECT 1', '--file', board], env),
      runPuddleWithInput(['query', '-', '--file', board], 'SELECT 1'),
      runPuddleWithInput(['query', '-'], ' \n'),
      runPuddleWithInput(['query'], 'SELECT 1'),
    ]);
    for (const r of [noFile, folder, emptyFile, blankFile, argAndFile, dashAndFile, emptyStdin, pipedWithoutDash]) {
      expect(r.code, r.stderr).toBe(2);
      expect(r.stdout).toBe('');
    }
    expect(noFile.stderr).toBe(`puddle query: --file ${missing}: no such file (check the name and the folder the command runs from)\n`);
    expect(folder.stderr).toBe(`puddle query: --file ${out}: a folder, not a file\n`);
    expect(emptyFile.stderr).toBe(`puddle query: --file ${empty} is empty: it holds no SQL to run\n`);
    expect(blankFile.stderr).toBe(`puddle query: --file ${blank} is empty: it holds no SQL to run\n`);
    for (const r of [argAndFile, dashAndFile]) expect(r.stderr).toBe(`puddle query: give the SQL one way: as an argument, with --file ${board}, or - to read standard input, not two of them\n`);
    expect(emptyStdin.stderr).toBe('puddle query: standard input held no SQL to run (- reads it from there: puddle query - < board.sql)\n');
    // Input is read only when asked for with -: a script whose standard input never ends does not hang.
    expect(pipedWithoutDash.stderr).toContain('puddle query - < board.sql');
    if (process.getuid?.() !== 0) {
      // (root reads any file whatever its mode)
      chmodSync(board, 0o000);
      const denied = await runPuddle(['query', '--file', board], env);
      expect(denied.code).toBe(2);
      expect(denied.stderr).toBe(`puddle query: --file ${board}: permission denied: this user cannot read it\n`);
    }
  });
});

describe('a file the catalog lists that is damaged or missing', () => {
  it('says which file and what to do, in one line without SQL or paths, and replay mends it', async () => {
    const [merged] = filesIn(PARTITION);
    const key = `${PARTITION}/${merged}`;
    truncateSync(path.join(lake.dir, key), 100);
    const damaged = await runPuddle(['query', 'SELECT count(*) FROM donation_history'], env);
    expect(damaged.code).toBe(1);
    expect(damaged.stderr).toBe(
      `puddle query: lake file ${key} is listed in the catalog but is missing or damaged: re-derive it from raw with puddle replay --contract donation, which replaces it (or restore it from a backup)\n`,
    );

    unlinkSync(path.join(lake.dir, key));
    const missing = await runPuddle(['query', 'SELECT count(*) FROM donation_history'], env);
    expect(missing.code).toBe(1);
    expect(missing.stderr).toContain(`puddle query: lake file ${key} is listed in the catalog but is missing or damaged`);
    expect(missing.stderr).not.toContain(lake.dir);
    expect(missing.stderr).not.toMatch(/SELECT|LINE 1/);

    const replayed = await runPuddle(['replay', '--contract', 'donation'], env);
    expect(replayed.code, replayed.stderr).toBe(0);
    expect(await queryCount('SELECT count(*) FROM donation_history')).toBe(20);
    expect(await queryCount('SELECT count(*) FROM donation')).toBe(15);
  });

  it('stops replay and compact over a damaged raw file with one line naming it, not a stack trace', async () => {
    const [raw] = (await lake.catalog.listFiles({ puddle: 'raw' })).map((f) => f.key);
    truncateSync(path.join(lake.dir, raw!), 100);
    const line = `lake file ${raw} is listed in the catalog but is missing or damaged: raw is the trail replays read, so restore this file from a backup\n`;
    const replayed = await runPuddle(['replay', '--contract', 'donation'], env);
    expect(replayed.code).toBe(1);
    expect(replayed.stderr).toBe(`puddle replay: ${line}`);
    // The donation history is intact: compaction has nothing to say about raw, which it never reads.
    const compacted = await runPuddle(['compact'], env);
    expect(compacted.code, compacted.stderr).toBe(0);
  });
});
