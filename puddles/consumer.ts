// A puddle consumer: claim a batch (by size or time window), land it, ack. At-least-once in, idempotent out.
import { setTimeout as sleep } from 'node:timers/promises';
import { errorReason } from '../core/error-reason.js';
import { log } from '../core/log.js';
import { logOpsEvents } from '../core/ops-events.js';
import type { Catalog, Claimable, ClaimedMessage, ObjectStore, OpsEvents, Queue } from '../core/ports.js';
import { isEnvironmentFailure, RepeatedFailure, writeFix, type FailureReason, type FailureState } from '../core/repeated-failure.js';
import { DEFAULT_MAX_ATTEMPTS, type PuddleDef } from './definitions.js';
import { landEnvelopes, type LandResult } from './land.js';
import { landedMessages, type LandedColumns, type LandedListener } from './landed.js';

export interface PuddleConsumerOptions {
  puddle: PuddleDef;
  queue: Queue;
  store: ObjectStore;
  catalog: Catalog;
  /** Most messages per batch (and per file). */
  batchSize?: number;
  /** How long the loop gathers a batch after its first message before landing it anyway. */
  windowMs?: number;
  /**
   * How long claimed messages stay hidden without a heartbeat: how long after a crash (a killed landing thread)
   * they come back. A batch still landing is kept hidden by the heartbeat (heartbeatMs), however slow. Default 10 s.
   */
  visibilityMs?: number;
  /**
   * While a batch is in hand, every this often its messages are hidden for another visibilityMs (one
   * Queue.extend per batch). Default a third of visibilityMs: a beat may come up to two thirds late.
   */
  heartbeatMs?: number;
  /**
   * A batch in hand this long is no longer kept hidden (a landing that hangs): its messages come back after
   * their visibility timeout and the log says so. Default 10 minutes.
   */
  maxHoldMs?: number;
  /** How long the loop waits between claims when the queue is empty. */
  pollMs?: number;
  /**
   * The background loop claims fewer than batchSize messages only once the first of them has waited this long
   * since it was received (ms; default 0: at once). For raw, whose files are never merged: landing a batch per
   * window at a trickle made a file a second with the sandboxes running. A backlog still lands in full batches,
   * and landOnce() and drain() (a stop, `puddle land`) claim at once. Needs `claimable`.
   */
  lingerMs?: number;
  /** What the queue holds for this puddle that could be claimed now, without claiming it (for lingerMs). */
  claimable?: (atLeast: number) => Claimable;
  /**
   * Asked before each batch of a lingering consumer: while true, a whole batch lingers too, and only the first
   * one's linger ending lands it. For raw during a burst (landing-worker.ts): nothing reads it within seconds,
   * and its rows (each envelope's whole text) are the dearest to land.
   */
  lingerWhole?: () => boolean;
  /** How long to wait before gathering the next batch, given how long the last one took (default: none). */
  pauseAfter?: (batchMs: number) => number;
  /**
   * Asked every 100 ms while paused: true ends the pause early, because its reason has gone (the hub's burst
   * is over, landing-worker.ts). Without it a pause runs its whole length (stop() still ends it).
   */
  pauseOver?: () => boolean;
  /**
   * Asked before each batch of the background loop: while true, it claims nothing and asks again in 250 ms.
   * For a helper: a second consumer of a puddle, in another landing thread, that lands only while the puddle
   * is far behind (landing-worker.ts).
   */
  standBy?: () => boolean;
  /**
   * Delay before a failed batch is offered again. While landing fails for the environment (the lake or its
   * catalog full or read-only, the store not answering), it doubles with each failure in a row, up to
   * maxRetryDelayMs (30 s), and those failures do not count as the messages' attempts.
   */
  retryDelayMs?: number;
  maxRetryDelayMs?: number;
  /** Told what each batch landed, once it is registered (a redelivered batch is told again). */
  onLanded?: LandedListener;
  /** Which columns onLanded reads, per table (default: all of every table). */
  landedColumns?: LandedColumns;
  /** Told when a failed batch sends messages to the dead-letter store (log lines when absent). */
  events?: OpsEvents;
}

