// OpsEvents on an EventBridge bus: each event one entry (source `puddle`, detail-type the event's type, detail its
// fields), sent with PutEvents at most 10 entries per call (the API's cap). PutEvents answers 200 even when some
// entries failed (FailedEntryCount), so the failed ones are sent again with a growing pause, and what still fails is
// logged by error code. Emitting never rejects: an undelivered notification must not fail a landing or a sync.
import { PutEventsCommand, type EventBridgeClient, type PutEventsRequestEntry } from '@aws-sdk/client-eventbridge';

import { log } from '../../core/log.js';
import type { OpsEvent, OpsEvents } from '../../core/ports.js';
import { EVENT_BUS } from './shape.js';

/** PutEvents takes at most 10 entries per request. */
export const PUT_EVENTS_BATCH = 10;

export interface EventBridgeOpsEventsOptions {
  client: EventBridgeClient;
  busName?: string;
  /** Sends per entry, the first included. */
  attempts?: number;
  sleep?: (ms: number) => Promise<void>;
}

export interface EmitOutcome {
  sent: number;
  /** Entries still refused after every attempt, with EventBridge's error code. */
  failed: { type: string; code: string }[];
}

export class EventBridgeOpsEvents implements OpsEvents {
  readonly #client: EventBridgeClient;
  readonly #bus: string;
  readonly #attempts: number;
  readonly #sleep: (ms: number) => Promise<void>;

  constructor(opts: EventBridgeOpsEventsOptions) {
    this.#client = opts.client;
    this.#bus = opts.busName ?? EVENT_BUS.name;
    this.#attempts = opts.attempts ?? 4;
    this.#sleep = opts.sleep ?? ((ms) => new Promise((r) => setTimeout(r, ms)));
  }

  async emit(events: readonly OpsEvent[]): Promise<void> {
    await this.send(events);
  }

  /** As emit, saying what was delivered and what was not. */
  async send(events: readonly OpsEvent[]): Promise<EmitOutcome> {
    const outcome: EmitOutcome = { sent: 0, failed: [] };
    for (let i = 0; i < events.length; i += PUT_EVENTS_BATCH) {
      const chunk = events.slice(i, i + PUT_EVENTS_BATCH);
      const r = await this.#sendChunk(chunk.map((e) => this.#entry(e)));
      outcome.sent += r.sent;
      outcome.failed.push(...r.failed);
    }
    if (outcome.failed.length) {
      log.error('operational events not delivered to EventBridge', {
        bus: this.#bus,
        failed: outcome.failed.length,
        codes: [...new Set(outcome.failed.map((f) => f.code))],
        types: [...new Set(outcome.failed.map((f) => f.type))],
      });
    }
    return outcome;
  }

  #entry(e: OpsEvent): PutEventsRequestEntry {
    const { type, ...detail } = e;
    return { EventBusName: this.#bus, Source: EVENT_BUS.source, DetailType: type, Detail: JSON.stringify(detail) };
  }

  async #sendChunk(entries: PutEventsRequestEntry[]): Promise<EmitOutcome> {
    let pending = entries;
    let lastCodes: string[] = [];
    let sent = 0;
    for (let attempt = 1; attempt <= this.#attempts && pending.length; attempt++) {
      if (attempt > 1) await this.#sleep(Math.min(2000, 100 * 2 ** (attempt - 2)));
      try {
        const r = await this.#client.send(new PutEventsCommand({ Entries: pending }));
        // The answer lists one result per entry, in order; a failed one has an ErrorCode instead of an EventId.
        const results = r.Entries ?? [];
        const retry: PutEventsRequestEntry[] = [];
        const codes: string[] = [];
        pending.forEach((entry, i) => {
          const res = results[i];
          if (res?.EventId && !res.ErrorCode) sent++;
          else {
            retry.push(entry);
            codes.push(res?.ErrorCode ?? 'NoResult');
          }
        });
        pending = retry;
        lastCodes = codes;
      } catch (err) {
        // The whole call failed (throttled, network): every entry is tried again.
        lastCodes = pending.map(() => (err instanceof Error ? err.name : 'Error'));
      }
    }
    return { sent, failed: pending.map((e, i) => ({ type: e.DetailType ?? 'unknown', code: lastCodes[i] ?? 'unknown' })) };
  }
}
