// API Gateway HTTP API (payload 2.0) and Lambda Function URL events, served by the same fastify routes the
// embedded hub runs: the event becomes an `app.inject()` request and the answer a v2 result, so routes,
// auth, limits and signature checks are not written twice.
import type { APIGatewayProxyEventV2, APIGatewayProxyStructuredResultV2 } from 'aws-lambda';
import type { FastifyInstance, InjectOptions } from 'fastify';

import { FatalError } from '../../../core/errors.js';
import { SECRETS_MAX_AGE_MS } from '../shape.js';

export type HttpHandler = (event: APIGatewayProxyEventV2) => Promise<APIGatewayProxyStructuredResultV2>;

/** Answers sent as text; anything else goes back base64-encoded, byte for byte. */
const TEXT = /^(text\/|application\/(json|javascript|xml|x-ndjson)|[^;]*\+json)/i;

export function toInjectOptions(event: APIGatewayProxyEventV2): InjectOptions {
  if (event.version !== '2.0' || !event.requestContext?.http) {
    throw new FatalError(`not an HTTP API payload 2.0 event (version ${String(event.version)})`);
  }
  const { stage } = event.requestContext;
  let path = event.rawPath || '/';
  // A named stage is part of rawPath; the routes do not know it.
  if (stage && stage !== '$default' && (path === `/${stage}` || path.startsWith(`/${stage}/`))) path = path.slice(stage.length + 1) || '/';
  const headers: Record<string, string> = {};
  for (const [name, value] of Object.entries(event.headers ?? {})) if (value !== undefined) headers[name.toLowerCase()] = value;
  // HTTP API moves cookies out of the headers.
  if (event.cookies?.length) headers.cookie = event.cookies.join('; ');
  // Signatures are over the bytes the provider sent: decode base64 bodies, never re-encode text ones.
  const body = event.body === undefined ? undefined : event.isBase64Encoded ? Buffer.from(event.body, 'base64') : Buffer.from(event.body, 'utf8');
  return {
    method: event.requestContext.http.method as InjectOptions['method'],
    url: event.rawQueryString ? `${path}?${event.rawQueryString}` : path,
    headers,
    remoteAddress: event.requestContext.http.sourceIp,
    ...(body !== undefined ? { payload: body } : {}),
  };
}

/**
 * A handler serving `app`, made on the first event and made again on the first event after `maxAgeMs`: what
 * `makeApp` read when it made it (API keys, webhook secrets) is then read afresh, so a revoked key stops working
 * on a warm function within that time. Lambda gives a container one event at a time, so nothing is in flight
 * on the old app when it is closed.
 */
export interface HttpHandlerOptions {
  /** How long an app is served before it is made again (default SECRETS_MAX_AGE_MS). */
  maxAgeMs?: number;
  now?: () => number;
}

export function httpHandler(makeApp: () => Promise<FastifyInstance>, opts: HttpHandlerOptions = {}): HttpHandler {
  const maxAgeMs = opts.maxAgeMs ?? SECRETS_MAX_AGE_MS;
  const now = opts.now ?? Date.now;
  let app: Promise<FastifyInstance> | undefined;
  let madeAt = 0;
  return async (event) => {
    if (app && now() - madeAt >= maxAgeMs) {
      const old = app;
      app = undefined;
      void old.then((a) => a.close()).catch(() => undefined);
    }
    if (!app) {
      madeAt = now();
      app = makeApp().then(async (a) => {
        await a.ready();
        return a;
      });
    }
    app.catch(() => (app = undefined)); // a failed start is tried again on the next event
    const res = await (await app).inject(toInjectOptions(event));
    const headers: Record<string, string> = {};
    let cookies: string[] | undefined;
    for (const [name, value] of Object.entries(res.headers)) {
      if (value === undefined) continue;
      if (name === 'set-cookie') cookies = (Array.isArray(value) ? value : [String(value)]).map(String);
      else headers[name] = Array.isArray(value) ? value.join(', ') : String(value);
    }
    // Lambda computes these itself; a stale length would truncate a re-encoded body.
    delete headers['content-length'];
    delete headers['transfer-encoding'];
    delete headers.connection;
    const text = TEXT.test(headers['content-type'] ?? 'text/plain');
    return {
      statusCode: res.statusCode,
      headers,
      ...(cookies ? { cookies } : {}),
      body: text ? res.payload : res.rawPayload.toString('base64'),
      isBase64Encoded: !text,
    };
  };
}
