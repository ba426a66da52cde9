// A real DynamoDB client (for dynalite) with a middleware on its stack, ahead of the SDK's own retries, that can
// fail chosen calls: before the request is sent (a throttled call: nothing lands) or after DynamoDB answered (a
// lost answer: the write landed, the caller sees a failure).
import { DynamoDBClient, type AttributeValue } from '@aws-sdk/client-dynamodb';
import { afterAll, beforeAll } from 'vitest';

import { createDynamoTable } from '../../infra/aws/dynamo-tables.js';
import { EMULATOR_CREDENTIALS, EMULATOR_REGION } from '../../infra/aws/local/emulators.js';
import { TOTALS_TABLE } from '../../infra/aws/shape.js';
import { startTestDynalite, type RunningDynalite } from './dynalite.js';

export type Fault = 'before' | 'after' | undefined;
export interface Call {
  command: string;
  pk: string;
  condition: string;
}

/** A client whose calls go through `fault`: it may fail one before it is sent, or after its answer came. */
export function faultyDynamoClient(endpoint: string, fault: (call: Call) => Fault | Promise<Fault> = () => undefined): DynamoDBClient {
  const c = new DynamoDBClient({ endpoint, region: EMULATOR_REGION, credentials: EMULATOR_CREDENTIALS });
  c.middlewareStack.add(
    (next, context) => async (args) => {
      const input = args.input as { Key?: { pk?: AttributeValue }; Item?: { pk?: AttributeValue }; ConditionExpression?: string };
      const f = await fault({ command: String(context.commandName), pk: input.Key?.pk?.S ?? input.Item?.pk?.S ?? '', condition: input.ConditionExpression ?? '' });
      if (f === 'before') throw Object.assign(new Error('Rate of requests exceeds the allowed throughput.'), { name: 'ThrottlingException', $metadata: { httpStatusCode: 400 } });
      const out = await next(args);
      if (f === 'after') throw Object.assign(new Error('socket hang up'), { name: 'TimeoutError' });
      return out;
    },
    { step: 'initialize', name: 'injectFaults' },
  );
  return c;
}

/**
 * One dynalite for a test file, started before its tests and stopped after: `client()` gives a client whose calls
 * go through `fault` (destroyed with the file), `freshTable()` a new, empty totals table named `<prefix>-<n>`.
 */
export function totalsTablesOnDynalite(prefix: string): {
  client: (fault?: (call: Call) => Fault | Promise<Fault>) => DynamoDBClient;
  freshTable: () => Promise<string>;
} {
  let dynalite: RunningDynalite;
  const clients: DynamoDBClient[] = [];
  let tables = 0;
  beforeAll(async () => {
    dynalite = await startTestDynalite();
  });
  afterAll(async () => {
    for (const c of clients) c.destroy();
    await dynalite.stop();
  });
  const client = (fault?: (call: Call) => Fault | Promise<Fault>): DynamoDBClient => {
    const c = faultyDynamoClient(dynalite.endpoint, fault);
    clients.push(c);
    return c;
  };
  const freshTable = async (): Promise<string> => {
    const name = `${prefix}-${++tables}`;
    await createDynamoTable(client(), TOTALS_TABLE, name);
    return name;
  };
  return { client, freshTable };
}
