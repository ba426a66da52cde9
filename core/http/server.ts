import { randomUUID } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import Fastify, { type FastifyInstance, type FastifyPluginAsync } from 'fastify';
import { DEFAULT_MAX_CONNECTIONS } from '../config.js';
import { log } from '../log.js';
import type { Clock, Queue } from '../ports.js';
import { bearerKey, createKeyRing, producerSource, type KeyRing } from './auth.js';
import { AuthFailures, type AuthFailuresOptions } from './auth-failures.js';
import { proxyTrust } from './client-address.js';
import { DamagedLakeFiles } from './damaged-lake-files.js';
import { errorHandler, noRouteHandler, routeReader, unreadablePath } from './errors.js';
import { producerFastPath, type FastPath } from './producer-fast-path.js';
import { eventsAcceptor, producerKeyCheck, producerRoutes } from './producer-routes.js';
import { jsonBodyParser, registerJsonBody } from './raw-body.js';
import { Refusals } from './refusals.js';
import { setSecurityHeaders } from './security-headers.js';

export interface ServerOptions {
  queue: Queue;
  apiKeys: string[];
  /** Every scope's keys (producer, read, feed): a key outside its scope is 403, not 401. */
  keys?: KeyRing;
  /** Events per producer request (default 1000). */
  maxEvents?: number;
  /** What stamps the events' received_at (receivedAt in core/received-clock.ts); the system clock by default. */
  clock?: Clock;
  /** Largest request body in bytes (default 1 MiB). */
  maxBodyBytes?: number;
  /** How far after its arrival an event's occurred_at or updated_at may be (default a day: core/contracts/time-bounds.ts). */
  maxAheadMs?: number;
  /**
   * How long a client has to send its whole request, headers and body, in ms (default REQUEST_TIMEOUT_MS);
   * one still sending then gets 408 and its connection is closed.
   */
  requestTimeoutMs?: number;
  /** Fastify's request logger; off by default because it costs on the hot path. */
  logger?: boolean;
  /**
   * Webhook receivers and other routes, registered after the producer routes, each in its own scope so
   * the producer's API-key hook does not apply; `request.rawBody` is set for them as for every route.
   */
  plugins?: readonly FastifyPluginAsync[];
  /**
   * What GET /healthz says beside `ok: true` (the hub's queue, landing and connectors); it may set `ok`, and
   * `accepting: false` (events are refused: the queue cannot commit) makes the answer a 503.
   */
  health?: () => Promise<Record<string, unknown> & { ok?: boolean; accepting?: boolean }>;
  /** The limit on unknown keys per client address (auth-failures.ts); its defaults when unset. */
  authFailures?: AuthFailuresOptions;
  /** PUDDLE_TRUSTED_PROXIES: the proxies whose `X-Forwarded-For` names the client (client-address.ts). */
  trustedProxies?: readonly string[];
  /** Connections open at once (PUDDLE_MAX_CONNECTIONS; default DEFAULT_MAX_CONNECTIONS): one more is closed at once. */
  maxConnections?: number;
}

/**
 * 1 MiB (the body limit) in 120 s is 8.7 KB/s, which any producer's link sends. Without a bound, anyone could
 * hold a connection, and the up to 1 MiB of body buffered for it, for ever: the webhook routes read a body
 * before they can check its signature, so a few thousand connections each trickling a byte took the hub's
 * memory and descriptors with no key at all (seen: 200 such connections held 180 MB until they chose to stop).
 */
export const REQUEST_TIMEOUT_MS = 120_000;

/**
 * The HTTP front door: GET /healthz, POST /v1/events, and the webhook receivers passed as
 * `plugins`; every body parser keeps the raw bytes in `request.rawBody`
 * for signature checks, and a webhook plugin calls `keepBodiesUnparsed` (raw-body.ts) to verify before any parsing.
 */
