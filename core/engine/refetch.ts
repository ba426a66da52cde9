import { randomUUID } from 'node:crypto';
import { RAW_ONLY_CONTRACT, makeEnvelope, type Envelope } from '../envelope.js';
import { AuthError, FatalError, NotFoundError, RetriableError } from '../errors.js';
import { log } from '../log.js';
import { scrubPersonalData } from '../pii.js';
import { receivedAt } from '../received-clock.js';
import type { EngineRuntime, StreamContext, StreamDef } from './define.js';
import { DEFAULT_RETRY, type RetryPolicy } from './retry.js';
import { mapRecords, streamContext } from './run-stream.js';
import { recentOf } from './recent.js';
import { budgetOf, type ConnectorInstance } from './sync.js';
import type { RunMetrics } from './sync-run.js';

/** One object a webhook names: re-read it by id through this connector's stream. */
export interface RefetchPrompt {
  connector: string;
  stream: string;
  id: string;
}

/** The webhook that prompted a re-read, for its audit record in `raw`. */
export interface PromptingWebhook {
  /** `webhook:stripe`, `webhook:braintree`. */
  source: string;
  /** The webhook's own id (Stripe's event id, a Braintree notification's id): its envelopes' delivery id. */
  delivery_id: string;
  /** The event type or notification kind. */
  type: string;
  /**
   * When the provider says it happened (the event's time): the audit record's time, so a redelivery gives the
   * same record. Null when the provider says no time (a Freshdesk automation rule's default body): the audit
   * record is then dated by its receipt, which stays out of its id, so a retried call still gives the same record.
   */
  occurred_at: string | null;
}

/** What webhook routes hold: they hand prompts over once `raw` has the webhook, and answer at once. */
export interface Prompter {
  prompt(webhook: PromptingWebhook, objects: readonly RefetchPrompt[]): void;
  /**
   * A webhook's own versions of records, confirmed by the queue, that a stream of the connector lists again
   * (Stripe's `events` reads the same events a minute later): that stream's next incremental runs leave them out
   * (recent.ts), as they leave out what the stream published itself. Optional: a route without it publishes alike.
   */
  published?(connector: string, stream: string, envelopeIds: readonly string[]): void;
}

/**
 * Why a re-read did not happen, leaving the object to the next sync:
 * - queue_full: more distinct objects were waiting than the cap allows;
 * - provider_unreachable: 429, 5xx or network errors outlasted the engine's retries;
 * - provider_refused: the provider refused (credentials, permissions, another 4xx);
 * - not_configured: the hub has no credentials for the connector (the route still takes its webhooks);
 * - not_supported: the stream cannot read one record by id;
 * - failed: anything else (preparing the mapping, the queue refusing the re-read's versions);
 * - stopping: the hub stopped before the read was due.
 */
export type DeferReason = 'queue_full' | 'provider_unreachable' | 'provider_refused' | 'not_configured' | 'not_supported' | 'failed' | 'stopping';

export type RereadOutcome = { outcome: 'succeeded' } | { outcome: 'not_found' } | { outcome: 'deferred'; reason: DeferReason; detail?: string };

export interface RefetcherStats {
  /** Distinct objects waiting or being read. */
  pending: number;
  /** Provider requests made by re-reads (retries included). */
  requests: number;
  retries: number;
  /** Outcomes recorded, one per webhook and object. */
  succeeded: number;
  notFound: number;
  deferred: Partial<Record<DeferReason, number>>;
}

export interface RefetcherOptions {
  runtime: EngineRuntime;
  /**
   * Connector instances by name. Looked up when a read is due, not when the refetcher is made: the hub
   * fills this record once its sandboxes run. A connector missing here defers as not_configured.
   */
  instances: Readonly<Record<string, ConnectorInstance<never>>>;
  /** At most this many distinct objects wait or are read at once (default 1000); beyond, the next sync covers them. */
  maxPending?: number;
  /** Prompts for one object within this long of the first make one read (default 1000 ms). */
  coalesceMs?: number;
  retry?: RetryPolicy;
}

export const DEFAULT_REFETCH_MAX_PENDING = 1000;
const DEFAULT_COALESCE_MS = 1000;
/** A full queue warns at most this often, with the count since the last warning. */
const WARN_EVERY_MS = 10_000;

interface Pending {
  connector: string;
  stream: string;
  id: string;
  /** The webhooks waiting on this read. */
  webhooks: PromptingWebhook[];
  dueAt: number;
  reading: boolean;
  /** Prompts that arrived while the read was under way: the object may have changed after it began, so it is read once more. */
  again: PromptingWebhook[];
  againSince: number;
}

