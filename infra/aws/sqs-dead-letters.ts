// The AWS shape's dead letters (each puddle's `<prefix><puddle>-dlq`), listed and sent back by
// `puddle dead-letters` as it does the embedded queue's. SQS's own redrive (StartMessageMoveTask) is what to use
// on AWS; fauxqs has no such action, so sending back here is receive, send to the puddle's queue, delete: a
// crash between the send and the delete leaves a message in both, and landing is idempotent, so the copy that
// lands twice counts once.
import {
  ChangeMessageVisibilityBatchCommand,
  DeleteMessageBatchCommand,
  GetQueueUrlCommand,
  ReceiveMessageCommand,
  SendMessageBatchCommand,
  type Message,
  type MessageAttributeValue,
  type SQSClient,
} from '@aws-sdk/client-sqs';

import type { DeadLetterSummary } from '../local/sqlite-dead-letters.js';
import { queueNames } from './shape.js';
import { QUEUE_ATTRIBUTES } from './sns-sqs-queue.js';

/** SQS hands out and takes at most 10 messages a call. */
const SQS_MAX = 10;
/** Seconds a listed message stays hidden while the listing pages on; shown again at the end. */
const LISTING_VISIBILITY_S = 30;
/** Why a message is in a DLQ when the queue adapter did not say (SQS's redrive policy moved it). */
const REDRIVE_POLICY_REASON = 'received maxAttempts times without being acked (consumer failed or timed out)';
/** Attributes that describe the death, not the message: left behind when it goes back. */
const DEATH_ATTRIBUTES: ReadonlySet<string> = new Set([QUEUE_ATTRIBUTES.reason, QUEUE_ATTRIBUTES.attempts, QUEUE_ATTRIBUTES.failedAt]);

async function urlOf(sqs: SQSClient, name: string): Promise<string> {
  return (await sqs.send(new GetQueueUrlCommand({ QueueName: name }))).QueueUrl!;
}

function receive(sqs: SQSClient, url: string, visibility: number) {
  return sqs.send(
    new ReceiveMessageCommand({
      QueueUrl: url,
      MaxNumberOfMessages: SQS_MAX,
      VisibilityTimeout: visibility,
      // Long polling: a short poll (0) asks only a sample of SQS's servers, so on a queue of a few messages it
      // can come back empty while messages wait, and the listing or redrive would stop early saying none are
      // left. A wait of 1 s asks them all and answers as soon as one has messages; an empty DLQ costs 1 s.
      WaitTimeSeconds: 1,
      MessageAttributeNames: ['All'],
      MessageSystemAttributeNames: ['SentTimestamp'],
    }),
  );
}

/**
 * Per puddle with dead letters: how many, since when and why. Reads no body. SQS has no peek: each message is
 * hidden while the listing pages, then shown again at once.
 */
export async function summarizeSqsDeadLetters(sqs: SQSClient, prefix: string, puddles: readonly string[]): Promise<DeadLetterSummary[]> {
  const out: DeadLetterSummary[] = [];
  for (const puddle of puddles) {
    const url = await urlOf(sqs, queueNames(prefix, puddle).dlq);
    const seen = new Map<string, Message>();
    try {
      for (;;) {
        const fresh = ((await receive(sqs, url, LISTING_VISIBILITY_S)).Messages ?? []).filter((m) => !seen.has(m.MessageId ?? ''));
        if (fresh.length === 0) break;
        for (const m of fresh) seen.set(m.MessageId ?? '', m);
      }
    } finally {
      const handles = [...seen.values()].map((m) => m.ReceiptHandle!);
      for (let i = 0; i < handles.length; i += SQS_MAX) {
        const entries = handles.slice(i, i + SQS_MAX).map((h, j) => ({ Id: String(j), ReceiptHandle: h, VisibilityTimeout: 0 }));
        await sqs.send(new ChangeMessageVisibilityBatchCommand({ QueueUrl: url, Entries: entries }));
      }
    }
    if (seen.size === 0) continue;
    const reasons = new Map<string, number>();
    const times: string[] = [];
    for (const m of seen.values()) {
      const reason = m.MessageAttributes?.[QUEUE_ATTRIBUTES.reason]?.StringValue ?? REDRIVE_POLICY_REASON;
      reasons.set(reason, (reasons.get(reason) ?? 0) + 1);
      times.push(m.MessageAttributes?.[QUEUE_ATTRIBUTES.failedAt]?.StringValue ?? new Date(Number(m.Attributes?.SentTimestamp ?? Date.now())).toISOString());
    }
    times.sort();
    out.push({
      puddle,
      count: seen.size,
      oldest: times[0]!,
      newest: times[times.length - 1]!,
      reasons: [...reasons].map(([reason, count]) => ({ reason, count })).sort((a, b) => b.count - a.count || a.reason.localeCompare(b.reason)),
    });
  }
  return out;
}

/** Send every dead letter of these puddles back to its puddle's queue, with its attributes but not its death's. */
export async function redriveSqsDeadLetters(sqs: SQSClient, prefix: string, puddles: readonly string[]): Promise<Record<string, number>> {
  const moved: Record<string, number> = {};
  for (const puddle of puddles) {
    const names = queueNames(prefix, puddle);
    const [queue, dlq] = [await urlOf(sqs, names.queue), await urlOf(sqs, names.dlq)];
    let n = 0;
    for (;;) {
      const got = (await receive(sqs, dlq, 60)).Messages ?? [];
      if (got.length === 0) break;
      const sent = await sqs.send(
        new SendMessageBatchCommand({
          QueueUrl: queue,
          Entries: got.map((m, i) => ({ Id: String(i), MessageBody: m.Body ?? '', MessageAttributes: keptAttributes(m) })),
        }),
      );
      // Only what reached the queue leaves the DLQ; the rest stays for the next redrive.
      const ok = new Set((sent.Successful ?? []).map((s) => s.Id));
      const entries = got.filter((_, i) => ok.has(String(i))).map((m, i) => ({ Id: String(i), ReceiptHandle: m.ReceiptHandle! }));
      if (entries.length) await sqs.send(new DeleteMessageBatchCommand({ QueueUrl: dlq, Entries: entries }));
      n += entries.length;
      if (entries.length < got.length) throw new Error(`${names.queue} refused ${got.length - entries.length} of the dead letters sent back (they stay in ${names.dlq})`);
    }
    if (n) moved[puddle] = n;
  }
  return moved;
}

function keptAttributes(m: Message): Record<string, MessageAttributeValue> {
  const out: Record<string, MessageAttributeValue> = {};
  for (const [name, a] of Object.entries(m.MessageAttributes ?? {})) {
    if (!DEATH_ATTRIBUTES.has(name)) out[name] = { DataType: a.DataType, StringValue: a.StringValue, BinaryValue: a.BinaryValue };
  }
  return out;
}
