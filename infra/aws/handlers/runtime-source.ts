// The runtime each function uses: made once per cold start from the stack's environment, on first use.
import { eventBridgeEvents, glueAthenaCatalog, readGlueAthenaEnv } from '../glue-athena-factory.js';
import { applyLogSettings } from '../../../core/log-settings.js';
import { envSettings } from '../../../core/settings.js';
import { sweepTempFolders } from '../../../puddles/temp-files.js';
import { createAwsRuntime, type AwsRuntime } from '../runtime.js';

export type RuntimeSource = () => Promise<AwsRuntime>;

/**
 * The deployed shape: the Glue catalog, the Athena query engine and the EventBridge bus, named by the variables
 * the stack sets, and the log's level and format (PUDDLE_LOG_LEVEL, PUDDLE_LOG_FORMAT) as the CLI reads them. A
 * missing or wrong one fails the invocation with a ConfigError naming it (before any record is touched, so an SQS
 * batch is offered again once the function is fixed).
 */
export async function runtimeFromEnv(env: NodeJS.ProcessEnv = process.env): Promise<AwsRuntime> {
  // JSON lines unless PUDDLE_LOG_FORMAT says text: CloudWatch Logs Insights reads their fields.
  const settings = envSettings(env);
  applyLogSettings(settings, 'json');
  settings.check();
  const catalog = glueAthenaCatalog(readGlueAthenaEnv(env));
  const events = eventBridgeEvents(env);
  return createAwsRuntime({ env, catalog, events });
}

let shared: Promise<AwsRuntime> | undefined;

/** The deployed functions' runtime, shared by every invocation of a warm container; tried again after a failure. */
export const defaultRuntime: RuntimeSource = () => {
  shared ??= runtimeFromEnv();
  shared.catch(() => (shared = undefined));
  return shared;
};

/**
 * The runtime of a function that writes under /tmp (DuckDB's Parquet and spills, lake files copied from S3: the
 * consumer and compaction), which first removes what an earlier process of the same environment left there: Lambda
 * runs no exit hook, and a runtime restarted after a timeout or a crash keeps /tmp, possibly under the same pid
 * (puddles/temp-files.ts sweepTempFolders). Once, at the first invocation of a cold start.
 */
export function sweepingTempFolders(runtime: RuntimeSource): RuntimeSource {
  let swept = false;
  return () => {
    if (!swept) {
      swept = true;
      sweepTempFolders();
    }
    return runtime();
  };
}
