// The dashboard's pages while dist/web is rebuilt beside a running hub: a second hub or `npm run build` from the
// same checkout, after the sources changed, replaces the build with assets of other names. Until 2026-12-03 the
// running hub kept index.html from its first request and read the assets from disk for each request: its page
// then named assets that were gone (404), and the dashboard went blank at its next load. The real build, copied to
// a folder of the test's own (the checkout's dist/web is other tests' too), served by the hub's own routes.
import { cpSync, mkdtempSync, readdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Fastify, { type FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createKeyRing } from '../core/http/auth.js';
import { ensureWebBuilt, installBuild, readWebBuild } from '../infra/local/web-assets.js';
import { dashboardRoutes } from '../puddles/http/dashboard-routes.js';

const READ_KEY = 'read-key-web-rebuild-0001';

/** The assets a page or script names: `/assets/index-B5Tm_C5a.js`, `./page-window-DBXQbYiJ.js`. */
const named = (text: string) => [...text.matchAll(/(?:\/assets\/|\.\/)([\w-]+\.(?:js|css))/g)].map((m) => m[1]!);

/**
 * What a build from changed sources leaves in `dir`: every asset under another name (vite names them by their
 * content), the pages and scripts naming the new ones, another source hash; the old names are gone.
 */
function rebuildFromOtherSources(dir: string): void {
  const out = `${dir}.tmp-rebuild`;
  cpSync(dir, out, { recursive: true });
  const renames = new Map(readdirSync(join(out, 'assets')).map((f) => [f, f.replace(/^([\w]+-)/, '$1x')]));
  const rename = (text: string) => text.replace(/[\w-]+\.(?:js|css)/g, (f) => renames.get(f) ?? f);
  for (const [from, to] of renames) {
    const file = join(out, 'assets', from);
    writeFileSync(join(out, 'assets', to), rename(readFileSync(file, 'utf8')));
    rmSync(file);
  }
  for (const page of ['index.html', 'tv.html']) writeFileSync(join(out, page), rename(readFileSync(join(out, page), 'utf8')));
  writeFileSync(join(out, '.source-hash'), 'other sources');
  installBuild(out, dir);
}

describe('a running hub\'s dashboard while dist/web is rebuilt from other sources', () => {
  const home = mkdtempSync(join(tmpdir(), 'puddle-web-rebuild-'));
  const dir = join(home, 'web');
  let app: FastifyInstance;
  const get = (url: string) => app.inject({ url, headers: { authorization: `Bearer ${READ_KEY}` } });

  beforeAll(async () => {
    cpSync(await ensureWebBuilt(), dir, { recursive: true });
    app = Fastify();
    await app.register(dashboardRoutes, { keys: createKeyRing({ read: [READ_KEY] }), web: await readWebBuild(dir) });
  }, 180_000);
  afterAll(async () => {
    await app?.close();
    rmSync(home, { recursive: true, force: true });
  });

  it('keeps serving its pages and every asset they name, as they were when it started', async () => {
    const before = new Map<string, string>();
    for (const page of ['/', '/tv']) {
      const res = await get(page);
      expect(res.statusCode).toBe(200);
      before.set(page, res.body);
    }
    const assets = new Set([...before.values()].flatMap(named));
    for (const a of [...assets]) for (const more of named((await get(`/assets/${a}`)).body)) assets.add(more);
    expect([...assets].some((a) => a.endsWith('.js'))).toBe(true);
    const bodies = new Map<string, string>();
    for (const a of assets) {
      const res = await get(`/assets/${a}`);
      expect(res.statusCode, a).toBe(200);
      bodies.set(a, res.body);
    }

    rebuildFromOtherSources(dir);
    // The old names are gone from the disk: what the running hub serves does not depend on them.
    expect(readdirSync(join(dir, 'assets')).filter((f) => assets.has(f))).toEqual([]);

    for (const [page, body] of before) {
      const res = await get(page);
      expect(res.statusCode).toBe(200);
      expect(res.body).toBe(body);
    }
    for (const [a, body] of bodies) {
      const res = await get(`/assets/${a}`);
      expect(res.statusCode, `${a} after the rebuild`).toBe(200);
      expect(res.body).toBe(body);
      expect(res.headers['cache-control']).toBe('public, max-age=31536000, immutable');
    }
    expect((await get('/assets/none.js')).statusCode).toBe(404);
  });

  it('a hub starting while the build is being replaced waits for it and reads one whole build', async () => {
    const aside = `${dir}.aside`;
    renameSync(dir, aside);
    // Its first read finds no build (between the rebuild's two renames); the build is back before its next.
    const reading = readWebBuild(dir);
    installBuild(aside, dir);
    const build = await reading;
    const index = build.pages.get('index.html')!;
    expect(named(index).length).toBeGreaterThan(0);
    for (const a of named(index)) expect(build.assets.has(a), a).toBe(true);
  });

  it('refuses a build whose page names an asset it does not hold, saying what to do', async () => {
    const broken = join(home, 'broken');
    cpSync(dir, broken, { recursive: true });
    for (const f of readdirSync(join(broken, 'assets'))) rmSync(join(broken, 'assets', f));
    await expect(readWebBuild(broken, 2)).rejects.toThrow(`the dashboard's files in ${broken} are incomplete, or were being replaced on every read: run \`npm run build\``);
  });
});
