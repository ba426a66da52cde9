// The hub's scheduled syncs take PUDDLE_LEASE_SECONDS as `puddle sync` does: until 2026-12-02 the scheduler ran
// every stream on the engine's 2-minute lease whatever the setting said. Real parts: a Stripe sandbox, the local
// runtime's SQLite state, the scheduler the hub starts, and the lease row as another process would see it.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../core/config.js';
import { CONNECTORS } from '../connectors/registry.js';
import { startStripeSandbox } from '../connectors/stripe/sandbox/index.js';
import { createLocalRuntime } from '../infra/local/runtime.js';
import { startScheduler } from '../infra/local/scheduler.js';

const home = mkdtempSync(join(tmpdir(), 'puddle-scheduler-lease-'));
afterAll(() => rmSync(home, { recursive: true, force: true }));

const LEASE = 'sync:stripe:charges';

describe('the scheduled syncs', () => {
  it('hold their stream lease for PUDDLE_LEASE_SECONDS, read through the hub config', async () => {
    // An hour: far from the 2-minute default, so a lease taken without the setting cannot pass for it.
    const config = loadConfig({ PUDDLE_LEASE_SECONDS: '3600' });
    expect(config.leaseMs).toBe(3_600_000);
    const sandbox = await startStripeSandbox({ charges: 3000, rateLimit: 0 });
    const rt = await createLocalRuntime({ home });
    // One request a second: the run is still reading when the lease is looked at.
    const settings: Record<string, string> = { STRIPE_API_KEY: sandbox.apiKey, STRIPE_API_BASE: sandbox.url, STRIPE_REQUESTS_PER_SECOND: '1' };
    const inst = CONNECTORS.stripe!.make({ get: (name) => settings[name] });
    const scheduler = startScheduler({
      runtime: rt,
      entries: [{ connector: 'stripe', streams: ['charges'], everySeconds: 3600, why: 'this test' }],
      instances: { stripe: inst },
      firstRunMs: 0,
      leaseMs: config.leaseMs,
    });
    const db = new Database(join(home, 'state.db'), { readonly: true });
    try {
      let lease: { owner: string; expires_at: number } | undefined;
      while (!lease) {
        await new Promise((r) => setTimeout(r, 20));
        lease = db.prepare('SELECT owner, expires_at FROM state_leases WHERE name = ?').get(LEASE) as typeof lease;
      }
      expect(lease.owner).toMatch(/^stripe:charges:/);
      // Taken (or renewed) for an hour from some moment up to now: more than the default's 2 minutes ahead.
      expect(lease.expires_at - Date.now()).toBeGreaterThan(30 * 60_000);
      expect(lease.expires_at - Date.now()).toBeLessThanOrEqual(3_600_000);
    } finally {
      db.close();
      await scheduler.stop();
      await rt.close();
      await sandbox.close();
    }
  }, 60_000);
});
