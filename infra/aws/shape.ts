// The AWS shape as data, derived from what the code already declares (puddles, contracts, schedules): no second
// list. The CDK app (infra/aws/cdk/), the runtime adapters and `puddle aws local` all read this one description,
// so it must stay free of CDK (and of DuckDB): plain values only.
import { CONTRACTS, type Contract } from '../../core/contracts/index.js';
import { ConfigError } from '../../core/errors.js';
import type { Subscription, TableRef } from '../../core/ports.js';
import { contractColumns, CURRENT_FLAG, RAW_COLUMNS, type ColumnSpec, type ColumnType } from '../../puddles/columns.js';
import { DEFAULT_MAX_ATTEMPTS, puddleFor, PUDDLES } from '../../puddles/definitions.js';
import { LAKE_PREFIX, RAW_TABLE, tablePrefix } from '../../puddles/layout.js';
import { SCHEDULE, type ScheduleEntry } from '../../schedules/schedule.js';

/** Resource names start with this, so one account can tell Puddle's resources apart (and IAM can scope to them). */
export const NAME_PREFIX = 'puddle';

/**
 * A stack's prefix (`-c prefix=...`): lower-case letters, digits and hyphens, starting with a letter. Short enough
 * that the longest name made from it (`<prefix>-transactions-dlq`, `<prefix>-connector-stale-salesforce`) stays
 * within SQS's and Lambda's limits, and valid as a CloudFormation stack name.
 */
export const NAME_PREFIX_PATTERN = /^[a-z][a-z0-9-]{0,19}$/;

/**
 * Every fixed physical name a stack gives its resources, made from its prefix. The default prefix gives the names
 * deployed stacks already have, so an upgrade renames nothing; another prefix lets a second stack (staging, a
 * redeploy beside retained tables) live in the same account and region.
 */
export function resourceNames(prefix: string = NAME_PREFIX) {
  if (!NAME_PREFIX_PATTERN.test(prefix) || prefix.endsWith('-')) {
    throw new ConfigError(`stack prefix ${JSON.stringify(prefix)}: use 1 to 20 lower-case letters, digits and hyphens, starting with a letter and not ending with a hyphen`);
  }
  const named = (what: string) => `${prefix}-${what}`;
  return {
    prefix,
    /** The CloudFormation stack's name: `Puddle` for the default prefix (as deployed so far), else the prefix. */
    stack: prefix === NAME_PREFIX ? 'Puddle' : prefix,
    topic: named('envelopes'),
    queuePrefix: `${prefix}-`,
    stateTable: named('state'),
    catalogTable: named('catalog'),
    totalsTable: named('totals'),
    /** Glue database names take no hyphens. */
    glueDatabase: prefix.replace(/-/g, '_'),
    workgroup: prefix,
    eventBus: named('ops'),
    alertsTopic: named('alerts'),
    api: prefix,
    function: (h: HandlerName) => named(h),
    logGroup: (h: HandlerName) => `/aws/lambda/${named(h)}`,
    /** Alarms and schedules: `<prefix>-<what>`. */
    named,
    secret: (group: SecretGroup) => `${prefix}/${group}`,
  };
}

export type ResourceNames = ReturnType<typeof resourceNames>;

// ---------------------------------------------------------------- handlers

export type HandlerName = 'producer' | 'webhooks' | 'consumer' | 'sync' | 'compaction' | 'bank-import' | 'totals' | 'totals-drift';

export interface HandlerSpec {
  name: HandlerName;
  /** Entry file, relative to the repository root; exports `handler`. */
  entry: string;
  memoryMb: number;
  timeoutSeconds: number;
  /** What invokes it. */
  trigger: 'http' | 'sqs' | 'schedule' | 's3-object-created';
  /** HTTP API routes (`METHOD /path`) for http handlers. */
  routes?: string[];
  why: string;
}

function handler(
  name: HandlerName,
  memoryMb: number,
  timeoutSeconds: number,
  trigger: HandlerSpec['trigger'],
  why: string,
  routes?: string[],
  file: string = name,
): HandlerSpec {
  return { name, entry: `infra/aws/handlers/${file}.ts`, memoryMb, timeoutSeconds, trigger, why, ...(routes ? { routes } : {}) };
}

