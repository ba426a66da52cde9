import type { FastifyPluginAsync } from 'fastify';
import type { Prompter } from '../core/engine/refetch.js';
import type { Clock, Queue, SecretStore } from '../core/ports.js';
import { createBraintreeGateway } from './braintree/client.js';
import { braintreeConfig } from './braintree/config.js';
import { BRAINTREE_WEBHOOK_PATH, braintreeWebhookRoutes } from './braintree/webhook.js';
import { FRESHDESK_WEBHOOK_PATH, freshdeskWebhookAuth, freshdeskWebhookRoutes } from './freshdesk/webhook.js';
import { STRIPE_WEBHOOK_PATH, stripeWebhookRoutes } from './stripe/webhook.js';

/** The paths webhookPlugins mounts (POST), for what the hub says it listens on. */
export const WEBHOOK_PATHS: readonly string[] = [STRIPE_WEBHOOK_PATH, BRAINTREE_WEBHOOK_PATH, FRESHDESK_WEBHOOK_PATH];

/**
 * The webhook routes the hub mounts, each with its provider's secret (routes answer 503 without one),
 * the refetcher that re-reads what each webhook names (none: the webhook alone lands), and the clock that
 * stamps what they receive (the system clock when none is given).
 */
export function webhookPlugins(queue: Queue, secrets: SecretStore, refetch?: Prompter, clock?: Clock): FastifyPluginAsync[] {
  let braintreeGateway = null;
  try {
    braintreeGateway = createBraintreeGateway(braintreeConfig(secrets));
  } catch {
    // not configured: the route answers 503
  }
  return [
    braintreeWebhookRoutes({ queue, gateway: braintreeGateway, map: { donationIdField: secrets.get('BRAINTREE_DONATION_ID_FIELD') || undefined }, refetch, clock }),
    freshdeskWebhookRoutes({ queue, auth: freshdeskWebhookAuth(secrets), refetch, clock }),
    stripeWebhookRoutes({
      queue,
      clock,
      secret: secrets.get('STRIPE_WEBHOOK_SECRET') ?? '',
      map: { donationIdKey: secrets.get('STRIPE_DONATION_ID_KEY') || 'donation_id' },
      refetch,
    }),
  ];
}
