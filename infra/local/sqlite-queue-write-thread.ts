import { Worker } from 'node:worker_threads';
import { QueueCommitError } from '../../core/errors.js';
import { log } from '../../core/log.js';
import { joinGroups, joinSmallPacks, type QueueWriter, type WriteGroup } from './sqlite-queue-writer.mjs';
import { sqlitePragmas, type SqliteDurability } from './sqlite.js';

/**
 * Publishes committed from a worker thread, on the worker's own connection.
 *
 * Why: better-sqlite3 is synchronous, so every group commit of a busy producer or sync ran on the event
 * loop (a tenth to a sixth of its time: inserting a few KB of JSON per record, twice with its delivery
 * rows). Here the event loop only serialises and posts the bodies (a string per publish: a memcpy) and
 * resolves each publish when the worker says its transaction committed: durability is unchanged, and the
 * sync maps the next page while this one is written. Groups that queue up behind a running transaction
 * are written together, so a burst still costs few transactions.
 *
 * Claims and acks stay on the queue's own connection (short transactions; SQLite's busy wait covers the
 * moments the two overlap). If the worker dies, the groups posted to it and not confirmed fail (QueueCommitError:
 * the producer answers 503 and its sender sends again, a sync's run fails and reads the page again; a group the
 * worker had committed may so land twice: delivery is at least once and landing is idempotent); the groups held
 * here, and everything after, are written on the queue's connection.
 *
 * Once posted, a group's bodies are dropped here: postMessage copied them, and holding them until the commit kept
 * every request's bodies alive across the young generation's collections (at 100 events a request, 64 requests'
 * bodies, copied by each scavenge and then promoted, for the old generation's collections to free). Until
 * 2026-12-04 they were kept to be written again should the worker die.
 */
interface WriteMessage extends WriteGroup {
  ids: number[];
  /** The latest received time to keep with them (QueueWriter.write), if any. */
  receivedMs?: number;
}
type ToWorker = WriteMessage | { stop: true };
type FromWorker = { done: number[] } | { failed: number[]; error: string };

interface Inflight {
  /** Null once posted to the worker. */
  group: WriteGroup | null;
  receivedMs: number | undefined;
  resolve: () => void;
  reject: (err: unknown) => void;
}

export interface WriterThreadData {
  file: string;
  durability?: SqliteDurability;
}

export class WriterThread {
  private readonly worker: Worker;
  private readonly exited: Promise<void>;
  private readonly inflight = new Map<number, Inflight>();
  private nextId = 1;
  private stopping = false;
  private fallback: QueueWriter | null = null;
  /** Groups posted to the worker and not yet settled. */
  private posted = 0;
  /**
   * Groups held here while a posted one commits, posted together when it settles. The worker would write
   * them together anyway (it takes everything queued behind a running transaction), so latency is the same;
   * what it saves is a postMessage per group, each a wake-up of the worker (~20 µs of the event loop's time
   * at 1 event a request, where nearly every request was its own group).
   */
  private held: number[] = [];
  /** drain() callers: each waits for the groups sent before it asked (ids up to `upTo`), not for later ones. */
  private waiting: { upTo: number; resolve: () => void }[] = [];

  /** `onConnection` gives the connection to write on should the worker die. */
  constructor(data: WriterThreadData, private readonly onConnection: () => QueueWriter) {
    this.worker = new Worker(new URL('./sqlite-queue-write-thread.mjs', import.meta.url), {
      workerData: { file: data.file, pragmas: sqlitePragmas({ durability: data.durability }) },
      // Plain JavaScript: none of the parent's loaders (tsx) in the worker; `node --cpu-prof` profiles it too.
      execArgv: process.execArgv.filter((a) => a.startsWith('--cpu-prof')),
    });
    // Only work in flight keeps the process up (see write()).
    this.worker.unref();
    this.exited = new Promise((resolve) => this.worker.once('exit', () => resolve()));
    this.worker.on('message', (m: FromWorker) => this.settle(m));
    this.worker.on('error', (err) => this.takeOver(err));
    this.worker.once('exit', (code) => {
      if (!this.stopping) this.takeOver(new Error(`queue writer thread exited (${code})`));
    });
  }

