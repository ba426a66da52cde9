import { defineConnector } from '../../core/engine/define.js';
import type { ConnectorInstance } from '../../core/engine/sync.js';
import type { SecretStore } from '../../core/ports.js';
import { SalesforceClient, classifySalesforceError } from './client.js';
import { salesforceConfig, type SalesforceConfig } from './config.js';
import { salesforceStreams } from './streams.js';

export function salesforceConnector(config: SalesforceConfig): ConnectorInstance<SalesforceClient> {
  return {
    connector: defineConnector<SalesforceClient>({
      name: 'salesforce',
      streams: salesforceStreams(config),
      classifyError: classifySalesforceError,
    }),
    client: new SalesforceClient(config),
    startDate: config.startDate,
    requestsPerSecond: config.requestsPerSecond,
    concurrency: config.concurrency,
  };
}

export function salesforceFromSecrets(secrets: SecretStore): ConnectorInstance<SalesforceClient> {
  return salesforceConnector(salesforceConfig(secrets));
}
