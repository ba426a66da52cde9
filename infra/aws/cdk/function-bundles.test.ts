import { spawnSync } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';

import { App } from 'aws-cdk-lib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { HANDLERS, type HandlerName } from '../shape.js';
import { REPO_ROOT, usesDuckDbLayer } from './functions.js';
import { PuddleStack } from './puddle-stack.js';

// Every function's code as the stack deploys it (the stack's own esbuild bundling, run by synth), loaded the way
// Lambda's Node 22 runtime loads it: a folder holding the bundle, where the only packages to be found are the
// AWS SDK v3 (which the runtime provides) and, for a function the stack gives the DuckDB layer, @duckdb (the
// layer's nodejs/node_modules, which Lambda's Node also searches for ES modules). `.ci/run` runs this file
// under Node 22; the bundle is imported by the Node running the test.
//
// Why: a bundle importing a package that is neither bundled nor provided synthesises and deploys fine, and
// then every invocation fails with ERR_MODULE_NOT_FOUND (the producer, webhooks and sync functions did, through
// the Athena engine's import of puddles/duckdb.ts for identifier quoting).

const NODE_MODULES = path.join(REPO_ROOT, 'node_modules');
let root: string;
let outdir: string;
/** Each function's asset folder (the bundle), by handler name. */
const bundles = new Map<HandlerName, string>();

beforeAll(() => {
  root = mkdtempSync(path.join(tmpdir(), 'puddle-bundles-'));
  outdir = path.join(root, 'cdk.out');
  // No layer folder: which functions get the layer is under test here, not what the layer holds.
  const app = new App({ outdir });
  const stack = new PuddleStack(app, 'Bundles');
  const assembly = app.synth();
  const resources = assembly.getStackByName(stack.stackName).template.Resources as Record<string, { Type: string; Properties: Record<string, unknown> }>;
  for (const r of Object.values(resources)) {
    if (r.Type !== 'AWS::Lambda::Function') continue;
    const name = String(r.Properties.FunctionName).replace(/^puddle-/, '') as HandlerName;
    const key = (r.Properties.Code as { S3Key?: string }).S3Key;
    if (key) bundles.set(name, path.join(outdir, `asset.${key.replace(/\.zip$/, '')}`));
  }
}, 300_000);

afterAll(() => {
  if (root) rmSync(root, { recursive: true, force: true });
});

/** A folder laid out as Lambda's task root: the bundle, and beside it only the packages the runtime (and layer) give. */
function taskRoot(name: HandlerName, withLayer: boolean): string {
  const dir = path.join(root, 'tasks', `${name}${withLayer ? '' : '-no-layer'}`);
  cpSync(bundles.get(name)!, dir, { recursive: true });
  mkdirSync(path.join(dir, 'node_modules'));
  // Lambda's Node 22 runtime has the whole of SDK v3; its own dependencies (@smithy/*, ...) resolve from where it
  // really lies, as Node follows the link.
  symlinkSync(path.join(NODE_MODULES, '@aws-sdk'), path.join(dir, 'node_modules', '@aws-sdk'), 'dir');
  // The layer as docs/aws.md, "Deploying", step 2 builds it, for this machine's platform rather than linux-arm64.
  if (withLayer) symlinkSync(path.join(NODE_MODULES, '@duckdb'), path.join(dir, 'node_modules', '@duckdb'), 'dir');
  return dir;
}

/** Import the bundle as Lambda does (its `handler` must be a function); the exit status and what it said. */
function load(dir: string): { status: number | null; stderr: string } {
  const script = `const m = await import(${JSON.stringify(path.join(dir, 'index.mjs'))}); if (typeof m.handler !== 'function') { console.error('index.mjs exports no handler function'); process.exit(3); }`;
  // A bare environment: nothing like NODE_PATH may widen where packages are found.
  const run = spawnSync(process.execPath, ['--input-type=module', '-e', script], {
    cwd: dir,
    env: { PATH: process.env.PATH ?? '', AWS_REGION: 'eu-west-2', NODE_OPTIONS: '--enable-source-maps' },
    encoding: 'utf8',
    timeout: 60_000,
  });
  return { status: run.status, stderr: run.stderr };
}

describe('the Lambda bundles, loaded with only what the runtime provides', () => {
  it('has a bundle for every handler, in a folder with no node_modules above it', () => {
    expect([...bundles.keys()].sort()).toEqual(HANDLERS.map((h) => h.name).sort());
    // A node_modules above the task root would let a bundle find packages Lambda does not have.
    for (let dir = root; ; dir = path.dirname(dir)) {
      expect(existsSync(path.join(dir, 'node_modules')), `${dir}/node_modules`).toBe(false);
      if (dir === path.dirname(dir)) break;
    }
  });

  for (const spec of HANDLERS) {
    it(`puddle-${spec.name} loads${usesDuckDbLayer(spec.name) ? ' with the DuckDB layer' : ' without the DuckDB layer'}`, () => {
      const { status, stderr } = load(taskRoot(spec.name, usesDuckDbLayer(spec.name)));
      expect(status, stderr.split('\n').slice(0, 12).join('\n')).toBe(0);
    });
  }

  it('gives the DuckDB layer to exactly the functions whose bundle imports DuckDB', () => {
    for (const spec of HANDLERS) {
      const code = readFileSync(path.join(bundles.get(spec.name)!, 'index.mjs'), 'utf8');
      expect(code.includes('"@duckdb/node-api"'), spec.name).toBe(usesDuckDbLayer(spec.name));
    }
  });

  it('tells a missing package the way Lambda would (so the loads above prove something)', () => {
    const layered = HANDLERS.find((h) => usesDuckDbLayer(h.name))!;
    const { status, stderr } = load(taskRoot(layered.name, false));
    expect(status).not.toBe(0);
    expect(stderr).toMatch(/ERR_MODULE_NOT_FOUND[\s\S]*@duckdb\/node-api|Cannot find package '@duckdb\/node-api'/);
  });
});