  /** Resolves once the group is committed (with `receivedMs`, see QueueWriter.write). */
  write(group: WriteGroup, receivedMs?: number): Promise<void> {
    if (this.fallback) return this.writeHere(group, receivedMs);
    return new Promise<void>((resolve, reject) => {
      const id = this.nextId++;
      if (this.inflight.size === 0) this.worker.ref();
      this.inflight.set(id, { group, receivedMs, resolve, reject });
      if (this.posted > 0) this.held.push(id);
      else this.post([id]);
    });
  }

  private post(ids: number[]): void {
    const sent = ids.map((id) => this.inflight.get(id)!);
    const { contracts, packs, rows, receivedAt } = joinGroups(sent.map((g) => g.group!));
    const marks = sent.flatMap((g) => (g.receivedMs === undefined ? [] : [g.receivedMs]));
    this.posted++;
    this.worker.postMessage({
      ids,
      contracts,
      packs: packs.length > 1 ? joinSmallPacks(packs) : packs,
      ...(rows ? { rows, receivedAt } : {}),
      ...(marks.length ? { receivedMs: Math.max(...marks) } : {}),
    } satisfies ToWorker);
    for (const g of sent) g.group = null;
  }

  /** Resolves when every group sent so far is settled (later ones, under steady publishing, need not be). */
  drain(): Promise<void> {
    const upTo = this.nextId - 1;
    if (this.oldestInFlight() > upTo) return Promise.resolve();
    return new Promise((resolve) => this.waiting.push({ upTo, resolve }));
  }

  /** Ids only grow and the map keeps insertion order: its first key is the oldest group still unsettled. */
  private oldestInFlight(): number {
    const first = this.inflight.keys().next();
    return first.done ? Infinity : first.value;
  }

  async stop(): Promise<void> {
    await this.drain();
    this.stopping = true;
    this.worker.ref();
    this.worker.postMessage({ stop: true } satisfies ToWorker);
    await this.exited;
  }

  private settle(m: FromWorker): void {
    this.posted--;
    const ids = 'done' in m ? m.done : m.failed;
    const failure = 'failed' in m ? new QueueCommitError('queue publish failed', { cause: new Error(m.error) }) : null;
    for (const id of ids) {
      const p = this.inflight.get(id);
      if (!p) continue;
      this.inflight.delete(id);
      if (failure) p.reject(failure);
      else p.resolve();
    }
    if (this.held.length > 0 && !this.fallback) {
      const next = this.held;
      this.held = [];
      this.post(next);
    }
    this.afterSettle();
  }

  private afterSettle(): void {
    if (this.inflight.size === 0) this.worker.unref();
    const oldest = this.oldestInFlight();
    const still: typeof this.waiting = [];
    for (const w of this.waiting) {
      if (w.upTo < oldest) w.resolve();
      else still.push(w);
    }
    this.waiting = still;
  }

  /**
   * The worker is gone: what was posted to it and not confirmed fails (its bodies are no longer here); what was held
   * here, and all later groups, are written on the queue's connection.
   */
  private takeOver(err: unknown): void {
    if (this.fallback) return;
    log.warn('queue writer thread stopped; publishing on the main connection', { error: err });
    this.fallback = this.onConnection();
    const pending = [...this.inflight.values()];
    this.inflight.clear();
    this.held = [];
    const lost = new QueueCommitError('queue publish failed: the queue writer thread stopped before it confirmed the commit; send again', { cause: err });
    for (const p of pending) {
      if (p.group === null) p.reject(lost);
      else this.writeHere(p.group, p.receivedMs).then(p.resolve, p.reject);
    }
    this.afterSettle();
  }

  private writeHere(g: WriteGroup, receivedMs?: number): Promise<void> {
    try {
      this.fallback!.write(g, receivedMs);
      return Promise.resolve();
    } catch (err) {
      return Promise.reject(new QueueCommitError('queue publish failed', { cause: err }));
    }
  }
}

