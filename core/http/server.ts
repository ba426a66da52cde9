import { randomUUID } from 'node:crypto';
import Fastify, { type FastifyInstance, type FastifyPluginAsync } from 'fastify';
import type { Queue } from '../ports.js';
import type { KeyRing } from './auth.js';
import { errorHandler, notFoundHandler } from './errors.js';
import { producerRoutes } from './producer-routes.js';
import { registerJsonBody } from './raw-body.js';

export interface ServerOptions {
  queue: Queue;
  apiKeys: string[];
  /** Every scope's keys (producer, read, feed): a key outside its scope is 403, not 401. */
  keys?: KeyRing;
  /** Events per producer request (default 1000). */
  maxEvents?: number;
  /** Largest request body in bytes (default 1 MiB). */
  maxBodyBytes?: number;
  /** Fastify's request logger; off by default because it costs on the hot path. */
  logger?: boolean;
  /**
   * Webhook receivers and other routes, registered after the producer routes, each in its own scope so
   * the producer's API-key hook does not apply; `request.rawBody` is set for them as for every route.
   */
  plugins?: readonly FastifyPluginAsync[];
  /** More for GET /healthz to say (the hub's landing backlog), beside `ok: true`. */
  health?: () => Record<string, unknown>;
}

/**
 * The HTTP front door: GET /healthz, POST /v1/events, and the webhook receivers passed as
 * `plugins`; every body parser keeps the raw bytes in `request.rawBody`
 * for signature checks, and `registerRawBody` (raw-body.ts) adds non-JSON types inside a plugin.
 */
export function buildServer(opts: ServerOptions): FastifyInstance {
  const app = Fastify({
    logger: opts.logger ?? false,
    bodyLimit: opts.maxBodyBytes ?? 1024 * 1024,
    // Request ids become envelope delivery ids, so they must be unique across restarts.
    genReqId: () => randomUUID(),
  });

  // Only JSON by default: anything else is a 415 unless a plugin registers its own parser.
  app.removeAllContentTypeParsers();
  registerJsonBody(app);
  app.setErrorHandler(errorHandler);
  app.setNotFoundHandler(notFoundHandler);

  // Always 200 while the process serves: a backlog is reported, not failed, because the producer still
  // accepts (the queue is durable) and a balancer that dropped it would turn lag into lost requests.
  const health = opts.health;
  app.get('/healthz', async () => (health ? { ok: true, ...health() } : { ok: true }));
  void app.register(producerRoutes, { queue: opts.queue, apiKeys: opts.apiKeys, ...(opts.keys ? { keys: opts.keys } : {}), maxEvents: opts.maxEvents ?? 1000 });
  for (const plugin of opts.plugins ?? []) void app.register(plugin);
  return app;
}
