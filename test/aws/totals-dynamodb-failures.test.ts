import { DynamoDBClient, type AttributeValue } from '@aws-sdk/client-dynamodb';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { RetriableError } from '../../core/errors.js';
import { createDynamoTable } from '../../infra/aws/dynamo-tables.js';
import { DynamoDbTotals } from '../../infra/aws/dynamodb-totals.js';
import { EMULATOR_CREDENTIALS, EMULATOR_REGION } from '../../infra/aws/local/emulators.js';
import { TOTALS_TABLE } from '../../infra/aws/shape.js';
import type { Cell } from '../../puddles/parquet-writer.js';
import { startTestDynalite, type RunningDynalite } from '../support/dynalite.js';

// The DynamoDB counters when calls fail part way: a real SDK client against dynalite, with a middleware on its
// stack (ahead of the SDK's own retries) that fails chosen calls, either before the request is sent (a
// throttled call: nothing lands) or after DynamoDB answered (a lost answer: the write landed, the caller sees
// a failure). A failed batch is applied again, as SQS delivers it again. The counters must end as the embedded
// aggregate (LiveTotals, the same definition as totals_by_box) counts the same rows.
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

type Fault = 'before' | 'after' | undefined;
interface Call {
  command: string;
  pk: string;
  condition: string;
}

/** A client whose calls go through `fault`: it may fail one before it is sent, or after its answer came. */
function client(fault: (call: Call) => Fault | Promise<Fault> = () => undefined): DynamoDBClient {
  const c = new DynamoDBClient({ endpoint: dynalite.endpoint, region: EMULATOR_REGION, credentials: EMULATOR_CREDENTIALS });
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
  clients.push(c);
  return c;
}

async function freshTable(): Promise<string> {
  const name = `totals-faults-${++tables}`;
  await createDynamoTable(client(), TOTALS_TABLE, name);
  return name;
}

const T = (minutes: number) => new Date(Date.parse('2026-11-27T20:00:00Z') + minutes * 60_000).toISOString();

/** A landed donation row as the consumer hands it over: contract columns plus the envelope's. */
function row(
  id: string,
  amount: number,
  o: { envelope?: string; changed?: number; received?: number; occurred?: number; status?: string; campaign?: string | null; channel?: string; currency?: string } = {},
): Record<string, Cell> {
  return {
    donation_id: id,
    _id: o.envelope ?? `e-${id}-${amount}-${o.changed ?? 15}-${o.status ?? ''}`,
    amount_minor: amount,
    currency: o.currency ?? 'GBP',
    channel: o.channel ?? 'sms',
    campaign: o.campaign === undefined ? 'appeal' : o.campaign,
    cta: 'tv',
    status: o.status ?? null,
    occurred_at: T(o.occurred ?? 15),
    _changed_at: T(o.changed ?? 15),
    _received_at: T(60 + (o.received ?? 0)),
  };
}

describe('DynamoDB live totals when a call fails part way', () => {
  it('fails a batch only once every donation being applied has stopped', async () => {
    let inFlight = 0;
    let calls = 0;
    const c = client(async ({ command, pk }) => {
      calls++;
      if (command === 'UpdateItemCommand' && pk === 'd:bad') return 'before';
      // Every other call is slow, so the failure comes while the other workers are mid-call.
      inFlight++;
      await new Promise((resolve) => setTimeout(resolve, 20));
      inFlight--;
      return undefined;
    });
    const totals = new DynamoDbTotals({ client: c, table: await freshTable() });
    const batch = [row('bad', 1), ...Array.from({ length: 30 }, (_, i) => row(`ok${i}`, 1))];
    await expect(totals.applyRows(batch)).rejects.toBeInstanceOf(RetriableError);
    expect(inFlight).toBe(0);
    const at = calls;
    await new Promise((resolve) => setTimeout(resolve, 200));
    expect(calls).toBe(at);
  });
});
