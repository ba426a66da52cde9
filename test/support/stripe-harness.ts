import { syncConnector, type SyncOptions } from '../../core/engine/sync.js';
import { stripeConnector } from '../../connectors/stripe/connector.js';
import type { StripeConfig } from '../../connectors/stripe/config.js';
import { STRIPE_LOOKBACK_MS } from '../../connectors/stripe/streams.js';
import { startStripeSandbox, type StripeSandbox, type StripeSandboxOptions } from '../../connectors/stripe/sandbox/index.js';
import { movableClock } from '../../connectors/stripe/sandbox/test-client.js';
import { tempLake } from './temp-lake.js';

export const NOW = new Date('2026-11-29T12:00:00Z');

/** A sandbox, an embedded runtime on a temp folder, and one clock for both. */
export async function stripeHarness(opts: StripeSandboxOptions = {}, config: Partial<StripeConfig> = {}) {
  const clock = movableClock(NOW);
  const sandbox: StripeSandbox = await startStripeSandbox({ rateLimit: 0, now: clock.now, scenario: { seed: 5, donations: 400 }, ...opts });
  const lake = await tempLake({ now: clock.now });
  const connectorConfig = (over: Partial<StripeConfig> = {}): StripeConfig => ({
    apiKey: sandbox.apiKey,
    apiBase: sandbox.url,
    webhookSecret: '',
    startDate: new Date('2026-10-01T00:00:00Z'),
    requestsPerSecond: 0,
    concurrency: 4,
    donationIdKey: 'donation_id',
    lookbackMs: STRIPE_LOOKBACK_MS,
    ...config,
    ...over,
  });
  return {
    ...lake,
    clock,
    sandbox,
    config: connectorConfig,
    sync: (o: SyncOptions = {}, over: Partial<StripeConfig> = {}) => syncConnector(stripeConnector(connectorConfig(over)), lake.engineRuntime, o),
    async close() {
      await sandbox.close();
      await lake.close();
    },
  };
}

export type StripeHarness = Awaited<ReturnType<typeof stripeHarness>>;
