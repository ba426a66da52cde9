// The CRM side of `puddle demo --once`: the reconciliation world's gifts and gift payments are not pushed
// over HTTP like the rest; they go into a Salesforce sandbox (as NPSP Opportunities and payments with the
// world's ids, naming the world's Stripe charges, payment intents and Braintree transactions) and come back
// through the real connector (jsforce, the engine) onto the hub's queue, as a charity's CRM would.
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { salesforceConnector } from '../../connectors/salesforce/connector.js';
import { salesforceConfig } from '../../connectors/salesforce/config.js';
import { startSalesforceSandbox } from '../../connectors/salesforce/sandbox/index.js';
import { DEMO_MAX_AHEAD_MS } from '../../core/contracts/time-bounds.js';
import { syncConnector } from '../../core/engine/sync.js';
import type { Runtime } from '../../core/runtime.js';
import type { WorldCrm } from '../../core/scenario/recon-world.js';
import { SqliteStateStore } from '../local/sqlite-state-store.js';

/** Seed a sandbox with the world's CRM, sync its gifts and payments to the hub's queue; the records synced. */
export async function syncWorldCrm(crm: WorldCrm, runtime: Pick<Runtime, 'queue' | 'clock'>): Promise<{ records: number; ok: boolean }> {
  const sandbox = await startSalesforceSandbox({ crm, multiCurrency: true });
  // Bookmarks of its own: the demo's sync must not move the user's Salesforce bookmarks in $PUDDLE_HOME.
  const dir = await mkdtemp(path.join(tmpdir(), 'puddle-demo-crm-'));
  const state = new SqliteStateStore(path.join(dir, 'state.db'));
  try {
    const settings: Record<string, string> = {
      SALESFORCE_AUTH: 'access_token', SALESFORCE_ACCESS_TOKEN: sandbox.accessToken, SALESFORCE_INSTANCE_URL: sandbox.url,
      SALESFORCE_DONATION_ID_FIELD: 'Donation_ID__c', SALESFORCE_START_DATE: new Date(Date.now() - 86_400_000).toISOString(), SALESFORCE_REQUESTS_PER_SECOND: '0',
    };
    const config = salesforceConfig({ get: (k) => settings[k] });
    // The world is a fixed calendar (to 2027-01-20): its later gifts are not typos here (core/contracts/time-bounds.ts).
    const engine = { queue: runtime.queue, state, clock: runtime.clock, maxAheadMs: DEMO_MAX_AHEAD_MS };
    const runs = await syncConnector(salesforceConnector(config), engine, { streams: ['gifts', 'gift_payments'] });
    return { records: runs.reduce((s, r) => s + r.records, 0), ok: runs.every((r) => r.outcome === 'succeeded') };
  } finally {
    state.close();
    await sandbox.close();
    await rm(dir, { recursive: true, force: true });
  }
}
