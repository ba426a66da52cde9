import type { Statement } from 'better-sqlite3';
import { checkEnvelopeTexts, parseEnvelopeWithoutRaw, type Envelope, type EnvelopeTexts } from '../../core/envelope.js';
import { FatalError, PuddleError, QueueCommitError } from '../../core/errors.js';
import { log } from '../../core/log.js';
import type { Claimable, ClaimedMessage, ClaimOptions, DeadLetter, Queue, RetryOptions, Subscription } from '../../core/ports.js';
import { markZeroedDeletes, QUEUE_META_DDL } from './queue-space.js';
import { forgetOlderReasons } from './sqlite-dead-letters.js';
import { startCheckpointer, type Checkpointer } from './sqlite-checkpointer.js';
import { WriterThread } from './sqlite-queue-write-thread.js';
import { packBodies, QueueWriter, RECEIVED_AT_KEY, unpackAll, type PackedBodies } from './sqlite-queue-writer.mjs';
import { openSqlite, type SqliteDatabase, type SqliteDurability } from './sqlite.js';

export interface SqliteQueueOptions {
  /** Used when a subscription does not say; 5. */
  defaultMaxAttempts?: number;
  /** See SqliteDurability: 'process' (default) survives a killed process, 'power' also a power cut. */
  durability?: SqliteDurability;
  /** Checkpoint the WAL from a worker thread (see sqlite-checkpointer.ts); default true for a file. */
  backgroundCheckpoints?: boolean;
  /** Commit publishes from a writer thread (see sqlite-queue-write-thread.ts); default true for a file. */
  backgroundWrites?: boolean;
}

// Bodies are stored once; each matching subscription gets a delivery row pointing at the body, and the body
// goes when its last delivery row is acked or dead-lettered (found through the deliveries' primary key, not a
// reference count: updating a count rewrote the whole body row, twice per message, on the ack path).
// Deliveries are keyed (sub_id, seq): claim walks that key in publish order, skipping the few in flight.
// seq is AUTOINCREMENT so a seq is never reused: a receipt names (seq, attempts), and reuse would let a late
// ack from a dead consumer delete a newer message that happened to get the same seq.
const SCHEMA = `
${QUEUE_META_DDL}
INSERT OR IGNORE INTO queue_meta (k, v) VALUES ('subscriptions', 0);
CREATE TABLE IF NOT EXISTS queue_subscriptions (
  id INTEGER PRIMARY KEY,
  name TEXT NOT NULL UNIQUE,
  contracts TEXT NOT NULL,
  max_attempts INTEGER NOT NULL
);
CREATE TABLE IF NOT EXISTS queue_messages (
  seq INTEGER PRIMARY KEY AUTOINCREMENT,
  body TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS queue_deliveries (
  sub_id INTEGER NOT NULL,
  seq INTEGER NOT NULL,
  visible_at INTEGER NOT NULL,
  attempts INTEGER NOT NULL,
  PRIMARY KEY (sub_id, seq)
) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS queue_dead_letters (
  id INTEGER PRIMARY KEY AUTOINCREMENT,
  sub_id INTEGER NOT NULL,
  body TEXT NOT NULL,
  attempts INTEGER NOT NULL,
  reason TEXT NOT NULL,
  failed_at TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS queue_dead_letters_sub ON queue_dead_letters (sub_id, id);
`;

/** Past this many ranges of unreferenced bodies, an ack checks body by body instead (deleteUnreferenced). */
const MAX_BODY_RANGES = 64;

interface Pending {
  /** Null once handed to the group commit (flushNow): the publish then waits holding only its callbacks. */
  contracts: string[] | null;
  bodies: PackedBodies | null;
  resolve: () => void;
  reject: (err: unknown) => void;
}

interface SubInfo {
  id: number;
  max_attempts: number;
}

interface AckGroup {
  seqs: Set<number>;
  lo: number;
  hi: number;
}

interface ClaimRow {
  seq: number;
  attempts: number;
}

export class SqliteQueue implements Queue {
  private readonly db: SqliteDatabase;
  private readonly checkpointer: Checkpointer | null;
  private readonly defaultMaxAttempts: number;
  private closed = false;

