// The dashboard's static files: web/ built by vite into dist/web/, once, whenever the sources changed.
// `npm start` and the tests call ensureWebBuilt() before the hub serves, so a fresh clone needs no extra
// step (and nothing is fetched at run time: uPlot is bundled). The build is keyed by a hash of its inputs
// (web/, what its pages import from core/, the vite and uPlot versions), so a stale build is replaced and an
// up-to-date one costs a hash. A hub reads the whole build once (readWebBuild, about 100 KB) and serves that for
// as long as it runs: another hub or `npm run build` from the same checkout may replace dist/web meanwhile.
import { setTimeout as sleep } from 'node:timers/promises';
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readdirSync, readFileSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { log } from '../../core/log.js';
import type { WebBuild } from '../../puddles/http/dashboard-routes.js';

// The repository: two folders up from this file, or from its compiled copy in dist/js/<build>/infra/local.
const ROOT = (() => {
  for (let dir = path.resolve(import.meta.dirname, '..', '..'); ; dir = path.dirname(dir)) {
    if (existsSync(path.join(dir, 'package.json'))) return dir;
    if (path.dirname(dir) === dir) throw new Error(`no package.json above ${import.meta.dirname}`);
  }
})();
export const WEB_SOURCE = path.join(ROOT, 'web');
export const WEB_DIST = path.join(ROOT, 'dist', 'web');
const STAMP = '.source-hash';
const LOCK = `${WEB_DIST}.lock`;

function files(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true })
    .flatMap((e) => (e.isDirectory() ? files(path.join(dir, e.name)) : [path.join(dir, e.name)]))
    .sort();
}

// A relative import in the pages' TypeScript: `from '../../core/currency-exponents.js'`.
const RELATIVE_IMPORT = /\bfrom\s+'(\.{1,2}\/[^']+)'/g;

/**
 * The files outside web/ that the pages import (core/currency-exponents.ts, say), and what those import in
 * turn: the build reads them, so a change to one must rebuild the pages as a change in web/ does.
 */
export function sharedWebInputs(): string[] {
  const seen = new Set<string>();
  const visit = (file: string) => {
    for (const m of readFileSync(file, 'utf8').matchAll(RELATIVE_IMPORT)) {
      // TypeScript's ESM imports name the .js the compiler would write; the source is the .ts beside it.
      const target = path.resolve(path.dirname(file), m[1]!.replace(/\.js$/, '.ts'));
      if (target.startsWith(WEB_SOURCE + path.sep) || seen.has(target) || !existsSync(target)) continue;
      seen.add(target);
      visit(target);
    }
  };
  for (const f of files(WEB_SOURCE)) if (f.endsWith('.ts')) visit(f);
  return [...seen].sort();
}

/** A hash of everything the build reads. */
export function webSourceHash(): string {
  const h = createHash('sha256');
  for (const f of files(WEB_SOURCE)) h.update(path.relative(WEB_SOURCE, f)).update('\0').update(readFileSync(f)).update('\0');
  for (const f of sharedWebInputs()) h.update(path.relative(ROOT, f)).update('\0').update(readFileSync(f)).update('\0');
  for (const pkg of ['vite', 'uplot']) {
    const p = path.join(ROOT, 'node_modules', pkg, 'package.json');
    h.update(existsSync(p) ? String((JSON.parse(readFileSync(p, 'utf8')) as { version?: string }).version) : 'missing');
  }
  return h.digest('hex');
}

function upToDate(hash: string): boolean {
  try {
    return readFileSync(path.join(WEB_DIST, STAMP), 'utf8') === hash;
  } catch {
    return false;
  }
}

