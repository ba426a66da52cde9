// Batch calls whose items DynamoDB leaves unprocessed (throttling, a BatchGetItem answer over 16 MB) are sent again,
// a bounded number of times (infra/aws/dynamo-items.ts untilProcessed): against dynalite, with a middleware that
// plays DynamoDB under throttling, writing part of each BatchWriteItem and handing the rest back unprocessed.
import { type BatchWriteItemCommandInput, type BatchWriteItemCommandOutput, type DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { performance } from 'node:perf_hooks';
import { describe, expect, it } from 'vitest';
import { RetriableError } from '../../core/errors.js';
import { batchWriteAll, queryAll, s, UNPROCESSED_ROUNDS, untilProcessed } from '../../infra/aws/dynamo-items.js';
import { totalsTablesOnDynalite } from '../support/dynamo-faults.js';

const { client, freshTable } = totalsTablesOnDynalite('dynamo-items');

/** Each BatchWriteItem writes only its first `take` items, and answers the rest as unprocessed; counts the calls. */
function throttled(c: DynamoDBClient, take: number): { calls: () => number } {
  let calls = 0;
  c.middlewareStack.add(
    (next, context) => async (args) => {
      if (context.commandName !== 'BatchWriteItemCommand') return next(args);
      calls++;
      const input = args.input as BatchWriteItemCommandInput;
      const [table, requests] = Object.entries(input.RequestItems!)[0]!;
      const rest = requests.slice(take);
      if (take > 0) await next({ ...args, input: { ...input, RequestItems: { [table]: requests.slice(0, take) } } });
      const output: BatchWriteItemCommandOutput = { $metadata: {}, UnprocessedItems: rest.length ? { [table]: rest } : {} };
      return { output, response: {} } as never;
    },
    { step: 'initialize', name: 'throttleBatchWrites' },
  );
  return { calls: () => calls };
}

const puts = (n: number) => Array.from({ length: n }, (_, i) => ({ PutRequest: { Item: { pk: s('p'), sk: s(`k${String(i).padStart(3, '0')}`) } } }));

describe('untilProcessed', () => {
  it('sends what DynamoDB handed back until all of it is written', async () => {
    const table = await freshTable();
    const c = client();
    const { calls } = throttled(c, 10);
    await batchWriteAll(c, table, puts(30)); // two batches: 25 (three rounds) and 5 (one)
    expect(calls()).toBe(4);
    const items = await queryAll(client(), table, { KeyConditionExpression: 'pk = :p', ExpressionAttributeValues: { ':p': s('p') }, ConsistentRead: true });
    expect(items.map((i) => i.sk!.S)).toEqual(puts(30).map((p) => p.PutRequest.Item.sk.S));
  });

  it('gives up with a RetriableError after its rounds when nothing is ever processed, instead of looping', async () => {
    const table = await freshTable();
    const c = client();
    const { calls } = throttled(c, 0);
    const started = performance.now();
    const err = await batchWriteAll(c, table, puts(3)).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(RetriableError);
    expect((err as Error).message).toBe(`DynamoDB BatchWriteItem left items unprocessed after ${UNPROCESSED_ROUNDS} rounds`);
    expect(calls()).toBe(UNPROCESSED_ROUNDS);
    // Paused between rounds: 50, 100, 200, 400, 800, 1000, 1000 ms.
    expect(performance.now() - started).toBeGreaterThanOrEqual(3_500);
  });

  it('sends nothing for an empty batch, and each round only what is left', async () => {
    const sent: number[][] = [];
    await untilProcessed<number>('Test', [], async (r) => (sent.push(r), []));
    expect(sent).toEqual([]);
    await untilProcessed<number>('Test', [1, 2, 3], async (r) => (sent.push(r), r.slice(1)));
    expect(sent).toEqual([[1, 2, 3], [2, 3], [3]]);
  });
});
