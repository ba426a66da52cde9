// The stack's alarms and the topic they notify. Each threshold says why it is what it is: set for an appeal night
// (about 350 donations/s at the peak, docs/aws.md, "Cost of an appeal night"), when a broken part must be noticed in
// minutes, not through a dead-letter queue half an hour later, and a blip must not wake anyone.
import { ArnFormat, Duration, Stack } from 'aws-cdk-lib';
import type * as apigw from 'aws-cdk-lib/aws-apigatewayv2';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import * as cwActions from 'aws-cdk-lib/aws-cloudwatch-actions';
import * as events from 'aws-cdk-lib/aws-events';
import * as iam from 'aws-cdk-lib/aws-iam';
import type * as lambda from 'aws-cdk-lib/aws-lambda';
import * as sns from 'aws-cdk-lib/aws-sns';
import * as snsSubs from 'aws-cdk-lib/aws-sns-subscriptions';
import type * as sqs from 'aws-cdk-lib/aws-sqs';
import type { Construct } from 'constructs';

import { ConfigError } from '../../../core/errors.js';
import type { ScheduleEntry } from '../../../schedules/schedule.js';
import { connectorLagDimensions, EVENT_BUS, handlerSpec, METRICS, STALE_AFTER_INTERVALS, type HandlerName, type HandlerSpec, type QueueSpec, type ResourceNames } from '../shape.js';

/** When a function's errors (failed invocations, timeouts included) alarm, by what invokes it. */
interface ErrorAlarm {
  periodMinutes: number;
  /** Failed invocations in one period. */
  threshold: number;
  why: string;
}

export const ERROR_ALARMS: Readonly<Record<HandlerSpec['trigger'], ErrorAlarm | null>> = {
  http: {
    periodMinutes: 5,
    threshold: 10,
    why: 'each failed invocation is a 500 to a donor or a provider; at the peak five minutes hold about 100,000 requests, so ten is no blip a retry hides, while a broken deploy fails thousands',
  },
  sqs: {
    periodMinutes: 5,
    threshold: 5,
    why: 'a failed invocation puts a whole batch (up to 1,000 envelopes) back on its queue; five in five minutes is landing failing, which the dead-letter alarm would only show after five visibility timeouts (30 minutes)',
  },
  schedule: null, // per function below: the sync function has its staleness alarm, compaction and drift run every 15 minutes
  's3-object-created': {
    periodMinutes: 5,
    threshold: 1,
    why: 'a bank statement the import crashed on stays in the inbox unread; files are few, so each one matters',
  },
};

/** Scheduled functions that alarm on errors; the sync function's failures show as a stale connector instead. */
const SCHEDULED_ERROR_ALARM: ErrorAlarm = {
  periodMinutes: 30,
  threshold: 2,
  why: 'it runs every 15 minutes: two failed runs in a row (half an hour) is a fault, one may be a passing Athena or S3 error that the next run rides over',
};
const SCHEDULED_WITH_ALARM: ReadonlySet<HandlerName> = new Set(['compaction', 'totals-drift']);

/**
 * Throttled invocations of the functions a donor or the consumers wait on. Any throttle of an HTTP function is a
 * refused request (API Gateway answers 500/429): the account's concurrency (1,000 by default, shared with
 * everything else in the region) is spent. A throttled consumer batch is retried by Lambda, so a few are allowed.
 */
const THROTTLE_THRESHOLD: Partial<Record<HandlerSpec['trigger'], number>> = { http: 1, sqs: 10 };

/**
 * A message older than this on a puddle's queue means the consumer is not landing it: a batch is normally taken
 * within its 20 s window and landed in seconds, and a message that failed once waits out one visibility
 * timeout (6 minutes) before its retry. Ten minutes is two failed deliveries, twenty minutes before the
 * dead-letter queue would say so; landing runs at ten times the peak, so no honest backlog gets this old.
 */
export const QUEUE_AGE_ALARM_SECONDS = 600;

/** API Gateway 5xx answers in five minutes: the functions' own failures, plus throttles and timeouts at the gateway. */
export const API_5XX_THRESHOLD = 10;

/**
 * The drift check runs every 15 minutes and its Athena query can take up to 10: while a drift lasts, its events
 * come at most 25 minutes apart. The alarm stays in ALARM while any 5-minute period of the last 30 had one, so a
 * drift episode is one notification, not one every 15 minutes.
 */
const DRIFT_WINDOW_PERIODS = 6;