export const HANDLERS: readonly HandlerSpec[] = [
  // GET /healthz for uptime checks: answered once the function has loaded and read its secret (docs/aws.md, "Handlers").
  handler('producer', 256, 10, 'http', 'validate and publish; API Gateway gives up after 30 s anyway', ['POST /v1/events', 'GET /healthz']),
  handler('webhooks', 256, 10, 'http', 'providers retry webhooks that do not answer within seconds', ['POST /webhooks/{provider}']),
  // Landing a batch of up to 1,000 envelopes with DuckDB takes about 1.5 s at 2 GB; a minute leaves room for S3 retries.
  handler('consumer', 2048, 60, 'sqs', 'one SQS batch per invocation, written as Parquet and registered'),
  // Lambda's 15-minute ceiling; the connector engine time-boxes the run inside it and checkpoints.
  handler('sync', 1024, 900, 'schedule', 'one connector run per schedule entry', undefined, 'connector-sync'),
  handler('compaction', 2048, 900, 'schedule', "merges each partition's small files"),
  handler('bank-import', 1024, 300, 's3-object-created', 'a bank statement file dropped under inbox/bank/'),
  handler('totals', 512, 10, 'http', 'the live totals API, from the counters the consumers keep', ['GET /v1/totals']),
  // One Athena query (totals_by_box) and two reads of every counter; Athena's own wait is capped at 10 minutes.
  handler('totals-drift', 512, 900, 'schedule', 'compares the live totals counters with the SQL view totals_by_box'),
];

export function handlerSpec(name: HandlerName): HandlerSpec {
  const h = HANDLERS.find((x) => x.name === name);
  if (!h) throw new Error(`no handler ${name}`);
  return h;
}

// ---------------------------------------------------------------- topic and queues

export const TOPIC = {
  name: resourceNames().topic,
  /** The message attribute the queues filter on (the queue adapter sets it on every publish). */
  contractAttribute: 'contract',
} as const;

/**
 * How Lambda reads each queue: up to 1,000 messages or 20 s per invocation (one Parquet file per partition per
 * batch), at most 5 concurrent consumers per queue (DynamoDB catalog writes per partition stay few).
 */
export const CONSUMER_BATCH = { size: 1000, windowSeconds: 20, maxConcurrency: 5 } as const;

/**
 * The raw queue's batching window: raw's files are never merged (Object Lock may forbid it), and each one costs
 * its shard's manifest rewrite (see docs/aws.md, "The raw trail's file list"), so at a trickle it gathers for a
 * minute, as the embedded hub's raw linger does (PUDDLE_RAW_LINGER_SECONDS). A backlog still invokes with full
 * batches, and nothing reads raw within seconds (the live totals come from the transactions queue). The queue's
 * visibility timeout (six times the consumer's 60 s) covers the window and the invocation.
 */
export const RAW_BATCHING_WINDOW_SECONDS = 60;

export interface QueueSpec {
  puddle: string;
  name: string;
  deadLetterName: string;
  /** SNS subscription filter policy on the `contract` attribute; null takes everything (the raw puddle). */
  filterPolicy: { contract: string[] } | null;
  maxReceiveCount: number;
  visibilityTimeoutSeconds: number;
  /** How long the consumer's event source gathers messages before it invokes with fewer than a batch. */
  batchingWindowSeconds: number;
  /** SQS keeps a message at most 14 days; the dead-letter queue keeps it the longest so nothing expires unseen. */
  retentionSeconds: number;
  deadLetterRetentionSeconds: number;
}

/**
 * AWS asks for a queue visibility timeout of at least six times the consuming function's timeout when a Lambda
 * event source mapping reads it (retries of a throttled invocation happen inside the timeout).
 */
export const VISIBILITY_PER_CONSUMER_TIMEOUT = 6;

const DAY = 86_400;

/** The deployed queues' prefix (PUDDLE_QUEUE_PREFIX); tests and `puddle aws local` may choose another. */
export const QUEUE_PREFIX = resourceNames().queuePrefix;

/** The queue names of a subscription: the one definition (stack, provisioning, the queue adapter, the consumer). */
export function queueNames(prefix: string, subscription: string): { queue: string; dlq: string } {
  return { queue: `${prefix}${subscription}`, dlq: `${prefix}${subscription}-dlq` };
}

/** What a queue is made from: a puddle, or any subscription of the Queue port (the port suites make their own). */
export type QueueSource = Subscription;

