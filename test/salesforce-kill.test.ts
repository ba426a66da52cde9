import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { loadBookmark } from '../core/engine/bookmark.js';
import { syncConnector } from '../core/engine/sync.js';
import { CONNECTORS } from '../connectors/registry.js';
import { startSalesforceSandbox } from '../connectors/salesforce/sandbox/index.js';
import { createLocalRuntime } from '../infra/local/runtime.js';
import { PuddleConsumer } from '../puddles/consumer.js';
import { PUDDLES } from '../puddles/definitions.js';

const BIN = fileURLToPath(new URL('../bin/puddle.mjs', import.meta.url));

describe('puddle sync salesforce killed with SIGKILL mid-way', () => {
  const home = mkdtempSync(join(tmpdir(), 'puddle-kill-salesforce-'));
  afterAll(() => rmSync(home, { recursive: true, force: true }));

  it('re-runs from its keyset checkpoint: every gift once, no duplicate version', async () => {
    const sandbox = await startSalesforceSandbox({ opportunities: 3000 });
    try {
      const env = {
        SALESFORCE_AUTH: 'client_credentials', SALESFORCE_INSTANCE_URL: sandbox.url, SALESFORCE_LOGIN_URL: sandbox.url,
        SALESFORCE_CLIENT_ID: sandbox.clientId, SALESFORCE_CLIENT_SECRET: sandbox.clientSecret,
        SALESFORCE_START_DATE: new Date(Date.now() - 15 * 86_400_000).toISOString(), SALESFORCE_PAGE_SIZE: '200', SALESFORCE_REQUESTS_PER_SECOND: '8',
      };
      const child = spawn(process.execPath, [BIN, 'sync', 'salesforce', '--streams', 'gifts'], {
        env: { ...process.env, ...env, PUDDLE_HOME: home, PUDDLE_LEASE_SECONDS: '1', PUDDLE_LOG_LEVEL: 'error' },
        stdio: 'ignore',
      });
      const exited = new Promise((r) => child.on('exit', (code, signal) => r(signal ?? code)));
      // Mid-way by the gift pages served, not by all requests: the login and the run's checks (once per run) come first.
      while (sandbox.queriesOf('Opportunity') < 10) await new Promise((r) => setTimeout(r, 20));
      child.kill('SIGKILL');
      expect(await exited).toBe('SIGKILL');
      await new Promise((r) => setTimeout(r, 1100)); // the dead run's lease runs out

      const rt = await createLocalRuntime({ home });
      try {
        const bm = await loadBookmark(rt.state, 'salesforce', 'gifts');
        expect(bm.cursor !== null || bm.window !== null).toBe(true);
        const settings: Record<string, string> = { ...env, SALESFORCE_REQUESTS_PER_SECOND: '0' };
        const inst = CONNECTORS.salesforce!.make({ get: (name) => settings[name] });
        const [r] = await syncConnector(inst, rt, { streams: ['gifts'] });
        expect(r!.outcome).toBe('succeeded');
        for (const puddle of PUDDLES) await new PuddleConsumer({ puddle, queue: rt.queue, store: rt.store, catalog: rt.catalog }).drain();
        expect(await rt.query.query('SELECT count(*) AS n, count(DISTINCT gift_id) AS ids FROM gift')).toEqual([{ n: 3000, ids: 3000 }]);
        const [h] = await rt.query.query('SELECT count(*) - count(DISTINCT _id) AS dup FROM gift_history');
        expect(h!.dup).toBe(0);
      } finally {
        await rt.close();
      }
    } finally {
      await sandbox.close();
    }
  });
});
