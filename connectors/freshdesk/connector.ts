import { defineConnector } from '../../core/engine/define.js';
import type { ConnectorInstance } from '../../core/engine/sync.js';
import type { SecretStore } from '../../core/ports.js';
import { classifyFreshdeskError, freshdeskRate, FreshdeskClient } from './client.js';
import { freshdeskConfig, type FreshdeskConfig } from './config.js';
import { freshdeskStreams } from './streams.js';

/**
 * Freshdesk counts per minute: the account's credits (a tickets page with includes costs more than one)
 * and each list endpoint's calls. The budget spaces calls under both, and slows as X-Ratelimit-Remaining
 * runs low (webhooks and other integrations spend the same allowance).
 */
export function freshdeskConnector(config: FreshdeskConfig): ConnectorInstance<FreshdeskClient> {
  const minute = config.minuteMs;
  return {
    connector: defineConnector<FreshdeskClient>({
      name: 'freshdesk',
      streams: freshdeskStreams(config),
      classifyError: classifyFreshdeskError,
      rateObservation: freshdeskRate,
    }),
    client: new FreshdeskClient(config.apiBase, config.apiKey),
    startDate: config.startDate,
    requestsPerSecond: 0,
    concurrency: config.concurrency,
    windows: {
      perWindow: { limit: config.limits.perMinute, windowMs: minute },
      endpoints: {
        tickets_list: { limit: config.limits.ticketsList, windowMs: minute },
        contacts_list: { limit: config.limits.contactsList, windowMs: minute },
      },
    },
  };
}

export function freshdeskFromSecrets(secrets: SecretStore): ConnectorInstance<FreshdeskClient> {
  return freshdeskConnector(freshdeskConfig(secrets));
}
