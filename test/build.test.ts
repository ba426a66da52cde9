import { execFileSync, spawnSync } from 'node:child_process';
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { describe, expect, it } from 'vitest';
import { ensureBuilt, fingerprint, ROOT } from '../bin/build.mjs';
import { startHubProcess } from './support/hub-process.js';

describe('the compiled JavaScript bin/puddle.mjs runs (bin/build.mjs)', () => {
  it('holds every module and the files they read beside them', async () => {
    const dir = await ensureBuilt({ quiet: true });
    for (const f of ['cli.cjs', 'infra/cli/main.js', 'infra/local/hub.js', 'infra/local/sqlite-queue-write-thread.mjs', 'infra/local/sqlite-queue-writer.mjs', 'puddles/queries/recon_breaks.sql', '.complete']) {
      expect(existsSync(path.join(dir, f)), f).toBe(true);
    }
    expect(existsSync(path.join(dir, 'core/money.test.js'))).toBe(false);
  });

  it('is rebuilt, into a new folder, when a source is newer than the build, so a stale build never runs', async () => {
    const before = await ensureBuilt({ quiet: true });
    const source = path.join(ROOT, 'core', 'money.ts');
    const { atime, mtime } = statSync(source);
    // utimes takes seconds as a float, which can land a nanosecond below the original and move the
    // fingerprint's whole milliseconds; touch restores the exact nanoseconds.
    const mtimeNs = statSync(source, { bigint: true }).mtimeNs;
    try {
      utimesSync(source, atime, new Date(mtime.getTime() + 60_000));
      expect(path.basename(before)).not.toBe(fingerprint().hash);
      const after = await ensureBuilt({ quiet: true });
      expect(after).not.toBe(before);
      expect(path.basename(after)).toBe(fingerprint().hash);
      expect(existsSync(path.join(after, 'core', 'money.js'))).toBe(true);
    } finally {
      execFileSync('touch', ['-m', '-d', `@${mtimeNs / 1_000_000_000n}.${String(mtimeNs % 1_000_000_000n).padStart(9, '0')}`, source]);
    }
    expect(path.basename(await ensureBuilt({ quiet: true }))).toBe(path.basename(before));
  });

  it('is rebuilt after the packages it bundles or the TypeScript settings change (package-lock.json, tsconfig.json)', () => {
    for (const name of ['package-lock.json', 'tsconfig.json']) {
      const file = path.join(ROOT, name);
      const before = fingerprint().hash;
      const { atime, mtime } = statSync(file);
      const mtimeNs = statSync(file, { bigint: true }).mtimeNs;
      try {
        utimesSync(file, atime, new Date(mtime.getTime() + 60_000));
        expect(fingerprint().hash, name).not.toBe(before);
      } finally {
        execFileSync('touch', ['-m', '-d', `@${mtimeNs / 1_000_000_000n}.${String(mtimeNs % 1_000_000_000n).padStart(9, '0')}`, file]);
      }
      expect(fingerprint().hash, name).toBe(before);
    }
  });

  it('runs the hub with the young generation npm start gives it when bin/puddle.mjs is run as a program', async () => {
    const home = mkdtempSync(path.join(tmpdir(), 'puddle-exec-'));
    const hub = await startHubProcess({ PUDDLE_HOME: home }, { asExecutable: true });
    try {
      // Answering means its event loop has run, so its signal handlers are in place for the SIGTERM below.
      expect((await fetch(`${hub.url}/healthz`)).status).toBe(200);
      const argv = readFileSync(`/proc/${hub.child.pid}/cmdline`, 'utf8').split('\0');
      expect(argv).toContain('--max-semi-space-size=64');
    } finally {
      hub.child.kill('SIGTERM');
      expect(await hub.exited).toBe(0);
      rmSync(home, { recursive: true, force: true });
    }
  });

  it("loads this machine's DuckDB addon directly, without asking detect-libc at every start", async () => {
    const dir = await ensureBuilt({ quiet: true });
    const script =
      `await import(${JSON.stringify(pathToFileURL(path.join(dir, 'vendor', 'duckdb-node-api.js')).href)});` +
      "const { createRequire } = await import('node:module');" +
      'console.log(JSON.stringify(Object.keys(createRequire(import.meta.url).cache)));';
    const loaded: string[] = JSON.parse(execFileSync(process.execPath, ['--input-type=module', '-e', script], { encoding: 'utf8' }));
    expect(loaded.filter((f) => f.endsWith('duckdb.node'))).toHaveLength(1);
    expect(loaded.filter((f) => /detect-libc|node-bindings\/duckdb\.js/.test(f))).toEqual([]);
  });

  it("opens SQLite with better-sqlite3's addon named directly, without the package's search through bindings", async () => {
    const dir = await ensureBuilt({ quiet: true });
    const script =
      `const { newSqlite } = await import(${JSON.stringify(pathToFileURL(path.join(dir, 'infra', 'local', 'sqlite.js')).href)});` +
      "const db = newSqlite(':memory:'); const answer = db.prepare('SELECT 41 + 1 AS answer').get().answer; db.close();" +
      "const { createRequire } = await import('node:module');" +
      'console.log(JSON.stringify({ answer, loaded: Object.keys(createRequire(import.meta.url).cache) }));';
    const { answer, loaded } = JSON.parse(execFileSync(process.execPath, ['--input-type=module', '-e', script], { encoding: 'utf8' })) as { answer: number; loaded: string[] };
    expect(answer).toBe(42);
    expect(loaded.filter((f) => f.endsWith('better_sqlite3.node'))).toHaveLength(1);
    expect(loaded.filter((f) => /[\\/]bindings[\\/]/.test(f))).toEqual([]);
  });

  it("falls back to the addon package's own choice when the addon is not where the build found it", async () => {
    const dir = await ensureBuilt({ quiet: true });
    // One folder deeper than a build: the relative path the bundle holds then points nowhere.
    const moved = mkdtempSync(path.join(ROOT, 'dist', 'js', '.test-moved-'));
    try {
      mkdirSync(path.join(moved, 'deeper', 'vendor'), { recursive: true });
      const bundle = path.join(moved, 'deeper', 'vendor', 'duckdb-node-api.js');
      copyFileSync(path.join(dir, 'vendor', 'duckdb-node-api.js'), bundle);
      const script =
        `const m = await import(${JSON.stringify(pathToFileURL(bundle).href)});` +
        "const db = await m.DuckDBInstance.create(':memory:'); const c = await db.connect();" +
        "console.log(JSON.stringify((await c.runAndReadAll('SELECT 41 + 1 AS answer')).getRowObjects()));";
      expect(JSON.parse(execFileSync(process.execPath, ['--input-type=module', '-e', script], { encoding: 'utf8' }))).toEqual([{ answer: 42 }]);
    } finally {
      rmSync(moved, { recursive: true, force: true });
    }
  });

  it('writes the CLI bundle in ASCII only, so V8 keeps its text one byte a character (a £ in a regular expression is escaped)', async () => {
    const dir = await ensureBuilt({ quiet: true });
    const text = readFileSync(path.join(dir, 'cli.cjs'));
    expect(text.findIndex((b) => b > 0x7f)).toBe(-1);
    // connectors/bank/csv.ts strips currency signs with /[£$€\s]/: still there, escaped.
    expect(text.toString('latin1')).toContain('[\\u00a3$\\u20ac\\s]');
  });

  it('keeps a code cache per command and per node flags, reuses it, and replaces one V8 rejects', async () => {
    const dir = await ensureBuilt({ quiet: true });
    // A copy of the bundle in a folder of its own inside dist/js (so that it still finds node_modules), with its own caches.
    const copy = mkdtempSync(path.join(ROOT, 'dist', 'js', '.test-cache-'));
    try {
      copyFileSync(path.join(dir, 'cli.cjs'), path.join(copy, 'cli.cjs'));
      const loader = pathToFileURL(path.join(ROOT, 'bin', 'code-cache.mjs')).href;
      const run = (command: string, flags: string[] = []) =>
        execFileSync(process.execPath, [...flags, '--input-type=module', '-e', `const { loadCached } = await import(${JSON.stringify(loader)}); const cli = loadCached(${JSON.stringify(path.join(copy, 'cli.cjs'))}, ${JSON.stringify(command)}); console.log(typeof cli.exports.main); cli.save();`], { encoding: 'utf8' }).trim();
      const caches = () => readdirSync(path.join(copy, 'code-cache')).sort();
      expect(run('query')).toBe('function');
      const [query] = caches();
      expect(query).toMatch(/^query-[0-9a-f]{12}\.bin$/);
      const file = path.join(copy, 'code-cache', query!);
      const made = statSync(file);
      // Accepted: not written again.
      expect(run('query')).toBe('function');
      expect(statSync(file).ino).toBe(made.ino);
      // Another command, other node flags: caches of their own.
      run('status');
      run('query', ['--max-semi-space-size=64']);
      expect(caches()).toHaveLength(3);
      expect(caches().filter((f) => f.startsWith('query-'))).toHaveLength(2);
      // The bundle changed under it (V8 would check only its length): another cache, never the old one.
      const bundle = path.join(copy, 'cli.cjs');
      const built = statSync(bundle).mtime;
      const before = caches();
      utimesSync(bundle, new Date(), new Date(built.getTime() + 60_000));
      run('query');
      expect(caches().filter((f) => f.startsWith('query-'))).toHaveLength(3);
      // The cache of the bundle as it is now (restoring the old time exactly is not possible: a Date rounds it).
      const current = path.join(copy, 'code-cache', caches().find((f) => !before.includes(f))!);
      // Garbage where the cache was: V8 rejects it, the command runs, and a good cache replaces it.
      writeFileSync(current, 'not a code cache');
      expect(run('query')).toBe('function');
      expect(statSync(current).size).toBeGreaterThan(1000);
      // A cache that cannot be written (its folder is a file here) is no error.
      rmSync(path.join(copy, 'code-cache'), { recursive: true });
      writeFileSync(path.join(copy, 'code-cache'), '');
      expect(run('query')).toBe('function');
    } finally {
      rmSync(copy, { recursive: true, force: true });
    }
  });

  it('keeps no code cache from a run that failed or only gave help', async () => {
    const dir = await ensureBuilt({ quiet: true });
    const run = (args: string[]) => spawnSync(process.execPath, [path.join(ROOT, 'bin', 'puddle.mjs'), ...args], { encoding: 'utf8' });
    expect(run(['no-such-command']).status).toBe(2);
    expect(run(['no-such-command', '--help']).status).toBe(2);
    const caches = existsSync(path.join(dir, 'code-cache')) ? readdirSync(path.join(dir, 'code-cache')) : [];
    expect(caches.filter((f) => f.startsWith('no-such-command-'))).toEqual([]);
    const { worthKeeping } = (await import(pathToFileURL(path.join(ROOT, 'bin', 'code-cache.mjs')).href)) as { worthKeeping: (args: string[], code: number) => boolean };
    expect(worthKeeping(['query', 'select 1'], 0)).toBe(true);
    expect(worthKeeping(['--help'], 0)).toBe(true);
    expect(worthKeeping(['query', '--help'], 0)).toBe(false);
    expect(worthKeeping(['query', 'select', '-h'], 0)).toBe(false);
    expect(worthKeeping(['query', 'select nonsense'], 1)).toBe(false);
  });

  it('runs a command from the build: puddle query answers, from the named views\' SQL files beside their module', () => {
    const home = mkdtempSync(path.join(tmpdir(), 'puddle-build-'));
    try {
      // The CLI is a bundle at the build's root; recon_breaks' SQL is read from puddles/queries/ beside named-views.js.
      const sql = 'SELECT 41 + 1 AS answer, (SELECT count(*) FROM recon_breaks)::INTEGER AS breaks';
      const r = spawnSync(process.execPath, [path.join(ROOT, 'bin', 'puddle.mjs'), 'query', sql, '--format', 'json'], {
        env: { ...process.env, PUDDLE_HOME: home },
        encoding: 'utf8',
      });
      expect(r.stderr).toBe('');
      expect(JSON.parse(r.stdout)).toEqual([{ answer: 42, breaks: 0 }]);
    } finally {
      rmSync(home, { recursive: true, force: true });
    }
  });
});
