// Which SQS queue (and dead-letter queue) serves each subscription, found by name and, when asked to
// provision, created together with the topic subscription that feeds it, from shape.ts queueSpec: the same
// description the CDK stack deploys (names, retention, visibility timeout, redrive, filter policy).
import {
  ListSubscriptionsByTopicCommand,
  SetSubscriptionAttributesCommand,
  SubscribeCommand,
  type SNSClient,
} from '@aws-sdk/client-sns';
import {
  CreateQueueCommand,
  GetQueueAttributesCommand,
  GetQueueUrlCommand,
  SetQueueAttributesCommand,
  type SQSClient,
} from '@aws-sdk/client-sqs';

import { ConfigError, FatalError } from '../../core/errors.js';
import type { Subscription } from '../../core/ports.js';
import { awsCall, errorCode } from './aws-errors.js';
import { queueNames, queueSpec } from './shape.js';

export { queueNames };

export interface SubscriptionQueues {
  url: string;
  dlqUrl: string;
  /** The redrive policy's maxReceiveCount. */
  maxAttempts: number;
}

export interface SqsSubscriptionsOptions {
  sns: SNSClient;
  sqs: SQSClient;
  topicArn: string;
  queuePrefix: string;
  provision: boolean;
  defaultMaxAttempts: number;
}

export class SqsSubscriptions {
  readonly #opts: SqsSubscriptionsOptions;
  readonly #known = new Map<string, Promise<SubscriptionQueues>>();

  constructor(opts: SqsSubscriptionsOptions) {
    this.#opts = opts;
  }

