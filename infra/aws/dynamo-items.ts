// Small DynamoDB helpers the catalog's modules share: attribute values, a Query read to its last page, and
// BatchWriteItem in calls of 25 with the unprocessed items sent again.
import {
  BatchWriteItemCommand,
  QueryCommand,
  type AttributeValue,
  type DynamoDBClient,
  type QueryCommandInput,
  type WriteRequest,
} from '@aws-sdk/client-dynamodb';

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

/** Writes every request: 25 per BatchWriteItem; unprocessed ones (throttling) are sent again with a growing pause. */
export async function batchWriteAll(db: DynamoDBClient, tableName: string, requests: readonly WriteRequest[]): Promise<void> {
  for (let i = 0; i < requests.length; i += 25) {
    let batch = requests.slice(i, i + 25);
    for (let round = 0; batch.length; round++) {
      if (round > 0) await sleep(Math.min(1000, 25 * 2 ** round));
      const r = await db.send(new BatchWriteItemCommand({ RequestItems: { [tableName]: batch } }));
      batch = r.UnprocessedItems?.[tableName] ?? [];
    }
  }
}

export function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}