/** A read that did not find a record to map: not found, or deferred with a reason. */
type Unread = Exclude<RereadOutcome, { outcome: 'succeeded' }>;
type Fetched = { record: unknown } | { outcome: Unread };

/** A connector instance's streams, of any record type: the refetcher serves every connector's. */
function streamsOf(inst: ConnectorInstance<never>): StreamDef<unknown, unknown>[] {
  return inst.connector.streams as unknown as StreamDef<unknown, unknown>[];
}

/**
 * Webhooks are prompts (issue 8): a webhook names an object, and the engine reads that object's current
 * state by id and publishes the complete version, mapped, redacted and quarantined exactly as a sync
 * would (the stream's own fetchById, prepare and toContract), through the connector's request budget
 * and the engine's retries. Prompts for one object within `coalesceMs` make one read; at most `maxPending`
 * objects wait; a read that cannot happen (full, unreachable after retries, refused, not configured) is
 * left to the next sync. It never takes a stream's lease and never moves a bookmark: a re-read is an
 * extra version of a record, and a sync reads the same records whatever re-reads did.
 *
 * Every outcome is recorded in `raw`, one provider_event per webhook and object (stream `reread`, key
 * `<webhook id>:reread:<object id>`, type `reread.succeeded`, `reread.not_found` or `reread.deferred`),
 * with an id that depends only on the webhook and the outcome. A redelivery that comes after the read is
 * read again and recorded again under that id, with its own received_at: raw keeps every arrival, and
 * whoever counts outcomes counts ids (the audit query in docs/connectors.md does).
 */
export class Refetcher implements Prompter {
  private readonly pending = new Map<string, Pending>();
  private readonly connectors = new Map<string, { timer: NodeJS.Timeout | null; running: Promise<void> | null }>();
  private readonly maxPending: number;
  private readonly coalesceMs: number;
  private readonly retry: RetryPolicy;
  private readonly metrics: RunMetrics = { records: 0, pages: 0, requests: 0, retries: 0, rateLimited: 0, quarantined: 0 };
  private readonly counts = { succeeded: 0, notFound: 0, deferred: {} as Partial<Record<DeferReason, number>> };
  private outbox: Envelope[] = [];
  private flushing: Promise<void> | null = null;
  private stopping = false;
  /**
   * The re-reads' time box: never, until stop() moves it to 0. A read under way then ends its waits (a
   * retry's backoff, a Retry-After pause of its budget) and is deferred, instead of holding the hub's stop.
   */
  private readonly deadline = new Date(8.64e15);
  private full = { dropped: 0, warnedAt: -Infinity };
  private readonly deferWarnings = new Map<string, { objects: number; warnedAt: number }>();

  constructor(private readonly opts: RefetcherOptions) {
    this.maxPending = opts.maxPending ?? DEFAULT_REFETCH_MAX_PENDING;
    if (!Number.isSafeInteger(this.maxPending) || this.maxPending < 1) throw new RangeError('maxPending must be a positive integer');
    this.coalesceMs = opts.coalesceMs ?? DEFAULT_COALESCE_MS;
    this.retry = opts.retry ?? DEFAULT_RETRY;
  }

  /** Take a webhook's prompts; never throws and never waits (the webhook's answer does not depend on it). */
  prompt(webhook: PromptingWebhook, objects: readonly RefetchPrompt[]): void {
    for (const o of objects) {
      try {
        this.take(webhook, o);
      } catch (err) {
        log.error('re-read prompt failed; the next sync covers it', { connector: o.connector, stream: o.stream, error: err });
      }
    }
  }

  published(connector: string, streamName: string, envelopeIds: readonly string[]): void {
    const inst = this.opts.instances[connector];
    const stream = inst && streamsOf(inst).find((s) => s.name === streamName);
    // A connector the hub has no credentials for runs no syncs: nothing to tell.
    if (!inst || !stream) return;
    recentOf(inst, streamName, this.opts.runtime.clock, stream.windows?.lookbackMs).add(envelopeIds);
  }

  stats(): RefetcherStats {
    return {
      pending: this.pending.size,
      requests: this.metrics.requests,
      retries: this.metrics.retries,
      succeeded: this.counts.succeeded,
      notFound: this.counts.notFound,
      deferred: { ...this.counts.deferred },
    };
  }

