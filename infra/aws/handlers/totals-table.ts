// The live totals' counters a function uses: the table the stack names in PUDDLE_TOTALS_TABLE, on the
// runtime's DynamoDB client.
import { ConfigError } from '../../../core/errors.js';
import type { PuddleDef } from '../../../puddles/definitions.js';
import { DynamoDbTotals } from '../dynamodb-totals.js';
import type { AwsRuntime } from '../runtime.js';
import { ENV } from '../shape.js';

/** The counters, or a ConfigError naming the variable when the stack did not set it. */
export function totalsTable(rt: AwsRuntime, env: NodeJS.ProcessEnv = process.env): DynamoDbTotals {
  const table = env[ENV.totalsTable]?.trim();
  if (!table) throw new ConfigError(`${ENV.totalsTable} is not set: the live totals need their DynamoDB table (the stack sets it)`);
  return new DynamoDbTotals({ client: rt.clients.dynamodb, table });
}

/** Only the puddle that lands donations keeps the counters. */
export function keepsTotals(puddle: PuddleDef): boolean {
  return puddle.contracts !== '*' && puddle.contracts.includes('donation');
}
