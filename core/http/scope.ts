// Read-side access: the scope a route needs, checked before anything else runs. The key comes from
// `Authorization: Bearer` or, for the dashboard pages in a browser, the HttpOnly cookie `/tv?key=` set.
import type { FastifyReply, FastifyRequest } from 'fastify';
import { bearerKey, RETIRED_KEY, retiredKeyUsed, type KeyIdentity, type KeyRing, type KeyScope } from './auth.js';
import { sendTooManyFailures } from './auth-failures.js';
import { requestAddress } from './client-address.js';
import { errorBody } from './errors.js';

export const KEY_COOKIE = 'puddle_key';

declare module 'fastify' {
  interface FastifyRequest {
    /** The key's identity once a scope hook accepted it (its label is safe to log; the key never is). */
    keyIdentity?: KeyIdentity;
  }
}

/** The value of one cookie, or undefined. */
export function cookieValue(header: string | undefined, name: string): string | undefined {
  if (!header) return undefined;
  for (const part of header.split(';')) {
    const eq = part.indexOf('=');
    if (eq > 0 && part.slice(0, eq).trim() === name) {
      try {
        return decodeURIComponent(part.slice(eq + 1).trim());
      } catch {
        return undefined;
      }
    }
  }
  return undefined;
}

/** What each scope's keys open, so that a 403 says what the key is for rather than only what it is not. */
export const SCOPE_REACH: Readonly<Record<KeyScope, string>> = {
  producer: 'a producer key only writes events (POST /v1/events)',
  read: 'a read key reads the totals, /v1/ops/* and the dashboard',
  tv: 'a tv key reads only /tv, GET /v1/totals and GET /v1/totals/stream',
  feed: 'a feed key reads only the feeds it names',
  retired: 'a retired key opens nothing',
};

/**
 * The keys that may read the live totals: read keys, and the TV keys a charity hands its broadcaster, which
 * open nothing else (the dashboard and /v1/ops/* show reconciliation breaks with donation ids and amounts).
 */
export const readsTotals = (who: KeyIdentity): boolean => who.scope === 'read' || who.scope === 'tv';

export function presentedKey(req: FastifyRequest): string | undefined {
  return bearerKey(req.headers.authorization) ?? cookieValue(req.headers.cookie, KEY_COOKIE);
}

/**
 * An onRequest hook that lets through keys `allowed` accepts: none or an unknown key is 401, a known key
 * outside its scope 403; an address that sent too many unknown keys 429 (auth-failures.ts). `allowed` gets the identity and the request (a feed key is checked per feed).
 */
export function requireScope(keys: KeyRing, allowed: (who: KeyIdentity, req: FastifyRequest) => boolean, what: string) {
  return (req: FastifyRequest, reply: FastifyReply, done: (err?: Error) => void): void => {
    const presented = presentedKey(req);
    const who = keys.identify(presented);
    const wait = req.server.authFailures?.refusal(requestAddress(req), who, presented !== undefined) ?? 0;
    if (wait > 0) {
      void sendTooManyFailures(reply, wait);
      return;
    }
    if (who && allowed(who, req)) {
      req.keyIdentity = who;
      return done();
    }
    if (who?.scope === 'retired') {
      retiredKeyUsed(who, requestAddress(req));
      void reply.header('www-authenticate', 'Bearer').code(401).send(errorBody(RETIRED_KEY.code, RETIRED_KEY.message));
      return;
    }
    if (who) {
      void reply.code(403).send(errorBody('forbidden', `this ${who.scope} key may not read ${what}: ${SCOPE_REACH[who.scope]}`));
      return;
    }
    void reply.header('www-authenticate', 'Bearer').code(401).send(errorBody('unauthorized', `a key is required to read ${what} (Authorization: Bearer <key>)`));
  };
}
