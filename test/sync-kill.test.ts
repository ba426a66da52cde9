import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { loadBookmark } from '../core/engine/bookmark.js';
import { syncConnector } from '../core/engine/sync.js';
import { CONNECTORS } from '../connectors/registry.js';
import { startBraintreeSandbox } from '../connectors/braintree/sandbox/index.js';
import { startStripeSandbox } from '../connectors/stripe/sandbox/index.js';
import { createLocalRuntime } from '../infra/local/runtime.js';
import { PuddleConsumer } from '../puddles/consumer.js';
import { PUDDLES } from '../puddles/definitions.js';

const BIN = fileURLToPath(new URL('../bin/puddle.mjs', import.meta.url));
const START = new Date(Date.now() - 15 * 86_400_000).toISOString();
/**
 * A `puddle sync` child, then the whole sync of 3,000 payments again in this process, landed and queried: on a
 * loaded two-core machine Braintree's (an XML SDK) took longer than the default 60 s. A bound for a hang.
 */
const TEST_MS = 240_000;

/** Each provider: a sandbox with `records` payments, the settings that point `puddle sync` at it. */
const PROVIDERS = {
  stripe: async (records: number) => {
    const s = await startStripeSandbox({ charges: records, rateLimit: 0 });
    return {
      stream: 'charges',
      env: { STRIPE_API_KEY: s.apiKey, STRIPE_API_BASE: s.url, STRIPE_START_DATE: START, STRIPE_REQUESTS_PER_SECOND: '8' },
      requests: () => s.requests.total,
      payments: s.data.charges.length,
      close: () => s.close(),
    };
  },
  braintree: async (records: number) => {
    const s = await startBraintreeSandbox({ transactions: records, scenario: { donations: 0 } });
    return {
      stream: 'transactions',
      env: {
        BRAINTREE_MERCHANT_ID: s.merchantId, BRAINTREE_PUBLIC_KEY: s.publicKey, BRAINTREE_PRIVATE_KEY: s.privateKey,
        BRAINTREE_API_BASE: s.url, BRAINTREE_START_DATE: START, BRAINTREE_REQUESTS_PER_SECOND: '8',
      },
      requests: () => s.requests.total,
      payments: s.data.transactions.filter((t) => t.type === 'sale').length,
      close: () => s.close(),
    };
  },
};

describe.each(Object.keys(PROVIDERS) as (keyof typeof PROVIDERS)[])('puddle sync %s killed with SIGKILL mid-way', (provider) => {
  const home = mkdtempSync(join(tmpdir(), `puddle-kill-${provider}-`));
  afterAll(() => rmSync(home, { recursive: true, force: true }));

  it('re-runs from its checkpoint: no gap, no duplicate in query results', async () => {
    const sandbox = await PROVIDERS[provider](3000);
    try {
      const child = spawn(process.execPath, [BIN, 'sync', provider, '--streams', sandbox.stream], {
        env: { ...process.env, ...sandbox.env, PUDDLE_HOME: home, PUDDLE_LEASE_SECONDS: '1', PUDDLE_LOG_LEVEL: 'error' },
        stdio: 'ignore',
      });
      const exited = new Promise((r) => child.on('exit', (code, signal) => r(signal ?? code)));
      // Mid-way: a page or so asked for (at 8 a second), the child still running.
      while (sandbox.requests() < 8 && child.exitCode === null) await new Promise((r) => setTimeout(r, 20));
      expect(child.exitCode).toBeNull();
      child.kill('SIGKILL');
      expect(await exited).toBe('SIGKILL');
      await new Promise((r) => setTimeout(r, 1100)); // the dead run's lease runs out

      const rt = await createLocalRuntime({ home });
      try {
        // the killed run had checkpointed part of the way
        const bm = await loadBookmark(rt.state, provider, sandbox.stream);
        expect(bm.cursor !== null || bm.window !== null).toBe(true);
        const settings: Record<string, string> = { ...sandbox.env, [`${provider.toUpperCase()}_REQUESTS_PER_SECOND`]: '0' };
        const inst = CONNECTORS[provider]!.make({ get: (name) => settings[name] });
        const [r] = await syncConnector(inst, rt, { streams: [sandbox.stream] });
        expect(r!.outcome).toBe('succeeded');
        for (const puddle of PUDDLES) await new PuddleConsumer({ puddle, queue: rt.queue, store: rt.store, catalog: rt.catalog }).drain();
        const [p] = await rt.query.query(`SELECT count(*) AS n, count(DISTINCT payment_id) AS ids FROM payment WHERE provider = '${provider}'`);
        expect(p).toEqual({ n: sandbox.payments, ids: sandbox.payments });
        const [h] = await rt.query.query('SELECT count(*) - count(DISTINCT _id) AS dup FROM payment_history');
        expect(h!.dup).toBe(0);
      } finally {
        await rt.close();
      }
    } finally {
      await sandbox.close();
    }
  }, TEST_MS);
});
