// Creates the AWS shape's data resources on an endpoint that has none yet: the lake bucket, the topic, one
// queue + DLQ + filtered subscription per puddle, the state table and the catalog table. For emulators (tests,
// `puddle aws local`); on AWS the CDK app makes them. Both read infra/aws/shape.ts (queueSpec through the queue
// adapter's provisioning, STATE_TABLE, CATALOG_TABLE), so the two cannot drift apart.
import { CreateBucketCommand } from '@aws-sdk/client-s3';
import { CreateTopicCommand } from '@aws-sdk/client-sns';

import { PUDDLES } from '../../puddles/definitions.js';
import { awsCall, errorCode, toPuddleError } from './aws-errors.js';
import { ensureDynamoTable } from './dynamo-tables.js';
import type { AwsClients } from './runtime.js';
import { S3ObjectStore } from './s3-object-store.js';
import { CATALOG_TABLE, ENV, STATE_TABLE, TOTALS_TABLE } from './shape.js';
import { SnsSqsQueue } from './sns-sqs-queue.js';

export interface ShapeNames {
  bucket: string;
  topic: string;
  queuePrefix: string;
  stateTable: string;
  catalogTable: string;
  /** The live totals' counters (PUDDLE_TOTALS_TABLE), when the functions run should keep or serve them. */
  totalsTable?: string;
}

/** Idempotent. Returns the environment a function needs to find what was made (see readAwsEnv). */
export async function provisionShape(clients: AwsClients, names: ShapeNames): Promise<Record<string, string>> {
  try {
    await clients.s3.send(new CreateBucketCommand({ Bucket: names.bucket }));
  } catch (err) {
    if (!['BucketAlreadyOwnedByYou', 'BucketAlreadyExists'].includes(errorCode(err))) throw toPuddleError('S3', 'CreateBucket', err);
  }
  const topic = await awsCall('SNS', 'CreateTopic', () => clients.sns.send(new CreateTopicCommand({ Name: names.topic })));
  const topicArn = topic.TopicArn!;
  const queue = new SnsSqsQueue({
    sns: clients.sns,
    sqs: clients.sqs,
    topicArn,
    queuePrefix: names.queuePrefix,
    // Queues, DLQs and subscriptions from shape.ts queueSpec (names, retention, visibility, redrive, filter).
    provision: true,
    overflow: new S3ObjectStore({ client: clients.s3, bucket: names.bucket }),
  });
  for (const puddle of PUDDLES) await queue.subscribe(puddle);
  await queue.close();
  await ensureDynamoTable(clients.dynamodb, STATE_TABLE, names.stateTable);
  await ensureDynamoTable(clients.dynamodb, CATALOG_TABLE, names.catalogTable);
  if (names.totalsTable) await ensureDynamoTable(clients.dynamodb, TOTALS_TABLE, names.totalsTable);
  return {
    ...(names.totalsTable ? { [ENV.totalsTable]: names.totalsTable } : {}),
    [ENV.bucket]: names.bucket,
    [ENV.topicArn]: topicArn,
    [ENV.queuePrefix]: names.queuePrefix,
    [ENV.stateTable]: names.stateTable,
    [ENV.catalogTable]: names.catalogTable,
  };
}
