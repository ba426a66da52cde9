// The AWS shape as one CloudFormation stack, built from infra/aws/shape.ts (which reads puddles, contracts and
// schedules): nothing here lists a puddle, a contract or a connector by hand.
import { ArnFormat, Aws, CfnOutput, Duration, RemovalPolicy, Stack, type StackProps } from 'aws-cdk-lib';
import * as apigw from 'aws-cdk-lib/aws-apigatewayv2';
import { HttpLambdaIntegration } from 'aws-cdk-lib/aws-apigatewayv2-integrations';
import * as athena from 'aws-cdk-lib/aws-athena';
import * as dynamodb from 'aws-cdk-lib/aws-dynamodb';
import * as events from 'aws-cdk-lib/aws-events';
import * as eventTargets from 'aws-cdk-lib/aws-events-targets';
import * as glue from 'aws-cdk-lib/aws-glue';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import { SqsEventSource } from 'aws-cdk-lib/aws-lambda-event-sources';
import * as s3 from 'aws-cdk-lib/aws-s3';
import * as scheduler from 'aws-cdk-lib/aws-scheduler';
import * as schedulerTargets from 'aws-cdk-lib/aws-scheduler-targets';
import * as sns from 'aws-cdk-lib/aws-sns';
import * as snsSubs from 'aws-cdk-lib/aws-sns-subscriptions';
import * as sqs from 'aws-cdk-lib/aws-sqs';
import type { Construct } from 'constructs';

import { PUDDLES } from '../../../puddles/definitions.js';
import { callTimeoutMsFor } from '../call-limits.js';
import {
  API_THROTTLE,
  ATHENA,
  BUCKET_PREFIXES,
  CATALOG_TABLE,
  CONSUMER_BATCH,
  ENV,
  GLUE_TABLES,
  glueTableInput,
  HANDLERS,
  LIFECYCLE,
  queueSpec,
  resourceNames,
  scheduleEntries,
  scheduleSpecs,
  secretsReadBy,
  STATE_TABLE,
  TOTALS_TABLE,
  TOPIC,
  type DynamoTableSpec,
  type HandlerName,
  type ResourceNames,
} from '../shape.js';
import { addAlarms, checkAlarmEmail } from './alarms.js';
import { duckDbLayer } from './duckdb-layer.js';
import { handlerFunction } from './functions.js';

export interface PuddleStackProps extends StackProps {
  /**
   * Days raw objects are locked against deletion (Object Lock in GOVERNANCE mode, set per object by the raw writer:
   * see infra/aws/s3-object-store.ts for why not a bucket default); off when unset.
   */
  rawObjectLockDays?: number;
  /**
   * A folder laid out as a Lambda layer, nodejs/node_modules/@duckdb/... for linux-arm64 (docs/aws.md, "Deploying", step 2):
   * checked, a ConfigError when it does not hold that; without one, the functions needing it are synthesised with a warning.
   */
  duckdbLayerDir?: string;
  /** Mail address that receives the alarms, if any. */
  alarmEmail?: string;
  /**
   * Starts every fixed resource name (tables, queues, topics, functions, log groups, workgroup, secrets); the
   * default, `puddle`, keeps the names deployed stacks have. Another lets a second stack live in the account.
   */
  prefix?: string;
  /** The connectors given a schedule and a staleness alarm (`-c connectors=stripe,braintree`); all when unset. */
  connectors?: readonly string[];
}

type Prefix = (typeof BUCKET_PREFIXES)[keyof typeof BUCKET_PREFIXES];

