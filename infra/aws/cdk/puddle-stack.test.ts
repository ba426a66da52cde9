import { testApp } from './test-app.js';
import { Match, Template } from 'aws-cdk-lib/assertions';
import { beforeAll, describe, expect, it } from 'vitest';

import { CONTRACTS } from '../../../core/contracts/index.js';
import { PUDDLES } from '../../../puddles/definitions.js';
import { SCHEDULE } from '../../../schedules/schedule.js';
import { ConfigError } from '../../../core/errors.js';
import { connectorLagLine } from '../connector-lag-metric.js';
import { ATHENA, HANDLERS, METRICS, QUEUES, stackOfQueuePrefix } from '../shape.js';
import { DUCKDB_FUNCTION_TMP_MIB } from './functions.js';
import { PuddleStack } from './puddle-stack.js';

type Resource = { Type: string; Properties: Record<string, unknown> };
let template: Template;
let resources: Record<string, Resource>;
/**
 * One synth of the stack takes about 35 s on a quiet machine (two took 68 s) and 53-120 s on a loaded one, which
 * the 60 s hook and test limits cut short. Each synth here gets room for it; what it asserts is unchanged.
 */
const SYNTH_MS = 300_000;

beforeAll(() => {
  // Bundling skipped: the template is what is under test, not esbuild.
  const app = testApp();
  template = Template.fromStack(new PuddleStack(app, 'Test', { rawObjectLockDays: 365 }));
  resources = template.toJSON().Resources as Record<string, Resource>;
}, SYNTH_MS);

const ofType = (type: string) => Object.values(resources).filter((r) => r.Type === type);
/** The policy statements of the function whose role's logical id starts with `prefix` (`Fncompaction`). */
function roleStatements(prefix: string): { Action: string | string[]; Resource: unknown }[] {
  const roleId = Object.entries(resources).find(([id, r]) => r.Type === 'AWS::IAM::Role' && id.startsWith(prefix))![0];
  return ofType('AWS::IAM::Policy')
    .filter((p) => JSON.stringify(p.Properties.Roles).includes(`"${roleId}"`))
    .flatMap((p) => (p.Properties.PolicyDocument as { Statement: { Action: string | string[]; Resource: unknown }[] }).Statement);
}
const DATA_SERVICES = ['s3', 'sqs', 'sns', 'dynamodb', 'glue', 'athena', 'events', 'secretsmanager', 'kms'];

