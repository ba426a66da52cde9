import { randomUUID } from 'node:crypto';
import { CreateBucketCommand, type S3Client } from '@aws-sdk/client-s3';
import { CreateTopicCommand, GetSubscriptionAttributesCommand, ListSubscriptionsByTopicCommand, SNSClient } from '@aws-sdk/client-sns';
import { ChangeMessageVisibilityCommand, GetQueueAttributesCommand, GetQueueUrlCommand, ReceiveMessageCommand, SQSClient } from '@aws-sdk/client-sqs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { ConfigError } from '../../core/errors.js';

import { createS3Client } from '../../infra/aws/s3-client.js';
import { S3ObjectStore } from '../../infra/aws/s3-object-store.js';
import { SNS_MAX_MESSAGE_BYTES, SnsSqsQueue } from '../../infra/aws/sns-sqs-queue.js';
import { EMULATOR_CREDENTIALS, EMULATOR_REGION, startTestFauxqs, type RunningFauxqs } from '../support/fauxqs.js';
import { queuePortSuite, testEnvelope } from './queue-suite.js';

const bucket = 'puddle-queue-test';
let fauxqs: RunningFauxqs;
let s3: S3Client;
let sns: SNSClient;
let sqs: SQSClient;

beforeAll(async () => {
  fauxqs = await startTestFauxqs();
  const client = { endpoint: fauxqs.endpoint, region: EMULATOR_REGION, credentials: EMULATOR_CREDENTIALS };
  s3 = createS3Client(client);
  sns = new SNSClient(client);
  sqs = new SQSClient(client);
  await s3.send(new CreateBucketCommand({ Bucket: bucket }));
});

afterAll(async () => {
  for (const c of [s3, sns, sqs]) c.destroy();
  await fauxqs.stop();
});

/** A topic and queue names of its own per test, so tests never see each other's messages. */
async function freshQueue() {
  const run = randomUUID().slice(0, 8);
  const topic = await sns.send(new CreateTopicCommand({ Name: `puddle-${run}` }));
  const make = () =>
    new SnsSqsQueue({
      sns,
      sqs,
      topicArn: topic.TopicArn!,
      queuePrefix: `puddle-${run}-`,
      provision: true,
      overflow: new S3ObjectStore({ client: s3, bucket }),
    });
  return { queue: make(), reopen: async () => make() };
}

// SQS visibility has whole seconds (2, not 1, so a busy machine does not outlast it between two calls);
// standard queues keep no order (see SnsSqsQueue).
queuePortSuite('SNS + SQS on fauxqs', freshQueue, { shortVisibilityMs: 2000, ordered: false });

