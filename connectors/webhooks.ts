import type { FastifyPluginAsync } from 'fastify';
import type { Prompter } from '../core/engine/refetch.js';
import type { WebhookDef } from '../core/http/webhook-def.js';
import type { Clock, Queue, SecretStore } from '../core/ports.js';
import { braintreeWebhook } from './braintree/webhook.js';
import { freshdeskWebhook } from './freshdesk/webhook.js';
import { stripeWebhook } from './stripe/webhook.js';

/** Every webhook receiver, in the order the hub names their routes; each file defines its own (WebhookDef). */
export const WEBHOOKS: readonly WebhookDef[] = [stripeWebhook, braintreeWebhook, freshdeskWebhook];

/** The paths webhookPlugins mounts (POST), for what the hub says it listens on. */
export const WEBHOOK_PATHS: readonly string[] = WEBHOOKS.map((w) => w.path);

/** The settings a receiver declares and no others, as the AWS webhooks function would have them. */
function declaredOnly(secrets: SecretStore, names: readonly string[]): SecretStore {
  return { get: (name) => (names.includes(name) ? secrets.get(name) : undefined) };
}

/**
 * The webhook routes the hub mounts, each with its provider's secret (routes answer 503 without one),
 * the refetcher that re-reads what each webhook names (none: the webhook alone lands), and the clock that
 * stamps what they receive (the system clock when none is given).
 */
export function webhookPlugins(queue: Queue, secrets: SecretStore, refetch?: Prompter, clock?: Clock, webhooks: readonly WebhookDef[] = WEBHOOKS): FastifyPluginAsync[] {
  return webhooks.map((w) => w.routes({ queue, secrets: declaredOnly(secrets, w.secrets), refetch, clock }));
}