  /** Resolves when nothing is waiting or being read and every outcome is on the queue (for tests and shutdown). */
  async idle(): Promise<void> {
    for (;;) {
      const running = [...this.connectors.values()].flatMap((c) => (c.running ? [c.running] : []));
      if (running.length) await Promise.all(running);
      else if (this.flushing) await this.flushing;
      else if (this.outbox.length) await (this.flushing = this.flush());
      else if (this.pending.size) await new Promise((r) => setTimeout(r, 10));
      else return;
    }
  }

  /** Stop taking prompts: what waits is recorded as deferred (stopping); reads under way finish, or end their waits (deferred, stopping). */
  async stop(): Promise<void> {
    this.stopping = true;
    this.deadline.setTime(0);
    for (const c of this.connectors.values()) {
      if (c.timer) clearTimeout(c.timer);
      c.timer = null;
    }
    for (const [key, p] of this.pending) {
      if (p.reading) continue;
      this.pending.delete(key);
      this.record(p, p.webhooks, { outcome: 'deferred', reason: 'stopping' });
    }
    await this.idle();
  }

  private take(webhook: PromptingWebhook, o: RefetchPrompt): void {
    const target = { connector: o.connector, stream: o.stream, id: o.id };
    if (this.stopping) return this.record(target, [webhook], { outcome: 'deferred', reason: 'stopping' });
    const key = `${o.connector}\u0000${o.stream}\u0000${o.id}`;
    const now = Date.now();
    const p = this.pending.get(key);
    if (p) {
      const list = p.reading ? p.again : p.webhooks;
      // A redelivery of a webhook already waiting adds nothing.
      if (!list.some((w) => w.delivery_id === webhook.delivery_id)) {
        if (p.reading && !p.again.length) p.againSince = now;
        list.push(webhook);
      }
      return;
    }
    if (this.pending.size >= this.maxPending) return this.queueFull(target, webhook, now);
    this.pending.set(key, { ...target, webhooks: [webhook], dueAt: now + this.coalesceMs, reading: false, again: [], againSince: 0 });
    this.kick(o.connector);
  }

  private queueFull(target: RefetchPrompt, webhook: PromptingWebhook, now: number): void {
    this.full.dropped++;
    if (now - this.full.warnedAt >= WARN_EVERY_MS) {
      log.warn('re-read queue is full: the next sync covers these objects', {
        maxPending: this.maxPending, dropped: this.full.dropped, connector: target.connector, stream: target.stream, setting: 'PUDDLE_REFETCH_MAX_PENDING',
      });
      this.full = { dropped: 0, warnedAt: now };
    }
    this.record(target, [webhook], { outcome: 'deferred', reason: 'queue_full' });
  }

  /** One batch per connector at a time: its next batch starts when the earliest waiting object is due. */
  private kick(connector: string): void {
    let c = this.connectors.get(connector);
    if (!c) this.connectors.set(connector, (c = { timer: null, running: null }));
    if (c.timer || c.running || this.stopping) return;
    let due = Infinity;
    for (const p of this.pending.values()) if (p.connector === connector && !p.reading && p.dueAt < due) due = p.dueAt;
    if (due === Infinity) return;
    const state = c;
    state.timer = setTimeout(() => {
      state.timer = null;
      const now = Date.now();
      const batch = [...this.pending.values()].filter((p) => p.connector === connector && !p.reading && p.dueAt <= now);
      for (const p of batch) p.reading = true;
      state.running = this.read(connector, batch)
        .catch((err: unknown) => log.error('re-read batch failed', { connector, error: err }))
        .finally(() => {
          state.running = null;
          this.kick(connector);
        });
    }, Math.max(0, due - Date.now()));
    state.timer.unref();
  }

