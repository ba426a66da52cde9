import { spawnSync } from 'node:child_process';
import { cpSync, mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';

import { testApp } from './test-app.js';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { ConfigError } from '../../../core/errors.js';
import { HANDLERS } from '../shape.js';
import { duckDbVersion } from './duckdb-layer.js';
import { REPO_ROOT, usesDuckDbLayer } from './functions.js';
import { PuddleStack } from './puddle-stack.js';

// `-c duckdbLayer=<folder>` is checked at synth: the folder must hold what docs/aws.md, "Deploying", step 2 builds.
const NODE_MODULES = path.join(REPO_ROOT, 'node_modules');
let root: string;

beforeAll(() => {
  root = mkdtempSync(path.join(tmpdir(), 'puddle-layer-'));
});
afterAll(() => rmSync(root, { recursive: true, force: true }));

function folder(name: string): string {
  const dir = path.join(root, name);
  mkdirSync(path.join(dir, 'nodejs', 'node_modules', '@duckdb'), { recursive: true });
  return dir;
}

/** A stack with the layer from `dir`; bundling skipped (the layer is under test, not the functions' code). */
function stackWith(dir: string): PuddleStack {
  return new PuddleStack(testApp(), 'Layer', { duckdbLayerDir: dir });
}

/** Synth's warnings about the layer, read from the construct tree (a full synth costs tens of seconds). */
function duckDbWarnings(stack: PuddleStack): string[] {
  return stack.node
    .findAll()
    .flatMap((c) => c.node.metadata.filter((m) => m.type === 'aws:cdk:warning').map((m) => String(m.data)))
    .filter((w) => w.includes('DuckDB'));
}

describe('the DuckDB layer folder', () => {
  it('stops synth in one line naming step 2 when the folder is empty, missing, or holds another version', () => {
    const empty = path.join(root, 'empty');
    mkdirSync(empty);
    expect(() => stackWith(empty)).toThrow(ConfigError);
    expect(() => stackWith(empty)).toThrow(/^-c duckdbLayer=.*\/empty: it holds no nodejs\/node_modules\/@duckdb\/node-api; build it as docs\/aws.md, "Deploying", step 2 says: npm install --prefix .*\/empty\/nodejs --os=linux --cpu=arm64 --no-save @duckdb\/node-api@/);
    expect(() => stackWith(path.join(root, 'nowhere'))).toThrow(/duckdbLayer=.*nowhere: no such folder; build it as docs\/aws.md, "Deploying", step 2 says/);
    const old = folder('old');
    mkdirSync(path.join(old, 'nodejs', 'node_modules', '@duckdb', 'node-api'));
    writeFileSync(path.join(old, 'nodejs', 'node_modules', '@duckdb', 'node-api', 'package.json'), JSON.stringify({ name: '@duckdb/node-api', version: '1.0.0' }));
    expect(() => stackWith(old)).toThrow(`it holds @duckdb/node-api 1.0.0, the code is built against ${duckDbVersion()}`);
  });

  it("refuses a folder installed for this machine's platform instead of linux-arm64", () => {
    // What `npm install --prefix layer/nodejs @duckdb/node-api` gives without --os/--cpu on an x64 machine.
    const here = folder('here');
    for (const pkg of ['node-api', 'node-bindings', 'node-bindings-linux-x64']) {
      symlinkSync(path.join(NODE_MODULES, '@duckdb', pkg), path.join(here, 'nodejs', 'node_modules', '@duckdb', pkg), 'dir');
    }
    expect(() => stackWith(here)).toThrow(/it holds no linux-arm64 binding \(nodejs\/node_modules\/@duckdb\/node-bindings-linux-arm64\/duckdb.node\)/);
  });

  it('synthesises with no warning from a folder as step 2 builds it, the layer on the functions that need it', () => {
    const built = folder('built');
    cpSync(path.join(NODE_MODULES, '@duckdb', 'node-api'), path.join(built, 'nodejs', 'node_modules', '@duckdb', 'node-api'), { recursive: true });
    // The arm64 binding itself cannot load here; its presence is what is checked.
    mkdirSync(path.join(built, 'nodejs', 'node_modules', '@duckdb', 'node-bindings-linux-arm64'));
    writeFileSync(path.join(built, 'nodejs', 'node_modules', '@duckdb', 'node-bindings-linux-arm64', 'duckdb.node'), '');
    const stack = stackWith(built);
    expect(duckDbWarnings(stack)).toEqual([]);
    // Without a folder, the two functions that need it are synthesised with a warning each.
    expect(duckDbWarnings(new PuddleStack(testApp(), 'NoLayer'))).toHaveLength(2);
    expect(stack.node.findAll().filter((c) => c instanceof lambda.LayerVersion)).toHaveLength(1);
    const layered = [...stack.functions]
      .filter(([, fn]) => stack.resolve((fn.node.defaultChild as lambda.CfnFunction).layers) !== undefined)
      .map(([name]) => `puddle-${name}`)
      .sort();
    expect(layered).toEqual(HANDLERS.filter((h) => usesDuckDbLayer(h.name)).map((h) => `puddle-${h.name}`).sort());
    expect(layered).toEqual(['puddle-compaction', 'puddle-consumer']);
  });

  it('`cdk synth -c duckdbLayer=<empty folder>` says so in one line, no stack trace, and fails', () => {
    const empty = path.join(root, 'empty-cli');
    mkdirSync(empty);
    // As the CDK CLI runs the app (cdk.json): context in CDK_CONTEXT_JSON, output folder in CDK_OUTDIR.
    const run = spawnSync(process.execPath, [path.join(NODE_MODULES, 'tsx', 'dist', 'cli.mjs'), path.join(REPO_ROOT, 'infra/aws/cdk/app.ts')], {
      cwd: REPO_ROOT,
      env: { PATH: process.env.PATH ?? '', HOME: root, CDK_CONTEXT_JSON: JSON.stringify({ duckdbLayer: empty }), CDK_OUTDIR: path.join(root, 'cdk.out') },
      encoding: 'utf8',
      timeout: 120_000,
    });
    expect(run.status).toBe(1);
    expect(run.stderr.trim().split('\n')).toEqual([expect.stringMatching(/^puddle synth: -c duckdbLayer=.*empty-cli: it holds no nodejs\/node_modules\/@duckdb\/node-api; build it as docs\/aws.md, "Deploying", step 2 says: /)]);
  });
});