/** Build dist/web from web/ unless it is already built from these sources. Returns the folder to serve. */
export async function ensureWebBuilt(): Promise<string> {
  const hash = webSourceHash();
  for (let waited = 0; !upToDate(hash); ) {
    // One builder at a time (several test files start hubs at once); the others wait for its result.
    mkdirSync(path.dirname(LOCK), { recursive: true });
    try {
      mkdirSync(LOCK, { recursive: false });
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
      // A lock left by a build that was killed is taken over after two minutes.
      const lock = statSync(LOCK, { throwIfNoEntry: false });
      if (lock && Date.now() - lock.mtimeMs > 120_000) rmSync(LOCK, { recursive: true, force: true });
      if (waited > 180_000) throw new Error(`the dashboard build did not finish: remove ${LOCK} if no build is running`);
      await sleep(200);
      waited += 200;
      continue;
    }
    try {
      if (!upToDate(hash)) await build(hash);
    } finally {
      rmSync(LOCK, { recursive: true, force: true });
    }
  }
  return WEB_DIST;
}

async function build(hash: string): Promise<void> {
  const started = Date.now();
  const out = `${WEB_DIST}.tmp-${process.pid}`;
  let vite: typeof import('vite');
  try {
    vite = await import('vite');
  } catch {
    throw new Error('the dashboard is not built (dist/web) and vite is not installed: run `npm ci` (with dev dependencies), then `npm run build`');
  }
  await vite.build({
    configFile: false,
    root: WEB_SOURCE,
    base: '/',
    logLevel: 'warn',
    build: {
      outDir: out,
      emptyOutDir: true,
      assetsDir: 'assets',
      rollupOptions: { input: { index: path.join(WEB_SOURCE, 'index.html'), tv: path.join(WEB_SOURCE, 'tv.html') } },
    },
  });
  writeFileSync(path.join(out, STAMP), hash);
  installBuild(out, WEB_DIST);
  log.info('dashboard built', { dir: path.relative(ROOT, WEB_DIST), ms: Date.now() - started });
}

/**
 * A finished build (`out`) put in place of `dir`: the old one is moved aside, then removed, so `dir` is missing
 * only between two renames (readWebBuild tries again meanwhile), and never holds half of each.
 */
export function installBuild(out: string, dir: string): void {
  const old = `${dir}.old-${process.pid}`;
  rmSync(old, { recursive: true, force: true });
  if (existsSync(dir)) renameSync(dir, old);
  renameSync(out, dir);
  rmSync(old, { recursive: true, force: true });
}

/** The pages a build has, as the hub serves them (puddles/http/dashboard-routes.ts). */
const PAGES = ['index.html', 'tv.html'];
/** An asset a page names: `/assets/index-B5Tm_C5a.js`. */
const ASSET_NAMED = /\/assets\/([\w.-]+)/g;

/**
 * The whole build in `dir`, its pages and assets read together: what a hub serves for as long as it runs. Until
 * 2026-12-03 the hub kept index.html from its first request and read the assets from disk for each one: a
 * rebuild from other sources (another hub, or `npm run build`, from the same checkout) replaced the assets with
 * others of other names, and the running hub's dashboard went blank at its next load (its page named assets
 * that were gone: 404). A build being replaced while it is read (the stamp changed, a file gone, a page naming
 * an asset not there) is read again, for up to `attempts` tries 100 ms apart.
 */
export async function readWebBuild(dir: string = WEB_DIST, attempts = 50): Promise<WebBuild> {
  for (let attempt = 1; ; attempt++) {
    const build = readBuildOnce(dir);
    if (build) return build;
    if (attempt >= attempts) throw new Error(`the dashboard's files in ${dir} are incomplete, or were being replaced on every read: run \`npm run build\``);
    await sleep(100);
  }
}

function readBuildOnce(dir: string): WebBuild | undefined {
  try {
    const stamp = readFileSync(path.join(dir, STAMP), 'utf8');
    const pages = new Map(PAGES.map((p) => [p, readFileSync(path.join(dir, p), 'utf8')]));
    const assetDir = path.join(dir, 'assets');
    const assets = new Map(readdirSync(assetDir).map((f) => [f, readFileSync(path.join(assetDir, f))]));
    const named = [...pages.values()].flatMap((html) => [...html.matchAll(ASSET_NAMED)].map((m) => m[1]!));
    if (named.some((f) => !assets.has(f)) || readFileSync(path.join(dir, STAMP), 'utf8') !== stamp) return undefined;
    return { pages, assets };
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw err;
  }
}
