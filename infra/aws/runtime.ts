// The AWS shape's adapters, chosen once per entry point (DESIGN.md rule 6), as createLocalRuntime does for
// the embedded shape. Names come from environment variables the stack sets on every function; endpoints
// only through the SDK's own AWS_ENDPOINT_URL_<SERVICE> / AWS_ENDPOINT_URL (how emulators are reached):
// there is no other code path for tests.
import { AthenaClient } from '@aws-sdk/client-athena';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { EventBridgeClient } from '@aws-sdk/client-eventbridge';
import { GlueClient } from '@aws-sdk/client-glue';
import type { S3Client } from '@aws-sdk/client-s3';
import { SNSClient } from '@aws-sdk/client-sns';
import { SQSClient } from '@aws-sdk/client-sqs';

import { ConfigError } from '../../core/errors.js';
import { envSettings } from '../../core/settings.js';
import { systemClock, type Catalog, type ObjectStore, type OpsEvents, type QueryEngine, type StateStore } from '../../core/ports.js';
import type { Runtime } from '../../core/runtime.js';
import { RAW_TABLE, tablePrefix } from '../../puddles/layout.js';
import { callLimits, readCallTimeoutMs } from './call-limits.js';
import { DynamoDbStateStore } from './dynamodb-state-store.js';
import { createS3Client } from './s3-client.js';
import { S3ObjectStore } from './s3-object-store.js';
import { loadSecrets, type LoadedSecrets } from './secrets.js';
import { ENV } from './shape.js';
import { SnsSqsQueue } from './sns-sqs-queue.js';

/** What the stack tells a function, read once. */
export interface AwsEnv {
  /** The lake bucket (PUDDLE_BUCKET). */
  bucket: string;
  /** Folder inside the bucket that is the store root (PUDDLE_LAKE_PREFIX, default none). */
  lakePrefix: string;
  /** The topic every envelope is published to (PUDDLE_TOPIC_ARN). */
  topicArn: string;
  /** Queue names are `<prefix><puddle>` and `<prefix><puddle>-dlq` (PUDDLE_QUEUE_PREFIX). */
  queuePrefix: string;
  /** Bookmarks and leases (PUDDLE_STATE_TABLE). */
  stateTable: string;
  /** Secrets Manager secrets, comma separated, each a JSON object of settings and keys (PUDDLE_SECRETS_ID, optional). */
  secretsId: string | undefined;
  /** Days each raw object is locked for (PUDDLE_RAW_OBJECT_LOCK_DAYS, set when the stack enables Object Lock); none when unset. */
  rawObjectLockDays: number | undefined;
}

/** The names, from the one list in shape.ts (the stack sets the same). */
export const AWS_ENV_VARS = ENV;

/** A variable the stack sets on every function; a ConfigError naming it when it is not there. */
export function requiredEnv(env: NodeJS.ProcessEnv, name: string): string {
  const value = env[name]?.trim();
  if (!value) throw new ConfigError(`${name} is not set: the AWS shape needs it (the stack sets it on every function)`);
  return value;
}

export function readAwsEnv(env: NodeJS.ProcessEnv = process.env): AwsEnv {
  const required = (name: string): string => requiredEnv(env, name);
  const topicArn = required(AWS_ENV_VARS.topicArn);
  if (!topicArn.startsWith('arn:')) throw new ConfigError(`${AWS_ENV_VARS.topicArn} must be an SNS topic ARN (arn:aws:sns:...)`);
  return {
    bucket: required(AWS_ENV_VARS.bucket),
    lakePrefix: env[AWS_ENV_VARS.lakePrefix]?.trim() ?? '',
    topicArn,
    queuePrefix: env[AWS_ENV_VARS.queuePrefix]?.trim() ?? '',
    stateTable: required(AWS_ENV_VARS.stateTable),
    secretsId: env[AWS_ENV_VARS.secretsId]?.trim() || undefined,
    rawObjectLockDays: lockDays(env),
  };
}

function lockDays(env: NodeJS.ProcessEnv): number | undefined {
  const settings = envSettings(env);
  const days = settings.number(AWS_ENV_VARS.rawObjectLockDays, undefined, { min: 1, max: 999_999, whole: true, unit: 'days' });
  settings.check();
  return days;
}

export interface AwsClients {
  s3: S3Client;
  sns: SNSClient;
  sqs: SQSClient;
  dynamodb: DynamoDBClient;
  glue: GlueClient;
  athena: AthenaClient;
  eventbridge: EventBridgeClient;
}

/**
 * Region and credentials from the default chain; endpoints from AWS_ENDPOINT_URL_* when set; every call limited
 * to PUDDLE_AWS_CALL_TIMEOUT_MS without an answer (call-limits.ts).
 */
