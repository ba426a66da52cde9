import { syncConnector, type SyncOptions } from '../../core/engine/sync.js';
import { braintreeConnector } from '../../connectors/braintree/connector.js';
import type { BraintreeConfig } from '../../connectors/braintree/config.js';
import { startBraintreeSandbox, type BraintreeSandbox, type BraintreeSandboxOptions } from '../../connectors/braintree/sandbox/index.js';
import { movableClock } from '../../connectors/braintree/sandbox/test-gateway.js';
import { tempLake } from './temp-lake.js';

export const BT_NOW = new Date('2026-11-29T12:00:00Z');

/** A Braintree sandbox, an embedded runtime on a temp folder, and one clock for both. */
export async function braintreeHarness(opts: BraintreeSandboxOptions = {}) {
  const clock = movableClock(BT_NOW);
  const sandbox: BraintreeSandbox = await startBraintreeSandbox({ now: clock.now, scenario: { seed: 21, donations: 1500 }, pageSize: 10, ...opts });
  const lake = await tempLake({ now: clock.now });
  const config = (over: Partial<BraintreeConfig> = {}): BraintreeConfig => ({
    merchantId: sandbox.merchantId,
    publicKey: sandbox.publicKey,
    privateKey: sandbox.privateKey,
    environment: 'sandbox',
    apiBase: sandbox.url,
    startDate: new Date('2026-11-01T00:00:00Z'),
    requestsPerSecond: 0,
    concurrency: 2,
    donationIdField: null,
    accountCurrencies: {},
    defaultCurrency: 'GBP',
    ...over,
  });
  return {
    ...lake,
    clock,
    sandbox,
    config,
    sync: (o: SyncOptions = {}, over: Partial<BraintreeConfig> = {}) => syncConnector(braintreeConnector(config(over)), lake.engineRuntime, o),
    async close() {
      await sandbox.close();
      await lake.close();
    },
  };
}
