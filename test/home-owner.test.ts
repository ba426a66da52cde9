// A home that belongs to another user (the service's, `puddle`) is refused by every command run as someone else, root
// included: what the command wrote there would be its user's, and the hub could not write them. A going-live user
// test (2026-12-07) ran `puddle sync` and `puddle land` as root on the service's home, and the TV total stopped.
import { chownSync, mkdtempSync, readdirSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { runPuddle } from './support/run-cli.js';

const NOBODY = 65534;
const asRoot = process.getuid?.() === 0;

describe.runIf(asRoot)("a home that belongs to another user", { timeout: 120_000 }, () => {
  const parent = mkdtempSync(join(tmpdir(), 'puddle-home-owner-'));
  const home = join(parent, 'home');
  afterAll(() => rmSync(parent, { recursive: true, force: true }));

  it('is refused, exit 2, naming its owner and how to run as them, and nothing in it changes owner', async () => {
    // A home the service made: made here, then given to its user.
    const made = await runPuddle(['query', 'SELECT 1 AS one'], { PUDDLE_HOME: home });
    expect(made.code, made.stderr).toBe(2); // no home yet: query does not make one
    const sync = await runPuddle(['import', 'bank', join(import.meta.dirname, 'fixtures', 'bank', 'bai2_natwest_gbp.bai2'), '--layout', 'bai2'], { PUDDLE_HOME: home });
    expect(readdirSync(home).length, sync.stdout + sync.stderr).toBeGreaterThan(0);
    const chownAll = (dir: string): void => {
      chownSync(dir, NOBODY, NOBODY);
      for (const e of readdirSync(dir, { withFileTypes: true })) {
        if (e.isDirectory()) chownAll(join(dir, e.name));
        else chownSync(join(dir, e.name), NOBODY, NOBODY);
      }
    };
    chownAll(home);
    for (const args of [['land'], ['query', 'SELECT 1 AS one'], ['status'], ['start', '--no-schedule']]) {
      const r = await runPuddle(args, { PUDDLE_HOME: home, PUDDLE_API_KEYS: 'k'.repeat(32), PORT: '0' }, { timeoutMs: 60_000 });
      expect(r.code, `${args[0]}: ${r.stdout}${r.stderr}`).toBe(2);
      expect(r.stderr).toContain(`${home} (PUDDLE_HOME) belongs to nobody, and this command runs as root: run it as nobody (sudo -u nobody ..., with the service's environment)`);
    }
    const owners = (dir: string): number[] => readdirSync(dir, { withFileTypes: true }).flatMap((e) => [statSync(join(dir, e.name)).uid, ...(e.isDirectory() ? owners(join(dir, e.name)) : [])]);
    expect(new Set(owners(home))).toEqual(new Set([NOBODY]));
  });
});
