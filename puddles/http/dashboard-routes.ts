// The dashboard pages, `/` (operations, read keys) and `/tv` (the broadcast total, read or TV keys), and their
// built assets, `/pass` (the pages keep their pass fresh) and `/sign-out`. `?key=<key>` is swapped for a pass (an
// HttpOnly cookie that is not the key; core/http/dashboard-pass.ts) and a redirect to the same page without it, so
// the key is not left in the address bar, the history, a screenshot or the browser's cookies.
import { createHash } from 'node:crypto';
import path from 'node:path';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { RETIRED_KEY, retiredKeyUsed, type KeyIdentity, type KeyRing } from '../../core/http/auth.js';
import { sendTooManyFailures, tooManyFailuresMessage } from '../../core/http/auth-failures.js';
import { requestAddress } from '../../core/http/client-address.js';
import { DEFAULT_PASS_DAYS, issuePass, passCookie, passRenewalDue, SIGN_OUT_COOKIES } from '../../core/http/dashboard-pass.js';
import { errorBody } from '../../core/http/errors.js';
import { presentedIdentity, readsTotals, SCOPE_REACH, STALE_PASS_CODE, stalePassAdvice } from '../../core/http/scope.js';

/**
 * A build of the pages, read whole when the hub starts (infra/local/web-assets.ts): served from memory for as long
 * as the hub runs, so a rebuild of dist/web beside it cannot leave its pages naming assets that are gone.
 */
export interface WebBuild {
  /** index.html and tv.html. */
  pages: ReadonlyMap<string, string>;
  /** assets/, by file name. */
  assets: ReadonlyMap<string, Buffer>;
}

export interface DashboardRoutesOptions {
  keys: KeyRing;
  web: WebBuild;
  /** How long a pass lasts (PUDDLE_DASHBOARD_PASS_DAYS; DEFAULT_PASS_DAYS). */
  passDays?: number;
}

interface DashboardPage {
  file: string;
  opens: (who: KeyIdentity) => boolean;
  /** The keys it takes, for the page a refused key gets. */
  needs: string;
  /**
   * Its refusal pages are white on black, as the page is: /tv is on air, often in a broadcast graphics engine's
   * browser source, where until 2026-12-06 a refused key put a white frame (a user test).
   */
  dark?: boolean;
}

// The operations page shows reconciliation breaks (donation and payment ids, amounts) and the journey: read
// keys only. The TV page shows the totals alone, so the broadcaster's TV key opens it (and the stream it reads).
const PAGES: Record<string, DashboardPage> = {
  '/': { file: 'index.html', opens: (who) => who.scope === 'read', needs: 'a read key (PUDDLE_READ_KEYS)' },
  '/tv': { file: 'tv.html', opens: readsTotals, needs: 'a read key (PUDDLE_READ_KEYS) or a TV key (PUDDLE_TV_KEYS)', dark: true },
};
const TYPES: Record<string, string> = {
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.woff2': 'font/woff2',
};
// Scripts and data only from this hub; uPlot sets element styles from script, which CSP allows.
const CSP = "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data:; connect-src 'self'; frame-ancestors 'none'; base-uri 'none'; form-action 'none'";

/**
 * Whether the browser reached the page over TLS: the hub listens on plain http, so TLS ends at a proxy in front
 * of it, which says so in X-Forwarded-Proto or Forwarded (RFC 7239). Until 2026-12-02 only the hub's own
 * protocol counted, which is never https: the key's cookie never had Secure, and the browser sent the read
 * key in clear on any http:// request to the hub's name (the one a proxy answers with its redirect to https).
 * The headers are the client's to set, but all one gains by faking them is a cookie that browsers refuse over
 * plain http.
 */
function cameOverTls(req: FastifyRequest): boolean {
  if (req.protocol === 'https') return true;
  const first = (v: string | string[] | undefined) => (Array.isArray(v) ? v[0] : v)?.split(',')[0]?.trim().toLowerCase();
  if (first(req.headers['x-forwarded-proto']) === 'https') return true;
  return /(?:^|;)\s*proto="?https"?\s*(?:;|$)/i.test(first(req.headers.forwarded) ?? '');
}