export function queueSpec(p: QueueSource, prefix: string = QUEUE_PREFIX, defaultMaxAttempts: number = DEFAULT_MAX_ATTEMPTS): QueueSpec {
  const consumer = handlerSpec('consumer');
  const names = queueNames(prefix, p.name);
  return {
    puddle: p.name,
    name: names.queue,
    deadLetterName: names.dlq,
    filterPolicy: p.contracts === '*' ? null : { [TOPIC.contractAttribute]: [...p.contracts] },
    maxReceiveCount: p.maxAttempts ?? defaultMaxAttempts,
    visibilityTimeoutSeconds: consumer.timeoutSeconds * VISIBILITY_PER_CONSUMER_TIMEOUT,
    batchingWindowSeconds: p.contracts === '*' ? RAW_BATCHING_WINDOW_SECONDS : CONSUMER_BATCH.windowSeconds,
    retentionSeconds: 4 * DAY,
    deadLetterRetentionSeconds: 14 * DAY,
  };
}

export const QUEUES: readonly QueueSpec[] = PUDDLES.map((p) => queueSpec(p));

/** The HTTP API's stage throttle: below the account's 10,000 requests/s default, so one client cannot take all of it. */
export const API_THROTTLE = { ratePerSecond: 2000, burst: 5000 } as const;

// ---------------------------------------------------------------- DynamoDB

export interface DynamoTableSpec {
  name: string;
  partitionKey: { name: string; type: 'S' };
  sortKey?: { name: string; type: 'S' };
  /** Attribute DynamoDB's TTL deletes by (lazily: readers still check it). */
  ttlAttribute?: string;
  why: string;
}

/** Bookmarks, leases, run status: single-item conditional writes keyed by the StateStore key. */
export const STATE_TABLE: DynamoTableSpec = {
  name: resourceNames().stateTable,
  // infra/aws/dynamodb-state-store.ts: `v:<key>` values and `lease:<name>` leases, a lease's `ttl` in epoch seconds.
  partitionKey: { name: 'pk', type: 'S' },
  ttlAttribute: 'ttl',
  why: 'StateStore: bookmarks and leases',
};

/** The live file list (Catalog): one item per table partition (raw: one per file), plus key hints and garbage (infra/aws/glue-catalog.ts). */
export const CATALOG_TABLE: DynamoTableSpec = {
  name: resourceNames().catalogTable,
  partitionKey: { name: 'kind', type: 'S' },
  sortKey: { name: 'id', type: 'S' },
  why: 'Catalog: which files make up each partition, with a version for conditional writes',
};

/** The live totals' counters (infra/aws/dynamodb-totals.ts): one item per donation and per box cell; consumers write, totals reads. */
export const TOTALS_TABLE: DynamoTableSpec = {
  name: resourceNames().totalsTable,
  partitionKey: { name: 'pk', type: 'S' },
  sortKey: { name: 'sk', type: 'S' },
  why: 'live totals: each donation\'s counted version and the per-box counters GET /v1/totals reads',
};

// ---------------------------------------------------------------- bucket

/** One bucket; these prefixes divide it (the ObjectStore's keys are the same strings). */
export const BUCKET_PREFIXES = {
  /** Landed Parquet: `lake/<puddle>/<contract>/v<N>/dt=YYYY-MM-DD/`. Raw is `lake/raw/...`. */
  lake: `${LAKE_PREFIX}/`,
  /** The raw puddle: every envelope as received, never rewritten (Object Lock may guard it). */
  raw: `${tablePrefix(RAW_TABLE)}`,
  quarantine: `${LAKE_PREFIX}/quarantine/`,
  /** Athena reads tables through these symlink manifests, one per partition, written by the catalog. */
  manifests: 'manifests/',
  /** Bank statement files dropped here are imported (S3 object created -> bank-import). */
  bankInbox: 'inbox/bank/',
  /** Athena query results; short-lived. */
  queryResults: 'athena-results/',
  /** Envelopes too big for SNS, which the queued message points at (infra/aws/sns-sqs-queue.ts). */
  queueOverflow: 'queue-overflow/',
} as const;

export interface LifecycleSpec {
  prefix: string;
  /** Move to infrequent access after this many days (null: never). */
  infrequentAccessAfterDays: number | null;
  expireAfterDays: number | null;
  why: string;
}