export function buildServer(opts: ServerOptions): FastifyInstance {
  const keys = opts.keys ?? createKeyRing({ producer: opts.apiKeys });
  const accept = eventsAcceptor(opts.queue, opts.maxEvents ?? 1000, opts.clock, opts.maxAheadMs);
  const bodyLimit = opts.maxBodyBytes ?? 1024 * 1024;
  const logger = opts.logger ?? false;
  const requestTimeout = opts.requestTimeoutMs ?? REQUEST_TIMEOUT_MS;
  let fast: FastPath | null = null;
  const awaitingContinue = new WeakSet<IncomingMessage>();
  const app = Fastify({
    logger,
    bodyLimit,
    // Request ids become envelope delivery ids, so they must be unique across restarts.
    genReqId: () => randomUUID(),
    frameworkErrors: unreadablePath,
    // The server Fastify would make, with the producer's fast path in front (producer-fast-path.ts). With
    // Fastify's request logger on, every request goes through Fastify so that each one is logged.
    // Node looks for requests past their time every connectionsCheckingInterval (30 s by default): a quarter
    // of the timeout here, at most that.
    serverFactory: (handler, options) => {
      // Fastify's option object, with its defaults filled in (keep-alive 72 s).
      const o = options as unknown as { keepAliveTimeout: number; connectionTimeout: number };
      const checkEvery = Math.min(30_000, Math.max(10, Math.floor(requestTimeout / 4)));
      // `Expect: 100-continue`: the client sends its body only after `100 Continue`. Node would send that at
      // once, before any check; here it goes out only once the request may send its body: the fast path has
      // taken it (a producer key), or Fastify is about to read it (the preParsing hook below), after the route
      // passed its onRequest checks (the producer's key, Freshdesk's credentials, a read key). A request
      // answered before then (401) is answered without its body, and node closes its connection; so is a path
      // or method no route serves (404, 405: the preParsing hook).
      const serve = (req: IncomingMessage, res: ServerResponse, expectsContinue: boolean) => {
        // Here, so that every answer has them: the fast path's, Fastify's, a stream's, and the router's own errors.
        setSecurityHeaders(res);
        if (fast !== null && fast(req, res)) {
          if (expectsContinue) res.writeContinue();
          return;
        }
        if (expectsContinue) awaitingContinue.add(req);
        handler(req, res);
      };
      const server = createServer({ requestTimeout, headersTimeout: Math.min(60_000, requestTimeout), connectionsCheckingInterval: checkEvery }, (req, res) => serve(req, res, false));
      server.on('checkContinue', (req, res) => serve(req, res, true));
      server.maxConnections = opts.maxConnections ?? DEFAULT_MAX_CONNECTIONS;
      let droppedSaidAt = 0;
      server.on('drop', () => {
        const now = Date.now();
        if (now - droppedSaidAt < 60_000) return;
        droppedSaidAt = now;
        log.warn('connections refused: the hub holds as many as it takes (PUDDLE_MAX_CONNECTIONS); new ones are closed until some end', { max: server.maxConnections });
      });
      server.keepAliveTimeout = o.keepAliveTimeout;
      server.setTimeout(o.connectionTimeout);
      return server;
    },
  });
  fastPaths.set(app, () => fast?.taken ?? 0);

  // Only JSON by default: anything else is a 415 unless a plugin registers its own parser.
  app.removeAllContentTypeParsers();
  // The same headers for requests that never pass the socket's handler above: inject() (the tests, and AWS's
  // HTTP function, which turns each event into one).
  app.addHook('onRequest', (_req, reply, done) => {
    setSecurityHeaders(reply.raw);
    done();
  });
  const failures = new AuthFailures(opts.authFailures);
  app.decorate('authFailures', failures);
  const trust = proxyTrust(opts.trustedProxies ?? []);
  app.decorate('proxyTrust', trust);
  // A route that failed on a damaged lake file (errorHandler) and answers again has read it: said once, as the
  // failure was. While no file is damaged that is one field read (the producer's fast path never gets here).
  const damaged = new DamagedLakeFiles();
  app.decorate('damagedLakeFiles', damaged);
  app.addHook('onResponse', (req, reply, done) => {
    if (damaged.any && reply.statusCode < 400) damaged.read(routeReader(req));
    done();
  });
  const noRoute = noRouteHandler(app);
  app.addHook('preParsing', (req, reply, payload, done) => {
    // A path or method no route serves is answered (404, 405) before its body is read, with the connection closed
    // when one comes. Until 2026-12-06 its body was gunzipped and parsed first, with no key asked: 1 KB of gzipped
    // `[[[[...]]]]` held the event loop, and every producer on it, for up to 0.9 s (a security review).
    if (req.is404) {
      awaitingContinue.delete(req.raw);
      if (req.headers['content-length'] !== undefined || req.headers['transfer-encoding'] !== undefined) reply.header('connection', 'close');
      noRoute(req, reply);
      return;
    }
    // A body over the limit is refused (413) before it is read: the client need not send it.
    if (awaitingContinue.delete(req.raw) && !(Number(req.headers['content-length']) > (req.routeOptions.bodyLimit ?? bodyLimit))) reply.raw.writeContinue();
    done(null, payload);
  });
  registerJsonBody(app);
  let closing = false;
  app.addHook('preClose', (done) => {
    closing = true;
    done();
  });
  const check = producerKeyCheck(keys, failures);
  const refusals = new Refusals();
  app.addHook('onClose', (_app, done) => {
    refusals.flush();
    done();
  });
  if (!logger) {
    fast = producerFastPath({
      accept,
      // An unknown key is left to Fastify's check, which counts it once; a producer key is refused here only while
      // its address is refused and had not used it (auth-failures.ts).
      producerSource: (authorization, address) => {
        const who = keys.identify(bearerKey(authorization));
        return who?.scope === 'producer' && failures.refusal(address, who, true) === 0 ? (who.source ?? producerSource(undefined)) : null;
      },
      maxBodyBytes: bodyLimit,
      proxyTrust: trust,
      parseJson: jsonBodyParser(app),
      closing: () => closing,
      refusals,
    });
  }
  app.setErrorHandler(errorHandler);
  app.setNotFoundHandler(noRoute);

  // 200 while the process accepts events: a backlog or failing landing is reported, not failed, because the
  // producer still accepts (the queue is durable) and a balancer that dropped it would turn lag into lost
  // requests. 503 only while it accepts none (the queue cannot commit): a balancer should send them elsewhere.
  const health = opts.health;
  app.get('/healthz', async (_req, reply) => {
    const said = (await health?.()) ?? {};
    return reply.code(said.accepting === false ? 503 : 200).send({ ok: true, ...said });
  });
  void app.register(producerRoutes, { check, accept, refusals });
  for (const plugin of opts.plugins ?? []) void app.register(plugin);
  return app;
}

