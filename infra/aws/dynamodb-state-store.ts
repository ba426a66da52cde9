// StateStore on DynamoDB (the AWS shape): bookmarks and leases in one table, every write a single-item
// conditional write (no transactions: dynalite cannot test them, and nothing here needs one).
//
// Table: partition key `pk` (S), no sort key, on-demand. Items:
//   `v:<key>`      { v: the value as JSON text }
//   `lease:<name>` { owner, expires_at_ms, ttl }   `ttl` (epoch seconds) is for the table's TTL setting;
//                                                   expiry is decided by expires_at_ms, as TTL deletes late.
import {
  BatchGetItemCommand,
  ConditionalCheckFailedException,
  DeleteItemCommand,
  GetItemCommand,
  PutItemCommand,
  type AttributeValue,
  type DynamoDBClient,
  type KeysAndAttributes,
} from '@aws-sdk/client-dynamodb';

import type { StateStore } from '../../core/ports.js';
import { awsCall, errorCode, toPuddleError } from './aws-errors.js';
import { untilProcessed } from './dynamo-items.js';
import { ensureDynamoTable } from './dynamo-tables.js';
import { STATE_TABLE } from './shape.js';

/** BatchGetItem takes at most 100 keys a call (and refuses 101, as AWS does). */
export const BATCH_GET_MAX_KEYS = 100;
/** Batches in flight at once in getMany: 40,000 keys are 400 calls. */
const BATCH_GET_CONCURRENCY = 8;

export interface DynamoDbStateStoreOptions {
  client: DynamoDBClient;
  table: string;
}

const valueKey = (key: string) => ({ pk: { S: `v:${key}` } });
const leaseKey = (name: string) => ({ pk: { S: `lease:${name}` } });

export class DynamoDbStateStore implements StateStore {
  readonly #client: DynamoDBClient;
  readonly #table: string;

  constructor(opts: DynamoDbStateStoreOptions) {
    this.#client = opts.client;
    this.#table = opts.table;
  }

  async get<T = unknown>(key: string): Promise<T | null> {
    // Consistent: a bookmark just saved by the previous run must be the one the next run reads.
    const out = await awsCall('DynamoDB', 'GetItem', () =>
      this.#client.send(new GetItemCommand({ TableName: this.#table, Key: valueKey(key), ConsistentRead: true })),
    );
    const text = out.Item?.v?.S;
    return text === undefined ? null : (JSON.parse(text) as T);
  }

  async getMany<T = unknown>(keys: readonly string[]): Promise<Map<string, T>> {
    const out = new Map<string, T>();
    const unique = [...new Set(keys)];
    const chunks: string[][] = [];
    for (let i = 0; i < unique.length; i += BATCH_GET_MAX_KEYS) chunks.push(unique.slice(i, i + BATCH_GET_MAX_KEYS));
    for (let i = 0; i < chunks.length; i += BATCH_GET_CONCURRENCY) {
      const items = await Promise.all(chunks.slice(i, i + BATCH_GET_CONCURRENCY).map((chunk) => this.#batchGet(chunk)));
      for (const item of items.flat()) {
        const pk = item.pk?.S;
        const text = item.v?.S;
        if (pk !== undefined && text !== undefined) out.set(pk.slice(2), JSON.parse(text) as T);
      }
    }
    return out;
  }

  async set(key: string, value: unknown): Promise<void> {
    await awsCall('DynamoDB', 'PutItem', () =>
      this.#client.send(new PutItemCommand({ TableName: this.#table, Item: { ...valueKey(key), v: { S: JSON.stringify(value) ?? 'null' } } })),
    );
  }

  async delete(key: string): Promise<void> {
    await awsCall('DynamoDB', 'DeleteItem', () => this.#client.send(new DeleteItemCommand({ TableName: this.#table, Key: valueKey(key) })));
  }

  /** One conditional put: taken when absent, ours (renew) or expired. Of racing callers, DynamoDB lets one win. */
  async acquireLease(name: string, owner: string, ttlMs: number): Promise<boolean> {
    // Wall clock on purpose: the lease must mean the same to every function instance.
    const now = Date.now();
    const expires = now + ttlMs;
    try {
      await this.#client.send(
        new PutItemCommand({
          TableName: this.#table,
          Item: {
            ...leaseKey(name),
            owner: { S: owner },
            expires_at_ms: { N: String(expires) },
            // TTL clears long-dead leases eventually (an hour after expiry, so never one still in use).
            ttl: { N: String(Math.ceil(expires / 1000) + 3600) },
          },
          ConditionExpression: 'attribute_not_exists(pk) OR #owner = :owner OR expires_at_ms <= :now',
          ExpressionAttributeNames: { '#owner': 'owner' },
          ExpressionAttributeValues: { ':owner': { S: owner }, ':now': { N: String(now) } },
        }),
      );
      return true;
    } catch (err) {
      if (isConditionFailed(err)) return false;
      throw toPuddleError('DynamoDB', 'PutItem', err);
    }
  }

  async releaseLease(name: string, owner: string): Promise<void> {
    try {
      await this.#client.send(
        new DeleteItemCommand({
          TableName: this.#table,
          Key: leaseKey(name),
          ConditionExpression: '#owner = :owner',
          ExpressionAttributeNames: { '#owner': 'owner' },
          ExpressionAttributeValues: { ':owner': { S: owner } },
        }),
      );
    } catch (err) {
      if (isConditionFailed(err)) return; // not ours (or not there): nothing to release
      throw toPuddleError('DynamoDB', 'DeleteItem', err);
    }
  }

  async #batchGet(keys: string[]): Promise<Record<string, AttributeValue>[]> {
    const found: Record<string, AttributeValue>[] = [];
    // Backoff only between rounds that AWS asked us to repeat (throttling, or 16 MB a response).
    await untilProcessed<Record<string, AttributeValue>>('BatchGetItem', keys.map(valueKey), async (request) => {
      const RequestItems: Record<string, KeysAndAttributes> = { [this.#table]: { Keys: request, ConsistentRead: true, ProjectionExpression: 'pk, v' } };
      const out = await awsCall('DynamoDB', 'BatchGetItem', () => this.#client.send(new BatchGetItemCommand({ RequestItems })));
      found.push(...(out.Responses?.[this.#table] ?? []));
      return out.UnprocessedKeys?.[this.#table]?.Keys;
    });
    return found;
  }
}

function isConditionFailed(err: unknown): boolean {
  return err instanceof ConditionalCheckFailedException || errorCode(err) === 'ConditionalCheckFailedException';
}

/**
 * Creates the state table as shape.ts declares it (the CDK stack deploys the same) and waits until it is
 * ACTIVE: for emulators and `puddle aws local`; the deployed table comes from the stack.
 */
export async function ensureStateTable(client: DynamoDBClient, table: string): Promise<void> {
  await ensureDynamoTable(client, STATE_TABLE, table);
}
