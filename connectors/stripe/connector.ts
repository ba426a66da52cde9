import type Stripe from 'stripe';
import { defineConnector } from '../../core/engine/define.js';
import type { ConnectorInstance } from '../../core/engine/sync.js';
import type { SecretStore } from '../../core/ports.js';
import { classifyStripeError, createStripeClient } from './client.js';
import { stripeConfig, type StripeConfig } from './config.js';
import { stripeStreams } from './streams.js';

export function stripeConnector(config: StripeConfig): ConnectorInstance<Stripe> {
  return {
    connector: defineConnector<Stripe>({
      name: 'stripe',
      streams: stripeStreams({ donationIdKey: config.donationIdKey }, config.lookbackMs),
      classifyError: classifyStripeError,
    }),
    client: createStripeClient(config),
    startDate: config.startDate,
    requestsPerSecond: config.requestsPerSecond,
    concurrency: config.concurrency,
  };
}

export function stripeFromSecrets(secrets: SecretStore): ConnectorInstance<Stripe> {
  return stripeConnector(stripeConfig(secrets));
}
