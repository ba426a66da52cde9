import { AthenaClient } from '@aws-sdk/client-athena';
import { EventBridgeClient } from '@aws-sdk/client-eventbridge';
import { CreateTableCommand, EntityNotFoundException, GetTableCommand, GlueClient } from '@aws-sdk/client-glue';
import { GetQueueAttributesCommand, GetQueueUrlCommand, ReceiveMessageCommand } from '@aws-sdk/client-sqs';
import { existsSync, mkdirSync, rmSync, utimesSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { mockClient } from 'aws-sdk-client-mock';
import { afterAll, beforeAll, beforeEach, describe, expect, it, vi } from 'vitest';

import { makeEnvelope } from '../../core/envelope.js';
import { ConfigError } from '../../core/errors.js';
import { log } from '../../core/log.js';
import { AthenaQueryEngine } from '../../infra/aws/athena-query-engine.js';
import { EventBridgeOpsEvents } from '../../infra/aws/eventbridge-events.js';
import { GlueCatalog } from '../../infra/aws/glue-catalog.js';
import { defaultRuntime, runtimeFromEnv, sweepingTempFolders } from '../../infra/aws/handlers/runtime-source.js';
import type { AwsRuntime } from '../../infra/aws/runtime.js';
import { ENV } from '../../infra/aws/shape.js';
import { startTestShape, type TestShape } from '../support/aws-shape.js';
import { lambdaContext, sqsEvent } from '../support/lambda-events.js';

// The deployed functions' runtime source. S3, SNS, SQS (fauxqs) and DynamoDB (dynalite) are real; Glue, Athena
// and EventBridge have no emulator, so their clients are mocked for every instance (the source makes its own).
let shape: TestShape;
const glue = mockClient(GlueClient);
const athena = mockClient(AthenaClient);
const eventbridge = mockClient(EventBridgeClient);

// Other names than the test shape's, so the assertions show these are the ones used.
const GLUE_ATHENA = { [ENV.glueDatabase]: 'puddle_test', [ENV.athenaWorkgroup]: 'puddle_test_wg', [ENV.eventBus]: 'puddle-test-ops' };

beforeAll(async () => {
  shape = await startTestShape();
});
afterAll(async () => {
  await shape.stop();
  for (const m of [glue, athena, eventbridge]) m.restore();
});
beforeEach(() => {
  glue.reset();
  glue.on(GetTableCommand).rejects(new EntityNotFoundException({ message: 'no such table', $metadata: {} }));
  glue.on(CreateTableCommand).resolves({});
});

describe('the default runtime source (what every deployed function runs on)', () => {
  it('fails with a ConfigError naming the first missing Glue/Athena/EventBridge variable', async () => {
    const env: NodeJS.ProcessEnv = { ...process.env, ...GLUE_ATHENA };
    delete env[ENV.catalogTable];
    await expect(runtimeFromEnv(env)).rejects.toThrow(new ConfigError('PUDDLE_CATALOG_TABLE is not set: the AWS shape needs it (the stack sets it on every function)'));
    await expect(runtimeFromEnv({ ...process.env, ...GLUE_ATHENA, [ENV.athenaWorkgroup]: ' ' })).rejects.toThrow(/^PUDDLE_ATHENA_WORKGROUP is not set/);
    await expect(runtimeFromEnv({ ...process.env, ...GLUE_ATHENA, [ENV.eventBus]: undefined })).rejects.toThrow(/^PUDDLE_EVENT_BUS is not set/);
    // The shared source gives the same answer, and tries again once the variable is there.
    vi.stubEnv(ENV.catalogTable, '');
    await expect(defaultRuntime()).rejects.toBeInstanceOf(ConfigError);
  });

  it('with the variables set, builds the Glue catalog, the Athena engine and the EventBridge events, and a consumer lands', async () => {
    for (const [k, v] of Object.entries(GLUE_ATHENA)) vi.stubEnv(k, v);
    vi.stubEnv(ENV.catalogTable, shape.env[ENV.catalogTable]!);
    expect(process.env[ENV.glueDatabase]).toBe('puddle_test');
    const rt = await defaultRuntime();
    expect(rt.catalog).toBeInstanceOf(GlueCatalog);
    expect(rt.query).toBeInstanceOf(AthenaQueryEngine);
    expect(rt.events).toBeInstanceOf(EventBridgeOpsEvents);
    expect(await defaultRuntime()).toBe(rt);

    // The exported consumer handler, as Lambda calls it: the batch lands and is registered in the catalog.
    const envelope = makeEnvelope({
      contract: 'donation',
      version: 1,
      source: 'producer',
      delivery_id: 'req-source-1',
      payload: { donation_id: 'don_src1', occurred_at: '2026-11-27T20:15:03Z', channel: 'online', amount_minor: 1500, currency: 'GBP', campaign: 'appeal' },
    });
    await rt.queue.publish([envelope]);
    const url = (await shape.clients.sqs.send(new GetQueueUrlCommand({ QueueName: `${shape.env[ENV.queuePrefix]}transactions` }))).QueueUrl!;
    const arn = (await shape.clients.sqs.send(new GetQueueAttributesCommand({ QueueUrl: url, AttributeNames: ['QueueArn'] }))).Attributes!.QueueArn!;
    const got = await shape.clients.sqs.send(
      new ReceiveMessageCommand({ QueueUrl: url, MaxNumberOfMessages: 10, VisibilityTimeout: 30, MessageAttributeNames: ['All'], MessageSystemAttributeNames: ['All'] }),
    );
    expect(got.Messages).toHaveLength(1);
    // What a runtime that timed out in this environment left in /tmp, under the pid this one has now.
    const stale = join(tmpdir(), `puddle-duckdb-${process.pid}-tImEd0`);
    mkdirSync(join(stale, '0'), { recursive: true });
    utimesSync(stale, new Date(Date.now() - 3_600_000), new Date(Date.now() - 3_600_000));
    const { handler } = await import('../../infra/aws/handlers/consumer.js');
    expect(await handler(sqsEvent(got.Messages!, arn), lambdaContext())).toEqual({ batchItemFailures: [] });
    // Swept at the cold start (until 2026-12-07 no function swept /tmp).
    expect(existsSync(stale)).toBe(false);

    const files = await rt.catalog.listFiles({ puddle: 'transactions', contract: 'donation' });
    expect(files.map((f) => f.rows)).toEqual([1]);
    // Glue was asked in the stack's database; the manifest Athena reads names the file in the stack's bucket.
    expect(glue.commandCalls(CreateTableCommand).map((c) => [c.args[0].input.DatabaseName, c.args[0].input.TableInput?.Name])).toEqual([['puddle_test', 'donation_v1'], ['puddle_test', 'donation_v1_recent']]);
    const manifest = await rt.store.get(`manifests/donation_v1/dt=${files[0]!.dt}/manifest`);
    expect(new TextDecoder().decode(manifest!)).toBe(`s3://${shape.env[ENV.bucket]}/${files[0]!.key}\n`);
    await rt.close();
  });

  it('reads PUDDLE_LOG_LEVEL and PUDDLE_LOG_FORMAT as the CLI does: a wrong value is a ConfigError naming it', async () => {
    const env = { ...process.env, ...GLUE_ATHENA };
    // Until 2026-12-07 a function took either for its default without a word, where the CLI stops with exit 2.
    await expect(runtimeFromEnv({ ...env, PUDDLE_LOG_FORMAT: 'pretty' })).rejects.toThrow(new ConfigError('PUDDLE_LOG_FORMAT must be one of json, text (got "pretty")'));
    await expect(runtimeFromEnv({ ...env, PUDDLE_LOG_LEVEL: 'verbose' })).rejects.toThrow(new ConfigError('PUDDLE_LOG_LEVEL must be one of debug, info, warn, error (got "verbose")'));
    const lines: string[] = [];
    const stderr = vi.spyOn(process.stderr, 'write').mockImplementation((chunk) => (lines.push(String(chunk)), true));
    try {
      const quiet = await runtimeFromEnv({ ...env, PUDDLE_LOG_LEVEL: 'warn', PUDDLE_LOG_FORMAT: 'text' });
      await quiet.close();
      log.info('not written');
      log.warn('written as text', { n: 1 });
      const json = await runtimeFromEnv(env);
      await json.close();
      log.info('written as json');
    } finally {
      stderr.mockRestore();
    }
    expect(lines).toEqual([expect.stringMatching(/^\d\d:\d\d:\d\d warn {2}written as text {2}n=1\n$/), expect.stringMatching(/^\{"t":"[^"]+","level":"info","msg":"written as json"\}\n$/)]);
  });

  it('sweeps the temporary folders at the first invocation of a cold start only', async () => {
    const at = (name: string) => {
      const folder = join(tmpdir(), `puddle-read-${process.pid}-${name}`);
      mkdirSync(folder);
      utimesSync(folder, new Date(Date.now() - 3_600_000), new Date(Date.now() - 3_600_000));
      return folder;
    };
    const runtime = vi.fn(async () => ({}) as AwsRuntime);
    const source = sweepingTempFolders(runtime);
    const first = at('fIrSt1');
    await source();
    expect(existsSync(first)).toBe(false);
    const second = at('sEcNd2');
    try {
      await source();
      expect(existsSync(second)).toBe(true);
      expect(runtime).toHaveBeenCalledTimes(2);
    } finally {
      rmSync(second, { recursive: true, force: true });
    }
  });
});
