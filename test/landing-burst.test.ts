// During a burst (the producer's event loop busy, PUDDLE_LANDING_YIELD_ABOVE) each landing consumer lands a batch
// and then leaves the cores to the producer for 2 s, or until the burst ends (infra/local/landing-worker.ts). The
// consumer's pause itself (pauseAfter, pauseOver) is tested in test/puddles/landing.test.ts, and how busy a loop
// reads in test/backpressure.test.ts; this is the hub's rule between them, end to end. The burst is the share the
// landing threads are given (LandingThreadsOptions.busy), not a spinning loop: a test that burns a core for seconds
// starves the timing of the tests beside it.
import { setTimeout as sleep } from 'node:timers/promises';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { afterAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../core/config.js';
import { startHub } from '../infra/local/hub.js';
import { postEvents, smsDonation as donation } from './support/hub-process.js';

const KEY = 'landing-burst-key';
const BATCH = 20;

describe('landing during a burst', () => {
  const home = mkdtempSync(join(tmpdir(), 'puddle-landing-burst-'));
  afterAll(() => rmSync(home, { recursive: true, force: true }));

  it('lands a batch and then waits while the producer is busy, and lands the rest without pausing once the burst ends', async () => {
    const config = loadConfig({});
    expect(config.landingYieldAbove).toBe(0.5);
    let share = 0.9; // the producer's loop, as the landing threads are told it every 200 ms
    const hub = await startHub({
      config: { ...config, home, port: 0, apiKeys: [KEY] },
      landing: { backlogMs: 50, consumer: { batchSize: BATCH }, busy: () => share },
    });
    const count = async () => (await hub.runtime.query.query(`SELECT count(*) AS n FROM donation`))[0]!.n as number;
    try {
      // The landing threads see a burst after two busy 200 ms windows.
      await sleep(600);
      // Five requests of a batch each: a request's events are one row of the queue, claimed whole, so the consumer's
      // first batch is one request.
      for (let r = 0; r < 5; r++) {
        const res = await postEvents(hub.url, KEY, Array.from({ length: BATCH }, (_, i) => donation(`burst-${r}-${i}`)));
        expect(res.status).toBe(202);
        await res.arrayBuffer();
      }
      let landed = 0;
      for (let i = 0; i < 600 && landed === 0; i++) {
        await sleep(25);
        landed = await count();
      }
      // One batch, then the consumer stands aside (2 s): 300 ms later nothing more has landed (without the pause the
      // other four batches, queued already, land in a fraction of a second).
      expect(landed).toBe(BATCH);
      await sleep(300);
      expect(await count()).toBe(BATCH);

      share = 0.1;
      const ended = performance.now();
      // No more pauses once the burst is over: the other four batches land without waiting 2 s each (8 s).
      for (let i = 0; i < 400 && landed < 5 * BATCH; i++) {
        await sleep(25);
        landed = await count();
      }
      expect(landed).toBe(5 * BATCH);
      expect(performance.now() - ended).toBeLessThan(6_000);
    } finally {
      await hub.stop();
    }
  }, 60_000);
});
