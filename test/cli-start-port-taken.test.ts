// `puddle start` on a port another process holds: most often, at an upgrade, a hub from before 2026-12-02 still
// running (it takes no home lock, so nothing else refuses the new one). The start stops with one line naming the
// address and exit code 2, having stopped the landing it had begun and released the home.
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer, type Server } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runPuddle } from './support/run-cli.js';

describe('puddle start on a port already taken', () => {
  const home = mkdtempSync(join(tmpdir(), 'puddle-port-taken-'));
  const taker: Server = createServer();
  let port = 0;
  beforeAll(async () => {
    await new Promise<void>((resolve) => taker.listen(0, '127.0.0.1', resolve));
    port = (taker.address() as { port: number }).port;
  });
  afterAll(async () => {
    await new Promise((resolve) => taker.close(resolve));
    rmSync(home, { recursive: true, force: true });
  });

  it('says which address is taken in one line, exits 2, and leaves the home to the next command', async () => {
    const env = { PUDDLE_HOME: home, PUDDLE_API_KEYS: 'port-taken-key', PORT: String(port) };
    const res = await runPuddle(['start', '--no-schedule'], env, { timeoutMs: 60_000 });
    expect(res.code, res.stderr).toBe(2);
    expect(res.stdout).toBe('');
    const lines = res.stderr.split('\n').filter((l) => l && !l.startsWith('{'));
    expect(lines).toEqual([expect.stringMatching(new RegExp(`^puddle start: 127\\.0\\.0\\.1:${port} \\(HOST, PORT\\) is already taken by another process: .*Stop it, or give this one another PORT$`))]);
    expect(res.stderr).not.toMatch(/\n\s+at /);
    // The home's lock went with it: a command that needs it runs.
    const land = await runPuddle(['land'], { PUDDLE_HOME: home }, { timeoutMs: 60_000 });
    expect(land.code, land.stderr).toBe(0);
  });
});