  /** subscribe(): provision (or update) it, or check that the deployed stack has it. */
  async declare(sub: Subscription): Promise<void> {
    if (!this.#opts.provision) {
      await this.resolve(sub.name);
      return;
    }
    const made = this.#provision(sub);
    this.#known.set(sub.name, made);
    made.catch(() => this.#known.delete(sub.name));
    await made;
  }

  /** The queues of a subscription, looked up once per process. */
  resolve(name: string): Promise<SubscriptionQueues> {
    let found = this.#known.get(name);
    if (!found) {
      found = this.#lookUp(name);
      this.#known.set(name, found);
      found.catch(() => this.#known.delete(name));
    }
    return found;
  }

  async #lookUp(name: string): Promise<SubscriptionQueues> {
    const { sqs } = this.#opts;
    const names = queueNames(this.#opts.queuePrefix, name);
    let url: string;
    try {
      url = (await sqs.send(new GetQueueUrlCommand({ QueueName: names.queue }))).QueueUrl ?? '';
    } catch (err) {
      if (errorCode(err).includes('NonExistentQueue') || errorCode(err) === 'QueueDoesNotExist') {
        throw new ConfigError(`unknown subscription ${name}: no SQS queue named ${names.queue}`, { cause: err });
      }
      throw err;
    }
    const attrs = await awsCall('SQS', 'GetQueueAttributes', () =>
      sqs.send(new GetQueueAttributesCommand({ QueueUrl: url, AttributeNames: ['RedrivePolicy'] })),
    );
    const redrive = attrs.Attributes?.RedrivePolicy;
    if (!redrive) throw new ConfigError(`SQS queue ${names.queue} has no redrive policy (dead-letter queue)`);
    const policy = JSON.parse(redrive) as { deadLetterTargetArn: string; maxReceiveCount: string | number };
    const dlqName = policy.deadLetterTargetArn.split(':').pop()!;
    const dlqUrl = await awsCall('SQS', 'GetQueueUrl', () => sqs.send(new GetQueueUrlCommand({ QueueName: dlqName })));
    return { url, dlqUrl: dlqUrl.QueueUrl ?? '', maxAttempts: Number(policy.maxReceiveCount) };
  }

  async #provision(sub: Subscription): Promise<SubscriptionQueues> {
    const { sqs, sns, topicArn } = this.#opts;
    const spec = queueSpec(sub, this.#opts.queuePrefix, this.#opts.defaultMaxAttempts);
    const maxAttempts = spec.maxReceiveCount;
    if (!Number.isInteger(maxAttempts) || maxAttempts < 1 || maxAttempts > 1000) {
      throw new FatalError(`subscription ${sub.name}: maxAttempts must be an integer from 1 to 1000 (SQS maxReceiveCount)`);
    }
    const dlqUrl = await this.#createQueue(spec.deadLetterName, { MessageRetentionPeriod: String(spec.deadLetterRetentionSeconds) });
    const dlqArn = await this.#queueArn(dlqUrl);
    const url = await this.#createQueue(spec.name, {
      MessageRetentionPeriod: String(spec.retentionSeconds),
      VisibilityTimeout: String(spec.visibilityTimeoutSeconds),
    });
    const queueArn = await this.#queueArn(url);
    await awsCall('SQS', 'SetQueueAttributes', () =>
      sqs.send(
        new SetQueueAttributesCommand({
          QueueUrl: url,
          Attributes: {
            RedrivePolicy: JSON.stringify({ deadLetterTargetArn: dlqArn, maxReceiveCount: maxAttempts }),
            // On AWS the topic may only deliver to a queue whose policy lets it.
            Policy: JSON.stringify({
              Version: '2012-10-17',
              Statement: [
                {
                  Effect: 'Allow',
                  Principal: { Service: 'sns.amazonaws.com' },
                  Action: 'sqs:SendMessage',
                  Resource: queueArn,
                  Condition: { ArnEquals: { 'aws:SourceArn': topicArn } },
                },
              ],
            }),
          },
        }),
      ),
    );

    // The SNS filter policy that sends a subscription its contracts; none for one that takes all.
    const policy = spec.filterPolicy ? JSON.stringify(spec.filterPolicy) : null;
    const existing = await this.#subscriptionFor(queueArn);
    if (existing) {
      // Updating it applies to later publishes only, as the port says; an empty policy means "everything".
      await awsCall('SNS', 'SetSubscriptionAttributes', () =>
        sns.send(new SetSubscriptionAttributesCommand({ SubscriptionArn: existing, AttributeName: 'FilterPolicy', AttributeValue: policy ?? '{}' })),
      );
    } else {
      await awsCall('SNS', 'Subscribe', () =>
        sns.send(
          new SubscribeCommand({
            TopicArn: topicArn,
            Protocol: 'sqs',
            Endpoint: queueArn,
            ReturnSubscriptionArn: true,
            Attributes: { RawMessageDelivery: 'true', ...(policy ? { FilterPolicy: policy } : {}) },
          }),
        ),
      );
    }
    return { url, dlqUrl, maxAttempts };
  }

  async #createQueue(name: string, attributes: Record<string, string>): Promise<string> {
    const out = await awsCall('SQS', 'CreateQueue', () => this.#opts.sqs.send(new CreateQueueCommand({ QueueName: name, Attributes: attributes })));
    if (!out.QueueUrl) throw new FatalError(`SQS CreateQueue returned no URL for ${name}`);
    return out.QueueUrl;
  }

  async #queueArn(url: string): Promise<string> {
    const out = await awsCall('SQS', 'GetQueueAttributes', () =>
      this.#opts.sqs.send(new GetQueueAttributesCommand({ QueueUrl: url, AttributeNames: ['QueueArn'] })),
    );
    const arn = out.Attributes?.QueueArn;
    if (!arn) throw new FatalError('SQS GetQueueAttributes returned no QueueArn');
    return arn;
  }

  async #subscriptionFor(queueArn: string): Promise<string | undefined> {
    let token: string | undefined;
    do {
      const page = await awsCall('SNS', 'ListSubscriptionsByTopic', () =>
        this.#opts.sns.send(new ListSubscriptionsByTopicCommand({ TopicArn: this.#opts.topicArn, NextToken: token })),
      );
      const hit = (page.Subscriptions ?? []).find((s) => s.Endpoint === queueArn && s.SubscriptionArn && s.SubscriptionArn !== 'PendingConfirmation');
      if (hit) return hit.SubscriptionArn;
      token = page.NextToken;
    } while (token);
    return undefined;
  }
}