  private pending: Pending[] = [];
  private flushScheduled = false;
  /** The latest received time issued, kept with every commit of publishes (keepReceivedAt). */
  private receivedMark: (() => number) | null = null;
  /**
   * Publishes are written by the writer thread, started at the first publish (a process that only
   * claims, or `puddle status`, never starts one), or here on this connection (made on first use).
   */
  private readonly threadFor: (() => WriterThread) | null;
  private thread: WriterThread | null = null;
  private writer: QueueWriter | null = null;
  /** Deliveries the claim in progress dead-lettered for a visibility timeout expired on their last attempt. */
  private expiredOnLastAttempt = 0;

  private readonly stmt: {
    bumpSubsVersion: Statement;
    upsertSub: Statement;
    subByName: Statement;
    visible: Statement;
    anyVisible: Statement;
    visibleBeyond: Statement;
    bodiesInRange: Statement;
    body: Statement;
    markClaimed: Statement;
    deleteDelivery: Statement;
    dropDelivery: Statement;
    delivery: Statement;
    setVisibleAt: Statement;
    setVisibleAtUncounted: Statement;
    deleteIfUnreferenced: Statement;
    ackMany: Statement;
    rangeSeqs: Statement;
    ackRange: Statement;
    extendRange: Statement;
    extendMany: Statement;
    deleteUnreferencedRange: Statement;
    subIds: Statement;
    referencedInRange: Statement;
    deleteBodyRange: Statement;
    insertDeadLetter: Statement;
    deadLetters: Statement;
    depth: Statement;
    oldestReceived: Statement;
    firstVisibleReceived: Statement;
    countVisible: Statement;
  };

  private readonly claimTx: (sub: SubInfo, opts: ClaimOptions) => ClaimRow[];
  private readonly ackTx: (subId: number, receipts: readonly string[]) => void;
  private readonly extendTx: (subId: number, receipts: readonly string[], until: number) => void;
  private readonly retryTx: (sub: SubInfo, receipts: readonly string[], reason: string, delayMs: number, counted: boolean) => void;

