// Read-side access: the scope a route needs, checked before anything else runs. The key comes from
// `Authorization: Bearer` or, for the dashboard pages in a browser, the pass `/tv?key=` set (dashboard-pass.ts).
import type { FastifyReply, FastifyRequest } from 'fastify';
import { bearerKey, RETIRED_KEY, retiredKeyUsed, type KeyIdentity, type KeyRing, type KeyScope } from './auth.js';
import { sendTooManyFailures } from './auth-failures.js';
import { requestAddress } from './client-address.js';
import { OLD_KEY_COOKIE, PASS_COOKIES, readPass } from './dashboard-pass.js';
import { errorBody } from './errors.js';

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

/**
 * Who a request is from: a Bearer key, else the dashboard's pass. `presented` is whether it offered a credential that
 * counts as a guess when unknown; `stale` says why a browser's pass (or key cookie from before passes) opens nothing.
 */
export interface Presented {
  who: KeyIdentity | null;
  presented: boolean;
  stale?: 'expired' | 'unreadable';
  /** When the pass it came with ends (none for a Bearer key). */
  passExpiresMs?: number;
}

export function presentedIdentity(req: FastifyRequest, keys: KeyRing, nowMs = Date.now()): Presented {
  const bearer = bearerKey(req.headers.authorization);
  if (bearer !== undefined) return { who: keys.identify(bearer), presented: true };
  // The first pass that a key of the hub signed and that has not run out (a read key's, then a TV key's: dashboard-pass.ts).
  let other: Presented | undefined;
  for (const name of PASS_COOKIES) {
    const pass = cookieValue(req.headers.cookie, name);
    if (pass === undefined) continue;
    const reading = readPass(keys, pass, nowMs);
    if ('stale' in reading) other ??= { who: null, presented: false, stale: reading.stale };
    else if (reading.who) return { who: reading.who, presented: true, passExpiresMs: reading.expiresMs };
    // Signed by no key of the hub: a guess, unless another pass opens.
    else other = { who: null, presented: true };
  }
  if (other) return other;
  return cookieValue(req.headers.cookie, OLD_KEY_COOKIE) === undefined ? { who: null, presented: false } : { who: null, presented: false, stale: 'unreadable' };
}

/** The error code of a 401 for a browser whose pass ran out: the pages say "sign in again" rather than "unknown key". */
export const STALE_PASS_CODE = 'pass_expired';

/** What a browser whose pass opens nothing is told to do. */
export function stalePassAdvice(stale: NonNullable<Presented['stale']>, page = 'the page'): string {
  const why = stale === 'expired' ? "this browser's dashboard pass has expired" : "this browser's dashboard sign-in is from an older Puddle";
  return `${why}: open ${page} with ?key=<key> once to sign in again`;
}

/**
 * An onRequest hook that lets through keys `allowed` accepts: none or an unknown key is 401, a known key
 * outside its scope 403; an address that sent too many unknown keys 429 (auth-failures.ts). `allowed` gets the identity and the request (a feed key is checked per feed).
 */
export function requireScope(keys: KeyRing, allowed: (who: KeyIdentity, req: FastifyRequest) => boolean, what: string) {
  return (req: FastifyRequest, reply: FastifyReply, done: (err?: Error) => void): void => {
    const { who, presented, stale } = presentedIdentity(req, keys);
    const wait = req.server.authFailures?.refusal(requestAddress(req), who, presented) ?? 0;
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
    const refusal = stale ? errorBody(STALE_PASS_CODE, stalePassAdvice(stale)) : errorBody('unauthorized', `a key is required to read ${what} (Authorization: Bearer <key>)`);
    void reply.header('www-authenticate', 'Bearer').code(401).send(refusal);
  };
}
