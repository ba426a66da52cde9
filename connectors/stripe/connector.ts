import type Stripe from 'stripe';
import { loadBookmark, saveBookmark } from '../../core/engine/bookmark.js';
import { defineConnector, type EngineRuntime } from '../../core/engine/define.js';
import type { ConnectorInstance } from '../../core/engine/sync.js';
import { log } from '../../core/log.js';
import type { SecretStore } from '../../core/ports.js';
import { classifyStripeError, createStripeClient } from './client.js';
import { stripeConfig, type StripeConfig } from './config.js';
import { stripeStreams } from './streams.js';

/** Stripe keeps events for 30 days; a first read starts a day inside that, for margin. */
const EVENTS_KEPT_MS = 30 * 86_400_000;
const EVENTS_FIRST_READ_MS = 29 * 86_400_000;
const OBJECT_STREAMS = ['customers', 'checkout_sessions', 'payment_intents', 'charges', 'refunds', 'disputes', 'payouts'];

export function stripeConnector(config: StripeConfig): ConnectorInstance<Stripe> {
  return {
    connector: defineConnector<Stripe>({
      name: 'stripe',
      streams: stripeStreams({ donationIdKey: config.donationIdKey }),
      classifyError: classifyStripeError,
    }),
    client: createStripeClient(config),
    startDate: config.startDate,
    requestsPerSecond: config.requestsPerSecond,
    concurrency: config.concurrency,
    beforeSync: async (runtime, streams) => {
      if (streams.includes('events')) await guardEventsHorizon(runtime, config.startDate);
    },
  };
}

export function stripeFromSecrets(secrets: SecretStore): ConnectorInstance<Stripe> {
  return stripeConnector(stripeConfig(secrets));
}

/**
 * The events stream can only read back 30 days. A first sync starts it at the edge of that horizon
 * (the object streams backfill everything older); a bookmark older than the horizon means changes
 * were missed, so the object streams re-read every window since then, and events restart at the edge.
 */
export async function guardEventsHorizon(runtime: EngineRuntime, startDate: Date): Promise<void> {
  const now = runtime.clock.now().getTime();
  const edge = new Date(Math.max(startDate.getTime(), now - EVENTS_FIRST_READ_MS));
  const events = await loadBookmark(runtime.state, 'stripe', 'events');
  if (events.cursor === null) {
    await saveBookmark(runtime.state, 'stripe', 'events', { ...events, cursor: edge.toISOString(), window: null });
    return;
  }
  if (new Date(events.cursor).getTime() >= now - EVENTS_KEPT_MS) return;
  log.warn('stripe events bookmark is older than the 30 days Stripe keeps events: re-reading objects by window instead', {
    bookmark: events.cursor,
  });
  for (const name of OBJECT_STREAMS) {
    const b = await loadBookmark(runtime.state, 'stripe', name);
    if (b.cursor && b.cursor > events.cursor) await saveBookmark(runtime.state, 'stripe', name, { ...b, cursor: events.cursor, window: null });
  }
  await saveBookmark(runtime.state, 'stripe', 'events', { ...events, cursor: edge.toISOString(), window: null });
}
