// Queue on SNS + SQS (the AWS shape): one topic; one SQS queue per subscription (puddle), subscribed to the
// topic with raw message delivery and a filter policy on the `contract` message attribute; each queue has a
// dead-letter queue reached through its redrive policy (maxReceiveCount = the subscription's maxAttempts).
import { randomUUID } from 'node:crypto';
import { PublishBatchCommand, type PublishBatchRequestEntry, type SNSClient } from '@aws-sdk/client-sns';
import {
  ChangeMessageVisibilityBatchCommand,
  DeleteMessageBatchCommand,
  GetQueueAttributesCommand,
  ReceiveMessageCommand,
  SendMessageCommand,
  type Message,
  type MessageAttributeValue,
  type SQSClient,
} from '@aws-sdk/client-sqs';

import { checkEnvelopeTexts, parseEnvelopeWithoutRaw, splitEnvelopeTexts, type Envelope, type EnvelopeTexts } from '../../core/envelope.js';
import { FatalError, PuddleError, RetriableError } from '../../core/errors.js';
import type { ClaimOptions, ClaimedMessage, DeadLetter, ObjectStore, Queue, Subscription } from '../../core/ports.js';
import { DEFAULT_MAX_ATTEMPTS } from '../../puddles/definitions.js';
import { awsCall } from './aws-errors.js';
import { BUCKET_PREFIXES, overflowExpiryDays, TOPIC } from './shape.js';
import { SqsSubscriptions, type SubscriptionQueues } from './sqs-subscriptions.js';

/**
 * SNS refuses a message over 256 KiB, counting the body and every attribute's name, type and value (SQS
 * takes 1 MiB since 2025, but everything here enters through SNS). A PublishBatch is capped at the same
 * total across its entries, and at 10 entries.
 */
export const SNS_MAX_MESSAGE_BYTES = 256 * 1024;
const SNS_BATCH_ENTRIES = 10;
const SQS_RECEIVE_MAX = 10;
const SQS_MAX_VISIBILITY_S = 43_200;
/** Attempts a failed PublishBatch entry gets before publish() gives up (the whole call is then retriable). */
const PUBLISH_ENTRY_ATTEMPTS = 3;
const PUBLISH_CONCURRENCY = 10;

/** Message attributes this adapter sets; `contract` is what the subscriptions' filter policies match. */
export const QUEUE_ATTRIBUTES = {
  /** What the subscriptions' filter policies match (shape.ts TOPIC). */
  contract: TOPIC.contractAttribute,
  /** Where an envelope too big for SNS was put in the overflow store; the message body is then a pointer. */
  overflow: 'overflow_key',
  /** Set on messages this adapter dead-letters itself (retry() on the last attempt). */
  reason: 'dead_reason',
  attempts: 'dead_attempts',
  failedAt: 'dead_failed_at',
} as const;
const ATTR = QUEUE_ATTRIBUTES;

/**
 * A queued message's envelope text: the body itself, or for an envelope that was too big for SNS, the
 * object its `overflow_key` attribute names. Shared with the consumer function, which gets SQS records.
 */
export async function queuedText(body: string, overflowKey: string | undefined, overflow: ObjectStore): Promise<string> {
  if (overflowKey === undefined) return body;
  const bytes = await overflow.get(overflowKey);
  if (bytes === null) {
    throw new FatalError(
      `the body of this message (${overflowKey}) is gone: S3 deletes an envelope too big for SNS ${overflowExpiryDays()} days after it was put, and a redrive starts the message's retention again. It cannot be landed from the queue; the raw trail holds the envelope if the raw puddle landed it (replay from there)`,
    );
  }
  return new TextDecoder().decode(bytes);
}

export interface SnsSqsQueueOptions {
  sns: SNSClient;
  sqs: SQSClient;
  topicArn: string;
  /** Queue names are `<queuePrefix><subscription>`, their DLQs `<queuePrefix><subscription>-dlq`. */
  queuePrefix: string;
  /**
   * With true, subscribe() creates or updates the queue, its DLQ and the topic subscription (tests, `puddle aws
   * local`). With false (deployed: the CDK app made them), subscribe() only checks the queue exists, so the
   * functions need no rights to change queues or subscriptions.
   */
  provision: boolean;
  /** Where envelopes too big for SNS go (the lake's bucket), under `overflowPrefix`. */
  overflow: ObjectStore;
  overflowPrefix?: string;
  /** Attempts for a subscription that does not say (default 5, as the embedded queue). */
  defaultMaxAttempts?: number;
}

