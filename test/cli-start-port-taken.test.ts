// `puddle start` on a port another process holds: most often, at an upgrade, a hub from before 2026-12-02 still
// running (it takes no home lock, so nothing else refuses the new one). The start stops with one line naming the
// address and exit code 2, before it starts landing or rebuilds the live totals (on a big lake the rebuild took
// minutes, and the line waited for it), and releases the home. HOST=localhost is every address it resolves to, as
// the hub's listen binds them all: a process on the second one (::1) is a taken port too.
import { readdirSync, truncateSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { createServer, type Server } from 'node:net';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runPuddle } from './support/run-cli.js';
import { createLake, donation, type Lake } from './puddles/lake-fixture.js';

const PARTITION = 'lake/transactions/donation/v1/dt=2026-11-29';

describe('puddle start on a port already taken', () => {
  const taker: Server = createServer();
  let port = 0;
  let lake: Lake;
  beforeAll(async () => {
    await new Promise<void>((resolve) => taker.listen(0, '127.0.0.1', resolve));
    port = (taker.address() as { port: number }).port;
    // A home whose lake holds donations in a damaged file: a rebuild of the live totals, once started, fails
    // and logs it. That log line is how the test sees whether the start began the rebuild before failing.
    lake = await createLake();
    await lake.subscribeAll();
    await lake.queue.publish(Array.from({ length: 10 }, (_, i) => donation(`d${i}`, 100 + i)));
    await lake.consumer('transactions').drain();
    const [file] = readdirSync(path.join(lake.dir, PARTITION)).filter((f) => f.endsWith('.parquet'));
    truncateSync(path.join(lake.dir, PARTITION, file!), 100);
  }, 60_000);
  afterAll(async () => {
    await new Promise((resolve) => taker.close(resolve));
    await lake?.close();
  });

  it('says which address is taken in one line, exits 2, starts nothing first, and leaves the home to the next command', async () => {
    const env = { PUDDLE_HOME: lake.dir, PUDDLE_API_KEYS: 'port-taken-key-long-enough', PORT: String(port) };
    const res = await runPuddle(['start', '--no-schedule'], env, { timeoutMs: 60_000 });
    expect(res.code, res.stderr).toBe(2);
    expect(res.stdout).toBe('');
    // The one line and nothing else: no log line from landing or from a rebuild of the live totals.
    expect(res.stderr).not.toContain('live totals');
    expect(res.stderr.split('\n').filter(Boolean)).toEqual([
      expect.stringMatching(new RegExp(`^puddle start: 127\\.0\\.0\\.1:${port} \\(HOST, PORT\\) is already taken by another process: .*Stop it, or give this one another PORT$`)),
    ]);
    // The home's lock went with it: a command that needs it runs.
    const land = await runPuddle(['land'], { PUDDLE_HOME: lake.dir }, { timeoutMs: 60_000 });
    expect(land.code, land.stderr).toBe(0);
  });

  it('counts every address of localhost: a process on ::1 stops the start in one line, exit 2', async () => {
    const v6 = createServer();
    await new Promise<void>((resolve) => v6.listen(0, '::1', resolve));
    const v6Port = (v6.address() as { port: number }).port;
    try {
      // This machine's localhost is 127.0.0.1 only: the preload gives it ::1 too, as most machines have it.
      const preload = fileURLToPath(new URL('./support/localhost-both.mjs', import.meta.url));
      const env = { PUDDLE_HOME: lake.dir, PUDDLE_API_KEYS: 'port-taken-key-long-enough', PORT: String(v6Port), HOST: 'localhost', NODE_OPTIONS: `--import ${preload}` };
      const res = await runPuddle(['start', '--no-schedule'], env, { timeoutMs: 90_000 });
      expect(res.code, res.stdout + res.stderr).toBe(2);
      expect(res.stdout).toBe('');
      expect(res.stderr.split('\n').filter(Boolean)).toEqual([
        expect.stringMatching(new RegExp(`^puddle start: localhost:${v6Port} \\(HOST, PORT, its address ::1\\) is already taken by another process: .*Stop it, or give this one another PORT$`)),
      ]);
    } finally {
      await new Promise((resolve) => v6.close(resolve));
    }
  }, 120_000);

  it("puddle demo --port listens its hub there: a taken one stops it in one line naming --port, exit 2", async () => {
    // PORT is the start's setting, not the demo's: here it names a free port, which the demo does not read.
    const res = await runPuddle(['demo', '--once', '--donations', '10', '--port', String(port)], { PUDDLE_HOME: lake.dir, PORT: '0' }, { timeoutMs: 60_000 });
    expect(res.code, res.stderr).toBe(2);
    expect(res.stdout).toBe('');
    expect(res.stderr.split('\n').filter(Boolean)).toEqual([
      expect.stringMatching(new RegExp(`^puddle demo: 127\\.0\\.0\\.1:${port} \\(--port\\) is already taken by another process: .*Stop it, or give this one another --port$`)),
    ]);
  });
});
