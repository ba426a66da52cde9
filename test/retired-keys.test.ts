import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { loadConfig } from '../core/config.js';
import { createKeyRing } from '../core/http/auth.js';
import { issuePass } from '../core/http/dashboard-pass.js';
import { buildServer, closeServer } from '../core/http/server.js';
import { log, redact } from '../core/log.js';
import { SqliteQueue } from '../infra/local/sqlite-queue.js';
import { dashboardRoutes } from '../puddles/http/dashboard-routes.js';
import { totalsRoutes } from '../puddles/http/totals-routes.js';
import { LiveTotals } from '../puddles/live-totals.js';

// A key rotated out (user test, 2026-12-05): the hub restarted with only the new producer key, and one supplier
// machine behind the shared proxy address kept retrying with the old one. Twenty refusals refused the address:
// the new producer key, the read key and the TV key all got 429 for five minutes (the hub had forgotten, at its
// restart, which keys had worked from there). A key listed in PUDDLE_RETIRED_KEYS is a 401 `key_retired`,
// never counted as a guess.
const NEW = 'pk_new_0123456789abcdef';
const OLD = 'pk_old_0123456789abcdef';
const OLD_TV = 'tv_old_0123456789abcdef';
const TV = 'tv_0123456789abcdef_key';

describe('retired keys', () => {
  const queue = new SqliteQueue(':memory:');
  let app: FastifyInstance;
  let base: string;
  const warned = vi.spyOn(log, 'warn');

  beforeAll(async () => {
    const keys = createKeyRing({ producer: [NEW], tv: [TV], retired: [OLD, OLD_TV] });
    const totals = new LiveTotals();
    const web = { pages: new Map([['index.html', '<p>ops</p>'], ['tv.html', '<p>tv</p>']]), assets: new Map<string, Buffer>() };
    app = buildServer({ queue, apiKeys: [NEW], keys, plugins: [(a) => totalsRoutes(a, { keys, totals }), (a) => dashboardRoutes(a, { keys, web })] });
    base = await app.listen({ port: 0, host: '127.0.0.1' });
  });
  afterAll(async () => {
    await closeServer(app, 100);
    await queue.close();
    warned.mockRestore();
  });

  const post = (key: string) =>
    fetch(`${base}/v1/events`, {
      method: 'POST',
      headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json' },
      body: JSON.stringify({ events: [{ contract: 'donation', version: 2, payload: { donation_id: `don_${key.slice(3, 6)}`, occurred_at: '2026-12-05T20:00:00Z', amount_minor: 500, currency: 'GBP', channel: 'ivr' } }] }),
    });

  it('are 401 key_retired however often they come, and never get the address refused for the other keys', async () => {
    for (let i = 0; i < 30; i++) {
      const res = await post(OLD);
      expect(res.status).toBe(401);
      expect(await res.json()).toEqual({ error: { code: 'key_retired', message: 'this key was retired (PUDDLE_RETIRED_KEYS): use the key that replaced it' } });
    }
    // Neither key had been used from this address: both are served.
    expect((await post(NEW)).status).toBe(202);
    const totals = await fetch(`${base}/v1/totals`, { headers: { authorization: `Bearer ${TV}` } });
    expect(totals.status).not.toBe(429);
    expect(totals.status).toBe(200);
    // On a read route too.
    const read = await fetch(`${base}/v1/totals`, { headers: { authorization: `Bearer ${OLD}` } });
    expect(read.status).toBe(401);
    expect(((await read.json()) as { error: { code: string } }).error.code).toBe('key_retired');
    // Said in the log once a minute, by label and address, never the key.
    const said = warned.mock.calls.filter(([msg]) => msg.startsWith('a retired key'));
    expect(said).toHaveLength(1);
    expect(said[0]![1]).toEqual({ label: 'retired#1', address: '127.0.0.1' });
    // As written: no field of it is masked (a field named `key` would be).
    expect(redact(said[0]![1] as Record<string, unknown>)).toEqual({ label: 'retired#1', address: '127.0.0.1' });
    expect(JSON.stringify(warned.mock.calls)).not.toContain(OLD);
  });

  it('are 401 on the pages too, by header, the pass they signed or ?key=, and said in the log', async () => {
    // Until 2026-12-06 the pages answered a retired key 403 "Not a key for this page", and logged nothing.
    warned.mockClear();
    // The pass a TV got while OLD_TV was its key: the key's retirement ends it.
    const pass = issuePass(createKeyRing({ tv: [OLD_TV] }), OLD_TV, 7);
    for (const [path, headers] of [
      ['/', { authorization: `Bearer ${OLD_TV}` }],
      ['/tv', { cookie: `puddle_pass=${pass}` }],
      [`/tv?key=${OLD_TV}`, {}],
    ] as const) {
      const res = await fetch(`${base}${path}`, { headers, redirect: 'manual' });
      expect(res.status, path).toBe(401);
      expect(await res.text(), path).toContain('this key was retired (PUDDLE_RETIRED_KEYS): use the key that replaced it');
    }
    expect((await fetch(`${base}/tv`, { headers: { authorization: `Bearer ${TV}` } })).status).toBe(200);
    // Once a minute a key: the first of the three.
    const said = warned.mock.calls.filter(([msg]) => msg.startsWith('a retired key'));
    expect(said.map(([, fields]) => fields)).toEqual([{ label: 'retired#2', address: '127.0.0.1' }]);
    expect(JSON.stringify(warned.mock.calls)).not.toContain(OLD_TV);
  });

  it('an unknown key is still counted: the guesser is refused, the good keys used before go on', async () => {
    const codes: number[] = [];
    for (let i = 0; i < 22; i++) codes.push((await post(`pk_guess_${i}_0123456789abcdef`)).status);
    expect(codes.slice(0, 20).every((c) => c === 401)).toBe(true);
    expect(codes.at(-1)).toBe(429);
    expect((await post(NEW)).status).toBe(202);
  });

  it('are read from PUDDLE_RETIRED_KEYS, and a key may not be both in use and retired', () => {
    expect(loadConfig({ PUDDLE_API_KEYS: NEW, PUDDLE_RETIRED_KEYS: `${OLD}, pk_older_0123456789abc` }).retiredKeys).toEqual([OLD, 'pk_older_0123456789abc']);
    expect(() => loadConfig({ PUDDLE_API_KEYS: NEW, PUDDLE_RETIRED_KEYS: NEW })).toThrow(/PUDDLE_API_KEYS key 1 \(producer#1\) and PUDDLE_RETIRED_KEYS key 1 \(retired#1\) are the same key/);
  });

  it('retire the key of an entry copied with its name or its feeds, and only a key holding a colon of its own as written', () => {
    // Until 2026-12-06 `key:sms-agency` retired nothing: the old key was counted as a guess.
    const retired = loadConfig({
      PUDDLE_API_KEYS: `${NEW}:sms-agency`,
      PUDDLE_RETIRED_KEYS: `${OLD}:sms-agency, fk_old_0123456789abcdef:giro_requests+gift_aid, website-prod:0f3a9b2c7d4e5f60, short:sms`,
    }).retiredKeys;
    expect(retired).toEqual([OLD, 'fk_old_0123456789abcdef', 'website-prod:0f3a9b2c7d4e5f60', 'short:sms']);
    // The named old key is still in use: refused as a key in two scopes, as unnamed.
    expect(() => loadConfig({ PUDDLE_API_KEYS: `${OLD}:sms-agency`, PUDDLE_RETIRED_KEYS: `${OLD}:sms-agency` })).toThrow(/are the same key/);
    const keys = createKeyRing({ producer: [NEW], retired });
    expect(keys.identify(OLD)?.scope).toBe('retired');
  });
});