  constructor(path: string, opts: SqliteQueueOptions = {}) {
    this.defaultMaxAttempts = opts.defaultMaxAttempts ?? 5;
    this.db = openSqlite(path, { durability: opts.durability });
    const fresh = this.db.prepare(`SELECT count(*) FROM sqlite_master`).pluck().get() === 0;
    this.db.exec(SCHEMA);
    // A queue made today has only ever deleted with secure_delete on: no start needs to rewrite it for that.
    if (fresh) markZeroedDeletes(this.db);
    forgetOlderReasons(this.db);
    const db = this.db;
    const wal = (db.pragma('journal_mode', { simple: true }) as string) === 'wal';
    this.checkpointer = wal && (opts.backgroundCheckpoints ?? true) ? startCheckpointer(path, { durability: opts.durability }) : null;
    this.threadFor =
      wal && (opts.backgroundWrites ?? true) ? () => (this.thread ??= new WriterThread({ file: path, durability: opts.durability }, () => this.localWriter())) : null;
    this.stmt = {
      bumpSubsVersion: db.prepare(`UPDATE queue_meta SET v = v + 1 WHERE k = 'subscriptions'`),
      upsertSub: db.prepare(
        `INSERT INTO queue_subscriptions (name, contracts, max_attempts) VALUES (?, ?, ?)
         ON CONFLICT (name) DO UPDATE SET contracts = excluded.contracts, max_attempts = excluded.max_attempts`,
      ),
      subByName: db.prepare(`SELECT id, max_attempts FROM queue_subscriptions WHERE name = ?`),
      // Delivery rows only: the claim's write transaction walks the (sub_id, seq) key and never reads a body.
      visible: db.prepare(
        `SELECT seq, attempts FROM queue_deliveries
         WHERE sub_id = ? AND seq > ? AND visible_at <= ? ORDER BY seq LIMIT ?`,
      ),
      anyVisible: db.prepare(`SELECT 1 FROM queue_deliveries WHERE sub_id = ? AND visible_at <= ? LIMIT 1`).pluck(),
      visibleBeyond: db.prepare(`SELECT 1 FROM queue_deliveries WHERE sub_id = ? AND visible_at <= ? LIMIT 1 OFFSET ?`).pluck(),
      bodiesInRange: db.prepare(`SELECT seq, body FROM queue_messages WHERE seq BETWEEN ? AND ?`).raw(),
      body: db.prepare(`SELECT body FROM queue_messages WHERE seq = ?`).pluck(),
      // The SELECT above took the lowest visible seqs, so the visible rows in [first, last] are exactly the
      // ones it returned (poison ones already dead-lettered): one UPDATE claims them all.
      markClaimed: db.prepare(
        `UPDATE queue_deliveries SET visible_at = @until, attempts = attempts + 1
         WHERE sub_id = @sub AND seq BETWEEN @first AND @last AND visible_at <= @now`,
      ),
      deleteDelivery: db.prepare(`DELETE FROM queue_deliveries WHERE sub_id = ? AND seq = ? AND attempts = ?`),
      dropDelivery: db.prepare(`DELETE FROM queue_deliveries WHERE sub_id = ? AND seq = ?`),
      delivery: db.prepare(
        `SELECT d.attempts, m.body FROM queue_deliveries d JOIN queue_messages m ON m.seq = d.seq
         WHERE d.sub_id = ? AND d.seq = ?`,
      ),
      setVisibleAt: db.prepare(`UPDATE queue_deliveries SET visible_at = ? WHERE sub_id = ? AND seq = ?`),
      // The claim counted this delivery; an uncounted retry takes it back. The next claim then hands out the
      // same receipt again, which only the consumer that just gave this one up could hold: it acks only what
      // it landed, and landing is idempotent.
      setVisibleAtUncounted: db.prepare(`UPDATE queue_deliveries SET visible_at = ?, attempts = attempts - 1 WHERE sub_id = ? AND seq = ? AND attempts > 0`),
      ackMany: db
        .prepare(
          `DELETE FROM queue_deliveries WHERE sub_id = @sub
             AND seq IN (SELECT value ->> 0 FROM json_each(@pairs))
             AND (seq, attempts) IN (SELECT value ->> 0, value ->> 1 FROM json_each(@pairs))
           RETURNING seq`,
        )
        .pluck(),
      rangeSeqs: db
        .prepare(`SELECT seq FROM queue_deliveries WHERE sub_id = @sub AND seq BETWEEN @lo AND @hi AND attempts = @attempts`)
        .pluck(),
      ackRange: db.prepare(`DELETE FROM queue_deliveries WHERE sub_id = @sub AND seq BETWEEN @lo AND @hi AND attempts = @attempts`),
      // A heartbeat: hides what a consumer still works on for longer. Matching attempts keeps it to the rows that
      // consumer still holds (a re-claimed row has a new attempts number), as for the ack.
      extendRange: db.prepare(
        `UPDATE queue_deliveries SET visible_at = @until WHERE sub_id = @sub AND seq BETWEEN @lo AND @hi AND attempts = @attempts`,
      ),
      extendMany: db.prepare(
        `UPDATE queue_deliveries SET visible_at = @until WHERE sub_id = @sub
           AND seq IN (SELECT value ->> 0 FROM json_each(@pairs))
           AND (seq, attempts) IN (SELECT value ->> 0, value ->> 1 FROM json_each(@pairs))`,
      ),
      deleteUnreferencedRange: db.prepare(
        `DELETE FROM queue_messages WHERE seq BETWEEN ? AND ? AND NOT EXISTS (
           SELECT 1 FROM queue_deliveries d WHERE d.sub_id IN (SELECT id FROM queue_subscriptions) AND d.seq = queue_messages.seq)`,
      ),
      subIds: db.prepare(`SELECT id FROM queue_subscriptions`).pluck(),
      referencedInRange: db.prepare(`SELECT seq FROM queue_deliveries WHERE sub_id = ? AND seq BETWEEN ? AND ?`).pluck(),
      deleteBodyRange: db.prepare(`DELETE FROM queue_messages WHERE seq BETWEEN ? AND ?`),
      deleteIfUnreferenced: db.prepare(
        `DELETE FROM queue_messages WHERE seq = ? AND NOT EXISTS (
           SELECT 1 FROM queue_deliveries d WHERE d.sub_id IN (SELECT id FROM queue_subscriptions) AND d.seq = ?)`,
      ),
      insertDeadLetter: db.prepare(
        `INSERT INTO queue_dead_letters (sub_id, body, attempts, reason, failed_at) VALUES (?, ?, ?, ?, ?)`,
      ),
      deadLetters: db.prepare(
        `SELECT body, attempts, reason, failed_at FROM queue_dead_letters WHERE sub_id = ? ORDER BY id LIMIT ?`,
      ),
      depth: db.prepare(`SELECT count(*) FROM queue_deliveries WHERE sub_id = ?`).pluck(),
      oldestReceived: db
        .prepare(
          `SELECT m.body ->> '$.received_at' FROM queue_deliveries d JOIN queue_messages m ON m.seq = d.seq
           WHERE d.sub_id = ? ORDER BY d.seq LIMIT 1`,
        )
        .pluck(),
      countVisible: db
        .prepare(`SELECT count(*) FROM (SELECT 1 FROM queue_deliveries WHERE sub_id = ? AND visible_at <= ? LIMIT ?)`)
        .pluck(),
      // The first claimable delivery in publish order: the one that has waited longest, give or take a retry.
      firstVisibleReceived: db
        .prepare(
          `SELECT m.body ->> '$.received_at' FROM queue_deliveries d JOIN queue_messages m ON m.seq = d.seq
           WHERE d.sub_id = ? AND d.visible_at <= ? ORDER BY d.seq LIMIT 1`,
        )
        .pluck(),
    };

    this.claimTx = db.transaction((sub: SubInfo, opts: ClaimOptions) => this.claimRows(sub, opts)).immediate;
    this.ackTx = db.transaction((subId: number, receipts: readonly string[]) => {
      // Matching attempts too is what makes a stale receipt a no-op. Receipts from one batch share an
      // attempts number and cover a seq range, so each group is deleted as a range when every row of that
      // range with that attempts number is one of ours (checked first: a range delete must not ack a row
      // another consumer holds); otherwise row by row.
      let lo = Infinity;
      let hi = -Infinity;
      let acked = 0;
      for (const [attempts, g] of groupReceipts(receipts)) {
        const range = { sub: subId, lo: g.lo, hi: g.hi, attempts };
        const present = this.stmt.rangeSeqs.all(range) as number[];
        if (present.length === 0) continue;
        if (present.every((seq) => g.seqs.has(seq))) acked += this.stmt.ackRange.run(range).changes;
        else {
          const pairs = [...g.seqs].map((seq) => [seq, attempts]);
          acked += (this.stmt.ackMany.all({ sub: subId, pairs: JSON.stringify(pairs) }) as number[]).length;
        }
        if (g.lo < lo) lo = g.lo;
        if (g.hi > hi) hi = g.hi;
      }
      // Any body in the range with no delivery left is garbage, whoever acked its other deliveries.
      if (acked > 0) this.deleteUnreferenced(lo, hi);
    }).immediate;
    this.extendTx = db.transaction((subId: number, receipts: readonly string[], until: number) => {
      // As the ack: one UPDATE per group when the range holds only our rows with that attempts number (a batch
      // is one or a few claims' ranges), row by row otherwise, so that another consumer's rows between ours are
      // never hidden for longer (after a crash they would come back that much later).
      for (const [attempts, g] of groupReceipts(receipts)) {
        const range = { sub: subId, lo: g.lo, hi: g.hi, attempts };
        const present = this.stmt.rangeSeqs.all(range) as number[];
        if (present.length === 0) continue;
        if (present.every((seq) => g.seqs.has(seq))) this.stmt.extendRange.run({ ...range, until });
        else this.stmt.extendMany.run({ sub: subId, until, pairs: JSON.stringify([...g.seqs].map((seq) => [seq, attempts])) });
      }
    }).immediate;
    this.retryTx = db.transaction((sub: SubInfo, receipts: readonly string[], reason: string, delayMs: number, counted: boolean) => {
      const now = Date.now();
      for (const r of receipts) {
        const parsed = parseReceipt(r);
        if (!parsed) continue;
        const row = this.stmt.delivery.get(sub.id, parsed.seq) as { attempts: number; body: string } | undefined;
        if (!row || row.attempts !== parsed.attempts) continue;
        if (!counted) this.stmt.setVisibleAtUncounted.run(now + delayMs, sub.id, parsed.seq);
        else if (row.attempts >= sub.max_attempts) this.deadLetter(sub.id, parsed.seq, row.body, row.attempts, reason, now);
        else this.stmt.setVisibleAt.run(now + delayMs, sub.id, parsed.seq);
      }
    }).immediate;
  }

