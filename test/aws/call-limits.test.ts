import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { ReceiveMessageCommand } from '@aws-sdk/client-sqs';
import { GetItemCommand } from '@aws-sdk/client-dynamodb';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';

import { ConfigError, RetriableError } from '../../core/errors.js';
import { callTimeoutMsFor, readCallTimeoutMs } from '../../infra/aws/call-limits.js';
import { makeProducerHandler } from '../../infra/aws/handlers/producer.js';
import { createAwsClients, createAwsRuntime } from '../../infra/aws/runtime.js';
import { S3ObjectStore } from '../../infra/aws/s3-object-store.js';
import { ENV, handlerSpec } from '../../infra/aws/shape.js';
import { startTestShape, type TestShape } from '../support/aws-shape.js';
import { httpApiEvent } from '../support/lambda-events.js';

// An AWS endpoint that takes every request and never answers: what a hung S3 or SNS connection looks like.
// Without a limit the SDK waits for ever (its default), and a function runs into Lambda's own timeout.
let shape: TestShape;
let silent: Server;
let silentUrl: string;
let requests = 0;

beforeAll(async () => {
  shape = await startTestShape();
  silent = createServer(() => void requests++);
  await new Promise<void>((r) => silent.listen(0, '127.0.0.1', r));
  silentUrl = `http://127.0.0.1:${(silent.address() as AddressInfo).port}`;
});
afterAll(async () => {
  silent.closeAllConnections();
  await new Promise((r) => silent.close(r));
  await shape.stop();
});

describe('AWS calls that get no answer', () => {
  it('every client the runtime makes gives up after PUDDLE_AWS_CALL_TIMEOUT_MS, tries again, then fails retriably', async () => {
    for (const service of ['S3', 'SNS', 'SQS', 'DYNAMODB', 'GLUE', 'ATHENA', 'EVENTBRIDGE']) vi.stubEnv(`AWS_ENDPOINT_URL_${service}`, silentUrl);
    vi.stubEnv(ENV.callTimeoutMs, '1000');
    const clients = createAwsClients();
    try {
      const before = requests;
      const started = Date.now();
      const store = new S3ObjectStore({ client: clients.s3, bucket: 'lake' });
      const calls: Promise<unknown>[] = [
        store.put('lake/x.txt', 'hello'),
        clients.sqs.send(new ReceiveMessageCommand({ QueueUrl: `${silentUrl}/000000000000/q`, WaitTimeSeconds: 0 })),
        clients.dynamodb.send(new GetItemCommand({ TableName: 't', Key: { pk: { S: 'k' } } })),
      ];
      const outcomes = await Promise.allSettled(calls);
      const seconds = (Date.now() - started) / 1000;
      // The SDK's three attempts of 1 s each, and its backoff between them; far below any function's timeout.
      expect(seconds).toBeLessThan(8);
      // Each call was tried again after its first went unanswered.
      expect(requests - before).toBeGreaterThanOrEqual(2 * calls.length);
      for (const o of outcomes) expect(o.status).toBe('rejected');
      // The lake adapter maps it the way every adapter does: no answer is worth another go.
      const lake = (outcomes[0] as PromiseRejectedResult).reason as Error;
      expect(lake).toBeInstanceOf(RetriableError);
      expect(lake.message).toMatch(/^S3 put failed: TimeoutError/);
      for (const o of outcomes.slice(1)) expect(((o as PromiseRejectedResult).reason as Error).name).toBe('TimeoutError');
    } finally {
      for (const c of Object.values(clients)) (c as { destroy(): void }).destroy();
      vi.stubEnv(ENV.callTimeoutMs, '');
      for (const [k, v] of Object.entries(shape.env)) vi.stubEnv(k, v);
    }
  }, 20_000);

  it('the producer answers 503 with Retry-After within its 10 s function timeout when SNS never answers', async () => {
    vi.stubEnv('PUDDLE_API_KEYS', 'producer-key-0123456789abcdef');
    vi.stubEnv('AWS_ENDPOINT_URL_SNS', silentUrl);
    vi.stubEnv(ENV.callTimeoutMs, String(callTimeoutMsFor(handlerSpec('producer'))));
    const rt = await createAwsRuntime();
    try {
      const producer = makeProducerHandler(async () => rt);
      const event = { contract: 'donation', version: 1, payload: { donation_id: 'don_hung', occurred_at: '2026-11-27T20:15:03Z', channel: 'online', amount_minor: 500, currency: 'GBP', campaign: 'night', cta: 'tv' } };
      const started = Date.now();
      const res = await producer(
        httpApiEvent({ method: 'POST', path: '/v1/events', headers: { authorization: 'Bearer producer-key-0123456789abcdef', 'content-type': 'application/json' }, body: JSON.stringify({ events: [event] }) }),
      );
      expect(Date.now() - started).toBeLessThan(handlerSpec('producer').timeoutSeconds * 1000);
      expect(res.statusCode).toBe(503);
      expect(res.headers?.['retry-after']).toMatch(/^\d+$/);
      expect(JSON.parse(res.body!).error.code).toBe('queue_unavailable');
    } finally {
      await rt.close();
      vi.stubEnv(ENV.callTimeoutMs, '');
      for (const [k, v] of Object.entries(shape.env)) vi.stubEnv(k, v);
    }
  }, 20_000);
});

describe('the limit', () => {
  it('is a fifth of the function timeout, at most 10 s, and refuses what is not a whole number of ms from 1,000', () => {
    expect(callTimeoutMsFor(handlerSpec('producer'))).toBe(2_000);
    expect(callTimeoutMsFor(handlerSpec('consumer'))).toBe(10_000);
    expect(callTimeoutMsFor(handlerSpec('sync'))).toBe(10_000);
    expect(callTimeoutMsFor({ timeoutSeconds: 3 })).toBe(1_000);
    expect(callTimeoutMsFor({ timeoutSeconds: 30 })).toBe(6_000);
    expect(readCallTimeoutMs({})).toBe(10_000);
    expect(readCallTimeoutMs({ [ENV.callTimeoutMs]: ' 2500 ' })).toBe(2_500);
    for (const bad of ['999', '2.5', 'ten', '-1']) expect(() => readCallTimeoutMs({ [ENV.callTimeoutMs]: bad })).toThrow(ConfigError);
  });
});