export const DEFAULT_BATCH_SIZE = 5_000;
const DEFAULTS = { batchSize: DEFAULT_BATCH_SIZE, windowMs: 500, visibilityMs: 10_000, pollMs: 50, retryDelayMs: 1_000, maxRetryDelayMs: 30_000, maxHoldMs: 600_000 };
/** The shortest heartbeat: a visibility timeout of a few ms (tests) must not turn it into a busy loop. */
const MIN_HEARTBEAT_MS = 10;
/** How often a pause asks pauseOver(). */
const PAUSE_CHECK_MS = 100;
/** How often a consumer standing by asks standBy() again. */
const STAND_BY_MS = 250;
/** How often a lingering consumer looks again: a backlog reaching batchSize ends the linger this soon. */
const LINGER_CHECK_MS = 250;

/**
 * How much longer a lingering consumer leaves what is visible in the queue (ms); 0: claim it now. Now once a
 * whole batch is visible, or the first visible message has waited lingerMs since it was received (or its time is
 * not known). A received time more than lingerMs ahead of this clock (a clock stepped back) does not hold a
 * batch back either, so nothing waits longer than twice lingerMs for want of a full batch. A batchSize of
 * Infinity holds back a whole batch too (lingerWhole).
 */
export function lingerLeftMs(seen: Claimable, batchSize: number, lingerMs: number): number {
  const { visible, oldestMs } = seen;
  if (lingerMs <= 0 || visible === 0 || visible >= batchSize || oldestMs === null) return 0;
  if (oldestMs >= lingerMs || oldestMs < -lingerMs) return 0;
  return lingerMs - oldestMs;
}

/**
 * What an operator does about a landing the disk stops, on its log lines, /healthz and the dashboard (`fix`): until
 * 2026-12-03 the lines said only `Error EPERM: not_writable`, neither that nothing is lost nor what to do.
 */
const landingFix = (reason: FailureReason): string | undefined => {
  const action = writeFix('the lake and catalog.db')(reason);
  return action && `${action}: the events wait in the queue, and a running hub lands them by itself once it is done`;
};

export class PuddleConsumer {
  readonly puddle: PuddleDef;
  readonly #queue: Queue;
  readonly #store: ObjectStore;
  readonly #catalog: Catalog;
  readonly #opts: typeof DEFAULTS & { heartbeatMs: number };
  readonly #onLanded: LandedListener | undefined;
  readonly #landedColumns: LandedColumns | undefined;
  readonly #events: OpsEvents;
  readonly #pauseAfter: ((batchMs: number) => number) | undefined;
  readonly #pauseOver: (() => boolean) | undefined;
  readonly #standBy: (() => boolean) | undefined;
  readonly #lingerMs: number;
  readonly #claimable: ((atLeast: number) => Claimable) | undefined;
  readonly #lingerWhole: (() => boolean) | undefined;
  /** Ends the background loop's current sleep (a pause, a stand-by, a poll): stop() must not wait it out. */
  #wake: (() => void) | undefined;
  #subscribed: Promise<void> | undefined;
  #running = false;
  #loop: Promise<void> | undefined;
  /**
   * Landing that fails batch after batch (a full or read-only disk, a queue that cannot commit a claim): logged
   * when it starts, then counted every 10 s, and reported (failure) until a batch lands again.
   */
  readonly #failing: RepeatedFailure;
  /** Batches in a row that failed for the environment: the next retry waits retryDelayMs * 2^(n-1), capped. */
  #environmentFailures = 0;