  async subscribe(sub: Subscription): Promise<void> {
    this.assertOpen();
    if (!sub.name) throw new FatalError('subscription needs a name');
    if (sub.contracts !== '*' && (!Array.isArray(sub.contracts) || sub.contracts.length === 0)) {
      throw new FatalError(`subscription ${sub.name}: contracts must be '*' or a non-empty list`);
    }
    const maxAttempts = sub.maxAttempts ?? this.defaultMaxAttempts;
    if (!Number.isInteger(maxAttempts) || maxAttempts < 1) {
      throw new FatalError(`subscription ${sub.name}: maxAttempts must be a positive integer`);
    }
    const contracts = sub.contracts === '*' ? '*' : JSON.stringify([...sub.contracts]);
    // Publishes already made in this process must not be routed with the new subscription mid-group.
    this.flushNow();
    await this.thread?.drain();
    this.db.transaction(() => {
      this.stmt.upsertSub.run(sub.name, contracts, maxAttempts);
      this.stmt.bumpSubsVersion.run();
    }).immediate();
  }

  publish(envelopes: readonly Envelope[], texts?: EnvelopeTexts): Promise<void> {
    if (this.closed) return Promise.reject(new PuddleError('queue is closed'));
    if (envelopes.length === 0) return Promise.resolve();
    const contracts: string[] = new Array(envelopes.length);
    const bodies: string[] | null = texts ? null : new Array(envelopes.length);
    try {
      checkEnvelopeTexts(envelopes, texts);
      // Serialise here, not in the group commit, so one unserialisable envelope fails only its own caller.
      for (let i = 0; i < envelopes.length; i++) {
        const e = envelopes[i]!;
        if (typeof e.contract !== 'string' || !e.contract) throw new PuddleError('envelope has no contract');
        contracts[i] = e.contract;
        if (bodies) bodies[i] = JSON.stringify(e);
      }
    } catch (err) {
      return Promise.reject(err instanceof PuddleError ? err : new PuddleError('envelope is not serialisable', { cause: err }));
    }
    // One string per publish from here on (see packBodies).
    const packed = texts ?? packBodies(bodies!);
    return new Promise<void>((resolve, reject) => {
      this.pending.push({ contracts, bodies: packed, resolve, reject });
      if (!this.flushScheduled) {
        this.flushScheduled = true;
        // Group commit: every publish made before the event loop reaches the check phase (all requests
        // parsed in this poll round) shares one transaction, hence one WAL append.
        setImmediate(() => this.flushNow());
      }
    });
  }

