// A puddle consumer as a Lambda on its puddle's SQS queue (event source mapping with
// reportBatchItemFailures). Each record is read through Powertools' BatchProcessor (a record that is not an
// envelope fails alone); the batch is then landed as one, by the embedded consumer's own code
// (PuddleConsumer.landOnce over the records), so landing, quarantine and listeners are not written twice.
// What landed is acked (left out of batchItemFailures, so Lambda deletes it); what failed is reported
// and SQS offers it again after the visibility timeout, until the redrive policy dead-letters it. A record
// reported failed on its last receive (ApproximateReceiveCount at the queue's maxReceiveCount) is going to the
// DLQ now: that is told as a `dead_letter` ops event (EventBridge when deployed), as the embedded consumer does.
// Every earlier failed receive of an unreadable record is logged too (rate-limited), so on-call sees it on the
// first attempt rather than five visibility timeouts (about 30 minutes) later.
import { BatchProcessor, EventType, processPartialResponse } from '@aws-lambda-powertools/batch';
import type { Context, SQSBatchItemFailure, SQSBatchResponse, SQSEvent, SQSRecord } from 'aws-lambda';

import { parseEnvelopeWithoutRaw, type Envelope } from '../../../core/envelope.js';
import { ConfigError, FatalError } from '../../../core/errors.js';
import { errorReason } from '../../../core/error-reason.js';
import { logOpsEvents } from '../../../core/ops-events.js';
import { RepeatedFailure } from '../../../core/repeated-failure.js';
import type { ClaimOptions, ClaimedMessage, DeadLetter, Queue } from '../../../core/ports.js';
import { PuddleConsumer } from '../../../puddles/consumer.js';
import { PUDDLES, type PuddleDef } from '../../../puddles/definitions.js';
import type { LandedListener, LandedRows } from '../../../puddles/landed.js';
import type { DynamoDbTotals } from '../dynamodb-totals.js';
import type { AwsRuntime } from '../runtime.js';
import { queueSpec } from '../shape.js';
import { QUEUE_ATTRIBUTES, queuedText } from '../sns-sqs-queue.js';
import { defaultRuntime, sweepingTempFolders, type RuntimeSource } from './runtime-source.js';
import { keepsTotals, totalsTable } from './totals-table.js';

export type SqsHandler = (event: SQSEvent, context: Context) => Promise<SQSBatchResponse>;

/** The puddle a record's queue serves: its name is `<PUDDLE_QUEUE_PREFIX><puddle>` (the ARN's last part). */
export function puddleOfQueue(queueArn: string, queuePrefix: string): PuddleDef {
  const name = queueArn.split(':').pop() ?? '';
  const puddle = name.startsWith(queuePrefix) ? PUDDLES.find((p) => p.name === name.slice(queuePrefix.length)) : undefined;
  if (!puddle) throw new ConfigError(`queue ${name} serves no puddle (expected ${queuePrefix}<puddle>)`);
  return puddle;
}

export interface ConsumerHandlerOptions {
  onLanded?: LandedListener;
  /** The live totals' counters, kept by the puddle that lands donations (default: the stack's totals table). */
  totals?: (rt: AwsRuntime) => DynamoDbTotals;
}

