// Create a DynamoDB table from its shape.ts description (for emulators and `puddle aws local`; the CDK app
// deploys the same description on AWS).
import { CreateTableCommand, ResourceInUseException, type DynamoDBClient } from '@aws-sdk/client-dynamodb';

import type { DynamoTableSpec } from './shape.js';

/** Creates the table unless it exists; on-demand billing, as the stack deploys it. */
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
    if (!(err instanceof ResourceInUseException)) throw err;
  }
}