  /**
   * The latest received time (epoch ms) kept by a commit of publishes (see keepReceivedAt), by any process of this
   * home; null before the first.
   */
  lastReceivedAt(): number | null {
    const v = this.db.prepare(`SELECT v FROM queue_meta WHERE k = ?`).pluck().get(RECEIVED_AT_KEY) as number | undefined;
    return v ?? null;
  }

  /**
   * The latest received_at (epoch ms) of the messages waiting, null when none does. For a queue a hub before
   * 2026-12-02 kept, which holds no lastReceivedAt: its waiting events were stamped by that hub's clock.
   */
  latestWaitingReceivedAt(): number | null {
    const v = this.db
      .prepare(`SELECT max(json_extract(body, '$.received_at')) FROM queue_messages WHERE json_valid(body)`)
      .pluck()
      .get() as string | null;
    const ms = v === null ? Number.NaN : Date.parse(v);
    return Number.isFinite(ms) ? ms : null;
  }

  /**
   * Keep `last()`, the latest received time issued (a ForwardClock's), with every commit of publishes from now on,
   * in the same transaction: whatever a restart finds the queue holding, it also finds a received time at least as
   * late as theirs, and the home's clock starts from it (infra/local/runtime.ts). Kept as the maximum ever written.
   */
  keepReceivedAt(last: () => number): void {
    this.receivedMark = last;
  }