export const LIFECYCLE: readonly LifecycleSpec[] = [
  {
    prefix: BUCKET_PREFIXES.raw,
    infrequentAccessAfterDays: 30,
    expireAfterDays: null,
    why: 'raw is the replay source and audit trail: kept, but rarely read after the first month',
  },
  { prefix: BUCKET_PREFIXES.queryResults, infrequentAccessAfterDays: null, expireAfterDays: 7, why: 'query results are read once' },
  {
    prefix: BUCKET_PREFIXES.queueOverflow,
    infrequentAccessAfterDays: null,
    expireAfterDays: overflowExpiryDays(),
    why: 'every subscription reads the same overflow object, so no consumer may delete it: it goes once no queue can hold its message',
  },
];

/**
 * Days an overflow object must outlive its message. Left alone, a message lives at most the longest retention of
 * any queue, dead-letter queues included (SQS counts a dead letter's age from its first enqueue). But a redrive
 * (`aws sqs start-message-move-task`, `puddle dead-letters redrive`) makes it a new message whose retention starts
 * again (SQS: "The redrive task resets the retention period"), so one redriven on its last day that fails again
 * lives a whole dead-letter retention more. So twice the longest, plus a day for the object's own put: a dead
 * letter redriven once, however late, still finds its body. Until 2026-12-03 it was 15 days, and a redrive after
 * the 14th day (or a second failure of one redriven sooner) found its body gone. A later redrive still can: the
 * consumer then says so (queuedText).
 */
export function overflowExpiryDays(queues: readonly QueueSpec[] = QUEUES): number {
  const longest = Math.max(...queues.flatMap((q) => [q.retentionSeconds, q.deadLetterRetentionSeconds]));
  return 2 * Math.ceil(longest / DAY) + 1;
}

// ---------------------------------------------------------------- Glue

export const GLUE_DATABASE = resourceNames().glueDatabase;

export interface GlueColumn {
  name: string;
  type: string;
}

/**
 * What a Glue table reads. Every contract version has three (the raw table only the first), all symlink tables over
 * the same Parquet files, told apart by which manifests the catalog writes for them (infra/aws/glue-catalog.ts):
 * - `files`: every live history file, one manifest per `dt` (the history views, and anyone querying a table);
 * - `recent`: the live history files not yet folded into current state, one manifest per `dt`;
 * - `current`: the contract's current-state files (puddles/current-state.ts), one manifest, no `dt`.
 * The current views read `current` plus `recent` (puddles/views.ts), as the embedded shape reads those files.
 */
export type GlueTableKind = 'files' | 'recent' | 'current';

export interface GlueTableSpec {
  table: TableRef;
  kind: GlueTableKind;
  /** `donation_v1`, `donation_v1_recent`, `donation_v1_current`; the raw table is `raw_envelope_v1`. */
  name: string;
  columns: GlueColumn[];
  /** `dt`; null for current state, which has no partitions. */
  partitionKey: GlueColumn | null;
  /** Where the table's data files live, relative to the bucket (`lake/transactions/donation/v1/`). */
  dataPrefix: string;
  /** Where Athena reads the table: symlink manifests listing the catalog's live files (one per `dt=` folder if partitioned). */
  manifestPrefix: string;
}

const GLUE_TYPE_OF: Record<ColumnType, string> = {
  VARCHAR: 'string',
  BIGINT: 'bigint',
  BOOLEAN: 'boolean',
  TIMESTAMP: 'timestamp',
  DATE: 'date',
  DOUBLE: 'double',
};

function glueColumns(cols: readonly ColumnSpec[]): GlueColumn[] {
  return cols.map((c) => ({ name: c.name, type: GLUE_TYPE_OF[c.type] }));
}

/** Glue names: lower case letters, digits and underscores. */
export function glueTableName(t: TableRef, kind: GlueTableKind = 'files'): string {
  const base = t.puddle === RAW_TABLE.puddle ? `raw_${t.contract}` : t.contract;
  return `${base}_v${t.version}${kind === 'files' ? '' : `_${kind}`}`.toLowerCase().replace(/[^a-z0-9_]/g, '_');
}

