import { defineConnector } from '../../core/engine/define.js';
import type { ConnectorInstance } from '../../core/engine/sync.js';
import type { SecretStore } from '../../core/ports.js';
import { SalesforceClient, classifySalesforceError } from './client.js';
import { salesforceConfig, type SalesforceConfig } from './config.js';
import { salesforceStreams } from './streams.js';

export function salesforceConnector(config: SalesforceConfig): ConnectorInstance<SalesforceClient> {
  // Describe fills it (client), the mappings read it (streams): a gift's record type by name.
  const recordTypes = new Map<string, string>();
  return {
    connector: defineConnector<SalesforceClient>({
      name: 'salesforce',
      streams: salesforceStreams(config, recordTypes),
      classifyError: (err) => classifySalesforceError(err, config.auth),
    }),
    client: new SalesforceClient(config, recordTypes),
    startDate: config.startDate,
    requestsPerSecond: config.requestsPerSecond,
    concurrency: config.concurrency,
  };
}

export function salesforceFromSecrets(secrets: SecretStore): ConnectorInstance<SalesforceClient> {
  return salesforceConnector(salesforceConfig(secrets));
}
