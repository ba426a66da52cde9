// Create a DynamoDB table from its shape.ts description (for emulators and `puddle aws local`; the CDK app
// deploys the same description on AWS).
import { CreateTableCommand, DescribeTableCommand, ResourceInUseException, type DynamoDBClient } from '@aws-sdk/client-dynamodb';

import { RetriableError } from '../../core/errors.js';
import { awsCall, toPuddleError } from './aws-errors.js';
import type { DynamoTableSpec } from './shape.js';

/**
 * Creates the table unless it exists; on-demand billing, as the stack deploys it. The TTL attribute is the
 * stack's alone: dynalite has no UpdateTimeToLive, and readers never rely on TTL deleting in time.
 */
export async function createDynamoTable(client: DynamoDBClient, spec: DynamoTableSpec, name: string = spec.name): Promise<void> {
  const keys = [spec.partitionKey, ...(spec.sortKey ? [spec.sortKey] : [])];
  try {
    await client.send(
      new CreateTableCommand({
        TableName: name,
        BillingMode: 'PAY_PER_REQUEST',
        AttributeDefinitions: keys.map((k) => ({ AttributeName: k.name, AttributeType: k.type })),
        KeySchema: keys.map((k, i) => ({ AttributeName: k.name, KeyType: i === 0 ? 'HASH' : 'RANGE' })),
      }),
    );
  } catch (err) {
    if (!(err instanceof ResourceInUseException)) throw toPuddleError('DynamoDB', `CreateTable ${name}`, err);
  }
}

/** As createDynamoTable, then waits until the table is ACTIVE (emulators may take a moment). */
export async function ensureDynamoTable(client: DynamoDBClient, spec: DynamoTableSpec, name: string = spec.name): Promise<void> {
  await createDynamoTable(client, spec, name);
  for (let i = 0; i < 100; i++) {
    const out = await awsCall('DynamoDB', 'DescribeTable', () => client.send(new DescribeTableCommand({ TableName: name })));
    if (out.Table?.TableStatus === 'ACTIVE') return;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  throw new RetriableError(`DynamoDB table ${name} did not become ACTIVE`);
}