/** What each handler may touch, beyond its trigger. Least privilege: named actions on named resources. */
interface Needs {
  /** Bucket prefixes it may get, put and delete objects under (Athena's own needs come with `athena`). */
  objects?: { get: Prefix[]; put: Prefix[]; delete: Prefix[] };
  publish?: boolean;
  /** The state table (bookmarks, leases, last runs); `read`: its items read, nothing written. */
  state?: boolean | 'read';
  catalog?: boolean;
  athena?: boolean;
  /** Creates and replaces the Athena views (Glue tables of their own), as the compaction run does after a deploy. */
  views?: boolean;
  /** The live totals' counters: the consumer keeps them, the totals function reads them. */
  totals?: 'read' | 'write';
  /**
   * Writes raw objects (landing the raw puddle), so sets their Object Lock retention when the stack locks raw.
   * Only the consumer: compaction never rewrites raw (puddles/compact.ts), so it needs no retention right.
   */
  writesRaw?: boolean;
}

// Which secrets each reads is SECRET_GROUPS in shape.ts (secretsReadBy).
// Every function that publishes may put an envelope too big for SNS under queue-overflow/ (SnsSqsQueue does so
// above 256 KiB, where the message carries a pointer): without that right a big event or webhook would fail.
const OVERFLOW_ONLY = { get: [], put: [BUCKET_PREFIXES.queueOverflow], delete: [] };

const NEEDS: Record<HandlerName, Needs> = {
  // Reads the streams' last runs for /healthz's failing connectors (handlers/connectors-health.ts); writes no state.
  producer: { publish: true, objects: OVERFLOW_ONLY, state: 'read' },
  webhooks: { publish: true, state: true, objects: OVERFLOW_ONLY },
  // Lands the lake (raw included) and its manifests; reads envelopes too big for SNS from queue-overflow/, and
  // may write one when it publishes. Never the bank inbox or query results. Deletes nothing: a landing writes
  // under keys of its batch's identity, and retiring files is compaction's (until 2026-12-05 it had
  // s3:DeleteObject on lake/ and manifests/ all the same, raw included: user test).
  consumer: {
    objects: { get: [BUCKET_PREFIXES.lake, BUCKET_PREFIXES.manifests, BUCKET_PREFIXES.queueOverflow], put: [BUCKET_PREFIXES.lake, BUCKET_PREFIXES.manifests, BUCKET_PREFIXES.queueOverflow], delete: [] },
    publish: true,
    state: true,
    catalog: true,
    totals: 'write',
    writesRaw: true,
  },
  sync: { publish: true, state: true, objects: OVERFLOW_ONLY },
  // Merges and retires lake files and rewrites their manifests. Before any fold it re-creates the Athena views when
  // the deploy changed them (infra/aws/athena-views-current.ts): Athena queries in the workgroup, views in Glue.
  compaction: {
    objects: { get: [BUCKET_PREFIXES.lake, BUCKET_PREFIXES.manifests], put: [BUCKET_PREFIXES.lake, BUCKET_PREFIXES.manifests], delete: [BUCKET_PREFIXES.lake, BUCKET_PREFIXES.manifests] },
    state: true,
    catalog: true,
    athena: true,
    views: true,
  },
  // Reads a statement, moves it to done/ or failed/ beside its log, and publishes its lines (a big one through
  // queue-overflow/). First it asks Athena what the lake holds of the file (bank_statement_history, bank_line: the
  // file in another currency is refused, a conflict said), so Athena reads lake/ and manifests/ with its rights;
  // it writes no lake file itself.
  'bank-import': {
    objects: { get: [BUCKET_PREFIXES.bankInbox], put: [BUCKET_PREFIXES.bankInbox, BUCKET_PREFIXES.queueOverflow], delete: [BUCKET_PREFIXES.bankInbox] },
    publish: true,
    state: true,
    athena: true,
  },
  // Answers from the counters alone: no Athena, no lake.
  totals: { totals: 'read' },
  // Reads the counters and asks Athena for totals_by_box (Athena reads the lake with its rights); writes nothing
  // but query results: a drift is reported, never repaired.
  'totals-drift': { athena: true, totals: 'read' },
};

