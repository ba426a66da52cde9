import { randomUUID } from 'node:crypto';
import { BatchGetItemCommand, DynamoDBClient, GetItemCommand } from '@aws-sdk/client-dynamodb';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { FatalError } from '../../core/errors.js';
import { BATCH_GET_MAX_KEYS, DynamoDbStateStore, ensureStateTable } from '../../infra/aws/dynamodb-state-store.js';
import { startTestDynalite, type RunningDynalite } from '../support/dynalite.js';
import { EMULATOR_CREDENTIALS, EMULATOR_REGION } from '../support/fauxqs.js';
import { stateStorePortSuite } from './state-store-suite.js';

let dynalite: RunningDynalite;
let client: DynamoDBClient;

beforeAll(async () => {
  dynalite = await startTestDynalite();
  client = new DynamoDBClient({ endpoint: dynalite.endpoint, region: EMULATOR_REGION, credentials: EMULATOR_CREDENTIALS });
});

afterAll(async () => {
  client.destroy();
  await dynalite.stop();
});

async function freshTable(): Promise<string> {
  const table = `puddle-state-${randomUUID().slice(0, 8)}`;
  await ensureStateTable(client, table);
  return table;
}

stateStorePortSuite('DynamoDB on dynalite', async () => {
  const table = await freshTable();
  const extra: DynamoDBClient[] = [];
  return {
    store: new DynamoDbStateStore({ client, table }),
    // Another "function instance": its own client and connection pool.
    openAgain: async () => {
      const other = new DynamoDBClient({ endpoint: dynalite.endpoint, region: EMULATOR_REGION, credentials: EMULATOR_CREDENTIALS });
      extra.push(other);
      return new DynamoDbStateStore({ client: other, table });
    },
    cleanup: async () => {
      for (const c of extra) c.destroy();
    },
  };
  // Each call is an HTTP round trip: on a loaded machine 40 ms can pass between two of them.
});

describe('DynamoDbStateStore specifics', () => {
  /** A client that counts BatchGetItem calls and the keys in each. */
  function counting() {
    const counted = new DynamoDBClient({ endpoint: dynalite.endpoint, region: EMULATOR_REGION, credentials: EMULATOR_CREDENTIALS });
    const batches: number[] = [];
    counted.middlewareStack.add(
      (next, context) => (args) => {
        if (context.commandName === 'BatchGetItemCommand') {
          const items = (args.input as { RequestItems: Record<string, { Keys: unknown[] }> }).RequestItems;
          batches.push(Object.values(items).reduce((n, r) => n + r.Keys.length, 0));
        }
        return next(args);
      },
      { step: 'initialize', name: 'countBatchGets' },
    );
    return { counted, batches };
  }

  it('reads many keys in calls of at most 100, each key asked once', async () => {
    const table = await freshTable();
    const { counted, batches } = counting();
    const store = new DynamoDbStateStore({ client: counted, table });
    await store.set('k7', 7);
    await store.set('k250', { n: 250 });
    const keys = Array.from({ length: 250 }, (_, i) => `k${i + 1}`);
    const got = await store.getMany([...keys, 'k7', 'k7']);
    expect(got).toEqual(new Map<string, unknown>([['k7', 7], ['k250', { n: 250 }]]));
    expect(batches.sort((a, b) => b - a)).toEqual([BATCH_GET_MAX_KEYS, BATCH_GET_MAX_KEYS, 50]);
    counted.destroy();
  });

  it('asks again for UnprocessedKeys until every key is answered', async () => {
    const table = await freshTable();
    const seed = new DynamoDbStateStore({ client, table });
    for (let i = 0; i < 5; i++) await seed.set(`u${i}`, i);
    // DynamoDB leaves keys unprocessed when throttled; dynalite never does, so a middleware plays that
    // answer: the first response hands back all but one key as unprocessed.
    const throttled = new DynamoDBClient({ endpoint: dynalite.endpoint, region: EMULATOR_REGION, credentials: EMULATOR_CREDENTIALS });
    let calls = 0;
    throttled.middlewareStack.add(
      (next) => async (args) => {
        const result = await next(args);
        if (calls++ === 0) {
          const input = args.input as ConstructorParameters<typeof BatchGetItemCommand>[0];
          const output = result.output as unknown as { Responses: Record<string, { pk: { S: string } }[]>; UnprocessedKeys?: unknown };
          const kept = output.Responses[table]!.slice(0, 1);
          const keptPk = new Set(kept.map((i) => i.pk.S));
          output.Responses[table] = kept;
          output.UnprocessedKeys = {
            [table]: { ...input.RequestItems![table]!, Keys: input.RequestItems![table]!.Keys!.filter((k) => !keptPk.has(k.pk!.S!)) },
          };
        }
        return result;
      },
      { step: 'initialize', name: 'playThrottling' },
    );
    const store = new DynamoDbStateStore({ client: throttled, table });
    const got = await store.getMany(['u0', 'u1', 'u2', 'u3', 'u4', 'missing']);
    expect([...got.entries()].sort()).toEqual([['u0', 0], ['u1', 1], ['u2', 2], ['u3', 3], ['u4', 4]]);
    expect(calls).toBe(2);
    throttled.destroy();
  });

  it('keeps a lease as one item with its owner and expiry, and a TTL attribute past the expiry', async () => {
    const table = await freshTable();
    const store = new DynamoDbStateStore({ client, table });
    const before = Date.now();
    expect(await store.acquireLease('sync:stripe:charges', 'run-1', 60_000)).toBe(true);
    const item = (await client.send(new GetItemCommand({ TableName: table, Key: { pk: { S: 'lease:sync:stripe:charges' } }, ConsistentRead: true }))).Item!;
    expect(item.owner!.S).toBe('run-1');
    const expires = Number(item.expires_at_ms!.N);
    expect(expires).toBeGreaterThanOrEqual(before + 60_000);
    expect(Number(item.ttl!.N) * 1000).toBeGreaterThan(expires);
    // A value and a lease of the same name do not collide.
    await store.set('sync:stripe:charges', { cursor: 'x' });
    expect(await store.acquireLease('sync:stripe:charges', 'run-2', 60_000)).toBe(false);
  });

  it('names the DynamoDB error, not the key or value, when the table is missing', async () => {
    const store = new DynamoDbStateStore({ client, table: 'no-such-table' });
    const err = await store.set('bookmark:card 4242424242424242', 'secret').catch((e: unknown) => e);
    expect(err).toBeInstanceOf(FatalError);
    expect((err as Error).message).toBe('DynamoDB PutItem failed: ResourceNotFoundException (HTTP 400)');
    await expect(store.acquireLease('l', 'o', 1000)).rejects.toThrow(/^DynamoDB PutItem failed: ResourceNotFoundException/);
  });
});
