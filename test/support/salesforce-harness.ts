import { syncConnector, type SyncOptions } from '../../core/engine/sync.js';
import { salesforceConnector } from '../../connectors/salesforce/connector.js';
import { DEFAULT_PAYMENT_REF_FIELDS, type SalesforceConfig } from '../../connectors/salesforce/config.js';
import { startSalesforceSandbox, type SalesforceSandbox, type SalesforceSandboxOptions } from '../../connectors/salesforce/sandbox/index.js';
import { movableClock } from '../../connectors/sandbox-kit/movable-clock.js';
import { tempLake } from './temp-lake.js';

export const SF_NOW = new Date('2026-11-29T12:00:00Z');

/** A Salesforce sandbox, an embedded runtime on a temp folder, and one clock for both. */
export async function salesforceHarness(opts: SalesforceSandboxOptions = {}) {
  const clock = movableClock(SF_NOW);
  const sandbox: SalesforceSandbox = await startSalesforceSandbox({ now: clock.now, ...opts });
  const lake = await tempLake({ now: clock.now });
  const config = (over: Partial<SalesforceConfig> = {}): SalesforceConfig => ({
    auth: 'client_credentials', instanceUrl: sandbox.url, loginUrl: sandbox.url, apiVersion: '60.0', accessToken: null,
    clientId: sandbox.clientId, clientSecret: sandbox.clientSecret, refreshToken: null, username: null, privateKey: null,
    startDate: new Date('2026-11-01T00:00:00Z'), requestsPerSecond: 0, concurrency: 2, lookbackMs: 600_000, namespace: 'npsp',
    currency: 'GBP', paymentRefFields: DEFAULT_PAYMENT_REF_FIELDS, donationIdField: 'Donation_ID__c', giftAidField: 'Gift_Aid_Declared__c', maxApiShare: 1, bulkThreshold: 1_000_000, pageSize: 500, ...over,
  });
  return {
    ...lake,
    clock,
    sandbox,
    config,
    sync: (o: SyncOptions = {}, over: Partial<SalesforceConfig> = {}) => syncConnector(salesforceConnector(config(over)), lake.engineRuntime, o),
    async close() {
      await sandbox.close();
      await lake.close();
    },
  };
}

export type SalesforceHarness = Awaited<ReturnType<typeof salesforceHarness>>;

/** Counts the id sweeps' pages (deletion-sweep.ts) the sandbox answers for `object` from now on. */
export function countSweepPages(sandbox: SalesforceSandbox, object = 'Opportunity'): () => number {
  let n = 0;
  const query = sandbox.org.query.bind(sandbox.org);
  sandbox.org.query = (q, all) => {
    if (q.startsWith(`SELECT Id FROM ${object} WHERE Id >`)) n++;
    return query(q, all);
  };
  return () => n;
}

/**
 * The queue refuses the first publish that carries a deleted version, once: the run fails after its sweep ended.
 * `published`: the deleted versions the queue took since.
 */
export function refuseDeletedOnce(h: SalesforceHarness): { refused: number; published: number } {
  const queue = h.engineRuntime.queue;
  const publish = queue.publish.bind(queue);
  const seen = { refused: 0, published: 0 };
  queue.publish = async (envelopes) => {
    const deleted = envelopes.filter((e) => (e.payload as { deleted?: boolean }).deleted === true).length;
    if (seen.refused === 0 && deleted) {
      seen.refused++;
      throw new Error('queue unavailable');
    }
    const out = await publish(envelopes);
    seen.published += deleted;
    return out;
  };
  return seen;
}
