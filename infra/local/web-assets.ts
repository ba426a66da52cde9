// The dashboard's static files: web/ built by vite into dist/web/, once, whenever the sources changed.
// `npm start` and the tests call ensureWebBuilt() before the hub serves, so a fresh clone needs no extra
// step (and nothing is fetched at run time: uPlot is bundled). The build is keyed by a hash of its inputs
// (web/, what its pages import from core/, the vite and uPlot versions), so a stale build is replaced and an
// up-to-date one costs a hash.
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readdirSync, readFileSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { log } from '../../core/log.js';

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

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

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
  rmSync(WEB_DIST, { recursive: true, force: true });
  renameSync(out, WEB_DIST);
  log.info('dashboard built', { dir: path.relative(ROOT, WEB_DIST), ms: Date.now() - started });
}