/** The folders Athena reads with the caller's rights: the lake files, the manifests naming them, its own results. */
const ATHENA_READS: Prefix[] = [BUCKET_PREFIXES.lake, BUCKET_PREFIXES.manifests, BUCKET_PREFIXES.queryResults];

/** Days an overwritten or deleted object version is kept in a versioned (Object Lock) bucket. */
const NONCURRENT_VERSION_DAYS = 7;

export class PuddleStack extends Stack {
  readonly functions = new Map<HandlerName, lambda.Function>();

  constructor(scope: Construct, id: string, props: PuddleStackProps = {}) {
    super(scope, id, props);
    const lock = props.rawObjectLockDays;
    const names = resourceNames(props.prefix);
    // Checked before anything is made: an unknown connector is a ConfigError naming the known ones.
    const scheduled = scheduleEntries(props.connectors);
    checkAlarmEmail(props.alarmEmail);

    // ------------------------------------------------------------ bucket
    const bucket = new s3.Bucket(this, 'Lake', {
      encryption: s3.BucketEncryption.S3_MANAGED,
      blockPublicAccess: s3.BlockPublicAccess.BLOCK_ALL,
      enforceSSL: true,
      // Object Lock needs versioning; objects are then locked one by one by the raw writer (never lake files,
      // which compaction and replay must be able to delete). No default retention: it would lock every object.
      versioned: lock !== undefined,
      objectLockEnabled: lock !== undefined ? true : undefined,
      removalPolicy: RemovalPolicy.RETAIN,
      lifecycleRules: [
        ...LIFECYCLE.map((r) => ({
          id: r.prefix.replace(/\W+/g, '-'),
          prefix: r.prefix,
          ...(r.infrequentAccessAfterDays !== null
            ? { transitions: [{ storageClass: s3.StorageClass.INFREQUENT_ACCESS, transitionAfter: Duration.days(r.infrequentAccessAfterDays) }] }
            : {}),
          ...(r.expireAfterDays !== null ? { expiration: Duration.days(r.expireAfterDays) } : {}),
        })),
        { id: 'abort-incomplete-uploads', abortIncompleteMultipartUploadAfter: Duration.days(1) },
        // Versioning (for Object Lock) keeps what is overwritten or deleted (each manifest rewrite, every file
        // compaction retires): drop those versions after a week. Locked raw versions stay until their date passes.
        ...(lock !== undefined
          ? [
              { id: 'noncurrent-versions', noncurrentVersionExpiration: Duration.days(NONCURRENT_VERSION_DAYS) },
              { id: 'expired-delete-markers', expiredObjectDeleteMarker: true },
            ]
          : []),
      ],
    });
    // S3 -> EventBridge for the bank drop folder, set on the L1 (the L2 flag adds a custom-resource Lambda).
    (bucket.node.defaultChild as s3.CfnBucket).notificationConfiguration = { eventBridgeConfiguration: { eventBridgeEnabled: true } };

    // ------------------------------------------------------------ topic, queues
    // Envelopes carry personal data as sent: refused without TLS, as the bucket and the queues are (until 2026-12-05
    // it was not: user test). Not encrypted at rest with a KMS key (yet): SNS keeps a message only until it has
    // delivered it to the queues, which are encrypted, and a KMS-encrypted topic needs every publisher's role to
    // have the key's rights, which cannot be tried here (no AWS account).
    const topic = new sns.Topic(this, 'Envelopes', { topicName: names.topic, enforceSSL: true });
    const queues = PUDDLES.map((p) => queueSpec(p, names.queuePrefix)).map((spec) => {
      const dlq = new sqs.Queue(this, `Dlq-${spec.puddle}`, {
        queueName: spec.deadLetterName,
        retentionPeriod: Duration.seconds(spec.deadLetterRetentionSeconds),
        encryption: sqs.QueueEncryption.SQS_MANAGED,
        enforceSSL: true,
      });
      const queue = new sqs.Queue(this, `Queue-${spec.puddle}`, {
        queueName: spec.name,
        visibilityTimeout: Duration.seconds(spec.visibilityTimeoutSeconds),
        retentionPeriod: Duration.seconds(spec.retentionSeconds),
        deadLetterQueue: { queue: dlq, maxReceiveCount: spec.maxReceiveCount },
        encryption: sqs.QueueEncryption.SQS_MANAGED,
        enforceSSL: true,
      });
      topic.addSubscription(
        new snsSubs.SqsSubscription(queue, {
          rawMessageDelivery: true,
          ...(spec.filterPolicy
            ? { filterPolicy: { [TOPIC.contractAttribute]: sns.SubscriptionFilter.stringFilter({ allowlist: spec.filterPolicy.contract }) } }
            : {}),
        }),
      );
      return { spec, queue, dlq };
    });

    // ------------------------------------------------------------ DynamoDB
    const table = (id: string, spec: DynamoTableSpec, name: string) =>
      new dynamodb.Table(this, id, {
        tableName: name,
        partitionKey: { name: spec.partitionKey.name, type: dynamodb.AttributeType.STRING },
        ...(spec.sortKey ? { sortKey: { name: spec.sortKey.name, type: dynamodb.AttributeType.STRING } } : {}),
        billingMode: dynamodb.BillingMode.PAY_PER_REQUEST,
        encryption: dynamodb.TableEncryption.AWS_MANAGED,
        pointInTimeRecoverySpecification: { pointInTimeRecoveryEnabled: true },
        timeToLiveAttribute: spec.ttlAttribute,
        removalPolicy: RemovalPolicy.RETAIN,
      });
    const stateTable = table('State', STATE_TABLE, names.stateTable);
    const catalogTable = table('Catalog', CATALOG_TABLE, names.catalogTable);
    const totalsTable = table('Totals', TOTALS_TABLE, names.totalsTable);

    // ------------------------------------------------------------ Glue, Athena
    const database = new glue.CfnDatabase(this, 'GlueDatabase', { catalogId: Aws.ACCOUNT_ID, databaseInput: { name: names.glueDatabase } });
    for (const spec of GLUE_TABLES) {
      const t = new glue.CfnTable(this, `Table-${spec.name}`, {
        catalogId: Aws.ACCOUNT_ID,
        databaseName: names.glueDatabase,
        tableInput: lowerKeys(glueTableInput(spec, bucket.bucketName)) as glue.CfnTable.TableInputProperty,
      });
      t.node.addDependency(database);
    }
    const workgroup = new athena.CfnWorkGroup(this, 'Workgroup', {
      name: names.workgroup,
      recursiveDeleteOption: true,
      workGroupConfiguration: {
        bytesScannedCutoffPerQuery: ATHENA.bytesScannedCutoffPerQuery,
        enforceWorkGroupConfiguration: true,
        publishCloudWatchMetricsEnabled: true,
        engineVersion: { selectedEngineVersion: 'Athena engine version 3' },
        resultConfiguration: {
          outputLocation: `s3://${bucket.bucketName}/${BUCKET_PREFIXES.queryResults}`,
          encryptionConfiguration: { encryptionOption: 'SSE_S3' },
        },
      },
    });

    // ------------------------------------------------------------ EventBridge bus
    const bus = new events.EventBus(this, 'OpsBus', { eventBusName: names.eventBus });

    // ------------------------------------------------------------ functions
    const environment: Record<string, string> = {
      [ENV.bucket]: bucket.bucketName,
      [ENV.topicArn]: topic.topicArn,
      [ENV.queuePrefix]: names.queuePrefix,
      [ENV.stateTable]: stateTable.tableName,
      [ENV.catalogTable]: catalogTable.tableName,
      [ENV.totalsTable]: totalsTable.tableName,
      [ENV.glueDatabase]: names.glueDatabase,
      [ENV.athenaWorkgroup]: names.workgroup,
      [ENV.eventBus]: bus.eventBusName,
      ...(lock !== undefined ? { [ENV.rawObjectLockDays]: String(lock) } : {}),
    };
    const duckdbLayer = props.duckdbLayerDir ? duckDbLayer(this, props.duckdbLayerDir) : undefined;
    for (const spec of HANDLERS) {
      // A function is named exactly the secrets its role may read: the runtime reads every named secret on each
      // cold start, so naming one it may not read would fail it with AccessDenied.
      const secretIds = secretsReadBy(spec.name, names);
      const secrets: Record<string, string> = secretIds.length > 0 ? { [ENV.secretsId]: secretIds.join(',') } : {};
      const limit = { [ENV.callTimeoutMs]: String(callTimeoutMsFor(spec)) };
      const fn = handlerFunction(this, spec, { environment: { ...environment, ...secrets, ...limit }, duckdbLayer, names });
      this.functions.set(spec.name, fn);
      this.#grant(fn, NEEDS[spec.name], { bucket, topic, stateTable, catalogTable, totalsTable, workgroup, bus, lock: lock !== undefined, names, secretIds });
    }
    const fn = (name: HandlerName) => this.functions.get(name)!;

    // HTTP API: producer, webhooks, totals.
    const api = new apigw.HttpApi(this, 'Api', { apiName: names.api });
    const stage = api.defaultStage!.node.defaultChild as apigw.CfnStage;
    stage.defaultRouteSettings = { throttlingRateLimit: API_THROTTLE.ratePerSecond, throttlingBurstLimit: API_THROTTLE.burst };
    for (const spec of HANDLERS) {
      for (const route of spec.routes ?? []) {
        const [method, routePath] = route.split(' ') as [keyof typeof apigw.HttpMethod, string];
        api.addRoutes({ path: routePath, methods: [apigw.HttpMethod[method]], integration: new HttpLambdaIntegration(`Int-${spec.name}-${method}`, fn(spec.name)) });
      }
    }
    new CfnOutput(this, 'ApiUrl', { value: api.apiEndpoint });

    // Consumer: one event source per queue (the record's queue ARN says which puddle).
    for (const { queue, spec } of queues) {
      fn('consumer').addEventSource(
        new SqsEventSource(queue, {
          batchSize: CONSUMER_BATCH.size,
          maxBatchingWindow: Duration.seconds(spec.batchingWindowSeconds),
          reportBatchItemFailures: true,
          maxConcurrency: CONSUMER_BATCH.maxConcurrency,
        }),
      );
    }

    // Schedules: one per schedules/ entry (sync) of the connectors chosen, plus compaction and the drift check.
    for (const s of scheduleSpecs({ names, connectors: props.connectors })) {
      new scheduler.Schedule(this, `Schedule-${s.name}`, {
        scheduleName: s.name,
        schedule: scheduler.ScheduleExpression.expression(s.expression),
        target: new schedulerTargets.LambdaInvoke(fn(s.handler), { input: scheduler.ScheduleTargetInput.fromObject(s.input), retryAttempts: 0 }),
        description: s.why,
      });
    }

    // Bank files dropped under inbox/bank/.
    new events.Rule(this, 'BankInbox', {
      eventPattern: {
        source: ['aws.s3'],
        detailType: ['Object Created'],
        detail: { bucket: { name: [bucket.bucketName] }, object: { key: [{ prefix: BUCKET_PREFIXES.bankInbox }] } },
      },
      targets: [new eventTargets.LambdaFunction(fn('bank-import'))],
    });

    // ------------------------------------------------------------ alarms
    addAlarms(this, { names, alarmEmail: props.alarmEmail, functions: this.functions, api, queues, scheduled, bus });
    new CfnOutput(this, 'BucketName', { value: bucket.bucketName });
    new CfnOutput(this, 'AthenaWorkgroup', { value: names.workgroup });
    // What the deploy tools (create-athena-views.ts, puddle aws totals-rebuild) need when the prefix is not the default.
    new CfnOutput(this, 'GlueDatabaseName', { value: names.glueDatabase });
    // Where create-athena-views.ts records the views it made, as the compaction run does.
    new CfnOutput(this, 'StateTable', { value: stateTable.tableName });
    new CfnOutput(this, 'TotalsTable', { value: totalsTable.tableName });
  }

