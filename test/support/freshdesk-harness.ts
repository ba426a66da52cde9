import { syncConnector, type SyncOptions } from '../../core/engine/sync.js';
import { freshdeskConnector } from '../../connectors/freshdesk/connector.js';
import { DEFAULT_REFERENCE_PATTERN, type FreshdeskConfig } from '../../connectors/freshdesk/config.js';
import { startFreshdeskSandbox, type FreshdeskSandbox, type FreshdeskSandboxOptions } from '../../connectors/freshdesk/sandbox/index.js';
import { movableClock } from '../../connectors/sandbox-kit/movable-clock.js';
import { tempLake } from './temp-lake.js';

export const FD_NOW = new Date('2026-11-29T12:00:00Z');
/** Limits high enough that only a test about budgets meets them. */
export const ROOMY = { perMinute: 1_000_000, ticketsList: 1_000_000, contactsList: 1_000_000 };

/** A Freshdesk sandbox, an embedded runtime on a temp folder, and one clock for both. */
export async function freshdeskHarness(opts: FreshdeskSandboxOptions = {}) {
  const clock = movableClock(FD_NOW);
  const sandbox: FreshdeskSandbox = await startFreshdeskSandbox({ now: clock.now, limits: ROOMY, ...opts });
  const lake = await tempLake({ now: clock.now });
  const config = (over: Partial<FreshdeskConfig> = {}): FreshdeskConfig => ({
    apiBase: sandbox.url, apiKey: sandbox.apiKey, startDate: new Date('2026-06-01T00:00:00Z'),
    limits: opts.limits ?? ROOMY, minuteMs: opts.minuteMs ?? 60_000, includeCredits: 1,
    donationIdField: 'cf_donation_id', paymentRefField: 'cf_payment_reference', referencePattern: new RegExp(DEFAULT_REFERENCE_PATTERN),
    crmIdField: 'unique_external_id', keepSubject: false, webhookUser: 'puddle', webhookSecret: 'fd-secret', webhookHeader: '', concurrency: 2, ...over,
  });
  return {
    ...lake,
    clock,
    sandbox,
    config,
    sync: (o: SyncOptions = {}, over: Partial<FreshdeskConfig> = {}) => syncConnector(freshdeskConnector(config(over)), lake.engineRuntime, o),
    async close() {
      await sandbox.close();
      await lake.close();
    },
  };
}