  async claim(subscription: string, opts: ClaimOptions): Promise<ClaimedMessage[]> {
    this.assertOpen();
    const sub = this.subInfo(subscription);
    const max = Math.max(0, Math.floor(opts.max));
    if (max === 0) return [];
    // Idle consumers poll: looking first, without the write lock (WAL readers never block the writer), keeps
    // their empty polls from queueing the producer's commits behind a BEGIN IMMEDIATE (eight puddles every 50 ms).
    if (this.stmt.anyVisible.get(sub.id, Date.now()) === undefined) return [];
    this.expiredOnLastAttempt = 0;
    const rows = this.claimTx(sub, { ...opts, max, visibilityMs: Math.max(0, opts.visibilityMs) });
    if (this.expiredOnLastAttempt > 0) {
      // Dead-lettered here, not by a consumer's failure: nothing else says so. Until 2026-12-02 this was silent,
      // and a burst on a busy machine moved 5,000 deliveries (that had landed) to the dead letters unseen.
      log.warn('deliveries dead-lettered: each was claimed and not acked within its visibility timeout on every attempt', {
        subscription,
        deliveries: this.expiredOnLastAttempt,
        attempts: sub.max_attempts,
      });
    }
    if (rows.length === 0) return [];
    // Bodies are read after the commit, not inside it: the write lock covers only the delivery rows (a claim
    // of 5,000 used to read ~3 MB of bodies under it), so the producer's commits wait less.
    // A claimed body cannot go meanwhile: it goes with its last delivery row, and ours is now invisible to
    // other consumers and has a new attempts number no stale receipt matches.
    const bodies = this.bodiesOf(rows);
    const out: ClaimedMessage[] = [];
    for (let i = 0; i < rows.length; i++) {
      const r = rows[i]!;
      const body = bodies[i];
      if (body === undefined) {
        // A delivery whose body is gone can never be landed (the old JOIN skipped it for ever): drop it.
        log.warn('queue delivery without a body dropped', { subscription, seq: r.seq });
        this.stmt.dropDelivery.run(sub.id, r.seq);
        continue;
      }
      const attempts = r.attempts + 1;
      const envelope = opts.withoutRaw ? parseEnvelopeWithoutRaw(body) : (JSON.parse(body) as Envelope);
      const m: ClaimedMessage = { receipt: `${r.seq}.${attempts}`, envelope, attempts };
      if (opts.withBody) m.body = body;
      out.push(m);
    }
    return out;
  }

  /** The bodies of claimed rows (in seq order), read in one range scan when the range is mostly ours. */
  private bodiesOf(rows: readonly ClaimRow[]): (string | undefined)[] {
    const first = rows[0]!.seq;
    const last = rows[rows.length - 1]!.seq;
    const out: (string | undefined)[] = new Array(rows.length);
    if (last - first + 1 <= rows.length * 2) {
      const bySeq = new Map<number, string>();
      for (const [seq, body] of this.stmt.bodiesInRange.all(first, last) as [number, string][]) bySeq.set(seq, body);
      for (let i = 0; i < rows.length; i++) out[i] = bySeq.get(rows[i]!.seq);
    } else {
      for (let i = 0; i < rows.length; i++) out[i] = this.stmt.body.get(rows[i]!.seq) as string | undefined;
    }
    return out;
  }

  async ack(subscription: string, receipts: readonly string[]): Promise<void> {
    this.assertOpen();
    if (receipts.length === 0) return;
    this.ackTx(this.subInfo(subscription).id, receipts);
  }

  async extend(subscription: string, receipts: readonly string[], visibilityMs: number): Promise<void> {
    this.assertOpen();
    if (receipts.length === 0) return;
    this.extendTx(this.subInfo(subscription).id, receipts, Date.now() + Math.max(0, visibilityMs));
  }

  async retry(subscription: string, receipts: readonly string[], opts: RetryOptions): Promise<void> {
    this.assertOpen();
    if (receipts.length === 0) return;
    this.retryTx(this.subInfo(subscription), receipts, opts.reason, Math.max(0, opts.delayMs ?? 0), opts.counted ?? true);
  }

  async deadLetters(subscription: string, limit = 100): Promise<DeadLetter[]> {
    this.assertOpen();
    const rows = this.stmt.deadLetters.all(this.subInfo(subscription).id, limit) as {
      body: string;
      attempts: number;
      reason: string;
      failed_at: string;
    }[];
    return rows.map((r) => ({
      envelope: JSON.parse(r.body) as Envelope,
      attempts: r.attempts,
      reason: r.reason,
      failed_at: r.failed_at,
    }));
  }

  /**
   * Whether more than `n` deliveries of `subscription` are visible (claimable) now. Synchronous, and walks at
   * most the subscription's key up to the (n+1)th visible row: cheap enough to ask every few hundred ms.
   */
  visibleMoreThan(subscription: string, n: number): boolean {
    this.assertOpen();
    return this.stmt.visibleBeyond.get(this.subInfo(subscription).id, Date.now(), Math.max(0, Math.floor(n))) !== undefined;
  }

