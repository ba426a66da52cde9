// Runs the CLI's CommonJS bundle (dist/js/<fingerprint>/cli.cjs, bin/build.mjs) through V8's code cache. Node 20
// keeps no compiled code between runs for ES modules; a script compiled with vm.Script takes `cachedData`, the
// bytecode of an earlier run, and skips parsing and compiling what it holds. docs/benchmarks.md, "Start-up".
//
// One cache per command (`query`, `start`, ...), made at the end of a first run of that command that went well, so it
// holds the functions the command runs, not only the bundle's top level; and per node version and flags (V8 rejects a
// cache made under other flags, and two would otherwise replace each other at every run). The caches live in the
// build's folder: this file (the wrapper V8 compiles with the bundle) is in the build's fingerprint, and the bundle's
// size and time are in the cache's name, because V8 checks a cache against the length of the text only. A cache that
// cannot be written (a clone this user may not write, a full disk) is no error: the command ran, as it would without.
import { createHash, randomBytes } from 'node:crypto';
import { accessSync, constants, mkdirSync, readFileSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs';
import Module from 'node:module';
import path from 'node:path';
import vm from 'node:vm';

/**
 * The bundle's exports, and `save`, which writes a cache for `command` when there was none to use. `__puddleImport`:
 * the bundle's import() of npm packages that are ES modules only (bin/build.mjs, takePackage); a vm script's own
 * import() needs a flag on Node 20, or prints an ExperimentalWarning.
 */
export function loadCached(file, command) {
  // The build writes it in ASCII, so latin1 is the same text, read without decoding UTF-8.
  const source = readFileSync(file, 'latin1');
  const { size, mtimeMs } = statSync(file);
  const key = createHash('sha256').update(`${process.version}\0${process.execArgv.join(' ')}\0${process.env.NODE_OPTIONS ?? ''}\0${size}\0${Math.trunc(mtimeMs)}`).digest('hex').slice(0, 12);
  const name = /^[a-z][a-z0-9-]{0,40}$/.test(command ?? '') ? command : 'other';
  const dir = path.join(path.dirname(file), 'code-cache');
  const cacheFile = path.join(dir, `${name}-${key}.bin`);
  let cachedData;
  try {
    cachedData = readFileSync(cacheFile);
  } catch {
    // none yet
  }
  // node's CommonJS wrapper on a line of its own (lineOffset), so that a stack trace's lines are the file's.
  const wrapped = `(function (exports, require, module, __filename, __dirname, __puddleImport) {\n${source}\n})`;
  const script = new vm.Script(wrapped, { filename: file, lineOffset: -1, cachedData });
  const reusable = cachedData !== undefined && !script.cachedDataRejected;
  cachedData = undefined;
  const module = { exports: {} };
  script.runInThisContext()(module.exports, Module.createRequire(file), module, file, path.dirname(file), (specifier) => import(specifier));
  const save = () => {
    if (reusable) return;
    try {
      // A folder this user may not write (a service user running a clone it does not own): not worth serializing.
      mkdirSync(dir, { recursive: true });
      accessSync(dir, constants.W_OK);
    } catch {
      return;
    }
    const tmp = `${cacheFile}.tmp-${process.pid}-${randomBytes(4).toString('hex')}`;
    try {
      writeFileSync(tmp, script.createCachedData());
      renameSync(tmp, cacheFile);
    } catch {
      // a full disk: the next run compiles again
      rmSync(tmp, { force: true });
    }
  };
  return { exports: module.exports, save };
}

/**
 * Whether a run's compiled code is worth keeping as its command's cache: a run that did the command's work, not a
 * command's --help, a mistake or a failure, whose cache would hold little of it (`puddle --help`, which loads every
 * command, has a cache of its own).
 */
export function worthKeeping(args, exitCode) {
  return exitCode === 0 && !args.slice(1).some((a) => a === '--help' || a === '-h');
}