export function makeConsumerHandler(runtime: RuntimeSource, opts: ConsumerHandlerOptions = {}): SqsHandler {
  // Per puddle, kept by a warm container across invocations: one line when unreadable records start failing,
  // then at most one every 10 s with how many. Kinds and message ids only (errorReason): never the body.
  const unreadableLogs = new Map<string, RepeatedFailure>();
  const unreadableLog = (puddle: string) => {
    let f = unreadableLogs.get(puddle);
    if (!f) unreadableLogs.set(puddle, (f = new RepeatedFailure({ fields: { puddle }, describe: errorReason })));
    return f;
  };
  return async (event, context) => {
    const rt = await runtime();
    const records = event.Records ?? [];
    if (records.length === 0) return { batchItemFailures: [] };
    // One event source mapping per queue, so every record of a batch is from the same puddle.
    const puddle = puddleOfQueue(records[0]!.eventSourceARN, rt.env.queuePrefix);
    const raw = puddle.contracts === '*';
    const events = rt.events ?? logOpsEvents;
    // The redrive policy's count, from the same spec the stack and provisioning make the queue from.
    const maxReceiveCount = queueSpec(puddle, rt.env.queuePrefix).maxReceiveCount;
    const unreadable = new Map<string, string>();
    let firstUnreadable: unknown;

    const decoded = new Map<string, ClaimedMessage>();
    const decode = async (record: SQSRecord): Promise<void> => {
      try {
        await decodeOne(record);
      } catch (err) {
        unreadable.set(record.messageId, err instanceof Error ? `${err.name}: ${err.message}` : String(err));
        firstUnreadable ??= err;
        throw err;
      }
    };
    const decodeOne = async (record: SQSRecord): Promise<void> => {
      if (puddleOfQueue(record.eventSourceARN, rt.env.queuePrefix) !== puddle) throw new FatalError('a batch mixes records of two queues');
      const text = await queuedText(record.body, record.messageAttributes?.[QUEUE_ATTRIBUTES.overflow]?.stringValue, rt.store);
      let envelope: Envelope;
      try {
        envelope = raw ? (JSON.parse(text) as Envelope) : parseEnvelopeWithoutRaw(text);
      } catch (err) {
        throw new FatalError(`SQS message ${record.messageId} is not an envelope (invalid JSON)`, { cause: err });
      }
      // An object that is no good envelope is quarantined by landing; anything else (null, a number, an array)
      // would fail the whole batch's landing, and so every record beside it, on every receive: it fails alone.
      if (typeof envelope !== 'object' || envelope === null || Array.isArray(envelope)) {
        throw new FatalError(`SQS message ${record.messageId} is not an envelope (JSON ${envelope === null ? 'null' : Array.isArray(envelope) ? 'array' : typeof envelope}, not an object)`);
      }
      decoded.set(record.messageId, {
        receipt: record.messageId,
        envelope,
        attempts: Number(record.attributes.ApproximateReceiveCount ?? 1),
        ...(raw ? { body: text } : {}),
      });
    };
    const read = await processPartialResponse(event, decode, new BatchProcessor(EventType.SQS), { context, throwOnFullBatchFailure: false });

    const batch = new RecordBatch(records.filter((r) => decoded.has(r.messageId)).map((r) => decoded.get(r.messageId)!));
    if (batch.size > 0) {
      // PuddleConsumer tells a landing failure on the last attempt as dead_letter itself (with the landing's reason).
      // The counters are written after landing, before the batch is acked: if they fail, the handler throws
      // and the whole batch comes again (landing and the counters both take repeats).
      const totals = keepsTotals(puddle) ? (opts.totals ?? totalsTable)(rt) : undefined;
      const landed: LandedRows[] = [];
      const onLanded: LandedListener | undefined = totals
        ? (l) => {
            opts.onLanded?.(l);
            landed.push(l);
          }
        : opts.onLanded;
      const consumer = new PuddleConsumer({ puddle, queue: batch, store: rt.store, catalog: rt.catalog, batchSize: batch.size, onLanded, events });
      await consumer.landOnce();
      for (const l of landed) await totals!.apply(l);
    }
    if (read.batchItemFailures.length) {
      const receives = read.batchItemFailures.map((f) => Number(records.find((r) => r.messageId === f.itemIdentifier)?.attributes.ApproximateReceiveCount ?? 1));
      unreadableLog(puddle.name).fail(
        'unreadable SQS records reported failed: SQS offers them again after the visibility timeout, and dead-letters them on the last receive',
        firstUnreadable,
        { messages: read.batchItemFailures.length, message_ids: read.batchItemFailures.slice(0, 10).map((f) => f.itemIdentifier), receive: Math.max(...receives), of: maxReceiveCount },
        'warn',
      );
    }
    const lastTries = read.batchItemFailures.filter((f) => {
      const record = records.find((r) => r.messageId === f.itemIdentifier);
      return record && Number(record.attributes.ApproximateReceiveCount ?? 1) >= maxReceiveCount;
    });
    if (lastTries.length) {
      const first = unreadable.get(lastTries[0]!.itemIdentifier) ?? 'unreadable record';
      const reason = lastTries.length === 1 ? first : `${first} (and ${lastTries.length - 1} more unreadable)`;
      await events.emit([{ type: 'dead_letter', puddle: puddle.name, messages: lastTries.length, reason }]);
    }
    const failures: SQSBatchItemFailure[] = [...read.batchItemFailures, ...batch.failed.map((id) => ({ itemIdentifier: id }))];
    return { batchItemFailures: failures };
  };
}

/**
 * One Lambda batch seen as a Queue, so PuddleConsumer can land it: claim hands out the records once, ack
 * and retry only note the outcome (Lambda deletes what is not reported as failed).
 */
class RecordBatch implements Queue {
  readonly #messages: ClaimedMessage[];
  #claimed = false;
  readonly failed: string[] = [];

  constructor(messages: ClaimedMessage[]) {
    this.#messages = messages;
  }

  get size(): number {
    return this.#messages.length;
  }

  async subscribe(): Promise<void> {}

  async publish(): Promise<void> {
    throw new FatalError('a consumer batch cannot publish');
  }

  async claim(_subscription: string, opts: ClaimOptions): Promise<ClaimedMessage[]> {
    if (this.#claimed) return [];
    this.#claimed = true;
    return this.#messages.slice(0, opts.max);
  }

  async ack(): Promise<void> {}

  // Nothing to extend: the function's timeout (60 s) ends the batch long before the queue's visibility timeout
  // (six times it, shape.ts), so a batch is never offered again while this invocation still works on it.
  async extend(): Promise<void> {}

  async retry(_subscription: string, receipts: readonly string[]): Promise<void> {
    this.failed.push(...receipts);
  }

  async deadLetters(): Promise<DeadLetter[]> {
    return [];
  }

  async depth(): Promise<number> {
    return this.#claimed ? 0 : this.#messages.length;
  }

  async close(): Promise<void> {}
}

export const handler = makeConsumerHandler(sweepingTempFolders(defaultRuntime));
