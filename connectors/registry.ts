import type { StreamDef } from '../core/engine/define.js';
import type { ConnectorInstance } from '../core/engine/sync.js';
import { ConfigError } from '../core/errors.js';
import type { SecretStore } from '../core/ports.js';
import { braintreeMappingSettings } from './braintree/config.js';
import { braintreeFromSecrets } from './braintree/connector.js';
import { braintreeStreams } from './braintree/streams.js';
import { freshdeskFromSecrets } from './freshdesk/connector.js';
import { FRESHDESK_STREAM_NAMES } from './freshdesk/streams.js';
import { salesforceFromSecrets } from './salesforce/connector.js';
import { SALESFORCE_STREAM_NAMES } from './salesforce/streams.js';
import { stripeDonationIdKey } from './stripe/config.js';
import { stripeFromSecrets } from './stripe/connector.js';
import { stripeStreams } from './stripe/streams.js';

export interface ConnectorEntry {
  /**
   * Stream names in run order (for status, without credentials): read off the connector's own streams where they
   * can be built without credentials (connectors/registry.test.ts checks each against the connector it makes).
   */
  streams: string[];
  /**
   * Its streams that keep their position their own way, with no time windows and so no cursor (Stripe's payout_items
   * in the bookmark's `extra`, Salesforce's backfill under keys of its own, Freshdesk's ticket_fields read whole each
   * run, Braintree's subscription_statuses the open subscriptions' ids under keys of its own): `puddle status` says "kept by the stream" of them, and of any other stream with no cursor after its runs
   * that none has succeeded yet (connectors/registry.test.ts checks the list against the streams' `windows`).
   */
  ownPosition?: string[];
  /** Build the connector from its configuration; throws FatalError when it is incomplete. */
  make(secrets: SecretStore): ConnectorInstance<never>;
  /**
   * Its streams as the mappings read them, from the settings a mapping reads and no credentials: what
   * `puddle quarantine retry` maps a kept record with (a hub on the sandboxes has no credentials in the shell).
   * Absent where a mapping needs what only the provider says (Salesforce's record types, Freshdesk's ticket
   * statuses): the retry names the range to sync again instead.
   */
  mappings?(secrets: SecretStore): StreamDef<never, never>[];
}

/** Stream names never depend on settings: a connector's are read off its streams as built with none set. */
const NO_SETTINGS: SecretStore = { get: () => undefined };

/** Every connector by name. */
export const CONNECTORS: Record<string, ConnectorEntry> = {
  braintree: {
    streams: braintreeStreams(braintreeMappingSettings(NO_SETTINGS)).map((s) => s.name),
    ownPosition: ['subscription_statuses'],
    make: braintreeFromSecrets as (secrets: SecretStore) => ConnectorInstance<never>,
    mappings: (secrets) => braintreeStreams(braintreeMappingSettings(secrets)) as StreamDef<never, never>[],
  },
  freshdesk: {
    streams: [...FRESHDESK_STREAM_NAMES],
    ownPosition: ['ticket_fields'],
    make: freshdeskFromSecrets as (secrets: SecretStore) => ConnectorInstance<never>,
  },
  salesforce: {
    streams: [...SALESFORCE_STREAM_NAMES],
    ownPosition: ['backfill'],
    make: salesforceFromSecrets as (secrets: SecretStore) => ConnectorInstance<never>,
  },
  stripe: {
    streams: stripeStreams({ donationIdKey: 'donation_id' }).map((s) => s.name),
    ownPosition: ['payout_items'],
    make: stripeFromSecrets as (secrets: SecretStore) => ConnectorInstance<never>,
    mappings: (secrets) => stripeStreams({ donationIdKey: stripeDonationIdKey(secrets) }) as StreamDef<never, never>[],
  },
};

/**
 * Throws one ConfigError naming every connector setting that is set but wrong (a start date not on the calendar,
 * FRESHDESK_PLAN=enterprize, a rate limit that is not a number, a URL that is not one), a line each, so
 * `puddle start` stops on them with exit code 2, as on a wrong PUDDLE_ setting, instead of running without the
 * connector behind one line in the log. A connector without credentials is not wrong, only not configured: the
 * hub runs its sandbox, or goes without it.
 */
export function checkConnectorSettings(secrets: SecretStore): void {
  const problems: string[] = [];
  for (const entry of Object.values(CONNECTORS)) {
    try {
      entry.make(secrets);
    } catch (err) {
      if (err instanceof ConfigError) problems.push(err.message);
    }
  }
  if (problems.length) throw new ConfigError(problems.join('\n'));
}
