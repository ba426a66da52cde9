import { App } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import { beforeAll, describe, expect, it } from 'vitest';

import { CONTRACTS } from '../../../core/contracts/index.js';
import { PUDDLES } from '../../../puddles/definitions.js';
import { SCHEDULE } from '../../../schedules/schedule.js';
import { ATHENA, HANDLERS, METRICS, QUEUES } from '../shape.js';
import { PuddleStack } from './puddle-stack.js';

type Resource = { Type: string; Properties: Record<string, unknown> };
let template: Template;
let resources: Record<string, Resource>;

beforeAll(() => {
  // Bundling skipped: the template is what is under test, not esbuild.
  const app = new App({ context: { 'aws:cdk:bundling-stacks': [] } });
  template = Template.fromStack(new PuddleStack(app, 'Test', { rawObjectLockDays: 365 }));
  resources = template.toJSON().Resources as Record<string, Resource>;
});

const ofType = (type: string) => Object.values(resources).filter((r) => r.Type === type);
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
          Match.objectLike({ Prefix: 'queue-overflow/', ExpirationInDays: 15 }),
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
  });

  it('has the Glue tables of every contract version, current state and raw, symlink manifests with dt projected', () => {
    const versions = [...CONTRACTS.values()].reduce((n, v) => n + v.size, 0);
    // Per version every live file and the unfolded ones; per contract its current state; raw.
    template.resourceCountIs('AWS::Glue::Table', 2 * versions + CONTRACTS.size + 1);
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
    const current = inputs.find((t) => t.Name === 'donation_v1_current')!;
    expect(current.PartitionKeys).toEqual([]);
    expect(current.Parameters['projection.enabled']).toBeUndefined();
    expect(current.StorageDescriptor.Columns).toContainEqual({ Name: '_current', Type: 'boolean' });
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
        Dimensions: [{ Name: 'Connector', Value: e.connector }],
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
    const roleId = Object.entries(resources).find(([id, r]) => r.Type === 'AWS::IAM::Role' && id.startsWith('Fntotalsdrift'))![0];
    const statements = ofType('AWS::IAM::Policy')
      .filter((p) => JSON.stringify(p.Properties.Roles).includes(`"${roleId}"`))
      .flatMap((p) => (p.Properties.PolicyDocument as { Statement: { Action: string | string[]; Resource: unknown }[] }).Statement);
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
    const plain = Template.fromStack(new PuddleStack(new App({ context: { 'aws:cdk:bundling-stacks': [] } }), 'Plain')).toJSON().Resources as Record<string, Resource>;
    const bucket = Object.values(plain).find((r) => r.Type === 'AWS::S3::Bucket' && (r.Properties.LifecycleConfiguration as object | undefined))!;
    expect(bucket.Properties.ObjectLockEnabled).toBeUndefined();
    expect(bucket.Properties.VersioningConfiguration).toBeUndefined();
    expect(JSON.stringify(plain)).not.toContain('s3:PutObjectRetention');
    expect(JSON.stringify(plain)).not.toContain('PUDDLE_RAW_OBJECT_LOCK_DAYS');
  });
});
