// Every connector's start date setting, read on a machine whose zone is not UTC: a time without a zone is UTC
// (as `puddle sync --from` reads it), and a date that is not on the calendar stops the connector, and the hub.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { braintreeConfig } from '../connectors/braintree/config.js';
import { freshdeskConfig } from '../connectors/freshdesk/config.js';
import { salesforceConfig } from '../connectors/salesforce/config.js';
import { stripeConfig } from '../connectors/stripe/config.js';
import { ConfigError } from '../core/errors.js';
import { runPuddle } from './support/run-cli.js';

const secrets = (m: Record<string, string>) => ({ get: (k: string) => m[k] });

/** Each connector's start date setting, with the least else it needs to read its configuration. */
const READERS: [string, (s: Record<string, string>, now: Date) => { startDate: Date }, Record<string, string>][] = [
  ['STRIPE_START_DATE', (s, now) => stripeConfig(secrets(s), now), { STRIPE_API_KEY: 'sk_test_x' }],
  ['BRAINTREE_START_DATE', (s, now) => braintreeConfig(secrets(s), now), { BRAINTREE_MERCHANT_ID: 'm', BRAINTREE_PUBLIC_KEY: 'p', BRAINTREE_PRIVATE_KEY: 'k' }],
  ['FRESHDESK_START_DATE', (s, now) => freshdeskConfig(secrets(s), now), { FRESHDESK_API_KEY: 'k', FRESHDESK_DOMAIN: 'acme' }],
  ['SALESFORCE_START_DATE', (s, now) => salesforceConfig(secrets(s), now), { SALESFORCE_INSTANCE_URL: 'https://charity.my.salesforce.com', SALESFORCE_ACCESS_TOKEN: 't' }],
];

describe('a connector start date, on a machine in New York', () => {
  const zone = process.env.TZ;
  beforeAll(() => {
    // Node takes a new TZ at once (this file's own process: vitest runs each file in a fork).
    process.env.TZ = 'America/New_York';
  });
  afterAll(() => {
    if (zone === undefined) delete process.env.TZ;
    else process.env.TZ = zone;
  });

  it('reads a time without a zone as UTC, a date as its midnight UTC, and an offset as given', () => {
    // What `new Date(text)` did: the machine's zone, five hours on in New York's winter.
    expect(new Date('2026-11-30T18:00').toISOString()).toBe('2026-11-30T23:00:00.000Z');
    const now = new Date('2026-12-02T00:00:00Z');
    for (const [name, read, base] of READERS) {
      const at = (text: string) => read({ ...base, [name]: text }, now).startDate.toISOString();
      expect(at('2026-11-30T18:00'), name).toBe('2026-11-30T18:00:00.000Z');
      expect(at('2026-11-30'), name).toBe('2026-11-30T00:00:00.000Z');
      expect(at('2026-11-30T18:00:00+01:00'), name).toBe('2026-11-30T17:00:00.000Z');
      // Unset or empty: a year back.
      expect(read(base, now).startDate.toISOString(), name).toBe('2025-12-02T00:00:00.000Z');
      expect(at(''), name).toBe('2025-12-02T00:00:00.000Z');
    }
  });

  it('refuses a date that is not on the calendar with a ConfigError naming the setting', () => {
    for (const [name, read, base] of READERS) {
      // new Date rolled 02-30 over to 2 March, and hour 24 to the next day.
      for (const text of ['2026-02-30', '2026-11-30T24:00', 'soon']) {
        let thrown: unknown;
        try {
          read({ ...base, [name]: text }, new Date());
        } catch (err) {
          thrown = err;
        }
        expect(thrown, `${name}=${text}`).toBeInstanceOf(ConfigError);
        expect((thrown as Error).message).toBe(
          `${name} must be a date YYYY-MM-DD or a time such as 2026-11-30T18:00:00Z (no zone: UTC), on the calendar (got ${JSON.stringify(text)})`,
        );
      }
    }
  });
});

describe('a start date not on the calendar, at the command line', () => {
  const home = mkdtempSync(join(tmpdir(), 'puddle-start-dates-'));
  afterAll(() => rmSync(home, { recursive: true, force: true }));

  it('stops `puddle start` with exit code 2 before it listens, and `puddle sync` too', async () => {
    const env = { PUDDLE_HOME: home, PORT: '0', STRIPE_API_KEY: 'sk_test_x', STRIPE_START_DATE: '2026-02-30',
      // Nothing listens there: a sync that ran anyway fails at once instead of calling Stripe.
      STRIPE_API_BASE: 'http://127.0.0.1:9' };
    // Without the check the hub would start and serve until stopped: the timeout ends it then.
    const [start, sync] = await Promise.all([runPuddle(['start', '--no-schedule'], env, { timeoutMs: 30_000 }), runPuddle(['sync', 'stripe'], env)]);
    const message = 'STRIPE_START_DATE must be a date YYYY-MM-DD or a time such as 2026-11-30T18:00:00Z (no zone: UTC), on the calendar (got "2026-02-30")\n';
    expect(start.code, start.stdout).toBe(2);
    expect(start.stderr).toContain(`puddle start: ${message}`);
    expect(start.stdout).not.toContain('listening');
    expect(sync.code, sync.stdout).toBe(2);
    expect(sync.stderr).toContain(`puddle sync: ${message}`);
  }, 60_000);
});
