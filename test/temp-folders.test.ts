// The Parquet writer's passing files (puddles/temp-files.ts): one private folder per process, removed as it exits,
// with the landing threads writing under it. Until 2026-12-07 every hub stop left a landing thread's folder in the
// system's tmp (mode 0755), and a later process given a leftover's pid could not write there (a user test of the
// going-live guide found 7,871).
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync, statSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, dirname, join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import type { ObjectStore } from '../core/ports.js';
import { createDuckDb } from '../puddles/duckdb.js';
import { withLocalFiles } from '../puddles/local-files.js';
import { processTempFolder, sweepTempFolders, tempPath } from '../puddles/temp-files.js';
import { postEvents, startHubProcess } from './support/hub-process.js';

const KEY = 'pk_temp_folders_0123456789abcdef';
const leftovers = (pid: number) => readdirSync(tmpdir()).filter((n) => n.startsWith(`puddle-parquet-${pid}-`));

describe('the Parquet writer temporary folders', { timeout: 180_000 }, () => {
  const home = mkdtempSync(join(tmpdir(), 'puddle-temp-folders-'));
  afterAll(() => rmSync(home, { recursive: true, force: true }));

  it("writes in a folder of the process's own, that only its user can read", () => {
    const file = tempPath('csv');
    const folder = processTempFolder();
    expect(file.startsWith(`${folder}/`)).toBe(true);
    expect(folder).toMatch(new RegExp(`/puddle-parquet-${process.pid}-[^/]+$`));
    expect(statSync(folder).mode & 0o777).toBe(0o700);
    expect(statSync(join(file, '..')).mode & 0o777).toBe(0o700);
  });

  it("removes the folders of processes that are gone, not a running one's", () => {
    const gone = spawnSync(process.execPath, ['-e', 'process.stdout.write(String(process.pid))']).stdout.toString();
    const dead = join(tmpdir(), `puddle-parquet-${gone}-3`);
    mkdirSync(join(dead, 'thread-3'), { recursive: true });
    const running = spawn(process.execPath, ['-e', 'setTimeout(() => {}, 60000)']);
    const live = join(tmpdir(), `puddle-parquet-${running.pid}-3`);
    mkdirSync(live, { recursive: true });
    try {
      expect(sweepTempFolders()).toBeGreaterThanOrEqual(1);
      expect(existsSync(dead)).toBe(false);
      expect(existsSync(live)).toBe(true);
      expect(existsSync(processTempFolder())).toBe(true);
    } finally {
      running.kill();
      rmSync(live, { recursive: true, force: true });
    }
  });

  /** A folder as a process killed an hour ago left it: a file in it, and nothing changed since. */
  const leftover = (name: string) => {
    const folder = join(tmpdir(), name);
    mkdirSync(join(folder, 'main'), { recursive: true });
    writeFileSync(join(folder, 'main', 'half-written.parquet'), 'PAR1');
    const hourAgo = new Date(Date.now() - 3_600_000);
    utimesSync(folder, hourAgo, hourAgo);
    return folder;
  };

  it("removes a folder bearing this process's pid that it did not make (a Lambda runtime restarted under the same pid), keeping its own", () => {
    const own = processTempFolder();
    const stale = leftover(`puddle-parquet-${process.pid}-Xq3Tz1`);
    // Made since this process started, as a worker thread's own would be: left.
    const sinceStart = join(tmpdir(), `puddle-parquet-${process.pid}-nEw0nE`);
    mkdirSync(sinceStart);
    try {
      // Until 2026-12-07 a folder with this pid was taken for this process's and left for ever.
      expect(sweepTempFolders()).toBeGreaterThanOrEqual(1);
      expect(existsSync(stale)).toBe(false);
      expect(existsSync(own)).toBe(true);
      expect(existsSync(sinceStart)).toBe(true);
      expect(tempPath('csv').startsWith(`${own}/`)).toBe(true);
    } finally {
      rmSync(stale, { recursive: true, force: true });
      rmSync(sinceStart, { recursive: true, force: true });
    }
  });

  it("sweeps DuckDB's spill folders and the copies read from S3 as it sweeps the writer's, by the pid in each name", async () => {
    const gone = spawnSync(process.execPath, ['-e', 'process.stdout.write(String(process.pid))']).stdout.toString();
    const folders = ['parquet', 'duckdb', 'read'].flatMap((kind) => [leftover(`puddle-${kind}-${gone}-aB3dE5`), leftover(`puddle-${kind}-${process.pid}-aB3dE5`)]);
    // Names of other tools and tests that begin the same way, with no pid: left.
    const others = ['puddle-duckdb-utc-aB3dE5', 'puddle-read-access-aB3dE5', 'puddle-duckdb-123456'].map((n) => leftover(n));
    try {
      // Until 2026-12-07 only the writer's were swept: neither of the others' names carried a pid.
      expect(sweepTempFolders()).toBeGreaterThanOrEqual(folders.length);
      expect(folders.filter((f) => existsSync(f)).map((f) => basename(f))).toEqual([]);
      expect(others.filter((f) => existsSync(f))).toEqual(others);
    } finally {
      for (const f of [...folders, ...others]) rmSync(f, { recursive: true, force: true });
    }
  });

  it('names the spill and read folders with the pid, private to this user, and the copies go when read', async () => {
    const store = { get: async () => Buffer.from('PAR1') } as unknown as ObjectStore;
    const readDir = await withLocalFiles(store, ['lake/a.parquet'], async ([file]) => {
      expect(statSync(dirname(file!)).mode & 0o777).toBe(0o700);
      return dirname(file!);
    });
    expect(basename(readDir)).toMatch(new RegExp(`^puddle-read-${process.pid}-[A-Za-z0-9]{6}$`));
    expect(existsSync(readDir)).toBe(false);
    const instance = await createDuckDb(1, 'writer');
    const conn = await instance.connect();
    try {
      const spill = String((await conn.runAndReadAll("SELECT current_setting('temp_directory') AS v")).getRowObjects()[0]!.v);
      expect(basename(dirname(spill))).toMatch(new RegExp(`^puddle-duckdb-${process.pid}-[A-Za-z0-9]{6}$`));
      // A running process's spill folder is its own: the sweep leaves it.
      sweepTempFolders();
      expect(existsSync(dirname(spill))).toBe(true);
    } finally {
      conn.closeSync();
      instance.closeSync();
    }
  });

  it('leaves none behind when a hub that landed stops', async () => {
    const hub = await startHubProcess({ PUDDLE_HOME: home, PUDDLE_API_KEYS: KEY });
    const pid = hub.child.pid!;
    try {
      const res = await postEvents(hub.url, KEY, [
        { contract: 'donation', version: 1, payload: { donation_id: 'tmp-1', occurred_at: new Date().toISOString(), channel: 'online', amount_minor: 500, currency: 'GBP' } },
      ]);
      expect(res.status).toBe(202);
      // Landed: the landing thread wrote its Parquet through the folder.
      const landed = () => existsSync(join(home, 'lake')) && readdirSync(join(home, 'lake'), { recursive: true }).some((f) => String(f).includes('donation') && String(f).endsWith('.parquet'));
      for (let i = 0; i < 200 && !landed(); i++) {
        await new Promise((r) => setTimeout(r, 100));
      }
      expect(landed()).toBe(true);
      expect(leftovers(pid)).toHaveLength(1);
    } finally {
      hub.child.kill('SIGINT');
      expect(await hub.exited).toBe(0);
    }
    expect(hub.output()).toContain('stopped cleanly');
    expect(leftovers(pid)).toEqual([]);
  });
});