  /** Read a batch of one connector's objects: all reads start at once (the budget spaces them), streams map in run order. */
  private async read(connector: string, batch: Pending[]): Promise<void> {
    try {
      const inst = this.opts.instances[connector];
      if (!inst) {
        for (const p of batch) this.record(p, p.webhooks, { outcome: 'deferred', reason: 'not_configured' });
        return;
      }
      const streams = streamsOf(inst);
      const order = new Map(streams.map((s, i) => [s.name, i]));
      const groups = new Map<string, Pending[]>();
      for (const p of batch) {
        const stream = streams.find((s) => s.name === p.stream);
        if (!stream?.fetchById) {
          log.error('re-read asked of a stream that cannot read by id', { connector, stream: p.stream });
          this.record(p, p.webhooks, { outcome: 'deferred', reason: 'not_supported' });
          continue;
        }
        let g = groups.get(p.stream);
        if (!g) groups.set(p.stream, (g = []));
        g.push(p);
      }
      // Links one stream saves in its prepare (Stripe's checkout sessions: click -> payment intent) are
      // there for the streams after it (charges), as in a sync.
      const ordered = [...groups.entries()].sort(([a], [b]) => order.get(a)! - order.get(b)!);
      const started = ordered.map(([name, group]) => {
        const stream = streams.find((s) => s.name === name)!;
        const ctx = streamContext(
          { connector: inst.connector, stream: stream as never, client: inst.client, runtime: this.opts.runtime, budget: budgetOf(inst), settings: { startDate: inst.startDate, retry: this.retry, deadline: this.deadline } },
          this.metrics,
        );
        return { stream, ctx, group, fetched: group.map((p) => fetchOne(stream, ctx, p.id)) };
      });
      for (const s of started) await this.mapAndPublish(connector, s.stream, s.ctx, s.group, await Promise.all(s.fetched));
    } finally {
      this.settle(batch);
    }
  }

  private async mapAndPublish(connector: string, stream: StreamDef<unknown, unknown>, ctx: StreamContext<unknown>, group: Pending[], fetched: Fetched[]): Promise<void> {
    const found: { p: Pending; record: unknown }[] = [];
    group.forEach((p, i) => {
      const f = fetched[i]!;
      if ('record' in f) found.push({ p, record: f.record });
      else {
        if (f.outcome.outcome === 'deferred') this.warnDeferred(connector, stream.name, f.outcome);
        this.record(p, p.webhooks, f.outcome);
      }
    });
    if (!found.length) return;
    const received_at = receivedAt(this.opts.runtime.clock);
    const delivery_id = `reread:${connector}:${stream.name}:${received_at}:${randomUUID().slice(0, 8)}`;
    let envelopes: Envelope[];
    try {
      ({ envelopes } = await mapRecords(stream, ctx, found.map((f) => f.record), { source: connector, delivery_id, received_at }, this.opts.runtime.maxAheadMs));
    } catch (err) {
      log.warn('re-read could not be mapped; the next sync covers it', { connector, stream: stream.name, error: err });
      for (const f of found) this.record(f.p, f.p.webhooks, { outcome: 'deferred', reason: 'failed', detail: describe(err) });
      return;
    }
    // The complete versions and their webhooks' audit records go to the queue together.
    const audits = found.flatMap((f) => f.p.webhooks.map((w) => auditEnvelope(f.p, w, { outcome: 'succeeded' }, received_at)));
    // A version the stream's sync (or an earlier re-read) published lately is not queued again, and the stream's
    // next sync leaves out what this one publishes (recent.ts). The audits say the read succeeded either way.
    const inst = this.opts.instances[connector];
    const recent = inst ? recentOf(inst, stream.name, this.opts.runtime.clock, stream.windows?.lookbackMs) : null;
    const fresh = recent ? envelopes.filter((e) => !recent.has(e.id)) : envelopes;
    try {
      await this.opts.runtime.queue.publish([...fresh, ...audits]);
      this.counts.succeeded += audits.length;
      recent?.add(fresh.map((e) => e.id));
    } catch (err) {
      log.warn('re-read versions not accepted by the queue; the next sync covers them', { connector, stream: stream.name, error: err });
      for (const f of found) this.record(f.p, f.p.webhooks, { outcome: 'deferred', reason: 'failed', detail: 'the queue did not accept the re-read versions' });
    }
  }

  /**
   * Why re-reads were left to the next sync, at most every WARN_EVERY_MS for one connector, stream and reason,
   * with the objects left since the last such line and the last error's words (our errors name the status and
   * the setting to check, never a secret). Until 2026-12-03 each batch logged `re-reads left to the next sync`
   * with a count and no reason: with the keys rolled, four lines a second (a stream each) while webhooks came,
   * none saying a 401 was why.
   */
  private warnDeferred(connector: string, stream: string, outcome: { reason: DeferReason; detail?: string }): void {
    const key = `${connector}\u0000${stream}\u0000${outcome.reason}`;
    const now = Date.now();
    const w = this.deferWarnings.get(key) ?? { objects: 0, warnedAt: -Infinity };
    w.objects++;
    if (now - w.warnedAt >= WARN_EVERY_MS) {
      log.warn('re-reads left to the next sync', { connector, stream, objects: w.objects, reason: outcome.reason, error: outcome.detail ?? null });
      w.objects = 0;
      w.warnedAt = now;
    }
    this.deferWarnings.set(key, w);
  }

