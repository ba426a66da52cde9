import type { ConnectorInstance } from '../core/engine/sync.js';
import type { SecretStore } from '../core/ports.js';
import { braintreeFromSecrets } from './braintree/connector.js';
import { BRAINTREE_STREAM_NAMES } from './braintree/streams.js';
import { freshdeskFromSecrets } from './freshdesk/connector.js';
import { FRESHDESK_STREAM_NAMES } from './freshdesk/streams.js';
import { salesforceFromSecrets } from './salesforce/connector.js';
import { SALESFORCE_STREAM_NAMES } from './salesforce/streams.js';
import { stripeFromSecrets } from './stripe/connector.js';
import { stripeStreams } from './stripe/streams.js';

export interface ConnectorEntry {
  /** Stream names in run order (for status, without credentials). */
  streams: string[];
  /** Build the connector from its configuration; throws FatalError when it is incomplete. */
  make(secrets: SecretStore): ConnectorInstance<never>;
}

/** Every connector by name. */
export const CONNECTORS: Record<string, ConnectorEntry> = {
  braintree: {
    streams: [...BRAINTREE_STREAM_NAMES],
    make: braintreeFromSecrets as (secrets: SecretStore) => ConnectorInstance<never>,
  },
  freshdesk: {
    streams: [...FRESHDESK_STREAM_NAMES],
    make: freshdeskFromSecrets as (secrets: SecretStore) => ConnectorInstance<never>,
  },
  salesforce: {
    streams: [...SALESFORCE_STREAM_NAMES],
    make: salesforceFromSecrets as (secrets: SecretStore) => ConnectorInstance<never>,
  },
  stripe: {
    streams: stripeStreams({ donationIdKey: 'donation_id' }).map((s) => s.name),
    make: stripeFromSecrets as (secrets: SecretStore) => ConnectorInstance<never>,
  },
};
