// A connector setting that is set but wrong stops `puddle start` before it listens, with a line naming each one
// and what it accepts (never a secret's value); a connector with no credentials is only not configured, and the
// hub starts. Until 2026-12-02 only a wrong start date stopped it: any other wrong setting made the connector log
// "not configured" and the hub ran without it.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { startHubProcess } from './support/hub-process.js';
import { runPuddle } from './support/run-cli.js';

const home = mkdtempSync(join(tmpdir(), 'puddle-connector-settings-'));
afterAll(() => rmSync(home, { recursive: true, force: true }));

/** A publishable key pasted where the secret key goes: it must be named, never shown. */
const PUBLISHABLE = 'pk_live_51SecretLookingValue0123456789';

const WRONG = {
  BRAINTREE_ENVIRONMENT: 'prod',
  FRESHDESK_PLAN: 'enterprize',
  FRESHDESK_CONCURRENCY: 'two',
  SALESFORCE_INSTANCE_URL: 'charity.my.salesforce.com',
  STRIPE_API_KEY: PUBLISHABLE,
  STRIPE_REQUESTS_PER_SECOND: 'ten',
  STRIPE_API_BASE: 'http//127.0.0.1:9',
};

/** What each wrong setting is told, in the connectors' order (braintree, freshdesk, salesforce, stripe). */
const LINES = [
  'BRAINTREE_ENVIRONMENT must be one of sandbox, production (got "prod")',
  'FRESHDESK_PLAN must be one of growth, pro, enterprise (got "enterprize")',
  'FRESHDESK_CONCURRENCY must be a whole number of 1 or more (got "two")',
  "SALESFORCE_INSTANCE_URL must be the org's My Domain URL, such as https://example.my.salesforce.com",
  // Set (if wrongly) without the credentials its auth mode needs: set in part.
  'SALESFORCE_CLIENT_ID, SALESFORCE_CLIENT_SECRET must be set too: SALESFORCE_INSTANCE_URL is set, and salesforce (SALESFORCE_AUTH client_credentials) needs all of SALESFORCE_INSTANCE_URL, SALESFORCE_CLIENT_ID, SALESFORCE_CLIENT_SECRET (or none, to leave it unconfigured)',
  'STRIPE_API_KEY must be a secret key (sk_live_..., sk_test_...) or a restricted key (rk_...)',
  'STRIPE_REQUESTS_PER_SECOND must be a number of 0 or more (got "ten")',
  'STRIPE_API_BASE must be a full http(s) URL such as http://127.0.0.1:12111',
];

describe('connector settings at the command line', () => {
  it('stops `puddle start` with exit code 2 and a line per wrong setting, before it listens', async () => {
    // Without the check the hub would start and serve until stopped: the timeout ends it then.
    const start = await runPuddle(['start', '--no-schedule'], { PUDDLE_HOME: home, PORT: '0', ...WRONG }, { timeoutMs: 30_000 });
    expect(start.code, start.stdout + start.stderr).toBe(2);
    expect(start.stdout).not.toContain('listening');
    expect(start.stderr).toBe(LINES.map((l) => `puddle start: ${l}\n`).join(''));
    expect(start.stderr).not.toContain(PUBLISHABLE);
  }, 60_000);

  it('stops `puddle sync` on the wrong settings of the connector it syncs, named the same way', async () => {
    const sync = await runPuddle(['sync', 'freshdesk'], { PUDDLE_HOME: home, ...WRONG });
    expect(sync.code, sync.stdout).toBe(2);
    expect(sync.stderr).toBe(LINES.filter((l) => l.startsWith('FRESHDESK_')).map((l) => `puddle sync: ${l}\n`).join(''));
  }, 60_000);

  it('starts the hub when a connector is only not configured, its other settings right', async () => {
    // No Freshdesk key (not configured), a plan that is right, and Stripe's webhook secret without its key.
    const hub = await startHubProcess({ PUDDLE_HOME: home, FRESHDESK_PLAN: 'Pro', STRIPE_WEBHOOK_SECRET: 'whsec_0123456789abcdef' });
    try {
      expect(hub.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
    } finally {
      hub.child.kill('SIGTERM');
      await hub.exited;
    }
    expect(hub.output()).not.toContain('must be');
  }, 60_000);
});
