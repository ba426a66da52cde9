import { Worker } from 'node:worker_threads';
import { QueueCommitError } from '../../core/errors.js';
import { log } from '../../core/log.js';
import { createRing, ON_PORT, RingWriter, STOP } from './sqlite-queue-ring.mjs';
import type { QueueWriter, WriteGroup } from './sqlite-queue-writer.mjs';
import { sqlitePragmas, type SqliteDurability } from './sqlite.js';

/**
 * Publishes committed from a worker thread, on the worker's own connection.
 *
 * Why: better-sqlite3 is synchronous, so every group commit of a busy producer or sync ran on the event
 * loop (a tenth to a sixth of its time: inserting a few KB of JSON per record, twice with its delivery
 * rows). Here the event loop only writes each group's bodies into a ring of shared memory (sqlite-queue-ring.mjs)
 * and resolves each publish when the worker says its transaction committed: durability is unchanged, and the
 * sync maps the next page while this one is written. The worker takes everything in the ring at once, so groups
 * that queue up behind a running transaction are written together and a burst still costs few transactions.
 *
 * Why a ring and not postMessage: each post cost the event loop about 13 µs (structured cloning, the port's lock,
 * and above all waking the worker), 11-12% of the producer's event loop at 1 event a request even with one post per
 * transaction. Writing a 700-byte event into the ring costs ~0.5 µs, and waking the worker (Atomics.notify, once a
 * group: every request the event loop read in one turn) a few more; groups published while it writes are written
 * together in its next transaction (RingReader.wait). A group too large for a quarter of the ring is still posted (a marker in the
 * ring keeps its place). The worker's answers (one per transaction) still come as messages.
 *
 * Claims and acks stay on the queue's own connection (short transactions; SQLite's busy wait covers the
 * moments the two overlap). If the worker dies, the groups handed to it and not confirmed fail (QueueCommitError:
 * the producer answers 503 and its sender sends again, a sync's run fails and reads the page again; a group the
 * worker had committed may so land twice: delivery is at least once and landing is idempotent); the groups held
 * here (the ring was full), and everything after, are written on the queue's connection.
 *
 * Once in the ring, a group's bodies are dropped here: holding them until the commit kept every request's bodies
 * alive across the young generation's collections (at 100 events a request, 64 requests' bodies, copied by each
 * scavenge and then promoted, for the old generation's collections to free).
 */
type FromWorker = { done: [number, number] } | { failed: [number, number]; error: string };

interface Inflight {
  /** Null once in the ring (or posted). */
  group: WriteGroup | null;
  receivedMs: number | undefined;
  /** Posted on the port; its marker is still to go into the ring. */
  onPort?: boolean;
  resolve: () => void;
  reject: (err: unknown) => void;
}

/** Bytes of the ring (its pages become resident as they are first written). */
const RING_BYTES = 16 * 1024 * 1024;

export interface WriterThreadData {
  file: string;
  durability?: SqliteDurability;
}

export class WriterThread {
  private readonly worker: Worker;
  private readonly ring: RingWriter;
  private readonly exited: Promise<void>;
  /** Every group not yet settled, by id; ids are the ring's record numbers (one record a group, in order). */
  private readonly inflight = new Map<number, Inflight>();
  private nextId = 1;
  private stopping = false;
  private fallback: QueueWriter | null = null;
  /** Ids of groups waiting for room in the ring, in order (none goes in before them). */
  private held: number[] = [];
  /** drain() callers: each waits for the groups sent before it asked (ids up to `upTo`), not for later ones. */
  private waiting: { upTo: number; resolve: () => void }[] = [];

  /** `onConnection` gives the connection to write on should the worker die. */
  constructor(data: WriterThreadData, private readonly onConnection: () => QueueWriter) {
    const sab = createRing(RING_BYTES);
    this.ring = new RingWriter(sab);
    this.worker = new Worker(new URL('./sqlite-queue-write-thread.mjs', import.meta.url), {
      workerData: { file: data.file, pragmas: sqlitePragmas({ durability: data.durability }), ring: sab },
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
      if (this.held.length > 0 || !this.send(id)) this.held.push(id);
    });
  }

  /** Hands a group to the worker: true, or false when the ring has no room for it now. */
  private send(id: number): boolean {
    const g = this.inflight.get(id)!;
    if (!g.onPort) {
      const r = this.ring.write(g.group!, g.receivedMs);
      if (r === 'full') return false;
      if (r === 'large') {
        // Posted before its marker, so that the worker finds it on the port when it reads the marker.
        this.worker.postMessage({ group: g.group, receivedMs: g.receivedMs });
        g.onPort = true;
      }
      g.group = null;
    }
    if (g.onPort && !this.ring.mark(ON_PORT)) return false;
    g.onPort = false;
    return true;
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
    // Everything sent has settled, so the ring is empty; were it not, the worker is ended without its goodbye.
    if (!this.ring.mark(STOP)) await this.worker.terminate();
    await this.exited;
  }

  private settle(m: FromWorker): void {
    const [from, to] = 'done' in m ? m.done : m.failed;
    const failure = 'failed' in m ? new QueueCommitError('queue publish failed', { cause: new Error(m.error) }) : null;
    for (let id = from; id <= to; id++) {
      const p = this.inflight.get(id);
      if (!p) continue;
      this.inflight.delete(id);
      if (failure) p.reject(failure);
      else p.resolve();
    }
    // The worker took what was in the ring before it wrote: there is room again.
    let sent = 0;
    while (sent < this.held.length && !this.fallback && this.send(this.held[sent]!)) sent++;
    if (sent > 0) this.held.splice(0, sent);
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

