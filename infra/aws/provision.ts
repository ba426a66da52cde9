// Creates the AWS shape's data resources on an endpoint that has none yet: the lake bucket, the topic, one
// queue + DLQ + filtered subscription per puddle, and the state table. For emulators (tests, `puddle aws
// local`); on AWS the CDK app makes them, from the same names (queueNames, PUDDLES).
import { CreateBucketCommand } from '@aws-sdk/client-s3';
import { CreateTopicCommand } from '@aws-sdk/client-sns';

import { PUDDLES } from '../../puddles/definitions.js';
import { awsCall, errorCode, toPuddleError } from './aws-errors.js';
import { ensureStateTable } from './dynamodb-state-store.js';
import { createDynamoTable } from './dynamo-tables.js';
import type { AwsClients } from './runtime.js';
import { AWS_ENV_VARS } from './runtime.js';
import { S3ObjectStore } from './s3-object-store.js';
import { ENV, TOTALS_TABLE } from './shape.js';
import { SnsSqsQueue } from './sns-sqs-queue.js';

export interface ShapeNames {
  bucket: string;
  topic: string;
  queuePrefix: string;
  stateTable: string;
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
    provision: true,
    overflow: new S3ObjectStore({ client: clients.s3, bucket: names.bucket }),
  });
  for (const puddle of PUDDLES) await queue.subscribe(puddle);
  await queue.close();
  await ensureStateTable(clients.dynamodb, names.stateTable);
  if (names.totalsTable) await createDynamoTable(clients.dynamodb, TOTALS_TABLE, names.totalsTable);
  return {
    ...(names.totalsTable ? { [ENV.totalsTable]: names.totalsTable } : {}),
    [AWS_ENV_VARS.bucket]: names.bucket,
    [AWS_ENV_VARS.topicArn]: topicArn,
    [AWS_ENV_VARS.queuePrefix]: names.queuePrefix,
    [AWS_ENV_VARS.stateTable]: names.stateTable,
  };
}