describe('SnsSqsQueue specifics', () => {
  /** Counts the SNS PublishBatch calls a client sends and the entries in each. */
  function countingSns(): { client: SNSClient; batches: number[] } {
    const client = new SNSClient({ endpoint: fauxqs.endpoint, region: EMULATOR_REGION, credentials: EMULATOR_CREDENTIALS });
    const batches: number[] = [];
    client.middlewareStack.add(
      (next, context) => (args) => {
        if (context.commandName === 'PublishBatchCommand') batches.push((args.input as { PublishBatchRequestEntries: unknown[] }).PublishBatchRequestEntries.length);
        return next(args);
      },
      { step: 'initialize', name: 'countBatches' },
    );
    return { client, batches };
  }

  async function setUp(opts: { sns?: SNSClient } = {}) {
    const run = randomUUID().slice(0, 8);
    const topicArn = (await sns.send(new CreateTopicCommand({ Name: `specifics-${run}` }))).TopicArn!;
    const overflowPrefix = `overflow-${run}/`;
    const queue = new SnsSqsQueue({
      sns: opts.sns ?? sns,
      sqs,
      topicArn,
      queuePrefix: `specifics-${run}-`,
      provision: true,
      overflow: new S3ObjectStore({ client: s3, bucket }),
      overflowPrefix,
    });
    return { queue, run, topicArn, overflowPrefix };
  }

  it('publishes with PublishBatch, 10 entries a call, raw: the SQS body is the envelope JSON and `contract` an attribute', async () => {
    const counted = countingSns();
    const { queue, run } = await setUp({ sns: counted.client });
    await queue.subscribe({ name: 'raw', contracts: '*' });
    const envs = Array.from({ length: 25 }, () => testEnvelope('donation'));
    await queue.publish(envs);
    expect(counted.batches).toEqual([10, 10, 5]);

    const url = (await sqs.send(new GetQueueUrlCommand({ QueueName: `specifics-${run}-raw` }))).QueueUrl!;
    const got = await sqs.send(new ReceiveMessageCommand({ QueueUrl: url, MaxNumberOfMessages: 1, MessageAttributeNames: ['All'] }));
    const m = got.Messages![0]!;
    const env = JSON.parse(m.Body!) as { id: string };
    expect(m.Body).toBe(JSON.stringify(envs.find((e) => e.id === env.id)));
    expect(m.MessageAttributes?.contract).toMatchObject({ DataType: 'String', StringValue: 'donation' });
    counted.client.destroy();
  });

  it('makes each queue with a DLQ and a redrive policy of maxAttempts, and a filter policy on contract', async () => {
    const { queue, run, topicArn } = await setUp();
    await queue.subscribe({ name: 'transactions', contracts: ['donation', 'payment'], maxAttempts: 4 });
    await queue.subscribe({ name: 'raw', contracts: '*' });
    const url = (await sqs.send(new GetQueueUrlCommand({ QueueName: `specifics-${run}-transactions` }))).QueueUrl!;
    const attrs = await sqs.send(new GetQueueAttributesCommand({ QueueUrl: url, AttributeNames: ['RedrivePolicy'] }));
    expect(JSON.parse(attrs.Attributes!.RedrivePolicy!)).toEqual({
      deadLetterTargetArn: expect.stringMatching(new RegExp(`:specifics-${run}-transactions-dlq$`)) as unknown,
      maxReceiveCount: 4,
    });
    const subs = (await sns.send(new ListSubscriptionsByTopicCommand({ TopicArn: topicArn }))).Subscriptions ?? [];
    expect(subs).toHaveLength(2);
    const policies: Record<string, string | undefined> = {};
    for (const s of subs) {
      const a = (await sns.send(new GetSubscriptionAttributesCommand({ SubscriptionArn: s.SubscriptionArn! }))).Attributes!;
      expect(a.RawMessageDelivery).toBe('true');
      policies[s.Endpoint!.split(':').pop()!] = a.FilterPolicy;
    }
    expect(JSON.parse(policies[`specifics-${run}-transactions`]!)).toEqual({ contract: ['donation', 'payment'] });
    expect(policies[`specifics-${run}-raw`]).toBeUndefined();
  });

  it('sends an envelope over the SNS limit through S3 and reads it back on claim, exactly', async () => {
    const { queue, overflowPrefix } = await setUp();
    await queue.subscribe({ name: 'transactions', contracts: ['donation'] });
    await queue.subscribe({ name: 'raw', contracts: '*' });
    // 300 KiB of multi-byte text: over the limit in bytes though not in characters.
    const big = testEnvelope('donation', { note: '\u00e9'.repeat(150 * 1024) });
    const small = testEnvelope('donation');
    expect(JSON.stringify(big).length).toBeLessThan(SNS_MAX_MESSAGE_BYTES);
    expect(Buffer.byteLength(JSON.stringify(big))).toBeGreaterThan(SNS_MAX_MESSAGE_BYTES);
    await queue.publish([small, big]);

    const stored = await new S3ObjectStore({ client: s3, bucket }).list(overflowPrefix);
    expect(stored.map((o) => o.key)).toEqual([expect.stringMatching(new RegExp(`^${overflowPrefix}${big.id}-`)) as unknown]);

    const raw = await queue.claim('raw', { max: 10, visibilityMs: 30_000, withBody: true });
    const bigRaw = raw.find((m) => m.envelope.id === big.id)!;
    expect(bigRaw.envelope).toEqual(big);
    expect(bigRaw.body).toBe(JSON.stringify(big));
    const tx = await queue.claim('transactions', { max: 10, visibilityMs: 30_000, withoutRaw: true });
    expect(tx.map((m) => m.envelope.id).sort()).toEqual([small.id, big.id].sort());
    expect(tx.find((m) => m.envelope.id === big.id)!.envelope.payload).toEqual(big.payload);
  });

  it('splits a PublishBatch whose entries together pass the SNS limit', async () => {
    const counted = countingSns();
    const { queue } = await setUp({ sns: counted.client });
    await queue.subscribe({ name: 'raw', contracts: '*' });
    // Each about 100 KiB: fine alone, but only two fit in one 256 KiB batch.
    const envs = Array.from({ length: 5 }, () => testEnvelope('donation', { note: 'x'.repeat(100 * 1024) }));
    await queue.publish(envs);
    expect(counted.batches).toEqual([2, 2, 1]);
    expect(await queue.depth('raw')).toBe(5);
    counted.client.destroy();
  });

  it('reads dead letters without consuming them, and a message that reached the DLQ by redrive gets a reason', async () => {
    const { queue, run } = await setUp();
    await queue.subscribe({ name: 's', contracts: '*', maxAttempts: 1 });
    const url = (await sqs.send(new GetQueueUrlCommand({ QueueName: `specifics-${run}-s` }))).QueueUrl!;
    const a = testEnvelope();
    const b = testEnvelope();
    await queue.publish([a, b]);
    const claimed = await queue.claim('s', { max: 10, visibilityMs: 30_000 });
    const held = claimed.find((m) => m.envelope.id === a.id)!;
    await queue.retry('s', [held.receipt], { reason: 'landing failed: bad file' });
    // b's consumer "crashed": with maxReceiveCount 1, SQS moves it on its next receive.
    await sqs.send(new ChangeMessageVisibilityCommand({ QueueUrl: url, ReceiptHandle: claimed.find((m) => m.envelope.id === b.id)!.receipt, VisibilityTimeout: 0 }));
    expect(await queue.claim('s', { max: 10, visibilityMs: 30_000 })).toEqual([]);
    for (let i = 0; i < 2; i++) {
      const dead = await queue.deadLetters('s');
      const byEnvelope = new Map(dead.map((d) => [d.envelope.id, d]));
      expect([...byEnvelope.keys()].sort()).toEqual([a.id, b.id].sort());
      expect(byEnvelope.get(a.id)).toMatchObject({ envelope: a, attempts: 1, reason: 'landing failed: bad file' });
      expect(byEnvelope.get(b.id)!.reason).toMatch(/without being acked/);
    }
  });

  it('deployed (no provisioning): uses the queues the stack made, and refuses an unknown subscription by name', async () => {
    const { queue, topicArn, run } = await setUp();
    await queue.subscribe({ name: 'transactions', contracts: ['donation'], maxAttempts: 3 });
    const deployed = new SnsSqsQueue({ sns, sqs, topicArn, queuePrefix: `specifics-${run}-`, provision: false, overflow: new S3ObjectStore({ client: s3, bucket }) });
    await deployed.subscribe({ name: 'transactions', contracts: ['other'] }); // checks only: the stack owns the policy
    const env = testEnvelope('donation');
    await deployed.publish([env, testEnvelope('other')]);
    const got = await deployed.claim('transactions', { max: 10, visibilityMs: 30_000 });
    expect(got.map((m) => m.envelope)).toEqual([env]);
    await expect(deployed.subscribe({ name: 'nope', contracts: '*' })).rejects.toThrow(ConfigError);
    await expect(deployed.depth('nope')).rejects.toThrow(/unknown subscription nope: no SQS queue named specifics-.*-nope/);
  });
});
