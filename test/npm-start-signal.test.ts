// `npm start`, the README's way to run the hub, stopped by the pid of npm, as a service manager, `nohup` or a
// script stops it: the hub lands what is queued and stops. Until 2026-12-06 npm's shell kept the hub as its child, so
// SIGINT to npm did nothing, and SIGTERM ended npm and left the hub running, holding the port and the home (a user
// test: the on-call engineer). The script now `exec`s the hub, so the signal npm passes on reaches it.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { startHubProcess } from './support/hub-process.js';

describe('npm start, stopped by the pid of npm', { timeout: 300_000 }, () => {
  const homes: string[] = [];
  afterAll(() => {
    for (const h of homes) rmSync(h, { recursive: true, force: true });
  });

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