/**
 * The current-state file's columns: the contract's, plus the flag saying which row is its key's current version
 * (puddles/views.ts CURRENT_FLAG). Current state is always written in the contract's latest version; an older
 * version's table holds a state folded before the contract gained a version, until the next fold.
 */
const CURRENT_FLAG_COLUMN: GlueColumn = { name: CURRENT_FLAG.name, type: GLUE_TYPE_OF[CURRENT_FLAG.type] };

export function glueTableSpec(t: TableRef, kind: GlueTableKind = 'files'): GlueTableSpec {
  if (kind !== 'files' && t.puddle === RAW_TABLE.puddle) throw new Error(`raw has no ${kind} table: it is never folded`);
  const base = t.puddle === RAW_TABLE.puddle ? glueColumns(RAW_COLUMNS) : glueColumns(contractColumns(contractOf(t)));
  const name = glueTableName(t, kind);
  return {
    table: t,
    kind,
    name,
    columns: kind === 'current' ? [...base, CURRENT_FLAG_COLUMN] : base,
    partitionKey: kind === 'current' ? null : { name: 'dt', type: 'string' },
    dataPrefix: tablePrefix(t),
    manifestPrefix: `${BUCKET_PREFIXES.manifests}${name}/`,
  };
}

/** The Glue tables a catalog file is read through: its history tables, or its contract's current-state table. */
export function glueTablesOf(t: TableRef, current: boolean): GlueTableSpec[] {
  if (current) return [glueTableSpec(t, 'current')];
  return t.puddle === RAW_TABLE.puddle ? [glueTableSpec(t)] : [glueTableSpec(t), glueTableSpec(t, 'recent')];
}

function contractOf(t: TableRef): Contract {
  const c = CONTRACTS.get(t.contract)?.get(t.version);
  if (!c) throw new Error(`no contract ${t.contract} v${t.version}`);
  return c;
}

/** Every table the lake can hold: each contract version in its puddle, and raw. */
export function lakeTables(): TableRef[] {
  const out: TableRef[] = [];
  for (const [name, versions] of [...CONTRACTS.entries()].sort(([a], [b]) => a.localeCompare(b))) {
    const puddle = puddleFor(name)?.name;
    if (!puddle) throw new Error(`contract ${name} belongs to no puddle (puddles/definitions.ts)`);
    for (const version of [...versions.keys()].sort((a, b) => a - b)) out.push({ puddle, contract: name, version });
  }
  out.push(RAW_TABLE);
  return out;
}

/**
 * Every Glue table: `files`, `recent` and `current` per contract version, and raw. Current state is written in the
 * contract's latest version only, but a state folded before the contract gained a version stays in its old
 * version's table until the next fold moves it (puddles/current-state.ts), so the current views read every
 * version's `current` table, as the embedded views read a state file of any version. Until 2026-12-03 only the
 * latest version had one: deploying donation v2 would have deleted `donation_v1_current` under the deployed
 * `donation` view (every query on it failing until create-athena-views.ts ran), and the new view would then have
 * left out every row folded under v1 until a donation landed and compaction folded again.
 */
export const GLUE_TABLES: readonly GlueTableSpec[] = lakeTables().flatMap((t) =>
  t.puddle === RAW_TABLE.puddle ? [glueTableSpec(t)] : [glueTableSpec(t), glueTableSpec(t, 'recent'), glueTableSpec(t, 'current')],
);

/** Partition projection on `dt`: Athena computes partitions from these, so no crawler and no partition API calls. */
export const DT_PROJECTION = { firstDay: '2020-01-01', format: 'yyyy-MM-dd' } as const;

/** The Glue TableInput parameters of a lake table (the CDK app and the catalog's ensureTable both use them). */
export function glueTableParameters(spec: GlueTableSpec, bucket: string): Record<string, string> {
  const common = { classification: 'parquet', EXTERNAL: 'TRUE' };
  if (!spec.partitionKey) return common;
  return {
    ...common,
    'projection.enabled': 'true',
    'projection.dt.type': 'date',
    'projection.dt.range': `${DT_PROJECTION.firstDay},NOW`,
    'projection.dt.format': DT_PROJECTION.format,
    'projection.dt.interval': '1',
    'projection.dt.interval.unit': 'DAYS',
    'storage.location.template': `s3://${bucket}/${spec.manifestPrefix}dt=\${dt}/`,
  };
}