interface Held {
  body: string;
  attempts: number;
  overflowKey: string | undefined;
  /** When its visibility ends: after that the receipt is stale and the entry only takes memory. */
  until: number;
}

/** Held entries are swept of stale ones once there are this many (claims never settled, e.g. a crash test). */
const HELD_SWEEP_AT = 10_000;

/**
 * What SQS cannot do that the port asks (the suite declares these, see test/ports/sns-sqs-queue.test.ts):
 * - standard queues do not keep publish order, and short-polled receives may miss messages that wait;
 * - `depth` is ApproximateNumberOfMessages (+NotVisible, +Delayed), eventually consistent on AWS;
 * - visibility and retry delays have whole-second granularity;
 * - a receipt handle from an earlier receive may still delete the message on AWS ("the request succeeds,
 *   but the message might not be deleted"); landing is idempotent, so a late ack costs nothing but the
 *   at-least-once guarantee of that one message, which its other deliveries (raw) still hold.
 */
export class SnsSqsQueue implements Queue {
  readonly #sns: SNSClient;
  readonly #sqs: SQSClient;
  readonly #topicArn: string;
  readonly #overflow: ObjectStore;
  readonly #overflowPrefix: string;
  readonly #subs: SqsSubscriptions;
  /** Messages this process claimed and has not settled: retry() needs the body to dead-letter with a reason. */
  readonly #held = new Map<string, Held>();
  #closed = false;