describe('the CloudFormation template', () => {
  it('grants no wildcard actions on data services', () => {
    const actions = ofType('AWS::IAM::Policy').flatMap((p) =>
      ((p.Properties.PolicyDocument as { Statement: { Action: string | string[] }[] }).Statement ?? []).flatMap((s) => [s.Action].flat()),
    );
    expect(actions.length).toBeGreaterThan(20);
    const wild = actions.filter((a) => a === '*' || (a.includes('*') && DATA_SERVICES.includes(a.split(':')[0]!)));
    expect(wild).toEqual([]);
  });

  it('has an encrypted bucket that blocks public access, with lifecycle rules for raw and query results and Object Lock', () => {
    template.hasResourceProperties('AWS::S3::Bucket', {
      BucketEncryption: { ServerSideEncryptionConfiguration: [{ ServerSideEncryptionByDefault: { SSEAlgorithm: 'AES256' } }] },
      PublicAccessBlockConfiguration: { BlockPublicAcls: true, BlockPublicPolicy: true, IgnorePublicAcls: true, RestrictPublicBuckets: true },
      ObjectLockEnabled: true,
      VersioningConfiguration: { Status: 'Enabled' },
      LifecycleConfiguration: {
        Rules: Match.arrayWith([
          Match.objectLike({ Prefix: 'lake/raw/envelope/v1/', Transitions: [Match.objectLike({ StorageClass: 'STANDARD_IA', TransitionInDays: 30 })] }),
          Match.objectLike({ Prefix: 'athena-results/', ExpirationInDays: 7 }),
          // Overflow objects outlive every queue's messages, dead letters included (14 days), by a day.
          Match.objectLike({ Prefix: 'queue-overflow/', ExpirationInDays: 29 }),
        ]),
      },
    });
  });

  it('has one queue per puddle, each with a dead-letter queue, subscribed to the topic with its filter policy', () => {
    template.resourceCountIs('AWS::SQS::Queue', PUDDLES.length * 2);
    template.resourceCountIs('AWS::SNS::Subscription', PUDDLES.length);
    for (const q of QUEUES) {
      template.hasResourceProperties('AWS::SQS::Queue', {
        QueueName: q.name,
        VisibilityTimeout: q.visibilityTimeoutSeconds,
        RedrivePolicy: { maxReceiveCount: q.maxReceiveCount, deadLetterTargetArn: Match.anyValue() },
        SqsManagedSseEnabled: true,
      });
    }
    template.hasResourceProperties('AWS::SNS::Subscription', {
      Protocol: 'sqs',
      RawMessageDelivery: true,
      FilterPolicy: { contract: Match.arrayWith(['donation', 'bank_line']) },
    });
    // raw takes everything: no filter.
    const unfiltered = ofType('AWS::SNS::Subscription').filter((s) => s.Properties.FilterPolicy === undefined);
    expect(unfiltered.length).toBe(1);
    template.resourceCountIs('AWS::Lambda::EventSourceMapping', PUDDLES.length);
    template.hasResourceProperties('AWS::Lambda::EventSourceMapping', { BatchSize: 1000, FunctionResponseTypes: ['ReportBatchItemFailures'] });
    // Each queue's mapping gathers for its own window: raw's a minute (its files are never merged), the others 20 s.
    const windows = ofType('AWS::Lambda::EventSourceMapping').map((m) => m.Properties.MaximumBatchingWindowInSeconds as number);
    expect(windows.sort((a, b) => a - b)).toEqual([...Array<number>(PUDDLES.length - 1).fill(20), 60]);
  });

  it('has the Glue tables of every contract version, current state and raw, symlink manifests with dt projected', () => {
    const versions = [...CONTRACTS.values()].reduce((n, v) => n + v.size, 0);
    // Per version every live file, the unfolded ones and current state; raw.
    template.resourceCountIs('AWS::Glue::Table', 3 * versions + 1);
    template.hasResourceProperties('AWS::Glue::Table', {
      DatabaseName: 'puddle',
      TableInput: {
        Name: 'donation_v1',
        TableType: 'EXTERNAL_TABLE',
        PartitionKeys: [{ Name: 'dt', Type: 'string' }],
        Parameters: Match.objectLike({ 'projection.enabled': 'true', 'projection.dt.type': 'date', 'projection.dt.format': 'yyyy-MM-dd' }),
        StorageDescriptor: Match.objectLike({
          InputFormat: 'org.apache.hadoop.hive.ql.io.SymlinkTextInputFormat',
          SerdeInfo: { SerializationLibrary: 'org.apache.hadoop.hive.ql.io.parquet.serde.ParquetHiveSerDe' },
          Columns: Match.arrayWith([{ Name: 'amount_minor', Type: 'bigint' }]),
        }),
      },
    });
    template.hasResourceProperties('AWS::Glue::Table', {
      TableInput: Match.objectLike({
        Name: 'donation_v1_recent',
        PartitionKeys: [{ Name: 'dt', Type: 'string' }],
        StorageDescriptor: Match.objectLike({ Location: Match.anyValue() }),
      }),
    });
    type TableInput = { Name: string; PartitionKeys: unknown[]; Parameters: Record<string, string>; StorageDescriptor: { Columns: unknown[] } };
    const inputs = ofType('AWS::Glue::Table').map((t) => (t.Properties as { TableInput: TableInput }).TableInput);
    const current = inputs.find((t) => t.Name === 'donation_v2_current')!;
    expect(current.PartitionKeys).toEqual([]);
    expect(current.Parameters['projection.enabled']).toBeUndefined();
    expect(current.StorageDescriptor.Columns).toContainEqual({ Name: '_current', Type: 'boolean' });
    // donation v2 (core/contracts/sms.ts): its tables have sms_network, v1's do not; and v1 keeps its current-state
    // table, which holds the state folded before the deploy (deleting it would break the deployed donation view).
    const columns = (name: string) => inputs.find((t) => t.Name === name)?.StorageDescriptor.Columns;
    for (const name of ['donation_v2', 'donation_v2_recent', 'donation_v2_current']) expect(columns(name), name).toContainEqual({ Name: 'sms_network', Type: 'string' });
    for (const name of ['donation_v1', 'donation_v1_recent', 'donation_v1_current']) expect(columns(name), name).not.toContainEqual(expect.objectContaining({ Name: 'sms_network' }));
    template.resourceCountIs('AWS::Glue::Crawler', 0);
  });

  it('has an Athena workgroup with an enforced scan cutoff', () => {
    template.hasResourceProperties('AWS::Athena::WorkGroup', {
      Name: ATHENA.workgroup,
      WorkGroupConfiguration: Match.objectLike({ BytesScannedCutoffPerQuery: ATHENA.bytesScannedCutoffPerQuery, EnforceWorkGroupConfiguration: true }),
    });
  });

  it('has one function per handler on Node 22 or newer, arm64', () => {
    const fns = ofType('AWS::Lambda::Function').filter((f) => String(f.Properties.FunctionName ?? '').startsWith('puddle-'));
    expect(fns.map((f) => f.Properties.FunctionName).sort()).toEqual(HANDLERS.map((h) => `puddle-${h.name}`).sort());
    for (const f of fns) {
      expect(f.Properties.Architectures).toEqual(['arm64']);
      const major = Number(/^nodejs(\d+)\.x$/.exec(String(f.Properties.Runtime))?.[1]);
      expect(major).toBeGreaterThanOrEqual(22);
    }
    // The functions that write Parquet have /tmp for a fold's files and DuckDB's spills (until 2026-12-07 Lambda's
    // 512 MiB); the others keep the default.
    const tmp = Object.fromEntries(fns.map((f) => [f.Properties.FunctionName, (f.Properties.EphemeralStorage as { Size: number } | undefined)?.Size]));
    expect(tmp).toEqual(Object.fromEntries(HANDLERS.map((h) => [`puddle-${h.name}`, ['consumer', 'compaction'].includes(h.name) ? DUCKDB_FUNCTION_TMP_MIB : undefined])));
    expect(DUCKDB_FUNCTION_TMP_MIB).toBe(2048);
  });

  it('routes the HTTP API to the producer (events and its health check), the webhooks and the totals functions, and nothing else', () => {
    const fnOf = (name: string) => Object.entries(resources).find(([, r]) => r.Type === 'AWS::Lambda::Function' && r.Properties.FunctionName === name)![0];
    const integrations = new Map(
      Object.entries(resources)
        .filter(([, r]) => r.Type === 'AWS::ApiGatewayV2::Integration')
        .map(([id, r]) => [id, (r.Properties.IntegrationUri as { 'Fn::GetAtt': [string, string] })['Fn::GetAtt'][0]]),
    );
    const routes = ofType('AWS::ApiGatewayV2::Route').map((r) => {
      const target = JSON.stringify(r.Properties.Target);
      const integration = [...integrations.keys()].find((id) => target.includes(`"${id}"`))!;
      return [String(r.Properties.RouteKey), integrations.get(integration)];
    });
    expect(routes.sort()).toEqual(
      [
        ['GET /healthz', fnOf('puddle-producer')],
        ['GET /v1/totals', fnOf('puddle-totals')],
        ['POST /v1/events', fnOf('puddle-producer')],
        ['POST /webhooks/{provider}', fnOf('puddle-webhooks')],
      ].sort(),
    );
  });

  it('has one schedule per schedules/ entry, plus compaction and the totals drift check', () => {
    template.resourceCountIs('AWS::Scheduler::Schedule', SCHEDULE.length + 2);
    template.hasResourceProperties('AWS::Scheduler::Schedule', { Name: 'puddle-totals-drift', ScheduleExpression: 'rate(15 minutes)' });
    for (const e of SCHEDULE) {
      template.hasResourceProperties('AWS::Scheduler::Schedule', {
        ScheduleExpression: `rate(${e.everySeconds / 60} ${e.everySeconds === 60 ? 'minute' : 'minutes'})`,
        Target: Match.objectLike({ Input: JSON.stringify({ connector: e.connector }) }),
      });
    }
  });

  it('has an ops bus and alarms on dead letters, connector staleness and totals drift', () => {
    template.hasResourceProperties('AWS::Events::EventBus', { Name: 'puddle-ops' });
    const alarms = ofType('AWS::CloudWatch::Alarm').map((a) => String(a.Properties.AlarmName));
    for (const p of PUDDLES) expect(alarms).toContain(`puddle-dead-letters-${p.name}`);
    for (const e of SCHEDULE) {
      expect(alarms).toContain(`puddle-connector-stale-${e.connector}`);
      // The figure the sync function publishes as EMF (test/aws/handlers-sync.test.ts checks its line).
      template.hasResourceProperties('AWS::CloudWatch::Alarm', {
        AlarmName: `puddle-connector-stale-${e.connector}`,
        Namespace: METRICS.namespace,
        MetricName: METRICS.connectorLag,
        Dimensions: [
          { Name: 'Connector', Value: e.connector },
          { Name: 'Stack', Value: 'puddle' },
        ],
        Period: Math.max(300, 2 * e.everySeconds),
        TreatMissingData: 'breaching',
      });
    }
    expect(alarms).toContain('puddle-totals-drift');
    // The drift check's events are what the alarm counts: the rule matching them is on the bus it sends to.
    template.hasResourceProperties('AWS::Events::Rule', { EventPattern: { source: ['puddle'], 'detail-type': ['totals.drift'] }, EventBusName: Match.anyValue() });
    template.hasResourceProperties('AWS::DynamoDB::Table', {
      TableName: 'puddle-state',
      KeySchema: [{ AttributeName: 'pk', KeyType: 'HASH' }],
      AttributeDefinitions: [{ AttributeName: 'pk', AttributeType: 'S' }],
      // The attribute DynamoDbStateStore writes on leases (epoch seconds).
      TimeToLiveSpecification: { AttributeName: 'ttl', Enabled: true },
      SSESpecification: { SSEEnabled: true },
    });
    template.hasResourceProperties('AWS::DynamoDB::Table', {
      TableName: 'puddle-catalog',
      KeySchema: [
        { AttributeName: 'kind', KeyType: 'HASH' },
        { AttributeName: 'id', KeyType: 'RANGE' },
      ],
    });
  });

  it('lets the drift check read the counters and ask Athena, and write nothing but query results and its events', () => {
    const statements = roleStatements('Fntotalsdrift');
    const actions = statements.flatMap((s) => [s.Action].flat()).sort();
    expect(actions).toEqual(
      expect.arrayContaining(['athena:StartQueryExecution', 'athena:GetQueryResults', 'dynamodb:Query', 'dynamodb:GetItem', 'events:PutEvents', 's3:GetObject']),
    );
    for (const a of ['s3:DeleteObject', 'dynamodb:PutItem', 'dynamodb:UpdateItem', 'dynamodb:Scan', 'sns:Publish', 'secretsmanager:GetSecretValue', 'glue:CreateTable']) {
      expect(actions, a).not.toContain(a);
    }
    // Its only S3 write is Athena's results folder.
    const puts = statements.filter((s) => [s.Action].flat().includes('s3:PutObject'));
    expect(puts.map((s) => JSON.stringify(s.Resource))).toEqual([expect.stringContaining('/athena-results/*')]);
  });

  it('lets bank import ask Athena (what the lake holds of a file), and register nothing in the catalog', () => {
    const statements = roleStatements('Fnbankimport');
    const actions = statements.flatMap((s) => [s.Action].flat());
    expect(actions).toEqual(expect.arrayContaining(['athena:StartQueryExecution', 'athena:GetQueryExecution', 'athena:GetQueryResults', 'glue:GetTable', 's3:GetBucketLocation']));
    for (const a of ['glue:CreateTable', 'dynamodb:Scan']) expect(actions, a).not.toContain(a);
    // The catalog's file list (a DynamoDB table of its own) is the consumer's and compaction's, not this function's.
    const dynamo = statements.filter((st) => [st.Action].flat().some((a) => a.startsWith('dynamodb:')));
    expect(dynamo.map((st) => JSON.stringify(st.Resource)).join(' ')).not.toContain('Catalog');
  });

  it('lets compaction create and replace the Athena views in its Glue database (it re-creates them after a deploy)', () => {
    const statements = roleStatements('Fncompaction');
    const actions = statements.flatMap((s) => [s.Action].flat());
    expect(actions).toEqual(expect.arrayContaining(['athena:StartQueryExecution', 'athena:GetQueryExecution', 'athena:GetQueryResults', 'dynamodb:PutItem']));
    const views = statements.find((s) => [s.Action].flat().includes('glue:UpdateTable'));
    if (!views) throw new Error('no statement of the compaction role grants glue:UpdateTable');
    expect([views.Action].flat().sort()).toEqual(['glue:CreateTable', 'glue:DeleteTable', 'glue:GetTable', 'glue:UpdateTable']);
    // On the stack's database and its tables only.
    expect(JSON.stringify(views.Resource)).toContain(':table/puddle/*');
    expect(JSON.stringify(views.Resource)).not.toContain(':table/*');
    // Where create-athena-views.ts records them, for a stack with its own prefix.
    template.hasOutput('StateTable', { Value: Match.anyValue() });
  });

  it('lets the producer read the state table for /healthz, and write none of it', () => {
    const statements = roleStatements('Fnproducer');
    const dynamo = statements.filter((st) => [st.Action].flat().some((a) => a.startsWith('dynamodb:')));
    expect(dynamo.map((st) => [st.Action].flat().sort())).toEqual([['dynamodb:BatchGetItem', 'dynamodb:GetItem']]);
    expect(JSON.stringify(dynamo[0]!.Resource)).toContain('State');
  });

  it('locks raw objects one by one when rawObjectLockDays is set: no bucket default, retention rights for raw writers only, old versions expired', () => {
    const bucket = ofType('AWS::S3::Bucket').find((b) => b.Properties.ObjectLockEnabled === true)!;
    // No default retention: it would lock every object (manifests, compacted lake files, query results).
    expect((bucket.Properties.ObjectLockConfiguration as { Rule?: unknown } | undefined)?.Rule).toBeUndefined();
    const rules = (bucket.Properties.LifecycleConfiguration as { Rules: Record<string, unknown>[] }).Rules;
    expect(rules).toContainEqual(expect.objectContaining({ Id: 'noncurrent-versions', NoncurrentVersionExpiration: { NoncurrentDays: 7 } }));
    expect(rules).toContainEqual(expect.objectContaining({ Id: 'expired-delete-markers', ExpiredObjectDeleteMarker: true }));

    const roleOf = (name: string) => Object.entries(resources).find(([id, r]) => r.Type === 'AWS::IAM::Role' && id.startsWith(`Fn${name}`))![0];
    const retention = new Map<string, string[]>();
    for (const p of ofType('AWS::IAM::Policy')) {
      for (const st of (p.Properties.PolicyDocument as { Statement: { Action: string | string[]; Resource: unknown }[] }).Statement) {
        if (![st.Action].flat().includes('s3:PutObjectRetention')) continue;
        const role = (p.Properties.Roles as { Ref: string }[])[0]!.Ref;
        retention.set(role, [...(retention.get(role) ?? []), JSON.stringify(st.Resource)]);
      }
    }
    // The consumer lands raw; compaction never rewrites raw files, so it has no retention right to misuse.
    expect([...retention.keys()]).toEqual([roleOf('consumer')]);
    for (const resource of retention.values()) expect(resource).toEqual([expect.stringContaining('/lake/raw/envelope/v1/*')]);
    const consumer = ofType('AWS::Lambda::Function').find((f) => f.Properties.FunctionName === 'puddle-consumer')!;
    expect((consumer.Properties.Environment as { Variables: Record<string, string> }).Variables.PUDDLE_RAW_OBJECT_LOCK_DAYS).toBe('365');
  });

  it('has no Object Lock, versioning or retention rights without rawObjectLockDays', () => {
    const plain = Template.fromStack(new PuddleStack(testApp(), 'Plain')).toJSON().Resources as Record<string, Resource>;
    const bucket = Object.values(plain).find((r) => r.Type === 'AWS::S3::Bucket' && (r.Properties.LifecycleConfiguration as object | undefined))!;
    expect(bucket.Properties.ObjectLockEnabled).toBeUndefined();
    expect(bucket.Properties.VersioningConfiguration).toBeUndefined();
    expect(JSON.stringify(plain)).not.toContain('s3:PutObjectRetention');
    expect(JSON.stringify(plain)).not.toContain('PUDDLE_RAW_OBJECT_LOCK_DAYS');
  }, SYNTH_MS);

  it('lets CloudWatch alarms and the ops bus rules publish to the alerts topic, each held to this account and source', () => {
    const alertsId = Object.entries(resources).find(([, r]) => r.Type === 'AWS::SNS::Topic' && r.Properties.TopicName === 'puddle-alerts')![0];
    const policies = ofType('AWS::SNS::TopicPolicy').filter((p) => JSON.stringify(p.Properties.Topics).includes(`"${alertsId}"`));
    expect(policies).toHaveLength(1);
    type Statement = { Principal: { Service: string }; Action: string; Condition: Record<string, Record<string, unknown>> };
    const statements = (policies[0]!.Properties.PolicyDocument as { Statement: Statement[] }).Statement;
    const by = (service: string) => statements.find((st) => st.Principal.Service === service);
    for (const [service, source] of [
      ['cloudwatch.amazonaws.com', ':alarm:puddle-*'],
      ['events.amazonaws.com', ':rule/'],
    ] as const) {
      const st = by(service);
      expect(st, service).toBeDefined();
      expect(st!.Action).toBe('sns:Publish');
      expect(st!.Condition.StringEquals!['aws:SourceAccount']).toEqual({ Ref: 'AWS::AccountId' });
      expect(JSON.stringify(st!.Condition.ArnLike!['aws:SourceArn'])).toContain(source);
    }
    // No publisher without a source condition (the events target's own unconditioned statement is gone).
    expect(statements.every((st) => st.Condition?.StringEquals?.['aws:SourceAccount'] !== undefined)).toBe(true);
    // Every alarm notifies that topic, and each alarm's name is one the CloudWatch statement admits.
    for (const a of ofType('AWS::CloudWatch::Alarm')) {
      expect(a.Properties.AlarmActions).toEqual([{ Ref: alertsId }]);
      expect(String(a.Properties.AlarmName)).toMatch(/^puddle-/);
    }
  });

  it('alarms on function errors and throttles, API 5xx and old messages on every queue', () => {
    const alarm = (name: string) => ofType('AWS::CloudWatch::Alarm').find((a) => a.Properties.AlarmName === name)?.Properties;
    for (const h of ['producer', 'webhooks', 'totals', 'consumer', 'compaction', 'bank-import', 'totals-drift']) {
      expect(alarm(`puddle-function-errors-${h}`), h).toMatchObject({ Namespace: 'AWS/Lambda', MetricName: 'Errors', Statistic: 'Sum', TreatMissingData: 'notBreaching' });
    }
    // The sync function's failures show as a stale connector.
    expect(alarm('puddle-function-errors-sync')).toBeUndefined();
    expect(alarm('puddle-function-errors-producer')).toMatchObject({ Period: 300, Threshold: 10, ComparisonOperator: 'GreaterThanOrEqualToThreshold' });
    expect(alarm('puddle-function-errors-compaction')).toMatchObject({ Period: 1800, Threshold: 2 });
    for (const h of ['producer', 'webhooks', 'totals', 'consumer']) {
      expect(alarm(`puddle-function-throttles-${h}`), h).toMatchObject({ Namespace: 'AWS/Lambda', MetricName: 'Throttles' });
    }
    expect(alarm('puddle-function-throttles-producer')).toMatchObject({ Threshold: 1 });
    const api = Object.entries(resources).find(([, r]) => r.Type === 'AWS::ApiGatewayV2::Api')![0];
    expect(alarm('puddle-api-5xx')).toMatchObject({ Namespace: 'AWS/ApiGateway', MetricName: '5xx', Dimensions: [{ Name: 'ApiId', Value: { Ref: api } }], Threshold: 10 });
    for (const q of QUEUES) {
      expect(alarm(`puddle-queue-age-${q.puddle}`), q.puddle).toMatchObject({
        Namespace: 'AWS/SQS',
        MetricName: 'ApproximateAgeOfOldestMessage',
        Statistic: 'Maximum',
        Threshold: 600,
        Dimensions: [{ Name: 'QueueName', Value: expect.objectContaining({ 'Fn::GetAtt': expect.arrayContaining(['QueueName']) }) }],
      });
    }
  });

  it('notifies once per drift episode: no raw event to the topic, and an alarm that holds while drift events keep coming', () => {
    const rule = ofType('AWS::Events::Rule').find((r) => JSON.stringify(r.Properties.EventPattern).includes('totals.drift'))!;
    expect(rule.Properties.Targets).toBeUndefined();
    // Nothing but the alarms publishes to the alerts topic.
    for (const r of ofType('AWS::Events::Rule')) expect(JSON.stringify(r.Properties.Targets ?? [])).not.toContain('Alerts');
    const drift = ofType('AWS::CloudWatch::Alarm').find((a) => a.Properties.AlarmName === 'puddle-totals-drift')!.Properties;
    // Any of the last six 5-minute periods: checks 15 minutes apart (plus a query of up to 10) keep it in ALARM.
    expect(drift).toMatchObject({ Period: 300, EvaluationPeriods: 6, DatapointsToAlarm: 1, TreatMissingData: 'notBreaching' });
    // The metric EventBridge publishes is keyed by the rule's bare name: the alarm names it as written, not through
    // the rule's Ref, which is CloudFormation's physical id (for a rule on a custom bus, not only the name).
    expect(rule.Properties.Name).toBe('puddle-totals-drift');
    expect(drift.Dimensions).toContainEqual({ Name: 'RuleName', Value: 'puddle-totals-drift' });
  });

  it('refuses the envelopes topic without TLS, as the bucket and the queues', () => {
    const policy = ofType('AWS::SNS::TopicPolicy').find((p) => JSON.stringify(p.Properties.Topics).includes('Envelopes'))!;
    expect(JSON.stringify(policy.Properties.PolicyDocument)).toMatch(/"aws:SecureTransport":"false"/);
  });

  it('denies every function that writes under lake/ deleting the raw trail, and all but its writer putting there', () => {
    const denied = new Map<string, string[]>();
    for (const p of ofType('AWS::IAM::Policy')) {
      const role = (p.Properties.Roles as { Ref: string }[])[0]!.Ref;
      const fn = ofType('AWS::Lambda::Function').find((f) => JSON.stringify(f.Properties.Role).includes(`"${role}"`));
      if (!fn) continue;
      for (const st of (p.Properties.PolicyDocument as { Statement: { Effect: string; Action: string | string[]; Resource: unknown }[] }).Statement) {
        if (st.Effect !== 'Deny') continue;
        expect(JSON.stringify(st.Resource)).toMatch(/"\/lake\/raw\/envelope\/v1\/\*"\]\]\}$/);
        denied.set(String(fn.Properties.FunctionName), [st.Action].flat().sort());
      }
    }
    expect(Object.fromEntries(denied)).toEqual({
      'puddle-consumer': ['s3:DeleteObject', 's3:DeleteObjectVersion'],
      'puddle-compaction': ['s3:DeleteObject', 's3:DeleteObjectVersion', 's3:PutObject'],
    });
  });

  it('scopes each function to its bucket prefixes: no object rights on the whole bucket, the bank inbox only for bank import', () => {
    const bucketId = Object.entries(resources).find(([, r]) => r.Type === 'AWS::S3::Bucket')![0];
    const rights = new Map<string, Map<string, string[]>>();
    for (const p of ofType('AWS::IAM::Policy')) {
      const role = (p.Properties.Roles as { Ref: string }[])[0]!.Ref;
      const fn = ofType('AWS::Lambda::Function').find((f) => JSON.stringify(f.Properties.Role).includes(`"${role}"`));
      if (!fn) continue;
      const of = rights.get(String(fn.Properties.FunctionName)) ?? new Map<string, string[]>();
      for (const st of (p.Properties.PolicyDocument as { Statement: { Effect: string; Action: string | string[]; Resource: unknown }[] }).Statement) {
        if (st.Effect !== 'Allow') continue;
        for (const action of [st.Action].flat().filter((a) => ['s3:GetObject', 's3:PutObject', 's3:DeleteObject'].includes(a))) {
          for (const r of [st.Resource].flat()) {
            const text = JSON.stringify(r);
            expect(text).toContain(bucketId);
            // The object part of the ARN: `/<prefix>*`.
            of.set(action, [...(of.get(action) ?? []), /"\/([^"]*)"\]\]\}$/.exec(text)?.[1] ?? text]);
          }
        }
      }
      rights.set(String(fn.Properties.FunctionName), of);
    }
    const prefixes = (fn: string, action: string) => [...new Set(rights.get(fn)?.get(action) ?? [])].sort();
    for (const [fn, of] of rights) for (const [action, list] of of) expect(list, `${fn} ${action}`).not.toContain('*');
    expect(prefixes('puddle-consumer', 's3:PutObject')).toEqual(['lake/*', 'manifests/*', 'queue-overflow/*']);
    expect(prefixes('puddle-consumer', 's3:DeleteObject')).toEqual([]);
    expect(prefixes('puddle-compaction', 's3:PutObject')).toEqual(['athena-results/*', 'lake/*', 'manifests/*']);
    expect(prefixes('puddle-compaction', 's3:DeleteObject')).toEqual(['lake/*', 'manifests/*']);
    // Bank import moves files within the inbox and asks Athena what the lake holds of a file (Athena reads lake/ and
    // manifests/ and writes its results with the function's rights): it deletes only in the inbox, writes no lake file.
    expect(prefixes('puddle-bank-import', 's3:DeleteObject')).toEqual(['inbox/bank/*']);
    expect(prefixes('puddle-bank-import', 's3:GetObject')).toEqual(['athena-results/*', 'inbox/bank/*', 'lake/*', 'manifests/*']);
    expect(prefixes('puddle-bank-import', 's3:PutObject')).toEqual(['athena-results/*', 'inbox/bank/*', 'queue-overflow/*']);
    // Athena reads the lake through the manifests: not the bank statements.
    expect(prefixes('puddle-totals-drift', 's3:GetObject')).toEqual(['athena-results/*', 'lake/*', 'manifests/*']);
    // Publishers put only envelopes too big for SNS, and read nothing.
    for (const fn of ['puddle-producer', 'puddle-webhooks', 'puddle-sync']) {
      expect(prefixes(fn, 's3:PutObject'), fn).toEqual(['queue-overflow/*']);
      expect([...(rights.get(fn)?.keys() ?? [])], fn).toEqual(['s3:PutObject']);
    }
    expect(rights.get('puddle-totals')?.size ?? 0).toBe(0);
  });

  it('lets each function list only the folders it reads: ListBucket held by s3:prefix, never the whole bucket', () => {
    type St = { Action: string | string[]; Resource: unknown; Condition?: Record<string, Record<string, unknown>> };
    const bucketArn = JSON.stringify({ 'Fn::GetAtt': [Object.entries(resources).find(([, r]) => r.Type === 'AWS::S3::Bucket')![0], 'Arn'] });
    const byFunction = new Map<string, St[]>();
    for (const p of ofType('AWS::IAM::Policy')) {
      const role = (p.Properties.Roles as { Ref: string }[])[0]!.Ref;
      const fn = ofType('AWS::Lambda::Function').find((f) => JSON.stringify(f.Properties.Role).includes(`"${role}"`));
      if (!fn) continue;
      const name = String(fn.Properties.FunctionName);
      byFunction.set(name, [...(byFunction.get(name) ?? []), ...(p.Properties.PolicyDocument as { Statement: St[] }).Statement]);
    }
    const has = (st: St, action: string) => [st.Action].flat().includes(action);
    const listable = (fn: string) => {
      const lists = (byFunction.get(fn) ?? []).filter((st) => has(st, 's3:ListBucket'));
      for (const st of lists) {
        // Only ListBucket in it: GetBucketLocation carries no s3:prefix, so the condition would refuse it.
        expect([st.Action].flat(), fn).toEqual(['s3:ListBucket']);
        expect(JSON.stringify(st.Resource), fn).toBe(bucketArn);
        expect(Object.keys(st.Condition ?? {}), `${fn} lists the whole bucket`).toEqual(['StringLike']);
      }
      return lists.flatMap((st) => [st.Condition!.StringLike!['s3:prefix']].flat() as string[]).sort();
    };
    expect(listable('puddle-consumer')).toEqual(['lake/*', 'manifests/*', 'queue-overflow/*']);
    // Compaction, the drift check and bank import ask Athena, which lists the manifests and reads the lake and its results.
    expect(listable('puddle-bank-import')).toEqual(['athena-results/*', 'inbox/bank/*', 'lake/*', 'manifests/*']);
    expect(listable('puddle-compaction')).toEqual(['athena-results/*', 'lake/*', 'manifests/*']);
    expect(listable('puddle-totals-drift')).toEqual(['athena-results/*', 'lake/*', 'manifests/*']);
    // Those that read no object list nothing.
    for (const fn of ['puddle-producer', 'puddle-webhooks', 'puddle-sync', 'puddle-totals']) expect(listable(fn), fn).toEqual([]);
    // Every folder a function may list is one it may read: a listing answers nothing its reads would not.
    for (const fn of byFunction.keys()) {
      const reads = (byFunction.get(fn) ?? []).filter((st) => has(st, 's3:GetObject')).map((st) => JSON.stringify(st.Resource));
      for (const p of listable(fn)) expect(reads.some((r) => r.includes(`"/${p}"`)), `${fn} lists ${p} but cannot read it`).toBe(true);
    }
    // The Athena readers still learn the bucket's region.
    for (const fn of ['puddle-compaction', 'puddle-totals-drift', 'puddle-bank-import']) {
      expect((byFunction.get(fn) ?? []).some((st) => has(st, 's3:GetBucketLocation') && JSON.stringify(st.Resource) === bucketArn), fn).toBe(true);
    }
  });

  it('refuses an unknown connector or a bad prefix, naming what it takes, before making anything', () => {
    const app = testApp;
    expect(() => new PuddleStack(app(), 'Bad', { connectors: ['stripe', 'paypal'] })).toThrow(
      new ConfigError(`connectors: no schedule for paypal (schedules/schedule.ts has ${SCHEDULE.map((e) => e.connector).join(', ')})`),
    );
    expect(() => new PuddleStack(app(), 'Bad2', { prefix: 'Puddle_Staging' })).toThrow(ConfigError);
  });

  it('refuses an alarm email that is not one address, without repeating it', () => {
    const app = testApp;
    for (const bad of ['notanemail', 'finance-ops@example', 'a@b.org, c@d.org', 'finance ops@example.org', '@example.org']) {
      let err: unknown;
      try {
        new PuddleStack(app(), 'BadMail', { alarmEmail: bad });
      } catch (e) {
        err = e;
      }
      expect(err, bad).toBeInstanceOf(ConfigError);
      expect((err as Error).message).toMatch(/^-c alarmEmail must be one email address/);
      expect((err as Error).message).not.toContain(bad);
    }
    const ok = Template.fromStack(new PuddleStack(app(), 'GoodMail', { alarmEmail: 'finance-ops@example.org' }));
    ok.hasResourceProperties('AWS::SNS::Subscription', { Protocol: 'email', Endpoint: 'finance-ops@example.org' });
  });
});