export interface AlarmTargets {
  names: ResourceNames;
  alarmEmail?: string;
  functions: ReadonlyMap<HandlerName, lambda.IFunction>;
  api: apigw.HttpApi;
  queues: readonly { spec: QueueSpec; queue: sqs.IQueue; dlq: sqs.IQueue }[];
  /** The connectors this stack schedules (each gets a staleness alarm). */
  scheduled: readonly ScheduleEntry[];
  bus: events.IEventBus;
}

/** One address, `name@domain.tld`, no spaces: what an SNS email subscription can deliver to. */
const EMAIL = /^[^\s@,;<>]+@[^\s@,;<>]+\.[^\s@,;<>.]+$/;

/**
 * `-c alarmEmail` checked at synth: until 2026-12-03 any text synthesised, and was first looked at by SNS during
 * the deploy (not checked here how it fails then). The value is not repeated: it may be someone's address with a
 * typo.
 */
export function checkAlarmEmail(email: string | undefined): void {
  if (email === undefined || EMAIL.test(email)) return;
  throw new ConfigError('-c alarmEmail must be one email address (name@domain.org), which AWS mails a link to confirm; the value given is not one');
}

/** The alerts topic, which CloudWatch alarms (and rules on the ops bus) may publish to, and every alarm on it. */
export function addAlarms(scope: Construct, t: AlarmTargets): sns.Topic {
  const { names } = t;
  const stack = Stack.of(scope);
  const alerts = new sns.Topic(scope, 'Alerts', { topicName: names.alertsTopic });
  if (t.alarmEmail) alerts.addSubscription(new snsSubs.EmailSubscription(t.alarmEmail));
  // A topic policy replaces SNS's default one, so each publisher must be named: without the CloudWatch statement
  // every alarm's action fails with "not authorized to perform: SNS:Publish" (seen in the alarm's history only).
  // Each is held to this account and to this stack's alarms, or to rules on its ops bus (confused deputy).
  const publishers = [
    { sid: 'CloudWatchAlarms', service: 'cloudwatch', sourceArn: stack.formatArn({ service: 'cloudwatch', resource: 'alarm', resourceName: names.named('*'), arnFormat: ArnFormat.COLON_RESOURCE_NAME }) },
    { sid: 'OpsBusRules', service: 'events', sourceArn: stack.formatArn({ service: 'events', resource: 'rule', resourceName: `${t.bus.eventBusName}/*` }) },
  ];
  for (const p of publishers) {
    alerts.addToResourcePolicy(
      new iam.PolicyStatement({
        sid: p.sid,
        principals: [new iam.ServicePrincipal(`${p.service}.amazonaws.com`)],
        actions: ['sns:Publish'],
        resources: [alerts.topicArn],
        conditions: { StringEquals: { 'aws:SourceAccount': stack.account }, ArnLike: { 'aws:SourceArn': p.sourceArn } },
      }),
    );
  }
  const notify = (a: cloudwatch.Alarm) => a.addAlarmAction(new cwActions.SnsAction(alerts));
  const alarm = (metric: cloudwatch.Metric, id: string, name: string, p: Omit<cloudwatch.CreateAlarmOptions, 'alarmName'>) =>
    notify(metric.createAlarm(scope, id, { alarmName: names.named(name), treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING, ...p }));
  const over = cloudwatch.ComparisonOperator.GREATER_THAN_THRESHOLD;
  const atLeast = cloudwatch.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD;

  for (const { spec, queue, dlq } of t.queues) {
    alarm(dlq.metricApproximateNumberOfMessagesVisible({ period: Duration.minutes(5), statistic: 'Maximum' }), `DlqDepth-${spec.puddle}`, `dead-letters-${spec.puddle}`, {
      alarmDescription: `Messages in ${spec.deadLetterName}: they failed ${spec.maxReceiveCount} deliveries`,
      threshold: 0,
      comparisonOperator: over,
      evaluationPeriods: 1,
    });
    alarm(queue.metricApproximateAgeOfOldestMessage({ period: Duration.minutes(5), statistic: 'Maximum' }), `QueueAge-${spec.puddle}`, `queue-age-${spec.puddle}`, {
      alarmDescription: `A message on ${spec.name} is over ${QUEUE_AGE_ALARM_SECONDS} s old: the consumer is not landing it (see ${names.logGroup('consumer')})`,
      threshold: QUEUE_AGE_ALARM_SECONDS,
      comparisonOperator: over,
      evaluationPeriods: 1,
    });
  }

  for (const [name, fn] of t.functions) {
    const trigger = handlerSpec(name).trigger;
    const errors = trigger === 'schedule' ? (SCHEDULED_WITH_ALARM.has(name) ? SCHEDULED_ERROR_ALARM : null) : ERROR_ALARMS[trigger];
    const throttles = THROTTLE_THRESHOLD[trigger];
    // A function's two alarms differ only in the figure, its period and threshold, and what it says.
    const fnAlarms = [
      errors && {
        id: 'Errors',
        metric: fn.metricErrors({ period: Duration.minutes(errors.periodMinutes), statistic: 'Sum' }),
        threshold: errors.threshold,
        says: `failed ${errors.threshold} or more invocations in ${errors.periodMinutes} minutes (${names.logGroup(name)} says why): ${errors.why}`,
      },
      throttles !== undefined && {
        id: 'Throttles',
        metric: fn.metricThrottles({ period: Duration.minutes(5), statistic: 'Sum' }),
        threshold: throttles,
        says: `was throttled ${throttles} or more times in 5 minutes: the region's Lambda concurrency is spent (docs/aws.md, "Limits that bite first")`,
      },
    ];
    for (const a of fnAlarms) {
      if (!a) continue;
      alarm(a.metric, `${a.id}-${name}`, `function-${a.id.toLowerCase()}-${name}`, {
        alarmDescription: `${names.function(name)} ${a.says}`,
        threshold: a.threshold,
        comparisonOperator: atLeast,
        evaluationPeriods: 1,
      });
    }
  }

  alarm(t.api.metricServerError({ period: Duration.minutes(5), statistic: 'Sum' }), 'Api5xx', 'api-5xx', {
    alarmDescription: `The HTTP API answered ${API_5XX_THRESHOLD} or more 5xx in 5 minutes (producer 503s when SNS refuses, function failures, throttles)`,
    threshold: API_5XX_THRESHOLD,
    comparisonOperator: atLeast,
    evaluationPeriods: 1,
  });

  for (const entry of t.scheduled) {
    const staleAfter = entry.everySeconds * STALE_AFTER_INTERVALS;
    alarm(
      new cloudwatch.Metric({
        namespace: METRICS.namespace,
        metricName: METRICS.connectorLag,
        dimensionsMap: connectorLagDimensions(names.prefix, entry.connector),
        statistic: 'Maximum',
        // At least two runs a period: a run that lands just past a period's end must not leave it empty
        // (missing data counts as stale below).
        period: Duration.seconds(Math.max(300, 2 * entry.everySeconds)),
      }),
      `Stale-${entry.connector}`,
      `connector-stale-${entry.connector}`,
      {
        alarmDescription: `${entry.connector}'s stalest stream's data is more than ${staleAfter} s old (${STALE_AFTER_INTERVALS} schedule intervals): puddle status names the stream`,
        threshold: staleAfter,
        comparisonOperator: over,
        evaluationPeriods: 1,
        // No figure at all means the sync function is not running: that is stale too. A connector not used is
        // left out of the stack (-c connectors=...), so it has no alarm to stay red.
        treatMissingData: cloudwatch.TreatMissingData.BREACHING,
      },
    );
  }

  // Totals drift arrives as an ops event; the rule's match count drives the alarm. The rule has no target: the
  // alarm is the one notification per episode, and the drift check's log (named below) has each event's detail.
  // The rule is named, and the alarm's RuleName dimension is that name as written: CloudFormation's Ref of a rule
  // on a custom bus (what driftRule.ruleName was) need not be the bare name the metric carries, and a dimension
  // that matches no metric leaves the alarm in OK for ever (missing data is not breaching here).
  const driftRuleName = names.named('totals-drift');
  new events.Rule(scope, 'DriftRule', {
    ruleName: driftRuleName,
    eventBus: t.bus,
    eventPattern: { source: [EVENT_BUS.source], detailType: ['totals.drift'] },
  });
  alarm(
    new cloudwatch.Metric({
      namespace: 'AWS/Events',
      metricName: 'MatchedEvents',
      dimensionsMap: { RuleName: driftRuleName, EventBusName: t.bus.eventBusName },
      statistic: 'Sum',
      period: Duration.minutes(5),
    }),
    'TotalsDrift',
    'totals-drift',
    {
      alarmDescription: `The live totals differ from the SQL view totals_by_box (which boxes: ${names.logGroup('totals-drift')}); clears 30 minutes after the last drift reported`,
      threshold: 0,
      comparisonOperator: over,
      evaluationPeriods: DRIFT_WINDOW_PERIODS,
      datapointsToAlarm: 1,
    },
  );
  return alerts;
}