  /**
   * What `subscription` could claim now, without claiming it (a consumer that lingers for a fuller batch asks
   * this, puddles/consumer.ts): how many deliveries are visible, counted up to `upTo`, and how long the first
   * visible one has waited since the hub received it (its envelope's received_at), in ms; null when that has no
   * readable received_at. Synchronous, and cheap enough to ask every few hundred ms (the walk stops at `upTo`).
   */
  claimable(subscription: string, upTo: number): Claimable {
    this.assertOpen();
    const sub = this.subInfo(subscription).id;
    const now = Date.now();
    const visible = this.stmt.countVisible.get(sub, now, Math.max(0, Math.floor(upTo))) as number;
    if (visible === 0) return { visible, oldestMs: 0 };
    const at = this.stmt.firstVisibleReceived.get(sub, now) as string | null | undefined;
    const t = typeof at === 'string' ? Date.parse(at) : Number.NaN;
    return { visible, oldestMs: Number.isFinite(t) ? now - t : null };
  }

  async depth(subscription: string): Promise<number> {
    this.assertOpen();
    return this.stmt.depth.get(this.subInfo(subscription).id) as number;
  }

  /**
   * How long the oldest delivery still waiting for any of `subscriptions` has waited since the hub received
   * it (its envelope's received_at), in ms; 0 when none waits. Walks each subscription's key from its start.
   */
  async oldestWaitingMs(subscriptions: readonly string[]): Promise<number> {
    this.assertOpen();
    let oldest = Infinity;
    for (const name of subscriptions) {
      const at = this.stmt.oldestReceived.get(this.subInfo(name).id) as string | null | undefined;
      const t = at ? Date.parse(at) : NaN;
      if (Number.isFinite(t) && t < oldest) oldest = t;
    }
    return oldest === Infinity ? 0 : Math.max(0, Date.now() - oldest);
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.flushNow();
    this.closed = true;
    await this.thread?.stop();
    await this.checkpointer?.stop();
    this.db.close();
  }

  // ------------------------------------------------------------ internals

  private flushNow(): void {
    this.flushScheduled = false;
    if (this.pending.length === 0) return;
    const group = this.pending;
    this.pending = [];
    const contracts = group.length === 1 ? group[0]!.contracts! : group.flatMap((p) => p.contracts!);
    const packs = group.map((p) => p.bodies!);
    // The bodies wait for their commit in the writer thread (or go into it here), not on this thread's heap: see
    // WriterThread.post.
    for (const p of group) p.contracts = p.bodies = null;
    // Read at the commit, after the group's envelopes were stamped: at least as late as any of theirs.
    const mark = this.receivedMark?.();
    const receivedMs = mark !== undefined && Number.isFinite(mark) ? mark : undefined;
    let thread: WriterThread | null = null;
    try {
      thread = this.threadFor?.() ?? null;
    } catch (err) {
      // No thread could be started (out of memory, too many threads): commit here; the next flush tries again.
      log.warn('no queue writer thread; committing on the main connection', { error: err });
    }
    if (thread) {
      thread.write(contracts, packs, receivedMs).then(
        () => group.forEach((p) => p.resolve()),
        (err: unknown) => group.forEach((p) => p.reject(err)),
      );
      return;
    }
    try {
      this.localWriter().write(contracts, unpackAll(packs), receivedMs);
    } catch (err) {
      const failure = new QueueCommitError('queue publish failed', { cause: err });
      for (const p of group) p.reject(failure);
      return;
    }
    for (const p of group) p.resolve();
  }

  private localWriter(): QueueWriter {
    return (this.writer ??= new QueueWriter(this.db));
  }