  constructor(opts: SnsSqsQueueOptions) {
    this.#sns = opts.sns;
    this.#sqs = opts.sqs;
    this.#topicArn = opts.topicArn;
    this.#overflow = opts.overflow;
    this.#overflowPrefix = opts.overflowPrefix ?? BUCKET_PREFIXES.queueOverflow;
    this.#subs = new SqsSubscriptions({
      sns: opts.sns,
      sqs: opts.sqs,
      topicArn: opts.topicArn,
      queuePrefix: opts.queuePrefix,
      provision: opts.provision,
      defaultMaxAttempts: opts.defaultMaxAttempts ?? DEFAULT_MAX_ATTEMPTS,
    });
  }

  async subscribe(sub: Subscription): Promise<void> {
    this.#assertOpen();
    await this.#subs.declare(sub);
  }

  async publish(envelopes: readonly Envelope[], texts?: EnvelopeTexts): Promise<void> {
    this.#assertOpen();
    checkEnvelopeTexts(envelopes, texts);
    const bodies = texts ? splitEnvelopeTexts(texts) : null;
    const entries: PublishBatchRequestEntry[] = [];
    const sizes: number[] = [];
    for (const [i, env] of envelopes.entries()) {
      const body = bodies?.[i] ?? JSON.stringify(env);
      const attributes: Record<string, { DataType: string; StringValue: string }> = {
        [ATTR.contract]: { DataType: 'String', StringValue: env.contract },
      };
      let message = body;
      if (messageBytes(body, attributes) > SNS_MAX_MESSAGE_BYTES) {
        // Too big for SNS: the body goes to the object store, the message carries where (the claim reads it back).
        // Overflow objects are shared by every subscription, so none deletes them: a lifecycle rule on the
        // prefix expires them after the queues' retention.
        const key = `${this.#overflowPrefix}${env.id}-${randomUUID()}.json`;
        await this.#overflow.put(key, body);
        attributes[ATTR.overflow] = { DataType: 'String', StringValue: key };
        message = JSON.stringify({ overflow: key, id: env.id, contract: env.contract });
      }
      entries.push({ Id: String(i), Message: message, MessageAttributes: attributes });
      sizes.push(messageBytes(message, attributes));
    }
    // A producer request of 1000 events is 100 calls: a few at a time, so one request cannot take every socket.
    const batches = batchesOf(entries, sizes);
    for (let i = 0; i < batches.length; i += PUBLISH_CONCURRENCY) {
      await Promise.all(batches.slice(i, i + PUBLISH_CONCURRENCY).map((batch) => this.#publishBatch(batch)));
    }
  }

  async claim(subscription: string, opts: ClaimOptions): Promise<ClaimedMessage[]> {
    this.#assertOpen();
    const q = await this.#subs.resolve(subscription);
    const out: ClaimedMessage[] = [];
    const visibility = seconds(opts.visibilityMs);
    if (this.#held.size >= HELD_SWEEP_AT) {
      const now = Date.now();
      for (const [receipt, held] of this.#held) if (held.until < now) this.#held.delete(receipt);
    }
    while (out.length < opts.max) {
      const got = await awsCall('SQS', 'ReceiveMessage', () =>
        this.#sqs.send(
          new ReceiveMessageCommand({
            QueueUrl: q.url,
            MaxNumberOfMessages: Math.min(SQS_RECEIVE_MAX, opts.max - out.length),
            VisibilityTimeout: visibility,
            WaitTimeSeconds: 0,
            MessageAttributeNames: ['All'],
            MessageSystemAttributeNames: ['ApproximateReceiveCount'],
          }),
        ),
      );
      const messages = got.Messages ?? [];
      for (const m of messages) out.push(await this.#toClaimed(m, opts, visibility));
      if (messages.length === 0) break;
    }
    return out;
  }

  async ack(subscription: string, receipts: readonly string[]): Promise<void> {
    this.#assertOpen();
    const q = await this.#subs.resolve(subscription);
    const valid = receipts.filter((r) => r !== '');
    for (let i = 0; i < valid.length; i += SQS_RECEIVE_MAX) {
      const chunk = valid.slice(i, i + SQS_RECEIVE_MAX);
      const out = await awsCall('SQS', 'DeleteMessageBatch', () =>
        this.#sqs.send(new DeleteMessageBatchCommand({ QueueUrl: q.url, Entries: chunk.map((r, j) => ({ Id: String(j), ReceiptHandle: r })) })),
      );
      throwUnlessStale('DeleteMessageBatch', out.Failed);
      for (const r of chunk) this.#held.delete(r);
    }
  }

  /** ChangeMessageVisibility from now, as SQS defines it (its 12-hour cap counts from the first receive). */
  async extend(subscription: string, receipts: readonly string[], visibilityMs: number): Promise<void> {
    this.#assertOpen();
    const q = await this.#subs.resolve(subscription);
    const visibility = seconds(visibilityMs);
    await this.#changeVisibility(q.url, receipts.filter((r) => r !== ''), visibility, (r) => {
      const held = this.#held.get(r);
      if (held) held.until = Date.now() + visibility * 1000;
    });
  }

  /** ChangeMessageVisibilityBatch in chunks of SQS's maximum; `done` runs for each receipt of a chunk that went through. */
  async #changeVisibility(url: string, receipts: readonly string[], visibility: number, done: (receipt: string) => void): Promise<void> {
    for (let i = 0; i < receipts.length; i += SQS_RECEIVE_MAX) {
      const chunk = receipts.slice(i, i + SQS_RECEIVE_MAX);
      const out = await awsCall('SQS', 'ChangeMessageVisibilityBatch', () =>
        this.#sqs.send(
          new ChangeMessageVisibilityBatchCommand({
            QueueUrl: url,
            Entries: chunk.map((r, j) => ({ Id: String(j), ReceiptHandle: r, VisibilityTimeout: visibility })),
          }),
        ),
      );
      throwUnlessStale('ChangeMessageVisibilityBatch', out.Failed);
      for (const r of chunk) done(r);
    }
  }

  async retry(subscription: string, receipts: readonly string[], opts: { reason: string; delayMs?: number }): Promise<void> {
    this.#assertOpen();
    const q = await this.#subs.resolve(subscription);
    const later: string[] = [];
    for (const r of receipts) {
      if (r === '') continue;
      const held = this.#held.get(r);
      // On its last attempt, dead-letter it here, with the reason (SQS's own redrive would move it on the
      // next receive, but without one). A receipt this process did not claim is left to that redrive.
      if (held && held.attempts >= q.maxAttempts) await this.#deadLetter(q, r, held, opts.reason);
      else later.push(r);
    }
    await this.#changeVisibility(q.url, later, seconds(opts.delayMs ?? 0), (r) => this.#held.delete(r));
  }

  /**
   * Reads the DLQ without consuming it: each message received is made visible again at once. SQS has no
   * peek, so a reader racing this one may see fewer; the DLQ is for people and alarms, not for flow.
   */
  async deadLetters(subscription: string, limit = 100): Promise<DeadLetter[]> {
    this.#assertOpen();
    const q = await this.#subs.resolve(subscription);
    const out: DeadLetter[] = [];
    const seen = new Set<string>();
    const receipts: string[] = [];
    try {
      while (out.length < limit) {
        const got = await awsCall('SQS', 'ReceiveMessage', () =>
          this.#sqs.send(
            new ReceiveMessageCommand({
              QueueUrl: q.dlqUrl,
              MaxNumberOfMessages: Math.min(SQS_RECEIVE_MAX, limit - out.length),
              // Hidden while we page, so the next receive moves on; shown again below.
              VisibilityTimeout: 30,
              WaitTimeSeconds: 0,
              MessageAttributeNames: ['All'],
              MessageSystemAttributeNames: ['ApproximateReceiveCount', 'SentTimestamp'],
            }),
          ),
        );
        const messages = (got.Messages ?? []).filter((m) => !seen.has(m.MessageId ?? ''));
        if (messages.length === 0) break;
        for (const m of messages) {
          seen.add(m.MessageId ?? '');
          if (m.ReceiptHandle) receipts.push(m.ReceiptHandle);
          const attrs = m.MessageAttributes ?? {};
          const { envelope } = await this.#readBody(m, false);
          const attempts = Number(attrs[ATTR.attempts]?.StringValue ?? q.maxAttempts);
          out.push({
            envelope,
            attempts,
            reason: attrs[ATTR.reason]?.StringValue ?? 'received maxAttempts times without being acked (consumer failed or timed out)',
            failed_at: attrs[ATTR.failedAt]?.StringValue ?? new Date(Number(m.Attributes?.SentTimestamp ?? Date.now())).toISOString(),
          });
        }
      }
    } finally {
      for (let i = 0; i < receipts.length; i += SQS_RECEIVE_MAX) {
        const chunk = receipts.slice(i, i + SQS_RECEIVE_MAX);
        await this.#sqs
          .send(
            new ChangeMessageVisibilityBatchCommand({
              QueueUrl: q.dlqUrl,
              Entries: chunk.map((r, j) => ({ Id: String(j), ReceiptHandle: r, VisibilityTimeout: 0 })),
            }),
          )
          .catch(() => undefined); // they come back after 30 s anyway
      }
    }
    return out;
  }

  async depth(subscription: string): Promise<number> {
    this.#assertOpen();
    const q = await this.#subs.resolve(subscription);
    const out = await awsCall('SQS', 'GetQueueAttributes', () =>
      this.#sqs.send(
        new GetQueueAttributesCommand({
          QueueUrl: q.url,
          AttributeNames: ['ApproximateNumberOfMessages', 'ApproximateNumberOfMessagesNotVisible', 'ApproximateNumberOfMessagesDelayed'],
        }),
      ),
    );
    const a = out.Attributes ?? {};
    return (
      Number(a.ApproximateNumberOfMessages ?? 0) + Number(a.ApproximateNumberOfMessagesNotVisible ?? 0) + Number(a.ApproximateNumberOfMessagesDelayed ?? 0)
    );
  }

  async close(): Promise<void> {
    // The clients belong to the runtime that made them; messages in hand come back after their timeout.
    this.#closed = true;
    this.#held.clear();
  }

  // ------------------------------------------------------------------ internals

  async #publishBatch(entries: PublishBatchRequestEntry[]): Promise<void> {
    let pending = entries;
    for (let attempt = 1; ; attempt++) {
      const out = await awsCall('SNS', 'PublishBatch', () =>
        this.#sns.send(new PublishBatchCommand({ TopicArn: this.#topicArn, PublishBatchRequestEntries: pending })),
      );
      const failed = out.Failed ?? [];
      if (failed.length === 0) return;
      const fault = failed.find((f) => f.SenderFault);
      if (fault) throw new FatalError(`SNS PublishBatch refused an entry: ${fault.Code ?? 'unknown code'}`);
      if (attempt >= PUBLISH_ENTRY_ATTEMPTS) {
        throw new RetriableError(`SNS PublishBatch failed for ${failed.length} entries: ${failed[0]!.Code ?? 'unknown code'}`);
      }
      const ids = new Set(failed.map((f) => f.Id));
      pending = pending.filter((e) => ids.has(e.Id));
    }
  }

  async #toClaimed(m: Message, opts: ClaimOptions, visibilityS: number): Promise<ClaimedMessage> {
    if (!m.ReceiptHandle) throw new PuddleError('SQS ReceiveMessage returned a message without a receipt handle');
    const { envelope, body, overflowKey } = await this.#readBody(m, opts.withoutRaw ?? false);
    const attempts = Number(m.Attributes?.ApproximateReceiveCount ?? 1);
    this.#held.set(m.ReceiptHandle, { body, attempts, overflowKey, until: Date.now() + visibilityS * 1000 });
    return { receipt: m.ReceiptHandle, envelope, attempts, ...(opts.withBody ? { body } : {}) };
  }

  /** The envelope's JSON text, from the message or, for an overflow pointer, from the object store. */
  async #readBody(m: Message, withoutRaw: boolean): Promise<{ envelope: Envelope; body: string; overflowKey: string | undefined }> {
    const overflowKey = m.MessageAttributes?.[ATTR.overflow]?.StringValue;
    const body = await queuedText(m.Body ?? '', overflowKey, this.#overflow);
    let envelope: Envelope;
    try {
      envelope = withoutRaw ? parseEnvelopeWithoutRaw(body) : (JSON.parse(body) as Envelope);
    } catch (err) {
      throw new FatalError(`SQS message ${m.MessageId ?? '?'} is not an envelope (invalid JSON)`, { cause: err });
    }
    return { envelope, body, overflowKey };
  }

  async #deadLetter(q: SubscriptionQueues, receipt: string, held: Held, reason: string): Promise<void> {
    const attributes: Record<string, MessageAttributeValue> = {
      [ATTR.reason]: { DataType: 'String', StringValue: reason.slice(0, 1000) || 'no reason given' },
      [ATTR.attempts]: { DataType: 'Number', StringValue: String(held.attempts) },
      [ATTR.failedAt]: { DataType: 'String', StringValue: new Date().toISOString() },
    };
    let body = held.body;
    if (held.overflowKey !== undefined) {
      attributes[ATTR.overflow] = { DataType: 'String', StringValue: held.overflowKey };
      body = JSON.stringify({ overflow: held.overflowKey });
    }
    // Sent first, then deleted: a crash between leaves it in both, which redrive then settles (at least once).
    await awsCall('SQS', 'SendMessage', () => this.#sqs.send(new SendMessageCommand({ QueueUrl: q.dlqUrl, MessageBody: body, MessageAttributes: attributes })));
    const out = await awsCall('SQS', 'DeleteMessageBatch', () =>
      this.#sqs.send(new DeleteMessageBatchCommand({ QueueUrl: q.url, Entries: [{ Id: '0', ReceiptHandle: receipt }] })),
    );
    throwUnlessStale('DeleteMessageBatch', out.Failed);
    this.#held.delete(receipt);
  }

  #assertOpen(): void {
    if (this.#closed) throw new PuddleError('queue is closed');
  }
}