/**
 * What a refusal page runs: it takes `key` out of the address bar and the history entry. A refused `?key=` is
 * answered in place (no redirect, so that the page can say why), and until 2026-12-02 the key, right for another
 * page or mistyped, stayed in the address bar, the history and any screenshot of the page. Inline, allowed by its
 * hash alone: the refusal pages load nothing else.
 */
const DROP_KEY = "(function(){var u=new URL(location.href);if(u.searchParams.has('key')){u.searchParams.delete('key');history.replaceState(null,'',u.pathname+u.search+u.hash)}})()";
const REFUSAL_CSP = CSP.replace("script-src 'self'", `script-src 'sha256-${createHash('sha256').update(DROP_KEY).digest('base64')}'`);

/**
 * A refusal or sign-out page: laid out for the screen it is on (a phone too: until 2026-12-06 it was laid out 980 px
 * wide and shown in 6.5 px type there, an accessibility review), its words in a `main` landmark.
 */
function page(reply: FastifyReply, status: number, title: string, text: string, dark = false): FastifyReply {
  const look = dark ? 'background:#000;color:#fff;' : '';
  const esc = (s: string) => s.replace(/[&<>"]/g, (c) => `&#${c.charCodeAt(0)};`);
  return reply
    .code(status)
    .header('content-type', 'text/html; charset=utf-8')
    .header('cache-control', 'no-store')
    .header('content-security-policy', REFUSAL_CSP)
    .send(`<!doctype html><html lang="en"><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1"><title>${esc(title)}</title><script>${DROP_KEY}</script><body style="${look}font:20px sans-serif;padding:2em;margin:0"><main><h1>${esc(title)}</h1><p>${esc(text)}</p></main></body></html>`);
}

/** An address that sent too many unknown keys: 429, as the API answers it, as a page (auth-failures.ts). */
function tooManyFailures(reply: FastifyReply, seconds: number, dark?: boolean): FastifyReply {
  return page(reply.header('retry-after', String(seconds)), 429, 'Too many unknown keys', `${tooManyFailuresMessage(seconds)}.`, dark);
}

export async function dashboardRoutes(app: FastifyInstance, opts: DashboardRoutesOptions): Promise<void> {
  const { keys, web } = opts;
  const passDays = opts.passDays ?? DEFAULT_PASS_DAYS;

  /** A new pass for one past half its life (dashboard-pass.ts passRenewalDue), set on `reply`. */
  const renewPass = (req: FastifyRequest, reply: FastifyReply, who: KeyIdentity, passExpiresMs: number | undefined) => {
    const renewed = passExpiresMs !== undefined && passRenewalDue(passExpiresMs, passDays) ? issuePass(keys, who, passDays) : undefined;
    if (renewed) void reply.header('set-cookie', passCookie(renewed, passDays, cameOverTls(req), who.scope));
  };

  const servePage = async (req: FastifyRequest, reply: FastifyReply) => {
    const route = req.routeOptions.url ?? '/';
    const target = PAGES[route]!;
    // This page's refusals, in its look (dark for /tv).
    const say = (status: number, title: string, text: string) => page(reply, status, title, text, target.dark);
    const tooMany = (seconds: number) => tooManyFailures(reply, seconds, target.dark);
    const refused = (who: KeyIdentity) => {
      // A retired key, as every route answers it: 401, and logged by label and address, so the TV still on an old key
      // shows in the log (until 2026-12-06 a 403 here, logged nowhere; a security review).
      if (who.scope === 'retired') {
        retiredKeyUsed(who, requestAddress(req));
        return say(401, 'A retired key', `${RETIRED_KEY.message}. This page needs ${target.needs}.`);
      }
      return say(403, 'Not a key for this page', `This page needs ${target.needs}; ${SCOPE_REACH[who.scope]}.`);
    };
    const url = new URL(req.url, 'http://hub');
    const offered = url.searchParams.get('key');
    if (offered !== null) {
      url.searchParams.delete('key');
      const who = keys.identify(offered);
      const wait = req.server.authFailures?.refusal(requestAddress(req), who, true) ?? 0;
      if (wait > 0) return tooMany(wait);
      if (!who) return say(401, 'Not a known key', `This page needs ${target.needs}.`);
      if (!target.opens(who)) return refused(who);
      // Secure when the page itself came over TLS; plain http on 127.0.0.1 could not send it back otherwise.
      const cookie = passCookie(issuePass(keys, offered, passDays)!, passDays, cameOverTls(req), who.scope);
      // 303: the browser fetches the clean address with GET, and the keyed one is not kept as the page's URL.
      return reply
        .code(303)
        .header('set-cookie', cookie)
        .header('cache-control', 'no-store')
        .header('location', `${url.pathname}${url.search}`)
        .send();
    }
    const { who, presented, stale, passExpiresMs } = presentedIdentity(req, keys);
    const wait = req.server.authFailures?.refusal(requestAddress(req), who, presented) ?? 0;
    if (wait > 0) return tooMany(wait);
    if (stale) {
      const advice = stalePassAdvice(stale, route);
      return say(401, 'Sign in again', `${advice.charAt(0).toUpperCase()}${advice.slice(1)}. This page needs ${target.needs}.`);
    }
    if (!who) return say(401, 'A key is needed', `This page needs ${target.needs}: open ${route}?key=<key> once; the browser then keeps a pass for ${passDays} days.`);
    if (!target.opens(who)) return refused(who);
    const body = web.pages.get(target.file);
    if (body === undefined) return reply.code(404).send({ error: { code: 'not_found', message: 'this page is not in the dashboard build' } });
    renewPass(req, reply, who, passExpiresMs);
    return reply
      .header('content-type', 'text/html; charset=utf-8')
      .header('cache-control', 'no-store')
      .header('content-security-policy', CSP)
      .send(body);
  };
  app.get('/', servePage);
  app.get('/tv', servePage);
  // What an open page asks every hour: a pass in use is renewed past half its life, so a TV left on the page since the
  // rehearsal, its stream never reconnecting, still holds one on the night. 204; 401 for no pass or one that ran out.
  app.get('/pass', async (req, reply) => {
    const { who, presented, stale, passExpiresMs } = presentedIdentity(req, keys);
    const wait = req.server.authFailures?.refusal(requestAddress(req), who, presented) ?? 0;
    if (wait > 0) return sendTooManyFailures(reply, wait);
    void reply.header('cache-control', 'no-store');
    if (!who || passExpiresMs === undefined || !readsTotals(who)) {
      return reply.code(401).send(errorBody(stale ? STALE_PASS_CODE : 'unauthorized', stale ? stalePassAdvice(stale) : 'no dashboard pass: open the page with ?key=<key> once'));
    }
    renewPass(req, reply, who, passExpiresMs);
    return reply.code(204).send();
  });
  // Takes this browser's pass away; no key needed. A pass copied elsewhere lasts until its expiry: retiring the key
  // (PUDDLE_RETIRED_KEYS) ends every pass it signed.
  app.get('/sign-out', async (_req, reply) =>
    page(reply.header('set-cookie', SIGN_OUT_COOKIES), 200, 'Signed out', 'This browser no longer holds a dashboard pass. Open / or /tv with ?key=<key> to sign in again.'),
  );

  // Built assets have content hashes in their names: cache them for good. No key needed, they hold no data.
  app.get<{ Params: { file: string } }>('/assets/:file', async (req, reply) => {
    const { file } = req.params;
    const body = web.assets.get(file);
    if (body === undefined) return reply.code(404).send({ error: { code: 'not_found', message: 'no such asset' } });
    return reply
      .header('content-type', TYPES[path.extname(file)] ?? 'application/octet-stream')
      .header('cache-control', 'public, max-age=31536000, immutable')
      .send(body);
  });
}
