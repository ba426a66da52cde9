import type braintree from 'braintree';
import { defineConnector } from '../../core/engine/define.js';
import type { ConnectorInstance } from '../../core/engine/sync.js';
import type { SecretStore } from '../../core/ports.js';
import { braintreeTimeoutMs, classifyBraintreeError, createBraintreeGateway } from './client.js';
import { braintreeConfig, type BraintreeConfig } from './config.js';
import { braintreeStreams } from './streams.js';

export function braintreeConnector(config: BraintreeConfig): ConnectorInstance<braintree.BraintreeGateway> {
  return {
    connector: defineConnector<braintree.BraintreeGateway>({
      name: 'braintree',
      streams: braintreeStreams(config),
      classifyError: (err) => classifyBraintreeError(err, braintreeTimeoutMs(config)),
    }),
    client: createBraintreeGateway(config),
    startDate: config.startDate,
    requestsPerSecond: config.requestsPerSecond,
    concurrency: config.concurrency,
  };
}

export function braintreeFromSecrets(secrets: SecretStore): ConnectorInstance<braintree.BraintreeGateway> {
  return braintreeConnector(braintreeConfig(secrets));
}