/**
 * Stops the server: requests that come meanwhile get 503 (Fastify, while it closes), requests under way get
 * `graceMs` to finish, and each connection closes as soon as nothing is under way on it; after the grace,
 * every connection still open is cut. Resolves with how many had to be cut.
 *
 * Why: Node closes the idle keep-alive connections when close() is called, but not those busy at that
 * moment once they fall idle; each then stayed open until its keep-alive timeout (72 s), and so did the
 * hub's stop: Ctrl-C with a producer's or a webhook's request in flight waited over a minute (seen as a
 * test's hub.stop() waiting on its HTTP server for more than 60 s). A client that stopped halfway through
 * a body held it for up to REQUEST_TIMEOUT_MS (without that bound, for ever).
 */
export function closeServer(app: FastifyInstance, graceMs = 5_000): Promise<number> {
  return closeGracefully(app.server, () => app.close(), graceMs);
}

/** closeServer for any node:http server, `close` being what stops it (server.close, Fastify's close). */
export async function closeGracefully(server: Server, close: () => Promise<unknown>, graceMs = 5_000): Promise<number> {
  const cutAt = Date.now() + graceMs;
  let cut = 0;
  const sweep = setInterval(() => {
    if (Date.now() < cutAt) return server.closeIdleConnections();
    clearInterval(sweep);
    server.getConnections((err, open) => {
      cut = err ? 0 : open;
      server.closeAllConnections();
    });
  }, 50);
  try {
    await close();
  } finally {
    clearInterval(sweep);
  }
  return cut;
}

const fastPaths = new WeakMap<FastifyInstance, () => number>();

/** How many requests the server's producer fast path has answered (for the tests that check it did). */
export function fastPathRequests(app: FastifyInstance): number {
  return fastPaths.get(app)?.() ?? 0;
}