/**
 * Symlink tables: the location holds text manifests naming Parquet files, which Athena reads with the Parquet SerDe.
 * The input format is what makes Athena read the manifest's list instead of every file under a folder.
 */
export const SYMLINK_STORAGE = {
  inputFormat: 'org.apache.hadoop.hive.ql.io.SymlinkTextInputFormat',
  outputFormat: 'org.apache.hadoop.hive.ql.io.HiveIgnoreKeyTextOutputFormat',
  serde: 'org.apache.hadoop.hive.ql.io.parquet.serde.ParquetHiveSerDe',
} as const;

/** The Glue TableInput of a lake table: symlink manifests, Parquet SerDe, `dt` projected (no crawler, no partitions). */
export function glueTableInput(spec: GlueTableSpec, bucket: string) {
  return {
    Name: spec.name,
    TableType: 'EXTERNAL_TABLE',
    Parameters: glueTableParameters(spec, bucket),
    PartitionKeys: spec.partitionKey ? [{ Name: spec.partitionKey.name, Type: spec.partitionKey.type }] : [],
    StorageDescriptor: {
      Columns: spec.columns.map((c) => ({ Name: c.name, Type: c.type })),
      Location: `s3://${bucket}/${spec.manifestPrefix}`,
      InputFormat: SYMLINK_STORAGE.inputFormat,
      OutputFormat: SYMLINK_STORAGE.outputFormat,
      SerdeInfo: { SerializationLibrary: SYMLINK_STORAGE.serde },
    },
  };
}

// ---------------------------------------------------------------- Athena, EventBridge, schedules

export const ATHENA = {
  workgroup: resourceNames().workgroup,
  /** Per-query cutoff: a runaway scan stops at 10 GiB (about $0.05) instead of scanning the lake. */
  bytesScannedCutoffPerQuery: 10 * 1024 ** 3,
} as const;

export const EVENT_BUS = { name: resourceNames().eventBus, source: 'puddle' } as const;

/** Metrics the handlers publish (CloudWatch embedded metric format) for the alarms the stack sets. */
export const METRICS = {
  namespace: 'Puddle',
  /**
   * How old a connector's stalest stream's data is, in seconds: the age of its bookmark (streamLagMs), as
   * `puddle status` and the dashboard show it; dimensions `Stack` and `Connector` (connectorLagDimensions;
   * published by the sync handler).
   */
  connectorLag: 'ConnectorLagSeconds',
} as const;

/**
 * The connector lag metric's dimensions, for the sync function's EMF line and the stack's staleness alarm alike.
 * `Stack` is the stack's prefix: CloudWatch metrics are per account and region, not per stack, so without it a
 * second stack beside the first (`-c prefix=...`) would publish into the same metric, and each stack's alarm
 * (the maximum over both) would fire for the other's stale connector or read healthy on the other's figures.
 */
export function connectorLagDimensions(stack: string, connector: string): { Stack: string; Connector: string } {
  return { Stack: stack, Connector: connector };
}

/** The stack prefix a function belongs to, from its queue prefix (`<prefix>-`, resourceNames). */
export function stackOfQueuePrefix(queuePrefix: string): string {
  return queuePrefix.endsWith('-') ? queuePrefix.slice(0, -1) : queuePrefix;
}

/** A connector is stale when its stalest stream's data is this many schedule intervals old. */
export const STALE_AFTER_INTERVALS = 10;

/**
 * Environment variables every function gets: where its resources are. The one list: createAwsRuntime and the
 * default runtime source read these names, the CDK stack sets them (a template test checks every one read is set).
 */
export const ENV = {
  /** The lake bucket (also `queue-overflow/`, `manifests/`, the bank inbox). */
  bucket: 'PUDDLE_BUCKET',
  /** Optional folder inside the bucket that is the store root (the stack sets none). */
  lakePrefix: 'PUDDLE_LAKE_PREFIX',
  topicArn: 'PUDDLE_TOPIC_ARN',
  /** Queue names are `<prefix><puddle>` and `<prefix><puddle>-dlq` (queueNames). */
  queuePrefix: 'PUDDLE_QUEUE_PREFIX',
  stateTable: 'PUDDLE_STATE_TABLE',
  /** The Secrets Manager secrets (each a JSON object of names to strings) the function reads, comma separated (SECRET_GROUPS). */
  secretsId: 'PUDDLE_SECRETS_ID',
  catalogTable: 'PUDDLE_CATALOG_TABLE',
  totalsTable: 'PUDDLE_TOTALS_TABLE',
  glueDatabase: 'PUDDLE_GLUE_DATABASE',
  athenaWorkgroup: 'PUDDLE_ATHENA_WORKGROUP',
  eventBus: 'PUDDLE_EVENT_BUS',
  rawObjectLockDays: 'PUDDLE_RAW_OBJECT_LOCK_DAYS',
  /** How long one AWS call may go without an answer, in ms (call-limits.ts). */
  callTimeoutMs: 'PUDDLE_AWS_CALL_TIMEOUT_MS',
} as const;