export function createAwsClients(env: NodeJS.ProcessEnv = process.env): AwsClients {
  const timeoutMs = readCallTimeoutMs(env);
  const limits = callLimits(timeoutMs);
  return {
    s3: createS3Client({ callTimeoutMs: timeoutMs }),
    sns: new SNSClient(limits),
    // The queue URL's own host would otherwise override the endpoint the SDK resolved (AWS_ENDPOINT_URL_SQS
    // included); the resolved one is right on AWS too, since every queue is in the function's region.
    sqs: new SQSClient({ ...limits, useQueueUrlAsEndpoint: false }),
    dynamodb: new DynamoDBClient(limits),
    // Made here so one close() destroys them; constructing a client opens nothing.
    glue: new GlueClient(limits),
    athena: new AthenaClient(limits),
    eventbridge: new EventBridgeClient(limits),
  };
}

/** The views a viewsCurrent call created (none when they were current already). */
export interface ViewsCreated {
  created: readonly string[];
}

/**
 * The Glue catalog and the Athena query engine are made by their own adapters and handed in here, so this
 * runtime does not depend on them; each gets the clients and the lake.
 */
export type CatalogFactory = (deps: { env: AwsEnv; clients: AwsClients; store: ObjectStore }) => {
  catalog: Catalog;
  query: QueryEngine;
  /** Brings the engine's views up to the code's, keeping what it needs in `state` (Athena's are fixed at creation). */
  viewsCurrent?: (state: StateStore) => Promise<ViewsCreated>;
};

export interface AwsRuntime extends Runtime {
  env: AwsEnv;
  clients: AwsClients;
  /** Read again by `refresh` once older than SECRETS_MAX_AGE_MS (infra/aws/secrets.ts). */
  secrets: LoadedSecrets;
  /**
   * Brings the query engine's views up to this deploy's code when they differ (Athena's: athena-views-current.ts);
   * absent where the engine keeps its own views current (DuckDB). The compaction function calls it before any fold.
   */
  viewsCurrent?: () => Promise<ViewsCreated>;
}

/** Where operational events go (EventBridge when deployed); without one they are log lines (core/ops-events.ts). */
export type EventsFactory = (deps: { env: AwsEnv; clients: AwsClients }) => OpsEvents;

export async function createAwsRuntime(
  opts: { env?: NodeJS.ProcessEnv; clients?: AwsClients; catalog?: CatalogFactory; events?: EventsFactory } = {},
): Promise<AwsRuntime> {
  const env = readAwsEnv(opts.env);
  const clients = opts.clients ?? createAwsClients(opts.env);
  const store = new S3ObjectStore({
    client: clients.s3,
    bucket: env.bucket,
    prefix: env.lakePrefix,
    // Raw envelopes are the replay source and audit trail: locked one by one when the stack enables Object Lock.
    ...(env.rawObjectLockDays !== undefined ? { retention: { prefix: tablePrefix(RAW_TABLE), days: env.rawObjectLockDays, mode: 'GOVERNANCE' as const } } : {}),
  });
  const queue = new SnsSqsQueue({
    sns: clients.sns,
    sqs: clients.sqs,
    topicArn: env.topicArn,
    queuePrefix: env.queuePrefix,
    // The stack made the queues and subscriptions; functions only check them.
    provision: false,
    overflow: store,
  });
  const state = new DynamoDbStateStore({ client: clients.dynamodb, table: env.stateTable });
  const { catalog, query, viewsCurrent } = (opts.catalog ?? notWired)({ env, clients, store });
  const events = opts.events?.({ env, clients });
  const secrets = await loadSecrets({ secretId: env.secretsId, env: opts.env ?? process.env });
  const owned = !opts.clients;
  return {
    env,
    clients,
    queue,
    store,
    state,
    catalog,
    query,
    clock: systemClock,
    secrets,
    ...(events ? { events } : {}),
    ...(viewsCurrent ? { viewsCurrent: () => viewsCurrent(state) } : {}),
    async close() {
      await query.close();
      await queue.close();
      if (owned) for (const c of Object.values(clients)) (c as { destroy(): void }).destroy();
    },
  };
}

/** Until a Catalog and QueryEngine are handed in: a clear error on first use, not at start (producers need neither). */
const notWired: CatalogFactory = () => {
  const fail = (): never => {
    throw new ConfigError('no catalog configured: createAwsRuntime was not given the Glue catalog and Athena query engine');
  };
  return {
    catalog: { addFiles: fail, replaceFiles: fail, listFiles: fail, tables: fail, takeGarbage: fail },
    query: { query: fail, queryWithColumns: fail, close: async () => undefined },
  };
};
