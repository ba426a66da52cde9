import { describe, expect, it } from 'vitest';
import type { WebhookDef } from '../core/http/webhook-def.js';
import { buildServer } from '../core/http/server.js';
import type { Queue, SecretStore } from '../core/ports.js';
import { WEBHOOK_PATHS, WEBHOOKS, webhookPlugins } from './webhooks.js';

const SECRETS: Record<string, string> = { TINY_WEBHOOK_SECRET: 'whsec_tiny', TINY_API_KEY: 'tok_tiny', STRIPE_WEBHOOK_SECRET: 'whsec_s' };
const secrets: SecretStore = { get: (name) => SECRETS[name] };

/** A receiver as a new connector would define it: it answers with what it was given. */
const tiny: WebhookDef = {
  connector: 'tiny',
  path: '/webhooks/tiny',
  secrets: ['TINY_WEBHOOK_SECRET'],
  routes: ({ secrets: given }) => async (app) => {
    app.post('/webhooks/tiny', async () => ({ secret: given.get('TINY_WEBHOOK_SECRET') ?? null, apiKey: given.get('TINY_API_KEY') ?? null }));
  },
};

describe('webhook receivers, one definition each', () => {
  it('names each route once, from its definition', () => {
    expect(WEBHOOK_PATHS).toEqual(WEBHOOKS.map((w) => w.path));
    expect(new Set(WEBHOOK_PATHS).size).toBe(WEBHOOK_PATHS.length);
    expect(new Set(WEBHOOKS.map((w) => w.connector)).size).toBe(WEBHOOKS.length);
  });

  it('mounts a new definition, giving its routes the settings it declares and no others (as the AWS webhooks function has them)', async () => {
    const app = buildServer({ queue: {} as Queue, apiKeys: [], plugins: webhookPlugins({} as Queue, secrets, undefined, undefined, [...WEBHOOKS, tiny]) });
    try {
      const res = await app.inject({ method: 'POST', url: '/webhooks/tiny', payload: {} });
      expect(res.statusCode).toBe(200);
      expect(res.json()).toEqual({ secret: 'whsec_tiny', apiKey: null });
      const mounted = [...app.printRoutes({ commonPrefix: false }).matchAll(/(\/webhooks\/[a-z]+) \(POST\)/g)].map((m) => m[1]);
      expect(mounted.sort()).toEqual([...WEBHOOK_PATHS, '/webhooks/tiny'].sort());
    } finally {
      await app.close();
    }
  });
});