  /** After a batch: objects prompted again during their read are read once more, the rest are done. */
  private settle(batch: Pending[]): void {
    for (const p of batch) {
      const key = `${p.connector}\u0000${p.stream}\u0000${p.id}`;
      if (p.again.length && !this.stopping) {
        Object.assign(p, { webhooks: p.again, again: [], reading: false, dueAt: p.againSince + this.coalesceMs });
      } else {
        if (p.again.length) this.record(p, p.again, { outcome: 'deferred', reason: 'stopping' });
        this.pending.delete(key);
      }
    }
  }

  /** An outcome's audit records, published soon with others (a flood of deferrals makes few publishes). */
  // Successes are counted where their versions are published (mapAndPublish); only these come through here.
  private record(target: RefetchPrompt, webhooks: readonly PromptingWebhook[], outcome: Unread): void {
    if (outcome.outcome === 'deferred') this.counts.deferred[outcome.reason] = (this.counts.deferred[outcome.reason] ?? 0) + webhooks.length;
    else this.counts.notFound += webhooks.length;
    const at = receivedAt(this.opts.runtime.clock);
    for (const w of webhooks) this.outbox.push(auditEnvelope(target, w, outcome, at));
    if (!this.flushing) this.flushing = new Promise<void>((r) => setImmediate(r)).then(() => this.flush());
  }

  private async flush(): Promise<void> {
    const batch = this.outbox;
    this.outbox = [];
    try {
      if (batch.length) await this.opts.runtime.queue.publish(batch);
    } catch (err) {
      log.warn('re-read audit records not accepted by the queue', { records: batch.length, error: err });
    } finally {
      this.flushing = null;
      if (this.outbox.length) this.flushing = this.flush();
    }
  }
}

/** One read by id, its failure turned into an outcome: retries are the engine's (ctx.call), not ours. */
async function fetchOne(stream: StreamDef<unknown, unknown>, ctx: StreamContext<unknown>, id: string): Promise<Fetched> {
  try {
    const record = await stream.fetchById!(ctx, id);
    return record === null || record === undefined ? { outcome: { outcome: 'not_found' } } : { record };
  } catch (err) {
    if (err instanceof NotFoundError) return { outcome: { outcome: 'not_found' } };
    // A provider call cut short by the hub's stop (see `deadline`): the next sync covers it.
    if (err instanceof RetriableError && ctx.stopping()) return { outcome: { outcome: 'deferred', reason: 'stopping', detail: describe(err) } };
    const reason: DeferReason =
      err instanceof RetriableError ? 'provider_unreachable' : err instanceof AuthError || err instanceof FatalError ? 'provider_refused' : 'failed';
    return { outcome: { outcome: 'deferred', reason, detail: describe(err) } };
  }
}

/** Our own errors' messages say what failed without secrets or personal data; others only by name. */
function describe(err: unknown): string {
  if (err instanceof RetriableError || err instanceof FatalError) return err.message;
  return err instanceof Error ? err.name : 'error';
}

/**
 * The audit record of one webhook's re-read of one object: raw only. Its payload depends only on the
 * webhook and the outcome (never on when it was read), so a redelivered webhook with the same outcome
 * gives the same envelope id (raw keeps both arrivals; counting by id counts it once); details that vary
 * (the error's words) ride in `raw`.
 */
export function auditEnvelope(target: RefetchPrompt, webhook: PromptingWebhook, outcome: RereadOutcome, receivedAt: string): Envelope {
  return makeEnvelope({
    contract: RAW_ONLY_CONTRACT,
    version: 1,
    source: webhook.source,
    stream: 'reread',
    payload: {
      provider_event_id: `${webhook.delivery_id}:reread:${target.id}`,
      ...(webhook.occurred_at !== null ? { occurred_at: webhook.occurred_at } : {}),
      type: `reread.${outcome.outcome}`,
      webhook_type: webhook.type,
      connector: target.connector,
      object_stream: target.stream,
      object_id: target.id,
      reason: outcome.outcome === 'deferred' ? outcome.reason : null,
    },
    raw: outcome.outcome === 'deferred' && outcome.detail ? scrubPersonalData({ detail: outcome.detail }) : null,
    received_at: receivedAt,
    delivery_id: webhook.delivery_id,
  });
}
