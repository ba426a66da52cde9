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

  it('stops the start with a ConfigError saying what is wrong, before anything opens', async () => {
    const config = { ...loadConfig({ PUDDLE_SANDBOX_FAULTS: 'salesforce:latencyMs=500', PUDDLE_API_KEYS: 'k' }), home: join(home, 'bad'), port: 0 };
    const start = startHub({ config, schedule: true });
    await expect(start).rejects.toThrow(ConfigError);
    await expect(start).rejects.toThrow('PUDDLE_SANDBOX_FAULTS: salesforce\'s sandbox takes status5xx, not "latencyMs"');
  });
});
