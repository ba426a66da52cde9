import { describe, expect, it } from 'vitest';
import type { SecretStore } from '../core/ports.js';
import { CONNECTORS } from './registry.js';
import { SANDBOXES } from './sandboxes.js';
import { WEBHOOKS } from './webhooks.js';

// The least each connector needs to be built (nothing is called): what the registry lists must be what it runs.
const CREDENTIALS: Record<string, Record<string, string>> = {
  stripe: { STRIPE_API_KEY: 'sk_test_registry' },
  braintree: { BRAINTREE_MERCHANT_ID: 'merchant', BRAINTREE_PUBLIC_KEY: 'public', BRAINTREE_PRIVATE_KEY: 'private' },
  freshdesk: { FRESHDESK_API_KEY: 'key', FRESHDESK_DOMAIN: 'acme' },
  salesforce: { SALESFORCE_AUTH: 'access_token', SALESFORCE_INSTANCE_URL: 'https://acme.my.salesforce.com', SALESFORCE_ACCESS_TOKEN: 'token' },
};
const NO_SETTINGS: SecretStore = { get: () => undefined };

describe('the connector registry', () => {
  it.each(Object.keys(CONNECTORS))('lists the streams %s runs, in run order (what status and the schedule check read without credentials)', (name) => {
    const credentials = CREDENTIALS[name];
    expect(credentials, `add the least ${name} needs to be built to CREDENTIALS in this test`).toBeDefined();
    const entry = CONNECTORS[name]!;
    const streams = entry.make({ get: (n) => credentials![n] }).connector.streams;
    const runs = streams.map((s) => s.name);
    expect(entry.streams).toEqual(runs);
    const unwindowed = streams.filter((s) => !s.windows).map((s) => s.name);
    expect(entry.ownPosition ?? []).toEqual(unwindowed);
    if (entry.mappings) expect(entry.mappings(NO_SETTINGS).map((s) => s.name)).toEqual(runs);
  });

  it('knows every connector a sandbox or a webhook receiver is for (the hub syncs a sandbox by its name)', () => {
    expect(Object.keys(SANDBOXES).filter((name) => !(name in CONNECTORS))).toEqual([]);
    expect(WEBHOOKS.map((w) => w.connector).filter((name) => !(name in CONNECTORS))).toEqual([]);
  });
});
