// One Lambda function per handler in shape.ts: esbuild bundles made on this machine (no Docker), Node 22, arm64.
// A handler whose entry file is not in the checkout yet gets a placeholder that fails every invocation with a
// message naming the missing file (and synth warns), so the rest of the stack still synthesises and deploys.
import { existsSync } from 'node:fs';
import path from 'node:path';

import { Annotations, Duration, Size } from 'aws-cdk-lib';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import { NodejsFunction, OutputFormat } from 'aws-cdk-lib/aws-lambda-nodejs';
import * as logs from 'aws-cdk-lib/aws-logs';
import type { Construct } from 'constructs';

import type { HandlerName, HandlerSpec, ResourceNames } from '../shape.js';

export const REPO_ROOT = path.resolve(import.meta.dirname, '..', '..', '..');

/** Lambda refuses nodejs20.x since 2026; esbuild targets the same major. */
export const LAMBDA_RUNTIME = lambda.Runtime.NODEJS_22_X;
const ESBUILD_TARGET = 'node22';

export interface FunctionOptions {
  environment: Record<string, string>;
  /** The function's and its log group's names (shape.ts resourceNames). */
  names: ResourceNames;
  /** A Lambda layer holding @duckdb/node-api with its linux-arm64 binding (docs/aws.md, "Deploying", step 2), for the handlers that write Parquet. */
  duckdbLayer?: lambda.ILayerVersion;
}

/**
 * Handlers whose bundle imports DuckDB, whose native binding esbuild cannot bundle: those landing or merging
 * Parquet. Every other handler must load without it (SQL text helpers live in puddles/sql-text.ts, free of
 * DuckDB, for that); infra/aws/cdk/function-bundles.test.ts loads each bundle with only what Lambda gives it.
 */
const USES_DUCKDB: ReadonlySet<HandlerName> = new Set(['consumer', 'compaction']);

/**
 * /tmp of the functions that write Parquet, MiB (Lambda's default is 512). They copy lake files in from S3 (a
 * partition's small files, a fold's state file), write the merged or new state file out beside them, and DuckDB
 * spills there past its 2,048 MiB memory_limit: a fold of a large state could pass 512 MiB, and then every batch of
 * that environment fails with ENOSPC. 2 GiB holds the state twice over and a spill of DuckDB's whole limit at
 * about the same price (the storage above 512 MiB costs $0.0000000309 a GB-second: at most about $0.12 a month for
 * compaction running its full 15 minutes every 15 minutes). What a killed process left there is swept at the next
 * cold start (runtime-source.ts sweepingTempFolders).
 */
export const DUCKDB_FUNCTION_TMP_MIB = 2048;

/** Whether the function gets the DuckDB layer. */
export function usesDuckDbLayer(name: HandlerName): boolean {
  return USES_DUCKDB.has(name);
}

export function handlerFunction(scope: Construct, spec: HandlerSpec, opts: FunctionOptions): lambda.Function {
  const id = `Fn-${spec.name}`;
  const common = {
    functionName: opts.names.function(spec.name),
    runtime: LAMBDA_RUNTIME,
    architecture: lambda.Architecture.ARM_64,
    memorySize: spec.memoryMb,
    timeout: Duration.seconds(spec.timeoutSeconds),
    environment: { ...opts.environment, NODE_OPTIONS: '--enable-source-maps' },
    logGroup: new logs.LogGroup(scope, `${id}-logs`, { logGroupName: opts.names.logGroup(spec.name), retention: logs.RetentionDays.ONE_MONTH }),
    description: spec.why,
    layers: usesDuckDbLayer(spec.name) && opts.duckdbLayer ? [opts.duckdbLayer] : undefined,
    ephemeralStorageSize: usesDuckDbLayer(spec.name) ? Size.mebibytes(DUCKDB_FUNCTION_TMP_MIB) : undefined,
  };
  const entry = path.join(REPO_ROOT, spec.entry);
  if (!existsSync(entry)) {
    Annotations.of(scope).addWarningV2(`puddle:missing-handler-${spec.name}`, `${spec.entry} does not exist yet: ${opts.names.function(spec.name)} is a placeholder that fails every call`);
    return new lambda.Function(scope, id, {
      ...common,
      handler: 'index.handler',
      code: lambda.Code.fromInline(
        `exports.handler = async () => { throw new Error('${opts.names.function(spec.name)}: ${spec.entry} was not in the checkout this stack was built from'); };`,
      ),
    });
  }
  if (usesDuckDbLayer(spec.name) && !opts.duckdbLayer) {
    Annotations.of(scope).addWarningV2(`puddle:no-duckdb-layer-${spec.name}`, `${opts.names.function(spec.name)} needs the DuckDB layer: synth with -c duckdbLayer=<folder> (see docs/aws.md, "Deploying")`);
  }
  return new NodejsFunction(scope, id, {
    ...common,
    entry,
    handler: 'handler',
    projectRoot: REPO_ROOT,
    depsLockFilePath: path.join(REPO_ROOT, 'package-lock.json'),
    bundling: {
      forceDockerBundling: false,
      format: OutputFormat.ESM,
      target: ESBUILD_TARGET,
      minify: true,
      sourceMap: true,
      mainFields: ['module', 'main'],
      // The runtime has SDK v3; DuckDB comes from the layer.
      externalModules: ['@aws-sdk/*', '@duckdb/node-api', '@duckdb/node-bindings'],
      // ESM bundles of CommonJS dependencies call require(): give them one.
      banner: "import { createRequire as __puddleRequire } from 'module'; const require = __puddleRequire(import.meta.url);",
      // The named views read puddles/queries/*.sql beside the module (import.meta.dirname): ship them beside the bundle.
      commandHooks: {
        beforeBundling: () => [],
        beforeInstall: () => [],
        afterBundling: (inputDir: string, outputDir: string) => [`cp -r "${inputDir}/puddles/queries" "${outputDir}/queries"`],
      },
    },
  });
}
