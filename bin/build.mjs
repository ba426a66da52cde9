#!/usr/bin/env node
// The compiled JavaScript that bin/puddle.mjs runs: core/, connectors/, puddles/, schedules/ and infra/
// transpiled file by file with esbuild into dist/js/<fingerprint>/, beside copies of the files they read
// at run time (puddles/queries/*.sql, the plain-JS worker modules). `npm ci` runs it (`prepare`), so does
// `npm start` and `npm run build`; bin/puddle.mjs checks the fingerprint before every command and rebuilds
// when a source changed, so a stale build never runs.
//
// Why esbuild, not tsc: it transpiles the ~190 files in well under a second (tsc's emit re-checks the whole
// program, tens of seconds here), and type checking already has its own step (`npm run typecheck`). The output
// mirrors the tree file by file, each module beside its neighbours (the worker threads start on those, and find
// their modules and the SQL files through import.meta.url); beside it, the CLI that bin/puddle.mjs runs is one
// CommonJS bundle at the build's root, `cli.cjs` (bundleCli, which rewrites each module's import.meta to its own
// file's place in the tree), run through V8's code cache.
//
// Why a folder per fingerprint: tests and several `puddle` commands may start at once after an edit; each
// build goes to a temporary folder renamed into place (atomic), and a process already running from an
// older build keeps its files (a worker it starts later still finds its module).
import { createHash } from 'node:crypto';
import { copyFileSync, existsSync, mkdirSync, readdirSync, readFileSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

export const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const SOURCE_DIRS = ['core', 'connectors', 'puddles', 'schedules', 'infra'];
const OUT = path.join(ROOT, 'dist', 'js');
/** Written last into a finished build: a folder without it is a build that died half-way. */
const DONE = '.complete';
// Files read at run time beside the modules (the plain-JS worker code, SQL); the rest (.md, .d.mts) is not.
const COPIED = ['.mjs', '.sql'];

/**
 * What the build depends on: every source's path (from the root), size and modification time, this script's, and
 * those of package-lock.json (the packages the build bundles, such as DuckDB's API, and esbuild itself) and
 * tsconfig.json (which esbuild reads), one line each, in name order. Cheap (a stat of each of ~430 files, about 14
 * ms): bin/puddle.mjs computes it at every start. An edit, a checkout, an upgrade or a touch changes it; a rebuild
 * with nothing changed costs about a second. Written with string paths and plain loops: with path.join and
 * path.relative per file it took 25 ms (docs/benchmarks.md, "Start-up").
 */
export function fingerprint() {
  const files = [];
  let text = '';
  // One line a file; one that is absent says so (package-lock.json in a package without a lock).
  const stamp = (rel) => {
    const s = statSync(`${ROOT}/${rel}`, { throwIfNoEntry: false });
    text += s ? `${rel}\0${s.size}\0${Math.trunc(s.mtimeMs)}\n` : `${rel}\0absent\n`;
  };
  // A file the build compiles or copies; package-lock.json and tsconfig.json are read by it, stamped only.
  const add = (rel) => {
    stamp(rel);
    files.push(`${ROOT}/${rel}`);
  };
  const walk = (rel) => {
    const entries = readdirSync(`${ROOT}/${rel}`, { withFileTypes: true });
    entries.sort((a, b) => (a.name < b.name ? -1 : 1));
    for (const e of entries) {
      const p = `${rel}/${e.name}`;
      if (e.isDirectory()) walk(p);
      else if (e.name.endsWith('.test.ts')) continue;
      else if ((e.name.endsWith('.ts') && !e.name.endsWith('.d.ts')) || COPIED.some((x) => e.name.endsWith(x))) add(p);
    }
  };
  for (const d of SOURCE_DIRS) walk(d);
  add(path.relative(ROOT, fileURLToPath(import.meta.url)).split(path.sep).join('/'));
  // The code cache's wrapper is part of the text V8 compiles: a change to it is a new build, whose caches are new.
  stamp('bin/code-cache.mjs');
  stamp('package-lock.json');
  stamp('tsconfig.json');
  return { hash: createHash('sha256').update(text).digest('hex').slice(0, 16), files };
}

/** The folder holding the up-to-date build, building it first if needed. */
export async function ensureBuilt({ quiet = false } = {}) {
  const { hash, files } = fingerprint();
  const dir = path.join(OUT, hash);
  if (existsSync(path.join(dir, DONE))) return dir;

  let esbuild;
  try {
    esbuild = await import('esbuild');
  } catch (err) {
    throw new Error(`puddle: the compiled JavaScript in dist/js is missing or older than the sources, and esbuild (a dev dependency) cannot be loaded to rebuild it: run \`npm ci\` (or \`npm run build\`) in ${ROOT}`, { cause: err });
  }
  if (!quiet) process.stderr.write(`puddle: compiling TypeScript into dist/js/${hash} (sources changed since the last build)\n`);
  const tmp = `${dir}.tmp-${process.pid}-${Date.now()}`;
  try {
    mkdirSync(tmp, { recursive: true });
  } catch (err) {
    // A service user that may not write the clone (as it should not) meets a build older than the sources: say who
    // must build, not a stack trace the service manager restarts every few seconds (a going-live user test).
    if (err?.code !== 'EACCES' && err?.code !== 'EPERM' && err?.code !== 'EROFS') throw err;
    throw new Error(`puddle: the compiled JavaScript in dist/js is older than the sources, and this user may not write ${OUT}: run \`npm ci\` (or \`npm run build\`) in ${ROOT} as the clone's owner after every update`, { cause: err });
  }
  try {
    const ts = files.filter((f) => f.endsWith('.ts'));
    await esbuild.build({
      entryPoints: ts,
      outdir: tmp,
      outbase: ROOT,
      bundle: false,
      platform: 'node',
      format: 'esm',
      target: 'node20',
      sourcemap: 'linked',
      logLevel: 'error',
    });
    for (const f of files.filter((f) => COPIED.some((x) => f.endsWith(x)))) {
      const to = path.join(tmp, path.relative(ROOT, f));
      mkdirSync(path.dirname(to), { recursive: true });
      copyFileSync(f, to);
    }
    await vendorDuckDb(esbuild, tmp);
    await bundleCli(esbuild, tmp);
    // The build script itself is in the fingerprint but not in the output.
    rmSync(path.join(tmp, 'bin'), { recursive: true, force: true });
    writeFileSync(path.join(tmp, DONE), `${new Date().toISOString()}\n`);
    try {
      renameSync(tmp, dir);
    } catch (err) {
      // Another process finished the same build first: use theirs.
      if (!existsSync(path.join(dir, DONE))) throw err;
    }
  } finally {
    rmSync(tmp, { recursive: true, force: true });
  }
  prune(hash);
  return dir;
}

/**
 * @duckdb/node-api is 124 small CommonJS files: loading them took ~190 ms of every `puddle query`, against
 * ~50 ms for the same code as one ESM file. So the build bundles it once into vendor/duckdb-node-api.js (the
 * native addon, @duckdb/node-bindings, stays a normal require from node_modules) and points the compiled
 * modules' imports at that file. Its named exports are listed from the package itself, so they never drift.
 *
 * The addon itself: @duckdb/node-bindings asks detect-libc at every load whether Linux runs on glibc or musl, to
 * pick its package (10-20 ms of every command's start). The build makes that choice once (npm 11 installs only this
 * machine's package; with both, glibc or not as node's report says) and the bundle requires it directly, by a path
 * relative to the build (a clone moved whole still finds it), falling back to the package's own choice should that
 * fail (node_modules changed under an old build).
 */
async function vendorDuckDb(esbuild, tmp) {
  const pkg = '@duckdb/node-api';
  const names = Object.keys(createRequire(path.join(ROOT, 'package.json'))(pkg)).filter((n) => /^[A-Za-z_$][\w$]*$/.test(n) && n !== 'default');
  const out = path.join(tmp, 'vendor', 'duckdb-node-api.js');
  await esbuild.build({
    stdin: { contents: `import * as m from '${pkg}';\nexport const { ${names.join(', ')} } = m;\nexport default m;\n`, resolveDir: ROOT, loader: 'js' },
    outfile: out,
    absWorkingDir: ROOT,
    bundle: true,
    platform: 'node',
    format: 'esm',
    target: 'node20',
    external: ['@duckdb/node-bindings'],
    // A third of the text to read and compile at every start (about 5 ms); its errors' messages are DuckDB's own.
    minify: true,
    plugins: addonPlugin('vendor'),
    // The bundled CommonJS calls require() for the addon: give it one in ESM.
    banner: { js: "import { createRequire as __puddleCreateRequire } from 'node:module'; const require = __puddleCreateRequire(import.meta.url);" },
    logLevel: 'error',
  });
  const quoted = /(from\s*|import\(\s*)"@duckdb\/node-api"/g;
  for (const file of compiled(tmp)) {
    const text = readFileSync(file, 'utf8');
    if (!text.includes('"@duckdb/node-api"')) continue;
    let rel = path.relative(path.dirname(file), out).split(path.sep).join('/');
    if (!rel.startsWith('.')) rel = `./${rel}`;
    writeFileSync(file, text.replace(quoted, (_, head) => `${head}"${rel}"`));
  }
}

/**
 * The CLI as one CommonJS bundle, dist/js/<fingerprint>/cli.cjs, which bin/puddle.mjs runs through V8's code cache
 * (bin/code-cache.mjs). Node 20 keeps no compiled code between runs for ES modules, but it does for a script
 * (vm.Script's cachedData): `puddle query "select 1"` then deserializes its bytecode instead of parsing and compiling
 * about 1.5 MB of JavaScript at every start (docs/benchmarks.md, "Start-up"). One file, because CommonJS has no
 * chunks; it stays lazy all the same: each command's modules, and the npm packages they require, are loaded (esbuild's
 * init wrappers) only when the command runs.
 *
 * npm packages stay requires from node_modules, except those that cannot be required on Node 20 (ES-module only, such
 * as p-queue), which are bundled, and @duckdb/node-api and better-sqlite3, which are bundled too (their many small
 * files; their addons are required directly) (takePackage). Whitespace is minified, names are not, so stack traces still read.
 * The output is ASCII only: one other character (a `£` in a regular expression) makes V8 keep the whole text as
 * two-byte, slower to read and compile (asciiOnly).
 *
 * Workers start on the file-by-file modules beside it (landing-worker.js, the .mjs threads): a source's
 * `import.meta.url` and `import.meta.dirname` are rewritten to its own file's place in the build (the bundle lies at
 * the build's root, so one relative path serves), so that each finds its workers and SQL files as the file-by-file
 * build does.
 */
async function bundleCli(esbuild, tmp) {
  const here = {
    name: 'puddle-import-meta',
    setup(build) {
      build.onResolve({ filter: /^[^./]/ }, (args) => {
        const take = takePackage(args);
        if (take === 'bundle') return undefined;
        if (take === 'external') return { path: args.path, external: true };
        return { path: args.path, namespace: `puddle-${take}` };
      });
      // An import() of a package that can be required: a module of one line that requires it (esbuild gives the import()
      // node's `default`, the package's exports, as it does for any CommonJS module an ES module imports).
      build.onLoad({ filter: /.*/, namespace: 'puddle-require' }, (args) => ({ contents: `module.exports = require(${JSON.stringify(args.path)});`, loader: 'js', resolveDir: ROOT }));
      // An import() of a package that is an ES module only (vite, fauxqs): a script run by vm (bin/code-cache.mjs) has
      // no import() of its own on Node 20 without a flag or an ExperimentalWarning, so the bundle's wrapper is handed
      // the loader's (`__puddleImport`). esbuild turns the import() into a promise of this module's exports; as they are
      // a thenable, that promise settles with what `then` gives: the package's namespace.
      build.onLoad({ filter: /.*/, namespace: 'puddle-import' }, (args) => ({
        contents: `module.exports = { then: (resolve, reject) => __puddleImport(${JSON.stringify(args.path)}).then(resolve, reject) };`,
        loader: 'js',
        resolveDir: ROOT,
      }));
      build.onLoad({ filter: /\.(ts|mjs)$/ }, async (args) => {
        if (args.path.includes(`${path.sep}node_modules${path.sep}`)) return undefined;
        const text = readFileSync(args.path, 'utf8');
        const loader = args.path.endsWith('.ts') ? 'ts' : 'js';
        if (!text.includes('import.meta.')) return { contents: text, loader };
        const rel = path.relative(ROOT, args.path).split(path.sep).join('/').replace(/\.ts$/, '.js');
        // As expressions only (esbuild's define), never inside a string: the CDK's Lambda banner holds the words. The
        // banner, on the first line, keeps the source map's lines. __dirname is the bundle's folder, the build's root.
        const { code } = await esbuild.transform(text, {
          loader,
          format: 'esm',
          sourcefile: args.path,
          sourcemap: 'inline',
          define: { 'import.meta.url': '__puddleModuleUrl', 'import.meta.dirname': '__puddleModuleDir' },
          banner:
            `const __puddleModuleDir = __dirname + ${JSON.stringify(`/${path.posix.dirname(rel)}`)}; ` +
            `const __puddleModuleUrl = require('node:url').pathToFileURL(__dirname + ${JSON.stringify(`/${rel}`)}).href;`,
        });
        return { contents: code, loader: 'js' };
      });
    },
  };
  const result = await esbuild.build({
    entryPoints: { cli: path.join(ROOT, 'infra', 'cli', 'main.ts') },
    outdir: tmp,
    entryNames: '[name]',
    outExtension: { '.js': '.cjs' },
    bundle: true,
    platform: 'node',
    format: 'cjs',
    target: 'node20',
    sourcemap: 'linked',
    minifyWhitespace: true,
    minifySyntax: true,
    // Lines of a readable length: node prints the whole line of an uncaught error's source with its stack.
    lineLimit: 200,
    legalComments: 'none',
    // Module names relative to the clone, whichever folder the build runs from.
    absWorkingDir: ROOT,
    // The addon's plugin first: it takes @duckdb/node-bindings before the rule above makes every package external.
    plugins: [...addonPlugin('.'), here],
    logLevel: 'error',
  });
  // A warning here is a bundle that would go wrong at run time (an `import.meta` esbuild had to leave empty in a
  // bundled package, a require it could not resolve): the build stops rather than run it.
  if (result.warnings.length > 0) {
    const [w] = result.warnings;
    throw new Error(`puddle: esbuild warns about the CLI bundle: ${w.text}${w.location ? ` (${w.location.file}:${w.location.line})` : ''}`);
  }
  asciiOnly(path.join(tmp, 'cli.cjs'));
}

/** The packages the CLI bundle holds rather than requires (takePackage). */
const BUNDLED = ['@duckdb/node-api', 'better-sqlite3'];

/**
 * How the CLI bundle takes an npm package: `bundle` it, leave it `external` (a require from node_modules), or, where the
 * source has an import(), `require` it or `import` it through the loader. Bundled:
 * - @duckdb/node-api (see vendorDuckDb) and better-sqlite3 (its 14 small files; its addon is named by
 *   infra/local/sqlite.ts newSqlite, so the bundled `bindings` does not search for it);
 * - what a bundled package imports itself;
 * - a package that only has an ES module, imported statically: a CommonJS bundle cannot require it on Node 20 before
 *   20.19 (one imported with import(), such as vite, is imported from node_modules as before).
 * An import() of a package that can be required becomes a require: a package with both builds (the AWS SDK) would
 * otherwise be loaded twice, its ES module beside the CommonJS the rest of the bundle requires, and their classes
 * would not mix.
 */
function takePackage({ path: specifier, kind, importer }) {
  const name = specifier.split('/').slice(0, specifier.startsWith('@') ? 2 : 1).join('/');
  if (name.startsWith('node:') || !/^[@a-z0-9]/i.test(name)) return 'external';
  if (BUNDLED.includes(name) || importer.includes(`${path.sep}node_modules${path.sep}`)) return 'bundle';
  const can = requirable(specifier);
  if (can === undefined) return 'external';
  const esmOnly = !can;
  if (kind === 'dynamic-import') return esmOnly ? 'import' : 'require';
  return esmOnly ? 'bundle' : 'external';
}

/**
 * Whether node's require takes this specifier as CommonJS (undefined: not installed, an optional package, left to
 * fail at run time as before): resolved with require's conditions, the file it gives is neither `.mjs` nor a `.js` of a
 * package whose type is module.
 */
function requirable(specifier) {
  let file;
  try {
    file = createRequire(path.join(ROOT, 'package.json')).resolve(specifier);
  } catch (err) {
    return err?.code === 'MODULE_NOT_FOUND' ? undefined : false; // ERR_PACKAGE_PATH_NOT_EXPORTED: an import only
  }
  if (file.endsWith('.mjs')) return false;
  if (file.endsWith('.cjs') || file.endsWith('.node') || file.endsWith('.json')) return true;
  for (let dir = path.dirname(file); dir !== path.dirname(dir); dir = path.dirname(dir)) {
    const pkg = path.join(dir, 'package.json');
    if (existsSync(pkg)) return JSON.parse(readFileSync(pkg, 'utf8')).type !== 'module';
  }
  return true;
}

/**
 * Escapes what is left outside ASCII (esbuild escapes strings but not regular expressions) as \uXXXX, which means the
 * same in a regular expression, a string or a template. Only the columns after it on its line move in the source map.
 */
function asciiOnly(file) {
  const text = readFileSync(file, 'utf8');
  // After a backslash (`/\£/`), \uXXXX would read as a backslash and the letters: none today, so say so if one comes.
  // eslint-disable-next-line no-control-regex
  const escapedOne = /\\[^\x00-\x7f]/.exec(text);
  if (escapedOne) throw new Error(`puddle: the CLI bundle has a backslash before a character outside ASCII (${JSON.stringify(text.slice(escapedOne.index - 40, escapedOne.index + 10))}): write it as \\uXXXX in the source`);
  // eslint-disable-next-line no-control-regex
  const escaped = text.replace(/[^\x00-\x7f]/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`);
  if (escaped !== text) writeFileSync(file, escaped);
}

/**
 * The esbuild plugin that points a bundle's require of @duckdb/node-bindings at this machine's addon (above). `runsFrom`:
 * the bundle's folder within the build.
 */
function addonPlugin(runsFrom) {
  const req = createRequire(path.join(ROOT, 'package.json'));
  const base = `@duckdb/node-bindings-${process.platform}-${process.arch}`;
  const found = [base, `${base}-musl`].flatMap((p) => {
    try {
      return [req.resolve(`${p}/duckdb.node`)];
    } catch {
      return [];
    }
  });
  if (found.length === 0) return [];
  // Both installed (an npm before 11 did not keep `libc` in the lock file): choose here, once, as detect-libc would at
  // every start (a glibc runtime is in node's own report).
  const chosen = found.length === 1 ? found[0] : found.find((f) => f.includes('-musl') !== Boolean(process.report?.getReport().header.glibcVersionRuntime));
  // From dist/js/<fingerprint>/<runsFrom>/, where the bundle runs.
  let rel = path.relative(path.join(OUT, 'fingerprint', runsFrom), chosen).split(path.sep).join('/');
  if (!rel.startsWith('.')) rel = `./${rel}`;
  // `load` is require under another name, so that esbuild neither bundles the addon nor resolves the fallback here.
  const contents = `const load = require;\nlet addon;\ntry {\n  addon = load(${JSON.stringify(rel)});\n} catch {\n  addon = load('@duckdb/node-bindings');\n}\nmodule.exports = addon;\n`;
  return [
    {
      name: 'duckdb-addon',
      setup(build) {
        build.onResolve({ filter: /^@duckdb\/node-bindings$/ }, () => ({ path: 'addon', namespace: 'puddle-duckdb-addon' }));
        build.onLoad({ filter: /.*/, namespace: 'puddle-duckdb-addon' }, () => ({ contents, loader: 'js' }));
      },
    },
  ];
}

function compiled(dir, out = []) {
  for (const e of readdirSync(dir, { withFileTypes: true })) {
    const p = path.join(dir, e.name);
    if (e.isDirectory()) {
      if (e.name !== 'vendor') compiled(p, out);
    } else if (e.name.endsWith('.js')) out.push(p);
  }
  return out;
}

/** Older builds go after a day: long enough that no process still running can be using one. */
function prune(keep) {
  const dayAgo = Date.now() - 24 * 3600_000;
  for (const name of readdirSync(OUT)) {
    if (name === keep) continue;
    const p = path.join(OUT, name);
    try {
      if (statSync(p).mtimeMs < dayAgo || name.includes('.tmp-')) {
        // A temporary folder of a build still running elsewhere is young; only old ones are removed.
        if (!name.includes('.tmp-') || statSync(p).mtimeMs < Date.now() - 3600_000) rmSync(p, { recursive: true, force: true });
      }
    } catch {
      // gone already (another process pruned it)
    }
  }
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const t = performance.now();
  const dir = await ensureBuilt({ quiet: true });
  console.log(`compiled JavaScript: ${path.relative(ROOT, dir)} (${Math.round(performance.now() - t)} ms)`);
}
