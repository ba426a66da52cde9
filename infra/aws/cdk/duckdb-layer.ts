// The DuckDB Lambda layer (`-c duckdbLayer=<folder>`): @duckdb/node-api with its linux-arm64 binding, as docs/aws.md,
// "Deploying", step 2 builds it. The folder is checked at synth: CDK would zip an empty folder into a layer
// without a word (and the consumer and compaction would then fail every invocation), and a missing one stops
// synth with a CannotFindAsset stack trace.
import { existsSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';

import * as lambda from 'aws-cdk-lib/aws-lambda';
import type { Construct } from 'constructs';

import { ConfigError } from '../../../core/errors.js';
import { LAMBDA_RUNTIME, REPO_ROOT } from './functions.js';

const PACKAGE = '@duckdb/node-api';
/** The native binding for the functions' architecture (arm64, functions.ts). */
const BINDING = '@duckdb/node-bindings-linux-arm64';

/** The @duckdb/node-api version the code is built against: package.json pins it exactly. */
export function duckDbVersion(): string {
  const pkg = JSON.parse(readFileSync(path.join(REPO_ROOT, 'package.json'), 'utf8')) as { dependencies: Record<string, string> };
  return pkg.dependencies[PACKAGE]!;
}

/** What is wrong with a layer folder, or null when it holds what step 2 builds. */
function duckDbLayerProblem(dir: string): string | null {
  if (!existsSync(dir) || !statSync(dir).isDirectory()) return 'no such folder';
  const modules = path.join(dir, 'nodejs', 'node_modules');
  const api = path.join(modules, PACKAGE, 'package.json');
  if (!existsSync(api)) return `it holds no nodejs/node_modules/${PACKAGE}`;
  const version = (JSON.parse(readFileSync(api, 'utf8')) as { version?: string }).version;
  const wanted = duckDbVersion();
  if (version !== wanted) return `it holds ${PACKAGE} ${version}, the code is built against ${wanted}`;
  if (!existsSync(path.join(modules, BINDING, 'duckdb.node'))) return `it holds no linux-arm64 binding (nodejs/node_modules/${BINDING}/duckdb.node)`;
  return null;
}

/** The layer, from a folder checked first: a ConfigError in one line, saying how to build it, when it is not right. */
export function duckDbLayer(scope: Construct, dir: string): lambda.LayerVersion {
  const problem = duckDbLayerProblem(dir);
  if (problem) {
    throw new ConfigError(
      `-c duckdbLayer=${dir}: ${problem}; build it as docs/aws.md, "Deploying", step 2 says: npm install --prefix ${path.join(dir, 'nodejs')} --os=linux --cpu=arm64 --no-save ${PACKAGE}@${duckDbVersion()}`,
    );
  }
  return new lambda.LayerVersion(scope, 'DuckDb', {
    code: lambda.Code.fromAsset(dir),
    compatibleArchitectures: [lambda.Architecture.ARM_64],
    compatibleRuntimes: [LAMBDA_RUNTIME],
    description: `${PACKAGE} with its linux-arm64 binding`,
  });
}