  constructor(opts: PuddleConsumerOptions) {
    this.puddle = opts.puddle;
    this.#queue = opts.queue;
    this.#store = opts.store;
    this.#catalog = opts.catalog;
    this.#onLanded = opts.onLanded;
    this.#landedColumns = opts.landedColumns;
    this.#events = opts.events ?? logOpsEvents;
    this.#pauseAfter = opts.pauseAfter;
    this.#pauseOver = opts.pauseOver;
    this.#standBy = opts.standBy;
    this.#lingerMs = opts.lingerMs ?? 0;
    this.#claimable = opts.claimable;
    this.#lingerWhole = opts.lingerWhole;
    if (this.#lingerMs > 0 && !this.#claimable) throw new Error(`puddle ${opts.puddle.name}: lingerMs needs claimable`);
    // Its errors can quote the records in hand (DuckDB's does): the log gets what the dead letters keep.
    this.#failing = new RepeatedFailure({ fields: { puddle: opts.puddle.name }, describe: errorReason, fix: landingFix });
    this.#opts = {
      batchSize: opts.batchSize ?? DEFAULTS.batchSize,
      windowMs: opts.windowMs ?? DEFAULTS.windowMs,
      visibilityMs: opts.visibilityMs ?? DEFAULTS.visibilityMs,
      pollMs: opts.pollMs ?? DEFAULTS.pollMs,
      retryDelayMs: opts.retryDelayMs ?? DEFAULTS.retryDelayMs,
      maxRetryDelayMs: opts.maxRetryDelayMs ?? DEFAULTS.maxRetryDelayMs,
      heartbeatMs: Math.max(MIN_HEARTBEAT_MS, opts.heartbeatMs ?? Math.floor((opts.visibilityMs ?? DEFAULTS.visibilityMs) / 3)),
      maxHoldMs: opts.maxHoldMs ?? DEFAULTS.maxHoldMs,
    };
  }

  /** The last batch failed for the environment (the lake cannot be written) and none has landed since. */
  get environmentFailing(): boolean {
    return this.#environmentFailures > 0;
  }

  /** Landing's failure going on (batches, claims or acks failing, none landed since), or null. */
  get failure(): FailureState | null {
    return this.#failing.current();
  }

  /** Claim one batch (whatever is visible now, up to batchSize), land it and ack. Returns messages handled. */
  async landOnce(): Promise<number> {
    await this.#subscribe();
    const batch = await this.#claim(this.#opts.batchSize);
    if (batch.length) await this.#handle(batch);
    return batch.length;
  }

