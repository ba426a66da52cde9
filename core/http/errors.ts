import { METHODS } from 'node:http';
import type { FastifyError, FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { ClosedError, LakeFileError, RetriableError } from '../errors.js';
import { log } from '../log.js';
import { DamagedLakeFiles } from './damaged-lake-files.js';

/** Every error answer has this shape; validation answers add `rejected`. */
export interface ErrorBody {
  error: { code: string; message: string };
}

export function errorBody(code: string, message: string): ErrorBody {
  return { error: { code, message } };
}

export function sendError(reply: FastifyReply, status: number, code: string, message: string): FastifyReply {
  return reply.code(status).send(errorBody(code, message));
}

/** When each provider's unconfigured webhook was last said in the log. */
const notConfiguredSaidAt = new Map<string, number>();

/**
 * A webhook the hub has no credentials for: 503 naming the settings it needs (the provider retries, so nothing is lost
 * once they are set), and a warn line at most once a minute per provider. Until 2026-12-06 Stripe's answer did not
 * name STRIPE_WEBHOOK_SECRET and none of them reached the log: a secret forgotten on the night showed only in the
 * provider's dashboard (a user test).
 */
export function webhookNotConfigured(reply: FastifyReply, provider: string, settings: string, now = Date.now()): FastifyReply {
  if (now - (notConfiguredSaidAt.get(provider) ?? -Infinity) >= 60_000) {
    notConfiguredSaidAt.set(provider, now);
    log.warn(`${provider} webhook refused with 503: set ${settings} (the provider retries its deliveries, so they arrive once set)`, { provider });
  }
  return sendError(reply, 503, 'not_configured', `${provider} webhook credentials are not configured: set ${settings}`);
}

/**
 * The queue refused a publish: 503 with Retry-After (the queue's own hint, else 1 s), so the sender —
 * a producer, Stripe, Braintree — retries; nothing of the request was accepted.
 */
export function queueUnavailable(reply: FastifyReply, err: unknown, message: string): FastifyReply {
  return sendError(reply.header('retry-after', retryAfterSeconds(err)), 503, 'queue_unavailable', message);
}

/** Retry-After for a refused publish: the queue's own hint in whole seconds, else 1. */
export function retryAfterSeconds(err: unknown): string {
  const ms = err instanceof RetriableError ? err.retryAfterMs : undefined;
  return String(ms ? Math.max(1, Math.ceil(ms / 1000)) : 1);
}

const JSON_ONLY = 'content type must be application/json, optionally with ; charset=utf-8 (no other charset is read)';
const GZIP_ONLY = 'content encoding must be gzip, or none at all (identity)';

// Body-parsing errors, by code: Fastify's, and ours (PUDDLE_*, raised by the JSON parser in raw-body.ts). Messages
// are ours, so nothing from the request body is echoed.
export const BODY_ERRORS: Record<string, { status: number; code: string; message: string; headers?: Record<string, string> }> = {
  FST_ERR_CTP_BODY_TOO_LARGE: { status: 413, code: 'body_too_large', message: 'request body is too large' },
  PUDDLE_GZIP_TOO_LARGE: { status: 413, code: 'body_too_large', message: 'request body is too large once gunzipped: the body limit holds for the JSON, compressed or not' },
  // RFC 9110 15.5.16: a 415 for a content coding says in Accept-Encoding which codings are taken.
  PUDDLE_UNSUPPORTED_ENCODING: { status: 415, code: 'unsupported_content_encoding', message: GZIP_ONLY, headers: { 'accept-encoding': 'gzip' } },
  // A signed webhook's signature is over the bytes the provider sent, which no provider here encodes: a coding said
  // is a proxy's doing, and the answer names it rather than `bad_signature` (until 2026-12-03).
  PUDDLE_WEBHOOK_ENCODING: { status: 415, code: 'unsupported_content_encoding', message: 'a webhook body is read as sent, without a content encoding: its signature is over those bytes', headers: { 'accept-encoding': 'identity' } },
  PUDDLE_INVALID_GZIP: { status: 400, code: 'malformed_gzip', message: 'body is not valid gzip (Content-Encoding: gzip says it is)' },
  FST_ERR_CTP_INVALID_MEDIA_TYPE: { status: 415, code: 'unsupported_media_type', message: JSON_ONLY },
  PUDDLE_UNSUPPORTED_CHARSET: { status: 415, code: 'unsupported_media_type', message: JSON_ONLY },
  PUDDLE_INVALID_UTF8: { status: 400, code: 'invalid_utf8', message: 'body is not valid UTF-8' },
  FST_ERR_CTP_INVALID_JSON_BODY: { status: 400, code: 'malformed_json', message: 'body is not valid JSON' },
  PUDDLE_FORBIDDEN_KEY: { status: 400, code: 'forbidden_key', message: 'body holds a key named __proto__, or constructor with prototype in it, which is refused (it can change how the server reads objects); no contract has such a field' },
  FST_ERR_CTP_EMPTY_JSON_BODY: { status: 400, code: 'malformed_json', message: 'body is empty' },
  FST_ERR_CTP_INVALID_CONTENT_LENGTH: { status: 400, code: 'bad_request', message: 'body size does not match Content-Length' },
};

/**
 * What a route declares in its Fastify config (`config: { ... }`) for the body errors Fastify answers before the route
 * runs (errorHandler):
 * - `contentType`: the type a route that reads another than JSON takes, so a Content-Type Fastify cannot read at all
 *   (`text`) is told that type, as the route's own 415 says, not JSON's;
 * - `tooLargeAdvice`: what a sender does about a 413 on this route. The producer's says to send smaller batches; a
 *   webhook is told its limit only, as a provider has no batch to cut (until 2026-12-05 every route's 413 said it).
 */
export interface RouteErrorConfig {
  contentType?: string;
  tooLargeAdvice?: string;
}

const routeConfig = (req: FastifyRequest) => (req.routeOptions.config ?? {}) as RouteErrorConfig;

/**
 * A 413's message with the limit it passed and the route's advice: "request body is too large" alone left a producer
 * guessing how much smaller its batch had to be.
 */
function tooLarge(req: FastifyRequest, message: string): string {
  const limit = req.routeOptions.bodyLimit;
  if (!limit) return message;
  const mib = limit % (1024 * 1024) === 0 ? ` (${limit / (1024 * 1024)} MiB)` : '';
  const advice = routeConfig(req).tooLargeAdvice;
  return `${message}: this route reads at most ${limit} bytes${mib} a request${advice ? `; ${advice}` : ''}`;
}

/** An error for one of BODY_ERRORS' codes, for a body parser to hand to Fastify (errorHandler answers it). */
export function bodyFault(code: keyof typeof BODY_ERRORS): Error {
  const known = BODY_ERRORS[code]!;
  return Object.assign(new Error(known.message), { code, statusCode: known.status });
}

/** A route as a reader of the lake (damaged-lake-files.ts): its method and path pattern, never the request's URL. */
export function routeReader(req: FastifyRequest): string {
  return `${req.method} ${req.routeOptions.url ?? ''}`;
}

/**
 * Maps errors to the one reply shape. Unknown errors become a bare 500: their messages may
 * name internals (paths, SQL) or carry data, so they go to the log with the request id only.
 */
export function errorHandler(err: FastifyError, req: FastifyRequest, reply: FastifyReply): void {
  const known = BODY_ERRORS[err.code];
  if (known) {
    if (known.headers) void reply.headers(known.headers);
    const type = routeConfig(req).contentType;
    const message =
      known.status === 413 ? tooLarge(req, known.message) : known.code === 'unsupported_media_type' && type ? `content type must be ${type}` : known.message;
    void sendError(reply, known.status, known.code, message);
    return;
  }
  // A file the catalog lists is gone or damaged: the answer cannot be worked out until it is re-derived or
  // restored. The message names the file by its lake key and what to do, never the SQL or a machine path. The
  // log says it once per file, not once per request (damaged-lake-files.ts): a bare app has no list, so each is new.
  if ((err as unknown) instanceof LakeFileError) {
    const damaged = req.server.damagedLakeFiles ?? new DamagedLakeFiles();
    damaged.failed(routeReader(req), err as unknown as LakeFileError, { request_id: req.id, url: req.routeOptions.url });
    void sendError(reply, 503, 'lake_file_unavailable', err.message);
    return;
  }
  // The hub is stopping: a read that came in while it drains is told to come back, not logged as a fault.
  if ((err as unknown) instanceof ClosedError) {
    void sendError(reply.header('retry-after', '5'), 503, 'stopping', 'the hub is stopping; retry in a few seconds');
    return;
  }
  const status = err.statusCode ?? 500;
  if (status >= 400 && status < 500) {
    void sendError(reply, status, 'bad_request', 'the request could not be processed');
    return;
  }
  log.error('request failed', { request_id: req.id, method: req.method, url: req.routeOptions.url, error: err });
  void sendError(reply, 500, 'internal', 'internal error');
}

/**
 * What answers a path the router cannot read: a `%` that starts no percent-encoded byte (FST_ERR_BAD_URL), or a
 * path parameter over 100 characters (FST_ERR_MAX_PARAM_LENGTH). Fastify's own answer (until 2026-12-02) was in
 * its shape, not the hub's, and quoted the whole URL, query included: `GET /tv/%zz?key=<read key>` sent the key
 * back in the message. Here the message names neither the path nor the query. (Fastify's `frameworkErrors`.)
 */
export function unreadablePath(err: FastifyError, _req: FastifyRequest, reply: FastifyReply): void {
  if (err.code === 'FST_ERR_MAX_PARAM_LENGTH') {
    void sendError(reply, 414, 'uri_too_long', 'a part of the path is longer than 100 characters');
    return;
  }
  if (err.code === 'FST_ERR_BAD_URL') {
    void sendError(reply, 400, 'bad_url', 'the path is not a valid URL: each % must start a percent-encoded byte (%25 for a % itself)');
    return;
  }
  void sendError(reply, 500, 'internal', 'internal error');
}

/**
 * What answers a request no route took: 405 with `Allow` when its path is a route's under other methods (RFC 9110
 * 15.5.6), else 404. Fastify's router sends both to its not-found handler, so until 2026-12-02 `DELETE /v1/events`,
 * `POST /v1/totals` and an `OPTIONS` preflight were 404 "no such route", and a client's developer looked for a typo
 * in the path. The methods come from Fastify's own router (`findRoute` matches a request's path as routing does),
 * so the answer cannot drift from the routes; the producer's fast path never gets here.
 *
 * It runs before any key is checked (the scope hooks belong to the routes, which did not match): the paths are no
 * secret, as a GET without a key already answers 401 where an unknown path answers 404, and `/v1/feeds/<name>`
 * answers alike for every name, so a 405 tells a client without a key nothing a GET would not.
 */
export function noRouteHandler(app: FastifyInstance): (req: FastifyRequest, reply: FastifyReply) => void {
  return (req, reply) => {
    const allow = METHODS.filter((m) => m !== req.method && app.findRoute({ method: m, url: req.url }) !== null);
    if (allow.length === 0) {
      void sendError(reply, 404, 'not_found', 'no such route');
      return;
    }
    // The method is one of node's known tokens (its parser refuses others); the URL is not echoed (`/tv?key=`).
    const methods = allow.join(', ');
    void sendError(reply.header('allow', methods), 405, 'method_not_allowed', `this path does not take ${req.method}; it takes ${methods} (see Allow)`);
  };
}
