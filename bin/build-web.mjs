#!/usr/bin/env node
// The dashboard (web/) built into dist/web/ when missing or stale (infra/local/web-assets.ts). `npm run build` runs
// it to build ahead (e.g. in an image); `npm start` runs it before the hub, so that vite builds in a process of its
// own that then exits, not inside the hub, which kept its bundler's workers and ~100 MB for the whole night
// (docs/benchmarks.md, "A soak"). `--warn-only` (npm start): a failed build is said and the hub still starts, serving the API
// without the dashboard, as it does when it cannot build one itself. The tests build it through the hub.
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { ensureBuilt } from './build.mjs';

const warnOnly = process.argv.includes('--warn-only');
try {
  const dir = await ensureBuilt();
  const { ensureWebBuilt } = await import(pathToFileURL(path.join(dir, 'infra', 'local', 'web-assets.js')).href);
  console.log(`dashboard: ${await ensureWebBuilt()}`);
} catch (err) {
  if (!warnOnly) throw err;
  process.stderr.write(`dashboard not built (${err instanceof Error ? err.message : String(err)}): the hub will serve the API without it\n`);
}
