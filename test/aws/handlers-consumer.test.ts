import { PublishCommand } from '@aws-sdk/client-sns';
import { ChangeMessageVisibilityCommand, GetQueueAttributesCommand, GetQueueUrlCommand, ReceiveMessageCommand, type Message } from '@aws-sdk/client-sqs';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';

import { makeEnvelope, type Envelope } from '../../core/envelope.js';
import { log } from '../../core/log.js';
import type { ObjectStore, OpsEvent } from '../../core/ports.js';
import { makeConsumerHandler, puddleOfQueue } from '../../infra/aws/handlers/consumer.js';
import type { AwsRuntime } from '../../infra/aws/runtime.js';
import type { SqliteCatalog } from '../../infra/local/sqlite-catalog.js';
import { ENV } from '../../infra/aws/shape.js';
import { testEnvelope } from '../ports/queue-suite.js';
import { startShapeWithEmbeddedCatalog, type TestShape } from '../support/aws-shape.js';
import { lambdaContext, sqsEvent, sqsRecord } from '../support/lambda-events.js';

// Glue and Athena have no emulator: the catalog and the query engine here are the embedded ones, handed to
// createAwsRuntime the way the Glue/Athena adapters will be. Queue, lake and state are fauxqs and dynalite.
let shape: TestShape;
let rt: AwsRuntime;
let catalog: SqliteCatalog;

let stop: () => Promise<void>;

beforeAll(async () => {
  ({ shape, rt, catalog, stop } = await startShapeWithEmbeddedCatalog());
});

afterAll(() => stop());

let n = 0;
function donation(amount: number, extra: Record<string, unknown> = {}): Envelope {
  n++;
  return makeEnvelope({
    contract: 'donation',
    version: 1,
    source: 'producer',
    delivery_id: `req-${n}`,
    payload: { donation_id: `don_c${n}`, occurred_at: '2026-11-27T20:15:03Z', channel: 'online', amount_minor: amount, currency: 'GBP', campaign: 'appeal', ...extra },
  });
}

/** What the event source mapping would hand the function for this puddle's queue: one receive, as records. */
async function receiveAsLambda(puddle: string): Promise<{ messages: Message[]; arn: string }> {
  const url = (await shape.clients.sqs.send(new GetQueueUrlCommand({ QueueName: `${shape.env.PUDDLE_QUEUE_PREFIX}${puddle}` }))).QueueUrl!;
  const arn = (await shape.clients.sqs.send(new GetQueueAttributesCommand({ QueueUrl: url, AttributeNames: ['QueueArn'] }))).Attributes!.QueueArn!;
  const got = await shape.clients.sqs.send(
    new ReceiveMessageCommand({ QueueUrl: url, MaxNumberOfMessages: 10, VisibilityTimeout: 30, MessageAttributeNames: ['All'], MessageSystemAttributeNames: ['All'] }),
  );
  return { messages: got.Messages ?? [], arn };
}

/** Make received messages visible again at once, as Lambda's reported failures are after the visibility timeout. */
async function releaseNow(puddle: string, messages: Message[]): Promise<void> {
  const url = (await shape.clients.sqs.send(new GetQueueUrlCommand({ QueueName: `${shape.env.PUDDLE_QUEUE_PREFIX}${puddle}` }))).QueueUrl!;
  for (const m of messages) await shape.clients.sqs.send(new ChangeMessageVisibilityCommand({ QueueUrl: url, ReceiptHandle: m.ReceiptHandle!, VisibilityTimeout: 0 }));
}

async function query<T>(sql: string): Promise<T> {
  return (await rt.query.query(sql))[0] as T;
}