  /** Runs inside the claim transaction: the rows claimed (their bodies are read after it commits). */
  private claimRows(sub: SubInfo, { max, visibilityMs }: ClaimOptions): ClaimRow[] {
    const now = Date.now();
    const out: ClaimRow[] = [];
    let after = 0;
    // Loop because poison messages found on the way are dead-lettered instead of returned.
    while (out.length < max) {
      const want = max - out.length;
      const rows = this.stmt.visible.all(sub.id, after, now, want) as ClaimRow[];
      if (rows.length === 0) break;
      let poisoned = 0;
      for (const r of rows) {
        if (r.attempts >= sub.max_attempts) {
          // Its last consumer took it and never came back (crashed on it every time): stop handing it out.
          this.deadLetter(sub.id, r.seq, (this.stmt.body.get(r.seq) as string | undefined) ?? 'null', r.attempts, 'visibility timeout expired on the last attempt', now);
          poisoned++;
          this.expiredOnLastAttempt++;
          continue;
        }
        out.push(r);
      }
      const first = rows[0]!.seq;
      after = rows[rows.length - 1]!.seq;
      if (poisoned < rows.length) this.stmt.markClaimed.run({ until: now + visibilityMs, sub: sub.id, first, last: after, now });
      if (poisoned === 0 || rows.length < want) break;
    }
    return out;
  }

  private deadLetter(subId: number, seq: number, body: string, attempts: number, reason: string, now: number): void {
    this.stmt.insertDeadLetter.run(subId, body, attempts, reason, new Date(now).toISOString());
    this.stmt.deleteDelivery.run(subId, seq, attempts);
    this.release(seq);
  }

  /**
   * Inside a write transaction: drops the bodies in [lo, hi] that no delivery points at. The deliveries
   * still in the range are read with one range scan of the key per subscription; the bodies between them go
   * by rowid ranges. When every body is still wanted (a message's first subscription to ack it), nothing is
   * written. Checking each body against every subscription instead (NOT EXISTS) was half of an ack's time:
   * ~10 ms of a 5,000-message batch, with the queue's write lock held.
   */
  private deleteUnreferenced(lo: number, hi: number): void {
    const kept: number[] = [];
    for (const subId of this.stmt.subIds.all() as number[]) {
      for (const seq of this.stmt.referencedInRange.all(subId, lo, hi) as number[]) kept.push(seq);
    }
    if (kept.length === 0) {
      this.stmt.deleteBodyRange.run(lo, hi);
      return;
    }
    kept.sort((a, b) => a - b);
    // The ranges between the kept seqs, [from, to] pairs (a seq may be kept by several subscriptions).
    const ranges: number[] = [];
    let from = lo;
    for (const seq of kept) {
      if (seq > from) ranges.push(from, seq - 1);
      if (seq >= from) from = seq + 1;
    }
    if (from <= hi) ranges.push(from, hi);
    // Many scattered survivors (puddles far apart in the range): one statement rather than many.
    if (ranges.length > MAX_BODY_RANGES * 2) {
      this.stmt.deleteUnreferencedRange.run(lo, hi);
      return;
    }
    for (let i = 0; i < ranges.length; i += 2) this.stmt.deleteBodyRange.run(ranges[i], ranges[i + 1]);
  }

  /** One delivery of `seq` is gone; drop the body with the last one. */
  private release(seq: number): void {
    this.stmt.deleteIfUnreferenced.run(seq, seq);
  }

  private subInfo(name: string): SubInfo {
    const row = this.stmt.subByName.get(name) as SubInfo | undefined;
    if (!row) throw new FatalError(`unknown subscription: ${name}`);
    return row;
  }

  private assertOpen(): void {
    if (this.closed) throw new PuddleError('queue is closed');
  }
}

/** Receipts by attempts number, each group with its seqs and their range (receipts of one claim share one). */
function groupReceipts(receipts: readonly string[]): Map<number, AckGroup> {
  const groups = new Map<number, AckGroup>();
  for (const r of receipts) {
    const parsed = parseReceipt(r);
    if (!parsed) continue;
    let g = groups.get(parsed.attempts);
    if (!g) groups.set(parsed.attempts, (g = { seqs: new Set(), lo: parsed.seq, hi: parsed.seq }));
    g.seqs.add(parsed.seq);
    if (parsed.seq < g.lo) g.lo = parsed.seq;
    if (parsed.seq > g.hi) g.hi = parsed.seq;
  }
  return groups;
}

/** A receipt is `${seq}.${attempts}`: re-claiming bumps attempts, which retires every older receipt. */
function parseReceipt(receipt: string): { seq: number; attempts: number } | null {
  const dot = receipt.indexOf('.');
  if (dot <= 0) return null;
  const seq = Number(receipt.slice(0, dot));
  const attempts = Number(receipt.slice(dot + 1));
  if (!Number.isSafeInteger(seq) || !Number.isSafeInteger(attempts)) return null;
  return { seq, attempts };
}
