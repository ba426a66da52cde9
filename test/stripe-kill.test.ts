import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { syncConnector } from '../core/engine/sync.js';
import { stripeConnector } from '../connectors/stripe/connector.js';
import { startStripeSandbox } from '../connectors/stripe/sandbox/index.js';
import { createLocalRuntime } from '../infra/local/runtime.js';
import { PuddleConsumer } from '../puddles/consumer.js';
import { PUDDLES } from '../puddles/definitions.js';

const BIN = fileURLToPath(new URL('../bin/puddle.mjs', import.meta.url));

describe('puddle sync stripe killed with SIGKILL mid-way', () => {
  const home = mkdtempSync(join(tmpdir(), 'puddle-stripe-kill-'));
  afterAll(() => rmSync(home, { recursive: true, force: true }));

  it('re-runs from its checkpoint: no gap, no duplicate in query results', async () => {
    const sandbox = await startStripeSandbox({ charges: 3000, rateLimit: 0 });
    const startDate = new Date(Date.now() - 15 * 86_400_000).toISOString();
    try {
      const child = spawn(process.execPath, [BIN, 'sync', 'stripe', '--streams', 'charges'], {
        env: {
          ...process.env, PUDDLE_HOME: home, STRIPE_API_KEY: sandbox.apiKey, STRIPE_API_BASE: sandbox.url,
          STRIPE_START_DATE: startDate, STRIPE_REQUESTS_PER_SECOND: '8', PUDDLE_LEASE_SECONDS: '1', PUDDLE_LOG_LEVEL: 'error',
        },
        stdio: 'ignore',
      });
      const exited = new Promise((r) => child.on('exit', (code, signal) => r(signal ?? code)));
      while (sandbox.requests.total < 8) await new Promise((r) => setTimeout(r, 20));
      child.kill('SIGKILL');
      expect(await exited).toBe('SIGKILL');
      const before = sandbox.requests.total;
      expect(before).toBeLessThan(30); // it really was cut off mid-way through 30 pages
      await new Promise((r) => setTimeout(r, 1100)); // the dead run's lease runs out

      const rt = await createLocalRuntime({ home });
      try {
        const inst = stripeConnector({
          apiKey: sandbox.apiKey, apiBase: sandbox.url, webhookSecret: '', startDate: new Date(startDate),
          requestsPerSecond: 0, concurrency: 4, donationIdKey: 'donation_id',
        });
        const [r] = await syncConnector(inst, rt, { streams: ['charges'] });
        expect(r!.outcome).toBe('succeeded');
        // it resumed: far fewer pages than a fresh backfill of 30
        expect(r!.requests).toBeLessThan(30);
        for (const puddle of PUDDLES) await new PuddleConsumer({ puddle, queue: rt.queue, store: rt.store, catalog: rt.catalog }).drain();
        const [p] = await rt.query.query('SELECT count(*) AS n, count(DISTINCT payment_id) AS ids FROM payment');
        expect(p).toEqual({ n: 3000, ids: 3000 });
        const [h] = await rt.query.query('SELECT count(*) - count(DISTINCT _id) AS dup FROM payment_history');
        expect(h!.dup).toBe(0);
      } finally {
        await rt.close();
      }
    } finally {
      await sandbox.close();
    }
  });
});