describe('a second stack: another prefix and only some connectors', () => {
  let other: Record<string, Resource>;
  beforeAll(() => {
    const app = testApp();
    other = Template.fromStack(new PuddleStack(app, 'Staging', { prefix: 'staging', connectors: ['stripe', 'braintree'] })).toJSON().Resources as Record<string, Resource>;
  }, SYNTH_MS);
  const of = (type: string) => Object.values(other).filter((r) => r.Type === type);

  it('schedules and watches only the connectors named', () => {
    const syncs = of('AWS::Scheduler::Schedule').map((s) => String(s.Properties.Name));
    expect(syncs.sort()).toEqual(['staging-compaction', 'staging-sync-braintree', 'staging-sync-stripe', 'staging-totals-drift']);
    const stale = of('AWS::CloudWatch::Alarm')
      .map((a) => String(a.Properties.AlarmName))
      .filter((n) => n.includes('connector-stale'));
    expect(stale.sort()).toEqual(['staging-connector-stale-braintree', 'staging-connector-stale-stripe']);
  });

  it("watches its own connectors' figures only: the alarm's dimensions are those of the line its sync function writes", () => {
    // CloudWatch metrics belong to the account and region, not the stack: with the connector as the only dimension,
    // staging's stripe figures fed the default stack's stripe alarm (and the reverse), so a broken production sync
    // read healthy while staging's ran, and a stale staging connector paged for production.
    const env = (of('AWS::Lambda::Function').find((f) => f.Properties.FunctionName === 'staging-sync')!.Properties.Environment as { Variables: Record<string, string> }).Variables;
    const line = JSON.parse(connectorLagLine(stackOfQueuePrefix(env.PUDDLE_QUEUE_PREFIX!), 'stripe', 60, 0)) as Record<string, unknown> & { _aws: { CloudWatchMetrics: { Dimensions: string[][] }[] } };
    const published = line._aws.CloudWatchMetrics[0]!.Dimensions[0]!.map((name) => ({ Name: name, Value: line[name] }));
    const alarm = of('AWS::CloudWatch::Alarm').find((a) => a.Properties.AlarmName === 'staging-connector-stale-stripe')!;
    const byName = (d: { Name: string }[]) => [...d].sort((a, b) => a.Name.localeCompare(b.Name));
    expect(byName(alarm.Properties.Dimensions as { Name: string }[])).toEqual(byName(published));
    expect(published).toContainEqual({ Name: 'Stack', Value: 'staging' });
    // The default stack's alarm watches another metric.
    const mine = ofType('AWS::CloudWatch::Alarm').find((a) => a.Properties.AlarmName === 'puddle-connector-stale-stripe')!;
    expect(mine.Properties.Dimensions).not.toEqual(alarm.Properties.Dimensions);
  });

  it('names every fixed-name resource from the prefix, so it can live beside the default stack', () => {
    const fixed: [string, string][] = [
      ['AWS::DynamoDB::Table', 'TableName'],
      ['AWS::SQS::Queue', 'QueueName'],
      ['AWS::SNS::Topic', 'TopicName'],
      ['AWS::Logs::LogGroup', 'LogGroupName'],
      ['AWS::Lambda::Function', 'FunctionName'],
      ['AWS::Events::EventBus', 'Name'],
      ['AWS::Athena::WorkGroup', 'Name'],
      ['AWS::Scheduler::Schedule', 'Name'],
      ['AWS::CloudWatch::Alarm', 'AlarmName'],
      ['AWS::Events::Rule', 'Name'],
      ['AWS::ApiGatewayV2::Api', 'Name'],
    ];
    for (const [type, prop] of fixed) {
      const names = of(type).map((r) => r.Properties[prop]).filter((n) => typeof n === 'string') as string[];
      expect(names.length, type).toBeGreaterThan(0);
      for (const n of names) expect(n, type).toMatch(/^(\/aws\/lambda\/)?staging(-|$)/);
    }
    expect((of('AWS::Glue::Database')[0]!.Properties.DatabaseInput as { Name: string }).Name).toBe('staging');
    const env = (of('AWS::Lambda::Function').find((f) => f.Properties.FunctionName === 'staging-sync')!.Properties.Environment as { Variables: Record<string, string> }).Variables;
    expect(env.PUDDLE_SECRETS_ID).toBe('staging/webhook-keys,staging/providers');
    expect(env.PUDDLE_QUEUE_PREFIX).toBe('staging-');
    expect(env.PUDDLE_GLUE_DATABASE).toBe('staging');
    expect(JSON.stringify(other)).not.toMatch(/"puddle-|puddle\/|\/aws\/lambda\/puddle/);
  });
});
