// The Parquet writer's passing files (puddles/temp-files.ts): one private folder per process, removed as it exits,
// with the landing threads writing under it. Until 2026-12-07 every hub stop left a landing thread's folder in the
// system's tmp (mode 0755), and a later process given a leftover's pid could not write there (a user test of the
// going-live guide found 7,871).
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
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
