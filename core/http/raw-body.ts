import type { FastifyInstance, FastifyRequest } from 'fastify';

// Webhook signatures (Stripe, Braintree, ...) are computed over the exact bytes the provider sent,
// so every body parser keeps the raw Buffer on the request before (or instead of) parsing it.
declare module 'fastify' {
  interface FastifyRequest {
    /** The request body exactly as received; null for requests without a body. */
    rawBody: Buffer | null;
    /** A JSON body as text (what was parsed); null for other requests. */
    bodyText: string | null;
  }
}

type Done = (err: Error | null, body?: unknown) => void;

/**
 * JSON bodies: keep the bytes, then parse with fastify's own parser so its prototype-poisoning
 * guard (`__proto__` / `constructor` keys -> 400) and its error codes stay in force.
 */
export function registerJsonBody(app: FastifyInstance): void {
  app.decorateRequest('rawBody', null);
  app.decorateRequest('bodyText', null);
  const parseJson = app.getDefaultJsonParser('error', 'error');
  app.addContentTypeParser('application/json', { parseAs: 'buffer' }, (req: FastifyRequest, body: Buffer, done: Done) => {
    req.rawBody = body;
    req.bodyText = body.toString('utf8');
    parseJson(req, req.bodyText, done);
  });
}

/**
 * For a webhook plugin that checks a signature before it reads anything: call inside the plugin, so it
 * stays scoped to it. Every body, whatever its content type, is kept as the raw Buffer (`request.body` and
 * `request.rawBody`) and parsed by nobody: the route verifies the bytes first, then parses them itself.
 * With the server's JSON parser in front, an unsigned garbage body got 400 malformed_json, so anyone could
 * reach the parser and learn how it read their bytes before any signature was looked at.
 */
export function keepBodiesUnparsed(app: FastifyInstance): void {
  app.removeAllContentTypeParsers();
  app.addContentTypeParser('*', { parseAs: 'buffer' }, (req: FastifyRequest, body: Buffer, done: Done) => {
    req.rawBody = body;
    done(null, body);
  });
}
