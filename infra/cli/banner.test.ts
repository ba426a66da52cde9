import { describe, expect, it } from 'vitest';
import { WEBHOOK_PATHS, webhookPlugins } from '../../connectors/webhooks.js';
import { buildServer } from '../../core/http/server.js';
import type { Queue, SecretStore } from '../../core/ports.js';
import { routesLine, sandboxLine } from './banner.js';

describe('the routes line under "listening on"', () => {
  it('names every webhook route the server mounts, Freshdesk included', async () => {
    const secrets: SecretStore = { get: () => undefined } as unknown as SecretStore;
    const app = buildServer({ queue: {} as Queue, apiKeys: [], plugins: webhookPlugins({} as Queue, secrets) });
    await app.ready();
    try {
      const mounted = [...app.printRoutes({ commonPrefix: false }).matchAll(/(\/webhooks\/[a-z]+) \(POST\)/g)].map((m) => m[1]);
      expect(mounted.sort()).toEqual([...WEBHOOK_PATHS].sort());
    } finally {
      await app.close();
    }
    const line = routesLine('http://127.0.0.1:8787');
    for (const path of ['/webhooks/stripe', '/webhooks/braintree', '/webhooks/freshdesk']) expect(line).toContain(`POST http://127.0.0.1:8787${path}`);
    expect(line).toBe(
      '  POST http://127.0.0.1:8787/v1/events   POST http://127.0.0.1:8787/webhooks/stripe   POST http://127.0.0.1:8787/webhooks/braintree   POST http://127.0.0.1:8787/webhooks/freshdesk   GET http://127.0.0.1:8787/healthz\n',
    );
  });
});

describe('the line for each sandbox puddle start runs', () => {
  it('says "its webhooks" only for a sandbox that sends webhooks to a route the hub mounts', () => {
    expect(sandboxLine({ connector: 'salesforce', url: 'http://127.0.0.1:5', })).toBe(
      '  salesforce sandbox at http://127.0.0.1:5 (no credentials set: syncing from it on schedule)\n',
    );
    expect(sandboxLine({ connector: 'stripe', url: 'http://127.0.0.1:6', webhookPath: '/webhooks/stripe' })).toBe(
      "  stripe sandbox at http://127.0.0.1:6 (no credentials set: syncing from it on schedule, its webhooks to this hub's /webhooks/stripe)\n",
    );
  });
});
