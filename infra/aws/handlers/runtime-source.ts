// The runtime each function uses: made once per cold start from the stack's environment, on first use.
import { createAwsRuntime, type AwsRuntime } from '../runtime.js';

export type RuntimeSource = () => Promise<AwsRuntime>;

let shared: Promise<AwsRuntime> | undefined;

/**
 * The deployed functions' runtime. The Glue catalog and Athena engine are handed to createAwsRuntime here
 * once their adapters exist; until then the functions that need them (consumer, compaction) fail with a
 * ConfigError naming what is missing, and the others run.
 */
export const defaultRuntime: RuntimeSource = () => {
  shared ??= createAwsRuntime();
  shared.catch(() => (shared = undefined));
  return shared;
};
