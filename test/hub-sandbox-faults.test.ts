// PUDDLE_SANDBOX_FAULTS: the faults of the sandboxes `npm start` runs, switched on without a driver script (a
// tester wrote one to see 429s and 500s). A real hub with its sandboxes, and the environment read as `puddle start`
// reads it.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../core/config.js';
import { ConfigError } from '../core/errors.js';
import { startHub, type Hub } from '../infra/local/hub.js';
import { FAULT_ROUTE } from '../connectors/sandbox-kit/fault-route.js';
import { startStripeSandbox } from '../connectors/stripe/sandbox/index.js';

describe('PUDDLE_SANDBOX_FAULTS', () => {
  const home = mkdtempSync(join(tmpdir(), 'puddle-sandbox-faults-'));
  let hub: Hub | undefined;
  afterAll(async () => {
    await hub?.stop();
    rmSync(home, { recursive: true, force: true });
  });

  it('switches the named sandbox\'s faults on at start, and only its', async () => {
    const config = { ...loadConfig({ PUDDLE_SANDBOX_FAULTS: 'freshdesk:status401', PUDDLE_API_KEYS: 'k' }), home, port: 0 };
    hub = await startHub({ config, schedule: true });
    const tickets = (connector: string, path: string) => {
      const s = hub!.sandboxes.find((x) => x.connector === connector)!;
      const key = s.secrets.FRESHDESK_API_KEY ?? s.secrets.STRIPE_API_KEY;
      const auth = connector === 'freshdesk' ? `Basic ${Buffer.from(`${key}:X`).toString('base64')}` : `Bearer ${key}`;
      return fetch(`${s.url}${path}`, { headers: { authorization: auth } });
    };
    // The right key, refused as if it had been rolled; Stripe's sandbox, not named, answers.
    expect((await tickets('freshdesk', '/api/v2/tickets')).status).toBe(401);
    expect((await tickets('stripe', '/v1/charges?limit=1')).status).toBe(200);
  });

  it('arms faults on a running sandbox at POST /_sandbox/faults, from that moment, and only on the sandboxes the hub runs', async () => {
    const stripe = hub!.sandboxes.find((x) => x.connector === 'stripe')!;
    const charges = () => fetch(`${stripe.url}/v1/charges?limit=1`, { headers: { authorization: `Bearer ${stripe.secrets.STRIPE_API_KEY}` } });
    const arm = (url: string, body: string, method = 'POST') => fetch(`${url}${FAULT_ROUTE}`, { method, body: method === 'POST' ? body : undefined });
    expect((await charges()).status).toBe(200);

    // A count armed now is spent by the requests from now on (a scheduled sync may take some of so many: not all).
    const armed = await arm(stripe.url, 'status429=1000,retryAfterSeconds=1');
    expect(armed.status).toBe(200);
    expect(await armed.json()).toEqual({ connector: 'stripe', armed: { status429: 1000, retryAfterSeconds: 1 } });
    expect((await charges()).status).toBe(429);
    expect((await arm(stripe.url, 'status429=0')).status).toBe(200);
    expect((await charges()).status).toBe(200);
    expect((await arm(stripe.url, 'status401')).status).toBe(200);
    expect((await charges()).status).toBe(401);
    expect((await arm(stripe.url, 'status401=false')).status).toBe(200);
    expect((await charges()).status).toBe(200);

    // What is wrong, as PUDDLE_SANDBOX_FAULTS says it; nothing armed.
    const salesforce = hub!.sandboxes.find((x) => x.connector === 'salesforce')!;
    const wrong = await arm(salesforce.url, 'latencyMs=500');
    expect(wrong.status).toBe(400);
    expect(await wrong.json()).toEqual({ error: 'salesforce\'s sandbox takes status5xx, not "latencyMs"' });
    expect((await arm(stripe.url, 'stripe:status5xx=1')).status).toBe(400);
    expect((await arm(stripe.url, '')).status).toBe(400);
    expect((await arm(stripe.url, '', 'GET')).status).toBe(405);
    expect((await charges()).status).toBe(200);

    // Not the hub's: its own address has no such route.
    expect((await arm(hub!.url, 'status5xx=1')).status).toBe(404);
    // Not a sandbox's by itself: one the hub does not run takes nothing there.
    const alone = await startStripeSandbox({ rateLimit: 0, scenario: { seed: 1, donations: 5 } });
    try {
      await arm(alone.url, 'status401');
      const r = await fetch(`${alone.url}/v1/charges?limit=1`, { headers: { authorization: `Bearer ${alone.apiKey}` } });
      expect(r.status).toBe(200);
    } finally {
      await alone.close();
    }
  });

  it('stops the start with a ConfigError saying what is wrong, before anything opens', async () => {
    const config = { ...loadConfig({ PUDDLE_SANDBOX_FAULTS: 'salesforce:latencyMs=500', PUDDLE_API_KEYS: 'k' }), home: join(home, 'bad'), port: 0 };
    const start = startHub({ config, schedule: true });
    await expect(start).rejects.toThrow(ConfigError);
    await expect(start).rejects.toThrow('PUDDLE_SANDBOX_FAULTS: salesforce\'s sandbox takes status5xx, not "latencyMs"');
  });
});
