// Small DynamoDB helpers the catalog's modules and the state store share: attribute values, a Query read to its
// last page, and batch calls whose unprocessed items are sent again, a bounded number of times.
import { setTimeout as sleep } from 'node:timers/promises';
import {
  BatchWriteItemCommand,
  QueryCommand,
  type AttributeValue,
  type DynamoDBClient,
  type QueryCommandInput,
  type WriteRequest,
} from '@aws-sdk/client-dynamodb';
import { RetriableError } from '../../core/errors.js';

export type Item = Record<string, AttributeValue>;

export function s(v: string): AttributeValue {
  return { S: v };
}

export function n(v: number): AttributeValue {
  return { N: String(v) };
}

/** Every item a Query matches: a page holds at most 1 MB, so it follows LastEvaluatedKey to the end. */
export async function queryAll(db: DynamoDBClient, tableName: string, input: Omit<QueryCommandInput, 'TableName'>): Promise<Item[]> {
  const items: Item[] = [];
  let start: Item | undefined;
  do {
    const page = await db.send(new QueryCommand({ ...input, TableName: tableName, ExclusiveStartKey: start }));
    items.push(...(page.Items ?? []));
    start = page.LastEvaluatedKey;
  } while (start);
  return items;
}

/** Writes every request: 25 per BatchWriteItem; unprocessed ones (throttling) are sent again (untilProcessed). */
export async function batchWriteAll(db: DynamoDBClient, tableName: string, requests: readonly WriteRequest[]): Promise<void> {
  for (let i = 0; i < requests.length; i += 25) {
    await untilProcessed('BatchWriteItem', requests.slice(i, i + 25), async (batch) => {
      const r = await db.send(new BatchWriteItemCommand({ RequestItems: { [tableName]: batch } }));
      return r.UnprocessedItems?.[tableName];
    });
  }
}

/** Rounds of a batch call (the first included) before untilProcessed gives up on what DynamoDB leaves unprocessed. */
export const UNPROCESSED_ROUNDS = 8;

/**
 * Sends `first` with `send`, then what each answer hands back unprocessed (throttling, or a BatchGetItem answer
 * over 16 MB), pausing 50 ms before the second round and twice as long before each next, at most 1 s (about 3.6 s
 * over all eight rounds). Still unprocessed after UNPROCESSED_ROUNDS: a RetriableError, so that the call fails
 * where its caller can retry the whole of it (a Lambda's batch goes back to its queue) instead of looping until
 * the function's timeout. Until 2026-12-05 the catalog's writes and key hints looped without a bound; only the
 * state store's reads had one.
 */
export async function untilProcessed<T>(what: string, first: readonly T[], send: (request: T[]) => Promise<T[] | undefined>): Promise<void> {
  let request: T[] | undefined = [...first];
  for (let round = 0; request?.length; round++) {
    if (round >= UNPROCESSED_ROUNDS) throw new RetriableError(`DynamoDB ${what} left items unprocessed after ${UNPROCESSED_ROUNDS} rounds`);
    if (round > 0) await sleep(Math.min(1000, 25 * 2 ** round));
    request = await send(request);
  }
}
