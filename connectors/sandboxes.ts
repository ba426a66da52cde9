import { randomBytes } from 'node:crypto';
import type { SecretStore } from '../core/ports.js';
import { startStripeSandbox } from './stripe/sandbox/index.js';

/**
 * When a provider has no credentials, `npm start` runs its sandbox instead, live, with its webhooks
 * pointed at the hub: a newcomer sees payments, refunds and payouts land with no account.
 */
export interface RunningSandbox {
  connector: string;
  url: string;
  /** Settings that point the connector and the webhook route at the sandbox. */
  secrets: Record<string, string>;
  close(): Promise<void>;
}

export interface SandboxEntry {
  /** True when the real provider is configured, so no sandbox is needed. */
  configured(secrets: SecretStore): boolean;
  /** The webhook secret must be known before the hub mounts its routes, so it is chosen first. */
  webhookSecretName: string;
  start(opts: { hubUrl: string; webhookSecret: string }): Promise<RunningSandbox>;
}

export const SANDBOXES: Record<string, SandboxEntry> = {
  stripe: {
    configured: (s) => Boolean(s.get('STRIPE_API_KEY')),
    webhookSecretName: 'STRIPE_WEBHOOK_SECRET',
    async start({ hubUrl, webhookSecret }) {
      const now = Date.now();
      const sandbox = await startStripeSandbox({
        // Three days of an appeal that started five days ago, so there are balances available and paid out.
        scenario: { seed: 2026, donations: 600, start: new Date(now - 5 * 86_400_000), durationMinutes: 3 * 24 * 60 },
        webhook: { url: `${hubUrl}/webhooks/stripe`, secret: webhookSecret },
      });
      sandbox.startLive({ chargesPerSecond: 1 });
      // Stripe pays out daily; the sandbox only when asked, so ask it every minute.
      const payouts = setInterval(() => sandbox.runPayouts(new Date()), 60_000);
      payouts.unref();
      return {
        connector: 'stripe',
        url: sandbox.url,
        secrets: {
          STRIPE_API_KEY: sandbox.apiKey,
          STRIPE_API_BASE: sandbox.url,
          STRIPE_START_DATE: new Date(now - 6 * 86_400_000).toISOString(),
        },
        async close() {
          clearInterval(payouts);
          sandbox.stopLive();
          await sandbox.close();
        },
      };
    },
  },
};

export function newWebhookSecret(): string {
  return `whsec_${randomBytes(24).toString('hex')}`;
}
