// Read-side access: the scope a route needs, checked before anything else runs. The key comes from
// `Authorization: Bearer` or, for the dashboard pages in a browser, the HttpOnly cookie `/tv?key=` set.
import type { FastifyReply, FastifyRequest } from 'fastify';
import { bearerKey, type KeyIdentity, type KeyRing } from './auth.js';
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

export function presentedKey(req: FastifyRequest): string | undefined {
  return bearerKey(req.headers.authorization) ?? cookieValue(req.headers.cookie, KEY_COOKIE);
}

/**
 * An onRequest hook that lets through keys `allowed` accepts: none or an unknown key is 401, a known key
 * outside its scope 403. `allowed` gets the identity and the request (a feed key is checked per feed).
 */
export function requireScope(keys: KeyRing, allowed: (who: KeyIdentity, req: FastifyRequest) => boolean, what: string) {
  return (req: FastifyRequest, reply: FastifyReply, done: (err?: Error) => void): void => {
    const who = keys.identify(presentedKey(req));
    if (who && allowed(who, req)) {
      req.keyIdentity = who;
      return done();
    }
    if (who) {
      void reply.code(403).send(errorBody('forbidden', `this ${who.scope} key may not read ${what}`));
      return;
    }
    void reply.header('www-authenticate', 'Bearer').code(401).send(errorBody('unauthorized', `a key is required to read ${what} (Authorization: Bearer <key>)`));
  };
}
