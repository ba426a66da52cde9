// `npm start`, the README's way to run the hub, stopped by the pid of npm, as a service manager, `nohup` or a
// script stops it: the hub lands what is queued and stops. Until 2026-12-06 npm's shell kept the hub as its child, so
// SIGINT to npm did nothing, and SIGTERM ended npm and left the hub running, holding the port and the home (a user
// test: the on-call engineer). The script now `exec`s the hub, so the signal npm passes on reaches it.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { postEvents, smsDonation, startHubProcess } from './support/hub-process.js';

const KEY = 'npm-start-group-key-0001';

describe('npm start, stopped by the pid of npm', { timeout: 300_000 }, () => {
  const homes: string[] = [];
  afterAll(() => {
    for (const h of homes) rmSync(h, { recursive: true, force: true });
  });

  // A terminal's Ctrl-C and systemd's stop signal the whole process group: the hub hears it from them and again from
  // npm, which passes on what it got. Until 2026-12-07 the second copy killed the hub while it landed what was queued.
  for (const signal of ['SIGINT', 'SIGTERM'] as const) {
    it(`${signal} to the whole process group: heard twice, the hub stops cleanly once`, async () => {
      const home = mkdtempSync(join(tmpdir(), 'puddle-npm-start-group-'));
      homes.push(home);
      const hub = await startHubProcess({ PUDDLE_HOME: home, PUDDLE_SANDBOXES: 'off', PUDDLE_LOG_LEVEL: 'info', PUDDLE_API_KEYS: KEY }, { viaNpm: true, ownGroup: true });
      // Something to land while it stops: the drain is what the second copy used to cut short.
      for (let i = 0; i < 20; i++) expect((await postEvents(hub.url, KEY, Array.from({ length: 100 }, (_, j) => smsDonation(`grp-${signal}-${i}-${j}`)))).status).toBe(202);
      process.kill(-hub.child.pid!, signal);
      expect(await hub.exited, hub.output()).toBe(0);
      expect(hub.output()).toContain('stopped cleanly');
      expect(hub.output()).not.toContain('again: stopping now');
    });
  }

  for (const signal of ['SIGTERM', 'SIGINT'] as const) {
    it(`${signal}: the hub stops cleanly and lets go of its port`, async () => {
      const home = mkdtempSync(join(tmpdir(), 'puddle-npm-start-'));
      homes.push(home);
      const hub = await startHubProcess({ PUDDLE_HOME: home, PUDDLE_SANDBOXES: 'off', PUDDLE_LOG_LEVEL: 'info' }, { viaNpm: true });
      expect((await fetch(`${hub.url}/healthz`)).status).toBe(200);
      hub.child.kill(signal);
      expect(await hub.exited).toBe(0);
      expect(hub.output()).toContain('stopped cleanly');
      await expect(fetch(`${hub.url}/healthz`)).rejects.toThrow();
    });
  }
});
