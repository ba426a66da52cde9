// The AWS shape on emulators for a test file: fauxqs (S3, SNS, SQS) and dynalite in this process, the
// resources provisioned, and the environment a function would get, endpoints included, set on process.env
// (the SDK reads AWS_ENDPOINT_URL_* from there, as it would on a machine pointed at emulators).
import { randomUUID } from 'node:crypto';
import { GetQueueAttributesCommand, GetQueueUrlCommand, ReceiveMessageCommand, type Message } from '@aws-sdk/client-sqs';
import { vi } from 'vitest';

import type { Envelope } from '../../core/envelope.js';
import { makeConsumerHandler, type ConsumerHandlerOptions } from '../../infra/aws/handlers/consumer.js';

import { provisionShape } from '../../infra/aws/provision.js';
import { createAwsClients, createAwsRuntime, type AwsClients, type AwsRuntime, type EventsFactory } from '../../infra/aws/runtime.js';
import { DuckDbQueryEngine } from '../../infra/local/duckdb-query-engine.js';
import { SqliteCatalog } from '../../infra/local/sqlite-catalog.js';
import { ENV } from '../../infra/aws/shape.js';
import { emulatorEnv } from '../../infra/aws/local/emulators.js';
import { startTestDynalite, type RunningDynalite } from './dynalite.js';
import { startTestFauxqs, type RunningFauxqs } from './fauxqs.js';
import { lambdaContext, sqsEvent } from './lambda-events.js';

export interface TestShape {
  fauxqs: RunningFauxqs;
  dynalite: RunningDynalite;
  /** Clients made the runtime's way (from the environment), for the test's own look-ups. */
  clients: AwsClients;
  env: Record<string, string>;
  stop(): Promise<void>;
}

export async function startTestShape(): Promise<TestShape> {
  const fauxqs = await startTestFauxqs();
  const dynalite = await startTestDynalite();
  const endpoints = emulatorEnv(fauxqs, dynalite);

  for (const [k, v] of Object.entries(endpoints)) vi.stubEnv(k, v);
  const clients = createAwsClients();
  const run = randomUUID().slice(0, 8);
  const names = await provisionShape(clients, { bucket: `puddle-${run}`, topic: `puddle-${run}`, queuePrefix: `puddle-${run}-`, stateTable: `puddle-state-${run}`, catalogTable: `puddle-catalog-${run}`, totalsTable: `puddle-totals-${run}` });
  // What the stack also sets: names in the services with no emulator (Glue, Athena, EventBridge). Nothing here
  // calls them; a test that does mocks their clients.
  const unemulated = { [ENV.glueDatabase]: 'puddle', [ENV.athenaWorkgroup]: 'puddle', [ENV.eventBus]: `puddle-ops-${run}` };
  Object.assign(names, unemulated);
  for (const [k, v] of Object.entries(names)) vi.stubEnv(k, v);
  return {
    fauxqs,
    dynalite,
    clients,
    env: { ...endpoints, ...names },
    async stop() {
      for (const c of Object.values(clients)) (c as { destroy(): void }).destroy();
      vi.unstubAllEnvs();
      await fauxqs.stop();
      await dynalite.stop();
    },
  };
}

/**
 * The shape with the embedded catalog and DuckDB standing in for Glue and Athena (no emulator), handed to
 * createAwsRuntime the way the Glue/Athena factory is: for handler tests that read the lake back.
 */
export async function startShapeWithEmbeddedCatalog(
  opts: { events?: EventsFactory } = {},
): Promise<{ shape: TestShape; rt: AwsRuntime; catalog: SqliteCatalog; stop(): Promise<void> }> {
  const shape = await startTestShape();
  const catalog = new SqliteCatalog(':memory:');
  const rt = await createAwsRuntime({ catalog: ({ store }) => ({ catalog, query: new DuckDbQueryEngine({ catalog, store }) }), ...(opts.events ? { events: opts.events } : {}) });
  return {
    shape,
    rt,
    catalog,
    async stop() {
      await rt.close();
      catalog.close();
      await shape.stop();
    },
  };
}

/**
 * Publish envelopes on the shape's topic and land them through the consumer handler as one SQS batch of the
 * `transactions` queue, as Lambda would deliver it; returns the batch (to deliver it again).
 */
export async function landThroughConsumer(
  shape: TestShape,
  rt: AwsRuntime,
  envs: readonly Envelope[],
  opts: ConsumerHandlerOptions = {},
): Promise<{ messages: Message[]; arn: string }> {
  await rt.queue.publish([...envs]);
  const batch = await receiveAll(shape);
  if (batch.messages.length !== envs.length) throw new Error(`expected ${envs.length} messages on the transactions queue, received ${batch.messages.length}`);
  await land(rt, batch, opts);
  return batch;
}

/**
 * Land what others published (a handler under test) and is waiting on the `transactions` queue, through the consumer
 * handler as one SQS batch; returns the batch, empty when nothing was waiting (and then the consumer is not invoked).
 */
export async function landQueued(shape: TestShape, rt: AwsRuntime, opts: ConsumerHandlerOptions = {}): Promise<{ messages: Message[]; arn: string }> {
  const batch = await receiveAll(shape);
  if (batch.messages.length) await land(rt, batch, opts);
  return batch;
}

/** Every message visible on the `transactions` queue, received as the event source mapping would. */
async function receiveAll(shape: TestShape): Promise<{ messages: Message[]; arn: string }> {
  const url = (await shape.clients.sqs.send(new GetQueueUrlCommand({ QueueName: `${shape.env.PUDDLE_QUEUE_PREFIX}transactions` }))).QueueUrl!;
  const arn = (await shape.clients.sqs.send(new GetQueueAttributesCommand({ QueueUrl: url, AttributeNames: ['QueueArn'] }))).Attributes!.QueueArn!;
  const messages: Message[] = [];
  for (;;) {
    const got = await shape.clients.sqs.send(
      new ReceiveMessageCommand({ QueueUrl: url, MaxNumberOfMessages: 10, VisibilityTimeout: 60, MessageAttributeNames: ['All'], MessageSystemAttributeNames: ['All'] }),
    );
    if (!got.Messages?.length) break;
    messages.push(...got.Messages);
  }
  return { messages, arn };
}

async function land(rt: AwsRuntime, { messages, arn }: { messages: Message[]; arn: string }, opts: ConsumerHandlerOptions): Promise<void> {
  const res = await makeConsumerHandler(async () => rt, opts)(sqsEvent(messages, arn), lambdaContext());
  if (res.batchItemFailures.length) throw new Error(`the consumer reported ${res.batchItemFailures.length} failed records`);
}
