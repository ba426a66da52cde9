import { mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';

import { runPuddle } from '../support/run-cli.js';

describe('puddle aws local on a port already taken', () => {
  it('says in one line which address is taken and what to do, exit 2, before starting the emulators', async () => {
    // Until 2026-12-03 it started the emulators, then died on an unhandled 'error' event: a Node stack trace, exit 1.
    const holder = createServer();
    await new Promise<void>((resolve) => holder.listen(0, '127.0.0.1', () => resolve()));
    const port = (holder.address() as { port: number }).port;
    const home = mkdtempSync(join(tmpdir(), 'puddle-aws-local-port-'));
    try {
      // A bound for a start that wrongly succeeds: it would run until stopped.
      const out = await runPuddle(['aws', 'local', '--port', String(port), '--no-schedule'], { PUDDLE_HOME: home, HOST: '127.0.0.1', PUDDLE_API_KEYS: 'k-0123456789abcdef' }, { timeoutMs: 120_000 });
      expect(out.code).toBe(2);
      expect(out.stdout).not.toContain('listening on');
      const lines = out.stderr.replace(/^puddle: compiling TypeScript into .*\n/m, '').trim().split('\n').filter((l) => l.startsWith('puddle'));
      expect(lines).toEqual([`puddle aws: 127.0.0.1:${port} (HOST, --port) is already taken by another process (another puddle aws local, a hub, or another program): stop it, or give this one another --port`]);
      expect(out.stderr).not.toMatch(/\n\s+at /); // no stack trace
    } finally {
      await new Promise((resolve) => holder.close(resolve));
      rmSync(home, { recursive: true, force: true });
    }
  });
});
