#!/usr/bin/env -S node --max-semi-space-size=64
// The shebang gives node the young generation `npm start` gives the hub (docs/benchmarks.md, "The whole hub": scavenges
// were a fifth of the producer's loop at 16 MB); V8 reads it only at process start. `node bin/puddle.mjs`
// runs without it.
// Runs the compiled CLI (dist/js/<fingerprint>/cli.cjs, see bin/build.mjs) through V8's code cache (code-cache.mjs).
// The fingerprint of the sources is checked first (a stat of each, a few ms): after an edit or a checkout the build
// is redone before anything runs, so a stale build never runs, and a fresh clone that skipped `npm ci`'s build still
// works.
import path from 'node:path';
import { ensureBuilt } from './build.mjs';
import { loadCached, worthKeeping } from './code-cache.mjs';

// package.json's engines, said plainly: npm only warns, and an older Node fails later with a TypeError.
// `Dirent.parentPath` came in 20.12 and 21.4 (Node 21, end of life, is the odd line between).
const [major, minor] = process.versions.node.split('.').map(Number);
if (major < 20 || (major === 20 && minor < 12) || (major === 21 && minor < 4)) {
  process.stderr.write(`puddle: needs Node 20.12 or newer (this is ${process.versions.node})\n`);
  process.exit(1);
}

let dir;
try {
  dir = await ensureBuilt();
} catch (err) {
  process.stderr.write(`${err instanceof Error ? err.message : String(err)}\n`);
  process.exit(1);
}
const args = process.argv.slice(2);
const cli = loadCached(path.join(dir, 'cli.cjs'), args[0]);
process.exitCode = await cli.exports.main(args);
if (worthKeeping(args, process.exitCode)) cli.save();
