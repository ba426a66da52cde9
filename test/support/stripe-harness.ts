import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { EngineRuntime } from '../../core/engine/define.js';
import { syncConnector, type SyncOptions } from '../../core/engine/sync.js';
import type { Runtime } from '../../core/runtime.js';
import { stripeConnector } from '../../connectors/stripe/connector.js';
import type { StripeConfig } from '../../connectors/stripe/config.js';
import { startStripeSandbox, type StripeSandbox, type StripeSandboxOptions } from '../../connectors/stripe/sandbox/index.js';
import { movableClock } from '../../connectors/stripe/sandbox/test-client.js';
import { createLocalRuntime } from '../../infra/local/runtime.js';
import { PuddleConsumer } from '../../puddles/consumer.js';
import { PUDDLES } from '../../puddles/definitions.js';

export const NOW = new Date('2026-11-29T12:00:00Z');

/** A sandbox, an embedded runtime on a temp folder, and one clock for both. */
export async function stripeHarness(opts: StripeSandboxOptions = {}, config: Partial<StripeConfig> = {}) {
  const clock = movableClock(NOW);
  const sandbox: StripeSandbox = await startStripeSandbox({ rateLimit: 0, now: clock.now, scenario: { seed: 5, donations: 400 }, ...opts });
  const home = mkdtempSync(join(tmpdir(), 'puddle-stripe-'));
  const rt: Runtime = await createLocalRuntime({ home });
  const engineRuntime: EngineRuntime = { queue: rt.queue, state: rt.state, clock: { now: clock.now } };
  const connectorConfig = (over: Partial<StripeConfig> = {}): StripeConfig => ({
    apiKey: sandbox.apiKey,
    apiBase: sandbox.url,
    webhookSecret: '',
    startDate: new Date('2026-10-01T00:00:00Z'),
    requestsPerSecond: 0,
    concurrency: 4,
    donationIdKey: 'donation_id',
    ...config,
    ...over,
  });
  return {
    clock,
    sandbox,
    rt,
    home,
    config: connectorConfig,
    sync: (o: SyncOptions = {}, over: Partial<StripeConfig> = {}) => syncConnector(stripeConnector(connectorConfig(over)), engineRuntime, o),
    engineRuntime,
    async land() {
      for (const puddle of PUDDLES) await new PuddleConsumer({ puddle, queue: rt.queue, store: rt.store, catalog: rt.catalog }).drain();
    },
    q: (sql: string) => rt.query.query(sql),
    async close() {
      await sandbox.close();
      await rt.close();
      rmSync(home, { recursive: true, force: true });
    },
  };
}

export type StripeHarness = Awaited<ReturnType<typeof stripeHarness>>;