  #grant(
    fn: lambda.Function,
    needs: Needs,
    r: {
      bucket: s3.Bucket;
      topic: sns.Topic;
      stateTable: dynamodb.Table;
      catalogTable: dynamodb.Table;
      totalsTable: dynamodb.Table;
      workgroup: athena.CfnWorkGroup;
      bus: events.EventBus;
      lock: boolean;
      names: ResourceNames;
      secretIds: readonly string[];
    },
  ): void {
    const allow = (actions: string[], resources: string[]) => fn.addToRolePolicy(new iam.PolicyStatement({ actions, resources }));
    const under = (prefixes: readonly Prefix[]) => prefixes.map((p) => r.bucket.arnForObjects(`${p}*`));
    const glueDatabase = r.names.glueDatabase;
    // Glue checks a table action against the catalog, the database and the table.
    const glueTables = [
      Stack.of(this).formatArn({ service: 'glue', resource: 'catalog' }),
      Stack.of(this).formatArn({ service: 'glue', resource: 'database', resourceName: glueDatabase }),
      Stack.of(this).formatArn({ service: 'glue', resource: 'table', resourceName: `${glueDatabase}/*` }),
    ];
    // ListBucket, held by s3:prefix to the folders the function reads (with Athena, those Athena lists and reads for
    // it). No handler lists keys itself; the right is there because without it S3 answers a missing key with 403,
    // not 404, and the stores ask whether a key exists. S3 checks it with the key as s3:prefix, so a missing key in
    // a folder granted here still gets 404 (Ceph matched AWS on this in ceph/ceph#68577: the emulators in test/aws
    // enforce no IAM, so no test here can show it). `lake/*` also matches a listing of `lake/` itself.
    const listed = [...new Set([...(needs.objects?.get ?? []), ...(needs.athena ? ATHENA_READS : [])])].sort();
    if (listed.length > 0) {
      fn.addToRolePolicy(
        new iam.PolicyStatement({
          actions: ['s3:ListBucket'],
          resources: [r.bucket.bucketArn],
          conditions: { StringLike: { 's3:prefix': listed.map((p) => `${p}*`) } },
        }),
      );
    }
    if (needs.objects) {
      const { get, put, delete: del } = needs.objects;
      if (get.length > 0) allow(['s3:GetObject'], under(get));
      if (put.length > 0) allow(['s3:PutObject'], under(put));
      if (del.length > 0) allow(['s3:DeleteObject'], under(del));
      // The raw trail is never rewritten nor deleted (docs/aws.md, "Object Lock on the raw trail"): a grant on lake/
      // must not reach it, so an explicit Deny under raw/ for every function that writes or deletes under lake/.
      // Only the raw puddle's writer (the consumer) may put there; nobody deletes, a version neither. Without it a
      // bug in compaction, or a consumer fed a crafted envelope, could delete the audit trail for good on an
      // unversioned bucket, and on a locked one hide it behind a delete marker.
      if ([...put, ...del].includes(BUCKET_PREFIXES.lake)) {
        const denied = ['s3:DeleteObject', 's3:DeleteObjectVersion', ...(needs.writesRaw ? [] : ['s3:PutObject'])];
        fn.addToRolePolicy(new iam.PolicyStatement({ effect: iam.Effect.DENY, actions: denied, resources: [r.bucket.arnForObjects(`${BUCKET_PREFIXES.raw}*`)] }));
      }
    }
    // A PUT carrying a retention needs this right too, on raw keys only. It cannot shorten or lift a GOVERNANCE
    // lock: that takes s3:BypassGovernanceRetention, which no function has.
    if (needs.writesRaw && r.lock) allow(['s3:PutObjectRetention'], [r.bucket.arnForObjects(`${BUCKET_PREFIXES.raw}*`)]);
    if (needs.publish) allow(['sns:Publish'], [r.topic.topicArn]);
    const itemActions = ['dynamodb:GetItem', 'dynamodb:PutItem', 'dynamodb:UpdateItem', 'dynamodb:DeleteItem', 'dynamodb:BatchGetItem', 'dynamodb:BatchWriteItem', 'dynamodb:Query'];
    if (needs.state === 'read') allow(['dynamodb:GetItem', 'dynamodb:BatchGetItem'], [r.stateTable.tableArn]);
    else if (needs.state) allow(itemActions, [r.stateTable.tableArn]);
    // Conditional puts and ADDs per donation and box; reads by partition. No Scan (the repair is run by hand).
    if (needs.totals === 'write') allow(['dynamodb:GetItem', 'dynamodb:PutItem', 'dynamodb:UpdateItem', 'dynamodb:Query'], [r.totalsTable.tableArn]);
    if (needs.totals === 'read') allow(['dynamodb:GetItem', 'dynamodb:Query'], [r.totalsTable.tableArn]);
    if (needs.catalog) {
      allow(itemActions, [r.catalogTable.tableArn]);
      allow(['glue:GetDatabase', 'glue:GetTable', 'glue:GetTables', 'glue:CreateTable'], glueTables);
    }
    if (needs.athena) {
      allow(
        ['athena:StartQueryExecution', 'athena:GetQueryExecution', 'athena:GetQueryResults', 'athena:StopQueryExecution'],
        [Stack.of(this).formatArn({ service: 'athena', resource: 'workgroup', resourceName: r.workgroup.name })],
      );
      // Athena reads the tables' definitions, the manifests and the lake files they list, and writes and reads
      // its results, all with the caller's rights: nothing else in the bucket (not the bank inbox).
      allow(['glue:GetDatabase', 'glue:GetTable', 'glue:GetTables', 'glue:GetPartitions'], glueTables);
      allow(['s3:PutObject'], under([BUCKET_PREFIXES.queryResults]));
      allow(['s3:GetObject'], under(ATHENA_READS));
      // Apart from ListBucket (above): a request for the bucket's region carries no s3:prefix, so the condition
      // would refuse it.
      allow(['s3:GetBucketLocation'], [r.bucket.bucketArn]);
    }
    // CREATE OR REPLACE VIEW: Athena writes the view as a Glue table with the caller's rights, replacing one that
    // exists (UpdateTable, or DeleteTable then CreateTable). The queries themselves come with `athena`.
    if (needs.views) allow(['glue:GetTable', 'glue:CreateTable', 'glue:UpdateTable', 'glue:DeleteTable'], glueTables);
    if (r.secretIds.length > 0) {
      // Secrets Manager ends each secret's ARN with a hyphen and six random characters.
      const arn = (id: string) => Stack.of(this).formatArn({ service: 'secretsmanager', resource: 'secret', resourceName: `${id}-??????`, arnFormat: ArnFormat.COLON_RESOURCE_NAME });
      allow(['secretsmanager:GetSecretValue'], r.secretIds.map(arn));
    }
    r.bus.grantPutEventsTo(fn);
  }
}

/** CloudFormation's L1 Glue props are the API's names with a lower-case first letter. */
function lowerKeys(v: unknown): unknown {
  if (Array.isArray(v)) return v.map(lowerKeys);
  if (v && typeof v === 'object') {
    return Object.fromEntries(
      Object.entries(v).map(([k, x]) => [
        k.charAt(0).toLowerCase() + k.slice(1),
        // Table parameters are a free-form map: keep its keys as they are.
        k === 'Parameters' ? x : lowerKeys(x),
      ]),
    );
  }
  return v;
}
