import { DescribeTableCommand } from '@aws-sdk/client-dynamodb';
import { GetSubscriptionAttributesCommand, ListSubscriptionsByTopicCommand } from '@aws-sdk/client-sns';
import { GetQueueAttributesCommand, GetQueueUrlCommand } from '@aws-sdk/client-sqs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { CATALOG_TABLE, ENV, queueSpec, STATE_TABLE } from '../../infra/aws/shape.js';
import { PUDDLES } from '../../puddles/definitions.js';
import { startTestShape, type TestShape } from '../support/aws-shape.js';

// provisionShape (tests, `puddle aws local`) and the CDK stack both build from shape.ts: what it made on the
// emulators must be exactly what queueSpec and the table specs say, the same values the template tests check.
let shape: TestShape;
beforeAll(async () => {
  shape = await startTestShape();
});
afterAll(async () => {
  await shape.stop();
});

describe('provisionShape makes what shape.ts describes', () => {
  it("one queue and dead-letter queue per puddle, with the spec's retention, visibility, redrive and filter policy", async () => {
    const { sqs, sns } = shape.clients;
    const prefix = shape.env[ENV.queuePrefix]!;
    const subs = (await sns.send(new ListSubscriptionsByTopicCommand({ TopicArn: shape.env[ENV.topicArn] }))).Subscriptions ?? [];
    expect(subs).toHaveLength(PUDDLES.length);
    for (const p of PUDDLES) {
      const spec = queueSpec(p, prefix);
      const url = (await sqs.send(new GetQueueUrlCommand({ QueueName: spec.name }))).QueueUrl!;
      const a = (await sqs.send(new GetQueueAttributesCommand({ QueueUrl: url, AttributeNames: ['All'] }))).Attributes!;
      const dlqUrl = (await sqs.send(new GetQueueUrlCommand({ QueueName: spec.deadLetterName }))).QueueUrl!;
      const d = (await sqs.send(new GetQueueAttributesCommand({ QueueUrl: dlqUrl, AttributeNames: ['All'] }))).Attributes!;
      expect([Number(a.VisibilityTimeout), Number(a.MessageRetentionPeriod), Number(d.MessageRetentionPeriod)], p.name).toEqual([
        spec.visibilityTimeoutSeconds,
        spec.retentionSeconds,
        spec.deadLetterRetentionSeconds,
      ]);
      const redrive = JSON.parse(a.RedrivePolicy!) as { deadLetterTargetArn: string; maxReceiveCount: number | string };
      expect([redrive.deadLetterTargetArn, Number(redrive.maxReceiveCount)]).toEqual([d.QueueArn, spec.maxReceiveCount]);
      const sub = subs.find((s) => s.Endpoint === a.QueueArn)!;
      const attrs = (await sns.send(new GetSubscriptionAttributesCommand({ SubscriptionArn: sub.SubscriptionArn }))).Attributes!;
      expect(attrs.RawMessageDelivery).toBe('true');
      expect(attrs.FilterPolicy ? JSON.parse(attrs.FilterPolicy) : null, p.name).toEqual(spec.filterPolicy);
    }
  });

  it('the state and catalog tables keyed as the specs say', async () => {
    for (const [name, spec] of [
      [shape.env[ENV.stateTable]!, STATE_TABLE],
      [shape.env[ENV.catalogTable]!, CATALOG_TABLE],
    ] as const) {
      const t = (await shape.clients.dynamodb.send(new DescribeTableCommand({ TableName: name }))).Table!;
      const keys = [spec.partitionKey, ...(spec.sortKey ? [spec.sortKey] : [])];
      expect(t.KeySchema).toEqual(keys.map((k, i) => ({ AttributeName: k.name, KeyType: i === 0 ? 'HASH' : 'RANGE' })));
      expect(t.AttributeDefinitions).toEqual(keys.map((k) => ({ AttributeName: k.name, AttributeType: k.type })));
    }
  });
});