/**
 * Variables a function reads that may be left unset, each with its default; the stack sets every other one it
 * reads (infra/aws/cdk/function-env.test.ts checks this against what the readers actually ask for).
 */
export const OPTIONAL_ENV: Readonly<Record<string, string>> = {
  [ENV.lakePrefix]: 'the lake at the bucket root (the Glue catalog refuses a folder)',
  [ENV.secretsId]: 'no secret: names are read from the environment (the stack names secrets only to the functions that read them)',
  [ENV.rawObjectLockDays]: 'raw objects are not locked (the stack sets it when rawObjectLockDays is)',
  [ENV.callTimeoutMs]: 'an AWS call is given up after 10 s without an answer (the stack sets a fifth of the function timeout, at most 10 s)',
  PUDDLE_COMPACT_MIN_FILES: 'compaction leaves partitions with fewer files alone (20)',
  PUDDLE_GC_AFTER_MINUTES: 'retired files are deleted after this long (60)',
  PUDDLE_BANK_LAYOUT: "bank import: the file's layout is detected",
  PUDDLE_BANK_CURRENCY: "bank import: the statement's own currency",
  PUDDLE_BANK_ACCOUNT: "bank import: the statement's own account",
  PUDDLE_LEASE_SECONDS: "sync: a run's lease on its stream lasts the engine's 2 minutes unless renewed",
  PUDDLE_LOG_LEVEL: 'info (debug, info, warn or error)',
  PUDDLE_LOG_FORMAT: 'json, one object a line, for CloudWatch Logs (or text)',
};

/**
 * The Secrets Manager secrets (each a JSON object of names to strings, `<prefix>/<group>`), and which functions
 * read which: the one definition of which keys live where. The stack names a function's secrets in
 * PUDDLE_SECRETS_ID (comma separated) and lets its role read exactly those; the runtime reads every one named.
 * The internet-facing functions never see the providers' API credentials.
 */
export type SecretGroup = 'hub-keys' | 'webhook-keys' | 'providers';

export interface SecretGroupSpec {
  /** The names it holds; `providers` holds every other setting a connector reads. */
  names: readonly string[] | 'the rest';
  readers: readonly HandlerName[];
  why: string;
}

export const SECRET_GROUPS: Readonly<Record<SecretGroup, SecretGroupSpec>> = {
  'hub-keys': {
    names: ['PUDDLE_API_KEYS', 'PUDDLE_READ_KEYS', 'PUDDLE_TV_KEYS', 'PUDDLE_FEED_KEYS', 'PUDDLE_RETIRED_KEYS'],
    readers: ['producer', 'totals'],
    why: "the hub's own keys: producer, read, TV and feed keys, checked by the HTTP functions",
  },
  'webhook-keys': {
    // Every name a receiver declares (WebhookDef.secrets; infra/aws/webhook-keys.test.ts checks the two agree):
    // here, not in connectors/webhooks.ts, as every function's bundle reads this file and the receivers carry
    // the providers' SDKs.
    names: [
      'STRIPE_WEBHOOK_SECRET',
      // The webhooks map donation ids as the sync does (until 2026-12-02 they were read from `providers`, which
      // the webhooks function cannot read: its events kept the default key's ids).
      'STRIPE_DONATION_ID_KEY',
      'FRESHDESK_WEBHOOK_USER',
      'FRESHDESK_WEBHOOK_SECRET',
      'FRESHDESK_WEBHOOK_HEADER',
      // Braintree signs its webhooks with the API key pair, so checking one needs it: the webhooks function reads
      // these, and the sync function reads this secret too rather than a second copy of them.
      'BRAINTREE_MERCHANT_ID',
      'BRAINTREE_PUBLIC_KEY',
      'BRAINTREE_PRIVATE_KEY',
      'BRAINTREE_DONATION_ID_FIELD',
    ],
    readers: ['webhooks', 'sync'],
    why: 'what the webhooks function needs to check a signature',
  },
  providers: {
    names: 'the rest',
    readers: ['sync'],
    why: 'provider API credentials and settings (STRIPE_API_KEY, SALESFORCE_*, FRESHDESK_API_KEY, ...): read by the sync function only',
  },
};

