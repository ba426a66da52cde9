// Runs the CLI's CommonJS bundle (dist/js/<fingerprint>/cli.cjs, bin/build.mjs) through V8's code cache. Node 20
// keeps no compiled code between runs for ES modules; a script compiled with vm.Script takes `cachedData`, the
// bytecode of an earlier run, and skips parsing and compiling what it holds. docs/benchmarks.md, "Start-up".
//
// One cache per command (`query`, `start`, ...), made at the end of the first run of that command in this build, so
// it holds the functions that command ran, not only the bundle's top level; and per node and V8 flags, which V8 checks
// (a cache made under other flags is rejected, and the two would otherwise replace each other at every run). The
// caches live in the build's folder, whose bundle never changes: V8 checks a cache against the source's length only.
// A cache that cannot be written (a clone this user may not write, a full disk) is no error: the command ran.
import { createHash } from 'node:crypto';
import { mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import Module from 'node:module';
import path from 'node:path';
import vm from 'node:vm';

/** The bundle's exports, its compiled script, and `save`, which writes a new cache when there was none to use. */
export function loadCached(file, command) {
  // The build writes it in ASCII, so latin1 is the same text, read without decoding UTF-8.
  const source = readFileSync(file, 'latin1');
  const flags = createHash('sha256').update(`${process.version}\0${process.execArgv.join(' ')}\0${process.env.NODE_OPTIONS ?? ''}`).digest('hex').slice(0, 12);
  const name = /^[a-z][a-z0-9-]{0,40}$/.test(command ?? '') ? command : 'other';
  const cacheFile = path.join(path.dirname(file), 'code-cache', `${name}-${flags}.bin`);
  let cachedData;
  try {
    cachedData = readFileSync(cacheFile);
  } catch {
    // none yet
  }
  // node's CommonJS wrapper, and `__puddleImport`: the bundle's import() of npm packages that are ES modules only
  // (bin/build.mjs, takePackage). A vm script's own import() needs a flag on Node 20 (or prints an ExperimentalWarning).
  const wrapped = `(function (exports, require, module, __filename, __dirname, __puddleImport) {${source}\n})`;
  const script = new vm.Script(wrapped, { filename: file, cachedData });
  const module = { exports: {} };
  script.runInThisContext()(module.exports, Module.createRequire(file), module, file, path.dirname(file), (specifier) => import(specifier));
  const save = () => {
    if (cachedData && !script.cachedDataRejected) return;
    const tmp = `${cacheFile}.tmp-${process.pid}`;
    try {
      mkdirSync(path.dirname(cacheFile), { recursive: true });
      writeFileSync(tmp, script.createCachedData());
      renameSync(tmp, cacheFile);
    } catch {
      // not writable here: the next run compiles again
    }
  };
  return { exports: module.exports, save };
}