  /**
   * Land until nothing is waiting for this subscription, visible or in flight (messages a crashed process
   * claimed come back after the visibility timeout, so this can take that long). Returns messages handled.
   * The next batch is claimed while the
   * previous one is written (DuckDB works on its own threads), so at most two batches are in hand.
   * Stops early once a batch fails for the environment (environmentFailing): waiting for a disk to get room
   * is the running hub's job, and a one-shot `puddle land` says so and leaves the rest queued.
   */
  async drain(): Promise<number> {
    await this.#subscribe();
    this.#environmentFailures = 0;
    let total = 0;
    let inflight: Promise<void> | undefined;
    for (;;) {
      if (this.#environmentFailures > 0) break;
      const batch = await this.#claim(this.#opts.batchSize);
      if (!batch.length) {
        if (inflight) {
          // The batch in hand may be handed back for retry: look again once it is settled.
          await inflight;
          inflight = undefined;
          continue;
        }
        // Nothing visible, but messages still in flight (another consumer's batch, or one a crashed
        // process claimed that comes back after its visibility timeout): wait for them too.
        if ((await this.#queue.depth(this.puddle.name)) === 0) break;
        await sleep(this.#opts.pollMs);
        continue;
      }
      total += batch.length;
      const landing = this.#handle(batch);
      await inflight;
      inflight = landing;
    }
    await inflight;
    return total;
  }

  /** Start the background loop; resolves once subscribed. */
  async start(): Promise<void> {
    await this.#subscribe();
    if (this.#running) return;
    this.#running = true;
    this.#loop = this.#run();
  }

  /** Stop claiming; resolves when the batch in hand is landed and acked. */
  async stop(): Promise<void> {
    this.#running = false;
    this.#wake?.();
    await this.#loop;
    this.#loop = undefined;
  }

  #subscribe(): Promise<void> {
    this.#subscribed ??= this.#queue.subscribe(this.puddle).catch((err: unknown) => {
      this.#subscribed = undefined;
      throw err;
    });
    return this.#subscribed;
  }

  #claim(max: number): Promise<ClaimedMessage[]> {
    // Only raw keeps the queued text (the envelope as delivered); the others would just hold it twice. No
    // puddle reads the provider's record (envelope.raw; raw keeps it inside the text), so none parses it.
    const raw = this.puddle.contracts === '*';
    return this.#queue.claim(this.puddle.name, { max, visibilityMs: this.#opts.visibilityMs, withBody: raw, withoutRaw: true });
  }

  async #run(): Promise<void> {
    // As in drain(): gather the next batch while the previous one is being written.
    let inflight: Promise<void> | undefined;
    while (this.#running) {
      try {
        if (this.#standBy?.()) {
          await inflight;
          inflight = undefined;
          await this.#sleep(STAND_BY_MS);
          continue;
        }
        if (this.#claimable && this.#lingerMs > 0) {
          const seen = this.#claimable(this.#opts.batchSize);
          const left = lingerLeftMs(seen, this.#lingerWhole?.() ? Infinity : this.#opts.batchSize, this.#lingerMs);
          // Nothing visible: do not gather (a message published meanwhile would be claimed alone, at once).
          if (seen.visible === 0 || left > 0) {
            await inflight;
            inflight = undefined;
            await this.#sleep(seen.visible === 0 ? this.#opts.pollMs : Math.min(left, LINGER_CHECK_MS));
            continue;
          }
        }
        const started = Date.now();
        const batch = await this.#gather();
        if (batch.length) {
          const landing = this.#handle(batch);
          await inflight;
          inflight = landing;
          const pause = this.#pauseAfter?.(Date.now() - started) ?? 0;
          if (pause > 0) await this.#pause(pause);
        } else {
          await inflight;
          inflight = undefined;
          await this.#sleep(this.#opts.pollMs);
        }
      } catch (err) {
        // A queue hiccup must not kill the loop: what was claimed becomes visible again on its own.
        this.#failing.fail('puddle consumer loop failed; carrying on', err);
        await this.#sleep(this.#opts.retryDelayMs);
      }
    }
    await inflight;
  }

  /** Wait up to `ms`: less once pauseOver() says so, or when stop() is called. */
  async #pause(ms: number): Promise<void> {
    const until = Date.now() + ms;
    for (;;) {
      const left = until - Date.now();
      if (left <= 0 || !this.#running) return;
      await this.#sleep(this.#pauseOver ? Math.min(left, PAUSE_CHECK_MS) : left);
      if (this.#pauseOver?.()) return;
    }
  }

  /** A sleep that stop() ends. */
  async #sleep(ms: number): Promise<void> {
    if (!this.#running) return;
    await new Promise<void>((resolve) => {
      const timer = setTimeout(resolve, ms);
      this.#wake = () => {
        clearTimeout(timer);
        resolve();
      };
    });
    this.#wake = undefined;
  }

  /** Gather up to batchSize messages, landing early once windowMs has passed since the first one. */
  async #gather(): Promise<ClaimedMessage[]> {
    const batch: ClaimedMessage[] = [];
    let deadline = 0;
    while (batch.length < this.#opts.batchSize) {
      const got = await this.#claim(this.#opts.batchSize - batch.length);
      if (got.length) {
        batch.push(...got);
        if (!deadline) deadline = Date.now() + this.#opts.windowMs;
      }
      if (!batch.length || !this.#running) break;
      // Checked after every claim, not only when the queue is empty: under a steady stream some claim
      // always returns something, and the batch would wait for batchSize instead of windowMs.
      const left = deadline - Date.now();
      if (left <= 0) break;
      if (!got.length) await sleep(Math.min(this.#opts.pollMs, left));
    }
    return batch;
  }

  /** Land and ack, or hand back for retry. Never rejects: whatever is not acked is redelivered anyway. */
  async #handle(batch: ClaimedMessage[]): Promise<void> {
    const release = this.#hold(batch.map((m) => m.receipt));
    try {
      await this.#landAndAck(batch);
    } catch (err) {
      this.#failing.fail('ack or retry failed; the batch will be redelivered', err);
    } finally {
      await release();
    }
  }

  /**
   * The heartbeat: keeps a batch hidden while it is in hand, so a landing slower than the visibility timeout
   * (a busy CPU, a slow disk, compaction on the same thread) is not claimed again and landed twice, and does
   * not use up its attempts: until 2026-12-02, 5,000 `raw` deliveries that had landed went to the dead letters
   * after five such claims in a burst on a loaded machine. A killed consumer beats no more, so what it held
   * still comes back a visibility timeout after its last beat. One Queue.extend per batch, only for a batch
   * in hand longer than heartbeatMs. Returns what ends it (and waits for a beat under way).
   */
  #hold(receipts: readonly string[]): () => Promise<void> {
    const { visibilityMs, heartbeatMs, maxHoldMs } = this.#opts;
    const since = Date.now();
    let beat: Promise<void> = Promise.resolve();
    let released = false;
    let warned = false;
    const timer = setInterval(() => {
      if (Date.now() - since >= maxHoldMs) {
        clearInterval(timer);
        log.warn('a batch has been landing too long: no longer kept hidden, so it is offered again after the visibility timeout', {
          puddle: this.puddle.name,
          messages: receipts.length,
          held_s: Math.round((Date.now() - since) / 1000),
        });
        return;
      }
      beat = beat
        .then(() => (released ? undefined : this.#queue.extend(this.puddle.name, receipts, visibilityMs)))
        .catch((err: unknown) => {
          // The batch is still landed and acked; at worst it is claimed again meanwhile (landing is idempotent).
          if (warned) return;
          warned = true;
          log.warn('could not extend the visibility of a batch in hand; it may be landed twice', { puddle: this.puddle.name, messages: receipts.length, error: errorReason(err) });
        });
    }, heartbeatMs);
    return async () => {
      released = true;
      clearInterval(timer);
      await beat;
    };
  }

  async #landAndAck(batch: ClaimedMessage[]): Promise<void> {
    const receipts = batch.map((m) => m.receipt);
    let result: LandResult;
    try {
      result = await landEnvelopes({
        puddle: this.puddle,
        store: this.#store,
        catalog: this.#catalog,
        envelopes: batch.map((m) => m.envelope),
        bodies: batch.map((m) => m.body),
      });
    } catch (err) {
      // Kept with a dead letter, told in the dead_letter event and shown by `puddle dead-letters`: the error's
      // kind and what failed, never its message, which can quote a donor's email or name.
      const reason = errorReason(err);
      this.#failing.fail('landing failed; batch will be retried', err, { messages: batch.length }, 'warn');
      if (isEnvironmentFailure(err)) {
        // Not the batch's fault: it would land if the disk had room. It stays in the queue, uncounted, for as
        // long as that lasts (dead-lettering it took donations out of the lake within seconds on a full disk),
        // and is offered again less and less often, so a long outage costs little.
        const n = Math.min(++this.#environmentFailures, 16);
        const delayMs = Math.min(this.#opts.maxRetryDelayMs, this.#opts.retryDelayMs * 2 ** (n - 1));
        await this.#queue.retry(this.puddle.name, receipts, { reason, delayMs, counted: false });
        return;
      }
      await this.#queue.retry(this.puddle.name, receipts, { reason, delayMs: this.#opts.retryDelayMs });
      // The queue dead-letters a message once its deliveries reach maxAttempts: this retry did that to these.
      const dead = batch.filter((m) => m.attempts >= (this.puddle.maxAttempts ?? DEFAULT_MAX_ATTEMPTS)).length;
      if (dead) await this.#events.emit([{ type: 'dead_letter', puddle: this.puddle.name, messages: dead, reason }]);
      return;
    }
    // Landed and registered: from here a crash only means the same files are written and registered again.
    if (this.#onLanded) {
      for (const msg of landedMessages(result.landed, this.#landedColumns)) {
        try {
          this.#onLanded(msg);
        } catch (err) {
          // A listener's fault must not stop landing; what it missed it rebuilds from the lake.
          log.error('landed listener failed', { puddle: this.puddle.name, contract: msg.contract, error: errorReason(err) });
        }
      }
    }
    await this.#queue.ack(this.puddle.name, receipts);
    this.#environmentFailures = 0;
    // At warn, as its failure: an operator filtering the log at warn sees both ends (at info, only the failure).
    this.#failing.succeeded('landing works again', 'warn');
    if (result.quarantined) log.info('quarantined records', { puddle: this.puddle.name, count: result.quarantined });
  }
}