/** The secrets a function reads, in the order PUDDLE_SECRETS_ID lists them (none for most). */
export function secretsReadBy(handler: HandlerName, names: ResourceNames = resourceNames()): string[] {
  return (Object.keys(SECRET_GROUPS) as SecretGroup[]).filter((g) => SECRET_GROUPS[g].readers.includes(handler)).map((g) => names.secret(g));
}

/** A warm function reads its secrets again after this long, so a revoked or rotated key stops working within it. */
export const SECRETS_MAX_AGE_MS = 5 * 60_000;

export interface ScheduleSpec {
  name: string;
  /** EventBridge Scheduler expression. */
  expression: string;
  handler: HandlerName;
  /** The JSON the handler receives. */
  input: Record<string, unknown>;
  why: string;
}

export function rateExpression(seconds: number): string {
  if (!Number.isInteger(seconds) || seconds < 60 || seconds % 60 !== 0) {
    throw new Error(`schedule every ${seconds}s: EventBridge Scheduler rates are whole minutes`);
  }
  const minutes = seconds / 60;
  return `rate(${minutes} ${minutes === 1 ? 'minute' : 'minutes'})`;
}

export function scheduleSpec(e: ScheduleEntry, names: ResourceNames = resourceNames()): ScheduleSpec {
  return {
    name: names.named(`sync-${e.connector}`),
    expression: rateExpression(e.everySeconds),
    handler: 'sync',
    input: { connector: e.connector, ...(e.streams ? { streams: [...e.streams] } : {}) },
    why: e.why,
  };
}

/**
 * The connectors setting as written (`-c connectors=stripe,braintree` to the deploy, `--connectors` to `puddle
 * cost`): comma separated, `none` for none (the list cannot be empty on the command line), unset or empty for
 * every `schedules/` entry. Names are checked by scheduleEntries.
 */
export function parseConnectors(text: string | undefined): string[] | undefined {
  if (text === undefined || text.trim() === '') return undefined;
  return text.trim() === 'none' ? [] : text.split(',').map((c) => c.trim()).filter(Boolean);
}

/**
 * The `schedules/` entries a stack runs: every one, or those of the connectors named (`-c connectors=...`), so an
 * unused connector gets neither a schedule nor a staleness alarm that would stay red for ever. A name that is
 * not in `schedules/` is a ConfigError naming the ones that are.
 */
export function scheduleEntries(connectors?: readonly string[]): ScheduleEntry[] {
  if (connectors === undefined) return [...SCHEDULE];
  const known = SCHEDULE.map((e) => e.connector);
  const unknown = connectors.filter((c) => !known.includes(c));
  if (unknown.length > 0) throw new ConfigError(`connectors: no schedule for ${unknown.join(', ')} (schedules/schedule.ts has ${known.join(', ')})`);
  return SCHEDULE.filter((e) => connectors.includes(e.connector));
}

/** One schedule per `schedules/` entry (or per connector chosen), plus compaction and the totals drift check. */
export function scheduleSpecs(opts: { names?: ResourceNames; connectors?: readonly string[] } = {}): ScheduleSpec[] {
  const names = opts.names ?? resourceNames();
  return [
    ...scheduleEntries(opts.connectors).map((e) => scheduleSpec(e, names)),
    {
      name: names.named('compaction'),
      expression: rateExpression(15 * 60),
      handler: 'compaction',
      input: {},
      why: "an appeal night lands a file per batch; merging every 15 minutes keeps each partition's manifest and scans small",
    },
    {
      name: names.named('totals-drift'),
      expression: rateExpression(15 * 60),
      handler: 'totals-drift',
      input: {},
      why: 'the on-screen totals must agree with finance\'s SQL; a check scans the donation view once (cents per day)',
    },
  ];
}