/** Codes SQS gives a receipt that is garbage, expired, or no longer the message's latest: nothing to do. */
const STALE_RECEIPT = new Set(['ReceiptHandleIsInvalid', 'InvalidParameterValue', 'MessageNotInflight', 'InvalidReceiptHandle']);

function throwUnlessStale(op: string, failed: readonly { Code?: string; SenderFault?: boolean }[] | undefined): void {
  const real = (failed ?? []).find((f) => !STALE_RECEIPT.has(f.Code ?? ''));
  if (real) {
    const message = `SQS ${op} failed: ${real.Code ?? 'unknown code'}`;
    throw real.SenderFault ? new FatalError(message) : new RetriableError(message);
  }
}

function seconds(ms: number): number {
  return Math.min(SQS_MAX_VISIBILITY_S, Math.max(0, Math.ceil(ms / 1000)));
}

/** What SNS counts toward its limit: the body plus each attribute's name, data type and value, in UTF-8. */
export function messageBytes(body: string, attributes: Record<string, { DataType: string; StringValue: string }>): number {
  let n = Buffer.byteLength(body);
  for (const [name, a] of Object.entries(attributes)) n += Buffer.byteLength(name) + Buffer.byteLength(a.DataType) + Buffer.byteLength(a.StringValue);
  return n;
}

/** Entries grouped for PublishBatch: at most 10 a batch and SNS_MAX_MESSAGE_BYTES in total, in order. */
function batchesOf(entries: PublishBatchRequestEntry[], sizes: number[]): PublishBatchRequestEntry[][] {
  const out: PublishBatchRequestEntry[][] = [];
  let batch: PublishBatchRequestEntry[] = [];
  let bytes = 0;
  for (const [i, e] of entries.entries()) {
    if (batch.length === SNS_BATCH_ENTRIES || (batch.length > 0 && bytes + sizes[i]! > SNS_MAX_MESSAGE_BYTES)) {
      out.push(batch);
      batch = [];
      bytes = 0;
    }
    batch.push(e);
    bytes += sizes[i]!;
  }
  if (batch.length) out.push(batch);
  return out;
}
