// A port another process takes after `puddle start`'s probe (port-probe.ts), before the hub's own listen: the
// start stops with the same one line (a ConfigError, exit 2 in the CLI) at once. Until 2026-12-02 it first waited
// for the live totals' first rebuild from the lake (minutes on a big lake), which had started before the listen.
// The race is made certain by a probe that finds the port free (the taker binds it "after"), and a rebuild that
// cannot end by itself: a donation file of the lake is a FIFO nobody writes, which DuckDB waits on when it opens it.
import { execFileSync } from 'node:child_process';
import { closeSync, constants, openSync, readdirSync, rmSync } from 'node:fs';
import { createServer, type Server } from 'node:net';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';

import { loadConfig } from '../core/config.js';
import { ConfigError } from '../core/errors.js';
import { startHub } from '../infra/local/hub.js';
import { createLake, donation } from './puddles/lake-fixture.js';

vi.mock('../infra/local/port-probe.js', async (original) => ({
  ...(await original<typeof import('../infra/local/port-probe.js')>()),
  // The port was free when probed: the taker below bound it between the probe and the listen.
  probePort: async () => {},
}));

const PARTITION = 'lake/transactions/donation/v1/dt=2026-11-29';

describe('a port taken between the probe and the listen', () => {
  const taker: Server = createServer();
  let port = 0;
  let home = '';
  let fifo = '';
  beforeAll(async () => {
    await new Promise<void>((resolve) => taker.listen(0, '127.0.0.1', resolve));
    port = (taker.address() as { port: number }).port;
    const lake = await createLake();
    home = lake.dir;
    await lake.subscribeAll();
    await lake.queue.publish(Array.from({ length: 5 }, (_, i) => donation(`d${i}`, 100 + i)));
    await lake.consumer('transactions').drain();
    await lake.engine.close();
    await lake.queue.close();
    lake.catalog.close();
    const [file] = readdirSync(path.join(home, PARTITION)).filter((f) => f.endsWith('.parquet'));
    fifo = path.join(home, PARTITION, file!);
    rmSync(fifo);
    execFileSync('mkfifo', [fifo]);
  }, 60_000);
  afterAll(async () => {
    // A reader stuck on the FIFO (the rebuild, when the start waits for it) gets its end and fails.
    try {
      closeSync(openSync(fifo, constants.O_WRONLY | constants.O_NONBLOCK));
    } catch {
      // No reader: nothing waits on it.
    }
    await new Promise((resolve) => taker.close(resolve));
    rmSync(home, { recursive: true, force: true });
  });

  it('stops the start with the one line at once, not after the live totals are rebuilt', async () => {
    const start = startHub({
      config: { ...loadConfig({}), home, host: '127.0.0.1', port, apiKeys: ['race-key'] },
      totalsInBackground: true,
      maintenanceMs: 3_600_000,
    });
    const outcome = await Promise.race([
      start.then(
        async (hub) => {
          await hub.stop(0);
          return 'started';
        },
        (err: unknown) => err,
      ),
      new Promise((resolve) => setTimeout(() => resolve('still starting after 60 s'), 60_000)),
    ]);
    expect(outcome).toBeInstanceOf(ConfigError);
    expect((outcome as Error).message).toBe(
      `127.0.0.1:${port} (HOST, PORT) is already taken by another process: another program, or a hub still running from before 2026-12-02 (it takes no home lock; if it runs on ${home}, stop it first, since two hubs would each land part of the events). Stop it, or give this one another PORT`,
    );
  }, 120_000);
});
