// The dashboard's sign-in on a server: `?key=` gives a pass, not the key, that opens the pages and what they read,
// runs out, is renewed while the page is in use, and `/sign-out` takes it away (core/http/dashboard-pass.ts).
import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../core/config.js';
import { createKeyRing } from '../core/http/auth.js';
import { issuePass } from '../core/http/dashboard-pass.js';
import { buildServer, closeServer } from '../core/http/server.js';
import { SqliteQueue } from '../infra/local/sqlite-queue.js';
import { dashboardRoutes } from '../puddles/http/dashboard-routes.js';
import { totalsRoutes } from '../puddles/http/totals-routes.js';
import { LiveTotals } from '../puddles/live-totals.js';

const PRODUCER = 'pk_0123456789abcdef_pass';
const READ = 'rk_0123456789abcdef_pass';
const TV = 'tv_0123456789abcdef_pass';
const DAY = 86_400_000;
const DAYS = 3;

describe('the dashboard pass', () => {
  const queue = new SqliteQueue(':memory:');
  const keys = createKeyRing({ producer: [PRODUCER], read: [READ], tv: [TV] });
  let app: FastifyInstance;
  let base: string;

  beforeAll(async () => {
    const totals = new LiveTotals();
    const web = { pages: new Map([['index.html', '<p>ops</p>'], ['tv.html', '<p>tv</p>']]), assets: new Map<string, Buffer>() };
    app = buildServer({ queue, apiKeys: [PRODUCER], keys, plugins: [(a) => totalsRoutes(a, { keys, totals }), (a) => dashboardRoutes(a, { keys, web, passDays: DAYS })] });
    base = await app.listen({ port: 0, host: '127.0.0.1' });
  });
  afterAll(async () => {
    await closeServer(app, 100);
    await queue.close();
  });

  const get = (path: string, cookie?: string) => fetch(`${base}${path}`, { redirect: 'manual', headers: cookie ? { cookie } : {} });
  const setCookie = (res: Response) => res.headers.getSetCookie();
  /** The pass a browser holds `ageMs` after `?key=` gave it (made with the same key, as the hub made it then). */
  const passAged = (key: string, ageMs: number) => `puddle_pass=${issuePass(createKeyRing({ read: [key] }), key, DAYS, Date.now() - ageMs)}`;

  it('is what ?key= hands out, for PUDDLE_DASHBOARD_PASS_DAYS, and opens the page and the totals it reads', async () => {
    const swapped = await get(`/tv?key=${TV}`);
    expect(swapped.status).toBe(303);
    const [cookie] = setCookie(swapped);
    expect(cookie).toMatch(new RegExp(`^puddle_pass_tv=p1\\.\\d+\\.[\\w-]{43}; Path=/; HttpOnly; SameSite=Strict; Max-Age=${(DAYS + 1) * 86_400}$`));
    expect(cookie).not.toContain(TV);
    // The pass itself ends after DAYS; its cookie a day later, so the browser still sends it and is told it ran out.
    expect(Number(cookie!.split('.')[1]) * 1000).toBeLessThanOrEqual(Date.now() + DAYS * DAY);
    const pass = cookie!.split(';')[0]!;
    expect((await get('/tv', pass)).status).toBe(200);
    expect((await get('/v1/totals', pass)).status).toBe(200);
    // A TV key's pass opens what the key opens, no more.
    expect((await get('/', pass)).status).toBe(403);
  });

  it('runs out: the page and the API say to sign in again, and nobody is counted as guessing', async () => {
    const expired = passAged(READ, DAYS * DAY + 1000);
    for (let i = 0; i < 25; i++) {
      const res = await get('/v1/totals', expired);
      expect(res.status).toBe(401);
      expect(await res.json()).toEqual({ error: { code: 'pass_expired', message: "this browser's dashboard pass has expired: open the page with ?key=<key> once to sign in again" } });
    }
    const page = await get('/', expired);
    expect(page.status).toBe(401);
    expect(await page.text()).toContain("This browser's dashboard pass has expired: open / with ?key=&#60;key&#62; once to sign in again.");
    // Twenty-five stale passes from one address, and a key first used from it is still served.
    expect((await get(`/?key=${READ}`)).status).toBe(303);
  });

  it('is renewed past half its life, when its page opens or by /pass (which an open page asks every hour), not before', async () => {
    for (const [path, key, status, name] of [['/', READ, 200, 'puddle_pass'], ['/pass', TV, 204, 'puddle_pass_tv']] as const) {
      const young = await get(path, passAged(key, DAY));
      expect(young.status, path).toBe(status);
      expect(setCookie(young), path).toEqual([]);
      const old = await get(path, passAged(key, 2 * DAY));
      expect(old.status, path).toBe(status);
      const [renewed] = setCookie(old);
      expect(renewed, path).toMatch(new RegExp(`^${name}=p1\\.`));
      const expires = Number(renewed!.split(';')[0]!.split('.')[1]) * 1000;
      expect(expires, path).toBeGreaterThan(Date.now() + (DAYS - 0.1) * DAY);
      expect((await get('/tv', renewed!.split(';')[0])).status, path).toBe(200);
    }
  });

  it('/pass renews nothing without a pass in use', async () => {
    // No pass, one run out, or a Bearer key: nothing to renew.
    expect((await get('/pass')).status).toBe(401);
    const expired = await get('/pass', passAged(TV, DAYS * DAY + 1000));
    expect(expired.status).toBe(401);
    expect(((await expired.json()) as { error: { code: string } }).error.code).toBe('pass_expired');
    expect((await fetch(`${base}/pass`, { headers: { authorization: `Bearer ${TV}` } })).status).toBe(401);
    // A pass only a page's key could get: a producer key's, made outside the hub, renews nothing.
    expect((await get('/pass', passAged(PRODUCER, 2 * DAY))).status).toBe(401);
  });

  it('takes no key cookie from before passes: the page says to sign in again', async () => {
    const res = await get('/', `puddle_key=${READ}`);
    expect(res.status).toBe(401);
    expect(await res.text()).toContain("dashboard sign-in is from an older Puddle: open / with ?key=&#60;key&#62; once to sign in again");
    expect((await get('/v1/totals', `puddle_key=${READ}`)).status).toBe(401);
  });

  it("keeps a read key's pass when the same browser signs in to /tv with a TV key: the operations page beside it still opens", async () => {
    const read = setCookie(await get(`/?key=${READ}`))[0]!.split(';')[0]!;
    const tv = setCookie(await get(`/tv?key=${TV}`, read))[0]!.split(';')[0]!;
    // Two cookies, not one replaced (until 2026-12-06 the TV key's pass took the read key's place, and every panel of
    // an open operations page turned 403).
    expect([read.split('=')[0], tv.split('=')[0]]).toEqual(['puddle_pass', 'puddle_pass_tv']);
    const both = `${read}; ${tv}`;
    expect((await get('/', both)).status).toBe(200);
    expect((await get('/tv', both)).status).toBe(200);
    // The TV key's alone opens what it opens; a run-out read pass beside it does not stop it.
    expect((await get('/', tv)).status).toBe(403);
    expect((await get('/tv', `${passAged(READ, DAYS * DAY + 1000)}; ${tv}`)).status).toBe(200);
  });

  it('cannot be made longer by editing its expiry', async () => {
    const pass = passAged(READ, 0);
    const [, expires, signature] = pass.split('=')[1]!.split('.');
    const stretched = await get('/', `puddle_pass=p1.${Number(expires) + 300 * 86_400}.${signature}`);
    expect(stretched.status).toBe(401);
    expect(await stretched.text()).toContain('A key is needed');
  });

  it('is taken away by /sign-out, with the key cookie from before passes', async () => {
    const res = await get('/sign-out');
    expect(res.status).toBe(200);
    expect(setCookie(res)).toEqual(['puddle_pass', 'puddle_pass_tv', 'puddle_key'].map((n) => `${n}=; Path=/; HttpOnly; SameSite=Strict; Max-Age=0`));
    expect(await res.text()).toContain('This browser no longer holds a dashboard pass.');
  });

  it('lasts PUDDLE_DASHBOARD_PASS_DAYS, 7 by default, up to a year', () => {
    expect(loadConfig({}).dashboardPassDays).toBe(7);
    expect(loadConfig({ PUDDLE_DASHBOARD_PASS_DAYS: '1' }).dashboardPassDays).toBe(1);
    expect(() => loadConfig({ PUDDLE_DASHBOARD_PASS_DAYS: '366' })).toThrow(/PUDDLE_DASHBOARD_PASS_DAYS/);
    expect(() => loadConfig({ PUDDLE_DASHBOARD_PASS_DAYS: '0.5' })).toThrow(/PUDDLE_DASHBOARD_PASS_DAYS/);
  });
});
