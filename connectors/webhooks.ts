import type { FastifyPluginAsync } from 'fastify';
import type { Queue, SecretStore } from '../core/ports.js';
import { stripeWebhookRoutes } from './stripe/webhook.js';

/** The webhook routes the hub mounts, each with its provider's secret (routes answer 503 without one). */
export function webhookPlugins(queue: Queue, secrets: SecretStore): FastifyPluginAsync[] {
  return [
    stripeWebhookRoutes({
      queue,
      secret: secrets.get('STRIPE_WEBHOOK_SECRET') ?? '',
      map: { donationIdKey: secrets.get('STRIPE_DONATION_ID_KEY') || 'donation_id' },
    }),
  ];
}