describe('consumer handler (SQS event, Powertools BatchProcessor, partial batch failures)', () => {
  it('lands a batch as Parquet the query engine reads back, and reports only the record that is not an envelope', async () => {
    const envs = [donation(500), donation(1250), donation(2000)];
    await rt.queue.publish(envs);
    const { messages, arn } = await receiveAsLambda('transactions');
    expect(messages).toHaveLength(3);
    const event = sqsEvent(messages, arn);
    event.Records.push(sqsRecord({ MessageId: 'garbage-1', Body: '{"not": "an envelope"' }, arn));

    const handler = makeConsumerHandler(async () => rt);
    const res = await handler(event, lambdaContext());
    expect(res).toEqual({ batchItemFailures: [{ itemIdentifier: 'garbage-1' }] });

    const files = await catalog.listFiles({ puddle: 'transactions', contract: 'donation' });
    expect(files).toHaveLength(1);
    expect(files[0]!.rows).toBe(3);
    expect(await rt.store.get(files[0]!.key)).not.toBeNull();
    const totals = await query<{ n: number; total: number }>("SELECT count(*) AS n, sum(amount_minor) AS total FROM donation WHERE campaign = 'appeal'");
    expect(totals).toEqual({ n: 3, total: 3750 });

    // Redelivered (Lambda crashed before SQS deleted them): lands onto the same key, counted once.
    const again = await handler(sqsEvent(messages, arn), lambdaContext());
    expect(again.batchItemFailures).toEqual([]);
    expect(await query<{ n: number }>("SELECT count(*) AS n FROM donation WHERE campaign = 'appeal'")).toEqual({ n: 3 });
  });

  it('reports only a record whose JSON is not an object (null, a number, a string, an array): the envelopes beside it land', async () => {
    // Until 2026-12-03 `null` passed decoding and failed the whole landing: every donation in the batch was
    // reported failed with it on each receive, and all went to the dead-letter queue on the 5th.
    for (const puddle of ['transactions', 'raw']) {
      const envs = [donation(300), donation(400)];
      await rt.queue.publish(envs);
      // raw also holds what the tests before this one published to transactions: they land too.
      const { messages, arn } = await receiveAsLambda(puddle);
      expect(messages.length).toBeGreaterThanOrEqual(2);
      const event = sqsEvent(messages, arn);
      const bad = ['null', '5', '"a string"', '[]'];
      bad.forEach((body, i) => event.Records.push(sqsRecord({ MessageId: `not-an-object-${i}`, Body: body }, arn)));
      const res = await makeConsumerHandler(async () => ({ ...rt, events: { emit: async () => undefined } }))(event, lambdaContext());
      expect(res.batchItemFailures.map((f) => f.itemIdentifier).sort()).toEqual(bad.map((_, i) => `not-an-object-${i}`));
      const where = puddle === 'raw' ? `raw WHERE id IN (${envs.map((e) => `'${e.id}'`).join(', ')})` : `donation WHERE donation_id IN (${envs.map((e) => `'${String(e.payload.donation_id)}'`).join(', ')})`;
      expect(await query<{ n: number }>(`SELECT count(*) AS n FROM ${where}`)).toEqual({ n: 2 });
    }
  });

  it('reads an envelope that went through S3 for its size, and the raw puddle keeps its text exactly', async () => {
    const big = donation(700, { note: 'x'.repeat(300 * 1024) });
    await rt.queue.publish([big]);
    const { messages, arn } = await receiveAsLambda('raw');
    const record = messages.find((m) => m.MessageAttributes?.overflow_key);
    expect(record).toBeDefined();
    expect(Buffer.byteLength(record!.Body!)).toBeLessThan(1024);
    const res = await makeConsumerHandler(async () => rt)(sqsEvent(messages, arn), lambdaContext());
    expect(res.batchItemFailures).toEqual([]);
    const row = await query<{ envelope: string }>(`SELECT envelope FROM raw WHERE id = '${big.id}'`);
    expect(row.envelope).toBe(JSON.stringify(big));
  });

  it('reports every record when the batch cannot be landed, so SQS offers them all again', async () => {
    const envs = [donation(100), donation(200)];
    await rt.queue.publish(envs);
    const { messages, arn } = await receiveAsLambda('transactions');
    // The lake refuses writes (S3 down); reads still work, so the records themselves are readable.
    const broken: ObjectStore = {
      get: (key) => rt.store.get(key),
      list: (prefix) => rt.store.list(prefix),
      delete: (key) => rt.store.delete(key),
      putIfAbsent: () => Promise.reject(new Error('S3 is down')),
      put: () => Promise.reject(new Error('S3 is down')),
    };
    const res = await makeConsumerHandler(async () => ({ ...rt, store: broken }))(sqsEvent(messages, arn), lambdaContext());
    expect(res.batchItemFailures.map((f) => f.itemIdentifier).sort()).toEqual(messages.map((m) => m.MessageId).sort());
  });

  it('tells a dead_letter ops event for each record reported failed on its last receive, unreadable or not landed', async () => {
    // The support puddle's queue is untouched by the other tests. One envelope, one message that is not one.
    await rt.queue.publish([testEnvelope('ticket')]);
    await shape.clients.sns.send(
      new PublishCommand({ TopicArn: shape.env[ENV.topicArn], Message: 'not json', MessageAttributes: { contract: { DataType: 'String', StringValue: 'ticket' } } }),
    );
    const told: OpsEvent[] = [];
    const broken: ObjectStore = { get: (k) => rt.store.get(k), list: (p) => rt.store.list(p), delete: (k) => rt.store.delete(k), put: () => Promise.reject(new Error('S3 is down')), putIfAbsent: () => Promise.reject(new Error('S3 is down')) };
    const handler = makeConsumerHandler(async () => ({ ...rt, store: broken, events: { emit: async (e) => void told.push(...e) } }));
    const receiveCounts = (ms: Message[]) => ms.map((m) => Number(m.Attributes!.ApproximateReceiveCount)).sort();

    // Receives 1 to 4 (SQS's own count): failed, offered again, nothing told. The redrive policy allows 5.
    for (let receive = 1; receive <= 4; receive++) {
      const { messages, arn } = await receiveAsLambda('support');
      expect(receiveCounts(messages)).toEqual([receive, receive]);
      const res = await handler(sqsEvent(messages, arn), lambdaContext());
      expect(res.batchItemFailures).toHaveLength(2);
      await releaseNow('support', messages);
    }
    expect(told).toEqual([]);

    const { messages, arn } = await receiveAsLambda('support');
    expect(receiveCounts(messages)).toEqual([5, 5]);
    const res = await handler(sqsEvent(messages, arn), lambdaContext());
    expect(res.batchItemFailures).toHaveLength(2);
    expect(told).toEqual([
      // The landing's error by its kind only: its message can quote the record (core/error-reason.ts).
      { type: 'dead_letter', puddle: 'support', messages: 1, reason: 'Error: message left out (it can quote the record)' },
      { type: 'dead_letter', puddle: 'support', messages: 1, reason: expect.stringMatching(/^FatalError: SQS message .* is not an envelope \(invalid JSON\)$/) },
    ]);
  });

  it('says plainly that a redriven message\'s body is gone once S3 has expired it, and lands the records beside it', async () => {
    // An envelope too big for SNS travels as a pointer to queue-overflow/, which a lifecycle rule expires (29 days):
    // a dead letter redriven later (a redrive starts its retention again) finds its body gone.
    const big = donation(900, { note: 'y'.repeat(300 * 1024) });
    const small = donation(400);
    await rt.queue.publish([big, small]);
    const { messages, arn } = await receiveAsLambda('transactions');
    const pointer = messages.find((m) => m.MessageAttributes?.overflow_key)!;
    const beside = messages.find((m) => m.Body?.includes(small.id))!;
    expect(pointer).toBeDefined();
    expect(beside).toBeDefined();
    await rt.store.delete(pointer.MessageAttributes!.overflow_key!.StringValue!);
    // Its last receive: the redrive policy's 5th.
    pointer.Attributes = { ...pointer.Attributes, ApproximateReceiveCount: '5' };
    const told: OpsEvent[] = [];
    const res = await makeConsumerHandler(async () => ({ ...rt, events: { emit: async (e) => void told.push(...e) } }))(sqsEvent([pointer, beside], arn), lambdaContext());
    expect(res.batchItemFailures).toEqual([{ itemIdentifier: pointer.MessageId }]);
    expect(await query<{ n: number }>(`SELECT count(*) AS n FROM donation WHERE donation_id = '${String(small.payload.donation_id)}'`)).toEqual({ n: 1 });
    expect(told).toEqual([
      {
        type: 'dead_letter',
        puddle: 'transactions',
        messages: 1,
        reason: expect.stringMatching(/^FatalError: the body of this message \(queue-overflow\/.*\) is gone: S3 deletes an envelope too big for SNS 29 days after it was put, and a redrive starts the message's retention again\. It cannot be landed from the queue; the raw trail holds the envelope/),
      },
    ]);
  });

  it('logs an unreadable record on its first failed receive (not only when it is dead-lettered), at most once per 10 s, never its body', async () => {
    // The engagement puddle's queue is untouched by the other tests. A body that is not JSON, quoting a donor.
    await shape.clients.sns.send(
      new PublishCommand({ TopicArn: shape.env[ENV.topicArn], Message: '{"email": "jane@example.org"', MessageAttributes: { contract: { DataType: 'String', StringValue: 'click' } } }),
    );
    const warn = vi.spyOn(log, 'warn');
    try {
      const handler = makeConsumerHandler(async () => ({ ...rt, events: { emit: async () => undefined } }));
      const first = await receiveAsLambda('engagement');
      expect((await handler(sqsEvent(first.messages, first.arn), lambdaContext())).batchItemFailures).toHaveLength(1);
      const lines = () => warn.mock.calls.filter(([message]) => message.startsWith('unreadable SQS records'));
      expect(lines()).toHaveLength(1);
      expect(lines()[0]![1]).toMatchObject({
        puddle: 'engagement',
        messages: 1,
        message_ids: [first.messages[0]!.MessageId],
        receive: 1,
        of: 5,
        error: 'FatalError (caused by SyntaxError): message left out (it can quote the record)',
      });
      expect(JSON.stringify(warn.mock.calls)).not.toContain('jane@example.org');

      // Offered again at once: still failing, within 10 s of the line, so no second line.
      await releaseNow('engagement', first.messages);
      const second = await receiveAsLambda('engagement');
      expect((await handler(sqsEvent(second.messages, second.arn), lambdaContext())).batchItemFailures).toHaveLength(1);
      expect(lines()).toHaveLength(1);
    } finally {
      warn.mockRestore();
    }
  });

  it('as deployed without the Glue settings: the invocation fails naming the missing variable, so SQS offers the batch again', async () => {
    const { handler } = await import('../../infra/aws/handlers/consumer.js');
    vi.stubEnv(ENV.glueDatabase, '');
    await rt.queue.publish([donation(900)]);
    const { messages, arn } = await receiveAsLambda('transactions');
    await expect(handler(sqsEvent(messages, arn), lambdaContext())).rejects.toThrow(/^PUDDLE_GLUE_DATABASE is not set/);
  });

  it('knows its puddle from the queue ARN, and refuses a queue that serves none', () => {
    const prefix = shape.env.PUDDLE_QUEUE_PREFIX!;
    expect(puddleOfQueue(`arn:aws:sqs:us-east-1:000000000000:${prefix}supporters`, prefix).name).toBe('supporters');
    expect(() => puddleOfQueue('arn:aws:sqs:us-east-1:000000000000:other-queue', prefix)).toThrow(/queue other-queue serves no puddle/);
  });
});
