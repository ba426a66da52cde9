import type { Statement } from 'better-sqlite3';
import { checkEnvelopeTexts, parseEnvelopeWithoutRaw, type Envelope, type EnvelopeTexts } from '../../core/envelope.js';
import { FatalError, PuddleError, QueueCommitError } from '../../core/errors.js';
import { log } from '../../core/log.js';
import type { Claimable, ClaimedMessage, ClaimOptions, DeadLetter, Queue, RetryOptions, Subscription } from '../../core/ports.js';
import { damagedFileError } from './sqlite-file.js';
import { markZeroedDeletes, QUEUE_META_DDL } from './queue-space.js';
import { forgetOlderReasons } from './sqlite-dead-letters.js';
import { startCheckpointer, type Checkpointer } from './sqlite-checkpointer.js';
import { isSettled, PACK_MAX, settledCount, splitPack, withSettled } from './sqlite-queue-pack.mjs';
import { groupReceipts, receiptOf } from './sqlite-queue-receipts.js';
import { WriterThread } from './sqlite-queue-write-thread.js';
import { joinGroups, packBodies, QueueWriter, RECEIVED_AT_KEY, type WriteGroup } from './sqlite-queue-writer.mjs';
import { hasColumn, openSqlite, type SqliteDatabase, type SqliteDurability } from './sqlite.js';

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
//
// A producer request of several events is one pack (sqlite-queue-pack.mjs): one queue_messages row holding their
// texts back to back (`lengths` says where each ends; `received_at` is the request's, as the body is not one JSON
// value), and one delivery row per subscription whose `settled` bitmap marks the events it is done with (acked,
// dead-lettered, or never routed to it) and `unsettled` counts the rest. A row of one event has lengths, received_at
// and settled NULL, and unsettled 1: what every row was before packs (2026-12-04), and what every other publish
// (a sync's page, a webhook, a redriven dead letter) still writes.
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
  body TEXT NOT NULL,
  lengths BLOB,
  received_at TEXT
);
CREATE TABLE IF NOT EXISTS queue_deliveries (
  sub_id INTEGER NOT NULL,
  seq INTEGER NOT NULL,
  visible_at INTEGER NOT NULL,
  attempts INTEGER NOT NULL,
  unsettled INTEGER NOT NULL DEFAULT 1,
  settled BLOB,
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

/** The columns packs added (2026-12-04), for a queue.db made before: added on open, empty (rows of one event). */
const PACK_COLUMNS: [table: string, column: string, ddl: string][] = [
  ['queue_messages', 'lengths', 'BLOB'],
  ['queue_messages', 'received_at', 'TEXT'],
  ['queue_deliveries', 'unsettled', 'INTEGER NOT NULL DEFAULT 1'],
  ['queue_deliveries', 'settled', 'BLOB'],
];

/**
 * The received time (ISO) of the message `m`: a pack's column, or the one event's envelope field. CASE, not
 * coalesce: a pack's body is not one JSON value, and `->>` on it is an error. For a reader of queue.db too (the
 * hub bench reads the file on its own connection).
 */
export const MESSAGE_RECEIVED_AT_SQL = (m: string) => `CASE WHEN ${m}.lengths IS NULL THEN ${m}.body ->> '$.received_at' ELSE ${m}.received_at END`;

/** A queue made before packs gets their columns; guarded, as other processes of the home open it too. */
function addPackColumns(db: SqliteDatabase): void {
  const missing = () => PACK_COLUMNS.filter(([table, column]) => !hasColumn(db, table, column));
  if (missing().length === 0) return;
  db.transaction(() => {
    for (const [table, column, ddl] of missing()) db.exec(`ALTER TABLE ${table} ADD COLUMN ${column} ${ddl}`);
  }).immediate();
}

/** Past this many ranges of unreferenced bodies, an ack checks body by body instead (deleteUnreferenced). */
const MAX_BODY_RANGES = 64;

interface Pending {
  /** Null once handed to the group commit (flushNow): the publish then waits holding only its callbacks. */
  group: WriteGroup | null;
  resolve: () => void;
  reject: (err: unknown) => void;
}

interface SubInfo {
  id: number;
  max_attempts: number;
}

/** A delivery row as the claim walks it: `settled` null for a row of one event, a bitmap for a pack's. */
interface ClaimRow {
  seq: number;
  attempts: number;
  unsettled: number;
  settled: Buffer | null;
}

/** A message's stored text: one event's JSON, or a pack's texts with their lengths. */
interface Stored {
  body: string;
  lengths: Buffer | null;
}

type RetriedRow = Stored & { attempts: number; unsettled: number; settled: Buffer | null };

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
    rangeRows: Statement;
    settle: Statement;
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
    let fresh: boolean;
    // What SQLite reads here (the header and the schema) says whether the file is a queue at all. Damage deeper in it
    // shows only when those pages are read; `puddle catalog verify` reads every page.
    let opened: SqliteDatabase | undefined;
    try {
      opened = openSqlite(path, { durability: opts.durability });
      fresh = opened.prepare(`SELECT count(*) FROM sqlite_master`).pluck().get() === 0;
      opened.exec(SCHEMA);
      addPackColumns(opened);
    } catch (err) {
      opened?.close();
      throw damagedFileError(path, err, 'queue');
    }
    this.db = opened;
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
         ON CONFLICT (name) DO UPDATE SET contracts = excluded.contracts, max_attempts = excluded.max_attempts
         WHERE contracts IS NOT excluded.contracts OR max_attempts IS NOT excluded.max_attempts`,
      ),
      subByName: db.prepare(`SELECT id, max_attempts FROM queue_subscriptions WHERE name = ?`),
      // Delivery rows only: the claim's write transaction walks the (sub_id, seq) key and never reads a body.
      visible: db.prepare(
        `SELECT seq, attempts, unsettled, settled FROM queue_deliveries
         WHERE sub_id = ? AND seq > ? AND visible_at <= ? ORDER BY seq LIMIT ?`,
      ),
      anyVisible: db.prepare(`SELECT 1 FROM queue_deliveries WHERE sub_id = ? AND visible_at <= ? LIMIT 1`).pluck(),
      bodiesInRange: db.prepare(`SELECT seq, body, lengths FROM queue_messages WHERE seq BETWEEN ? AND ?`).raw(),
      body: db.prepare(`SELECT body, lengths FROM queue_messages WHERE seq = ?`),
      // The SELECT above took the lowest visible seqs, so the visible rows in [first, last] are exactly the
      // ones it returned (poison ones already dead-lettered): one UPDATE claims them all.
      markClaimed: db.prepare(
        `UPDATE queue_deliveries SET visible_at = @until, attempts = attempts + 1
         WHERE sub_id = @sub AND seq BETWEEN @first AND @last AND visible_at <= @now`,
      ),
      deleteDelivery: db.prepare(`DELETE FROM queue_deliveries WHERE sub_id = ? AND seq = ? AND attempts = ?`),
      dropDelivery: db.prepare(`DELETE FROM queue_deliveries WHERE sub_id = ? AND seq = ?`),
      delivery: db.prepare(
        `SELECT d.attempts, d.unsettled, d.settled, m.body, m.lengths FROM queue_deliveries d JOIN queue_messages m ON m.seq = d.seq
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
      rangeRows: db.prepare(
        `SELECT seq, unsettled, settled FROM queue_deliveries WHERE sub_id = @sub AND seq BETWEEN @lo AND @hi AND attempts = @attempts`,
      ),
      // Some of a pack's events are done with, not all: the delivery stays for the rest.
      settle: db.prepare(`UPDATE queue_deliveries SET settled = ?, unsettled = ? WHERE sub_id = ? AND seq = ? AND attempts = ?`),
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
      // Events, not rows: a pack's delivery counts the events it has not settled.
      depth: db.prepare(`SELECT coalesce(sum(unsettled), 0) FROM queue_deliveries WHERE sub_id = ?`).pluck(),
      oldestReceived: db
        .prepare(
          `SELECT ${MESSAGE_RECEIVED_AT_SQL('m')} FROM queue_deliveries d JOIN queue_messages m ON m.seq = d.seq
           WHERE d.sub_id = ? ORDER BY d.seq LIMIT 1`,
        )
        .pluck(),
      // The events of the first `LIMIT` visible deliveries: at least that many once there are that many deliveries.
      countVisible: db
        .prepare(`SELECT coalesce(sum(unsettled), 0) FROM (SELECT unsettled FROM queue_deliveries WHERE sub_id = ? AND visible_at <= ? LIMIT ?)`)
        .pluck(),
      // The first claimable delivery in publish order: the one that has waited longest, give or take a retry.
      firstVisibleReceived: db
        .prepare(
          `SELECT ${MESSAGE_RECEIVED_AT_SQL('m')} FROM queue_deliveries d JOIN queue_messages m ON m.seq = d.seq
           WHERE d.sub_id = ? AND d.visible_at <= ? ORDER BY d.seq LIMIT 1`,
        )
        .pluck(),
    };

    this.claimTx = db.transaction((sub: SubInfo, opts: ClaimOptions) => this.claimRows(sub, opts)).immediate;
    this.ackTx = db.transaction((subId: number, receipts: readonly string[]) => {
      // Matching attempts too is what makes a stale receipt a no-op. Receipts from one batch share an
      // attempts number and cover a seq range, so each group is deleted as a range when every row of that
      // range with that attempts number is one of ours and wholly acked (checked first: a range delete must not
      // ack a row another consumer holds, nor a pack's events the receipts leave out); otherwise row by row.
      let lo = Infinity;
      let hi = -Infinity;
      let acked = 0;
      for (const [attempts, g] of groupReceipts(receipts)) {
        const range = { sub: subId, lo: g.lo, hi: g.hi, attempts };
        const present = this.stmt.rangeRows.all(range) as { seq: number; unsettled: number; settled: Buffer | null }[];
        if (present.length === 0) continue;
        const whole: number[] = [];
        const partial: { seq: number; bits: Buffer; unsettled: number }[] = [];
        for (const row of present) {
          const named = g.seqs.get(row.seq);
          if (named === undefined) continue;
          if (row.settled === null) {
            if (named === null) whole.push(row.seq);
            continue;
          }
          if (named === null) continue; // a row's receipt for a pack: not one of its receipts
          const { bits, newly } = withSettled(row.settled, row.unsettled + settledCount(row.settled), named);
          if (newly >= row.unsettled) whole.push(row.seq);
          else if (newly > 0) partial.push({ seq: row.seq, bits, unsettled: row.unsettled - newly });
        }
        if (whole.length === present.length) acked += this.stmt.ackRange.run(range).changes;
        else if (whole.length > 0) {
          const pairs = whole.map((seq) => [seq, attempts]);
          acked += (this.stmt.ackMany.all({ sub: subId, pairs: JSON.stringify(pairs) }) as number[]).length;
        }
        for (const p of partial) this.stmt.settle.run(p.bits, p.unsettled, subId, p.seq, attempts);
        if (g.lo < lo) lo = g.lo;
        if (g.hi > hi) hi = g.hi;
      }
      // Any body in the range with no delivery left is garbage, whoever acked its other deliveries.
      if (acked > 0) this.deleteUnreferenced(lo, hi);
    }).immediate;
    this.extendTx = db.transaction((subId: number, receipts: readonly string[], until: number) => {
      // As the ack: one UPDATE per group when the range holds only our rows with that attempts number (a batch
      // is one or a few claims' ranges), row by row otherwise, so that another consumer's rows between ours are
      // never hidden for longer (after a crash they would come back that much later). A pack's row is one
      // visibility: a receipt for any of its events extends it all.
      for (const [attempts, g] of groupReceipts(receipts)) {
        const range = { sub: subId, lo: g.lo, hi: g.hi, attempts };
        const present = this.stmt.rangeSeqs.all(range) as number[];
        if (present.length === 0) continue;
        if (present.every((seq) => g.seqs.has(seq))) this.stmt.extendRange.run({ ...range, until });
        else this.stmt.extendMany.run({ sub: subId, until, pairs: JSON.stringify([...g.seqs.keys()].map((seq) => [seq, attempts])) });
      }
    }).immediate;
    this.retryTx = db.transaction((sub: SubInfo, receipts: readonly string[], reason: string, delayMs: number, counted: boolean) => {
      const now = Date.now();
      for (const [attempts, g] of groupReceipts(receipts)) {
        for (const [seq, named] of g.seqs) {
          const row = this.stmt.delivery.get(sub.id, seq) as RetriedRow | undefined;
          if (!row || row.attempts !== attempts || (row.settled === null) !== (named === null)) continue;
          // A pack's row is one visibility: retrying some of its events offers the pack again, and its events the
          // caller did not name come back with them (at least once: landing is idempotent).
          if (!counted) this.stmt.setVisibleAtUncounted.run(now + delayMs, sub.id, seq);
          else if (row.attempts < sub.max_attempts) this.stmt.setVisibleAt.run(now + delayMs, sub.id, seq);
          else this.deadLetter(sub.id, seq, row, named ?? 'all', reason, now);
        }
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
    // Unchanged, it writes nothing: every command that opens a home subscribes its puddles, and until 2026-12-06 each
    // (an erasure's dry run on a backup kept as evidence included) changed queue.db's bytes (user test).
    this.db.transaction(() => {
      if (this.stmt.upsertSub.run(sub.name, contracts, maxAttempts).changes > 0) this.stmt.bumpSubsVersion.run();
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
    const packs = [texts ?? packBodies(bodies!)];
    // A producer's request of several events is kept as packs; any other publish as a row an event.
    const group: WriteGroup = texts && envelopes.length > 1 ? { contracts, packs, ...requestRows(envelopes) } : { contracts, packs };
    return new Promise<void>((resolve, reject) => {
      this.pending.push({ group, resolve, reject });
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
      .prepare(`SELECT max(CASE WHEN lengths IS NOT NULL THEN received_at WHEN json_valid(body) THEN body ->> '$.received_at' END) FROM queue_messages`)
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
    const stored = this.bodiesOf(rows);
    const out: ClaimedMessage[] = [];
    const add = (seq: number, attempts: number, index: number | null, body: string) => {
      const envelope = opts.withoutRaw ? parseEnvelopeWithoutRaw(body) : (JSON.parse(body) as Envelope);
      const m: ClaimedMessage = { receipt: receiptOf(seq, attempts, index), envelope, attempts };
      if (opts.withBody) m.body = body;
      out.push(m);
    };
    for (let i = 0; i < rows.length; i++) {
      const r = rows[i]!;
      const s = stored[i];
      // A row of one event, as every row was before packs: nothing to split.
      if (r.settled === null && s !== undefined && s.lengths === null) {
        add(r.seq, r.attempts + 1, null, s.body);
        continue;
      }
      const bodies = unpack(s, r);
      if (bodies === null && s === undefined) {
        // A delivery whose body is gone can never be landed (the old JOIN skipped it for ever): drop it.
        log.warn('queue delivery without a body dropped', { subscription, seq: r.seq });
        this.stmt.dropDelivery.run(sub.id, r.seq);
        continue;
      }
      if (bodies === null) {
        // Its text and lengths do not agree (changed by hand: the writer checks them): kept whole as one dead
        // letter, for someone to look at, rather than lost.
        log.error('queue pack unreadable: kept as a dead letter', { subscription, seq: r.seq });
        this.db.transaction(() => this.deadLetter(sub.id, r.seq, null, 'all', 'queue pack unreadable', Date.now()))();
        continue;
      }
      for (let k = 0; k < bodies.length; k++) if (!isSettled(r.settled, k)) add(r.seq, r.attempts + 1, k, bodies[k]!);
    }
    return out;
  }

  /** The stored texts of claimed rows (in seq order), read in one range scan when the range is mostly ours. */
  private bodiesOf(rows: readonly ClaimRow[]): (Stored | undefined)[] {
    const first = rows[0]!.seq;
    const last = rows[rows.length - 1]!.seq;
    const out: (Stored | undefined)[] = new Array(rows.length);
    if (last - first + 1 <= rows.length * 2) {
      const bySeq = new Map<number, Stored>();
      for (const [seq, body, lengths] of this.stmt.bodiesInRange.all(first, last) as [number, string, Buffer | null][]) bySeq.set(seq, { body, lengths });
      for (let i = 0; i < rows.length; i++) out[i] = bySeq.get(rows[i]!.seq);
    } else {
      for (let i = 0; i < rows.length; i++) out[i] = this.stmt.body.get(rows[i]!.seq) as Stored | undefined;
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
    const upTo = Math.max(0, Math.floor(n));
    return (this.stmt.countVisible.get(this.subInfo(subscription).id, Date.now(), upTo + 1) as number) > upTo;
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
    const most = Math.max(0, Math.floor(upTo));
    const visible = Math.min(most, this.stmt.countVisible.get(sub, now, most) as number);
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
    const write = joinGroups(group.map((p) => p.group!));
    // The bodies wait for their commit in the writer thread (or go into it here), not on this thread's heap (see
    // WriterThread).
    for (const p of group) p.group = null;
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
      thread.write(write, receivedMs).then(
        () => group.forEach((p) => p.resolve()),
        (err: unknown) => group.forEach((p) => p.reject(err)),
      );
      return;
    }
    try {
      this.localWriter().write(write, receivedMs);
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

  /**
   * Runs inside the claim transaction: the rows claimed (their bodies are read after it commits). Rows are taken in
   * publish order while their events fit in `max`; a pack is never split, so a claim whose first pack holds more
   * than `max` takes that pack alone (at most PACK_MAX events).
   */
  private claimRows(sub: SubInfo, { max, visibilityMs }: ClaimOptions): ClaimRow[] {
    const now = Date.now();
    const out: ClaimRow[] = [];
    let events = 0;
    let after = 0;
    let first = 0;
    let last = 0;
    // Rows read per statement: first a few (a pack's row holds up to PACK_MAX events), then as many as the events
    // still wanted need at the events per row seen so far.
    let limit = Math.min(max, CLAIM_FIRST_ROWS);
    scan: for (;;) {
      const rows = this.stmt.visible.all(sub.id, after, now, limit) as ClaimRow[];
      for (const r of rows) {
        if (r.attempts >= sub.max_attempts) {
          // Its last consumer took it and never came back (crashed on it every time): stop handing it out.
          this.expiredOnLastAttempt += this.deadLetter(sub.id, r.seq, null, 'all', 'visibility timeout expired on the last attempt', now);
          continue;
        }
        if (events > 0 && events + r.unsettled > max) break scan;
        if (out.length === 0) first = r.seq;
        last = r.seq;
        out.push(r);
        events += r.unsettled;
        if (events >= max) break scan;
      }
      if (rows.length < limit) break;
      after = rows[rows.length - 1]!.seq;
      const perRow = out.length ? events / out.length : 1;
      limit = Math.max(1, Math.ceil((max - events) / perRow) + 1);
    }
    // Rows are taken in seq order, and every visible row between the first and last taken was taken (the poison
    // ones are gone): one UPDATE claims them all.
    if (out.length > 0) this.stmt.markClaimed.run({ until: now + visibilityMs, sub: sub.id, first, last, now });
    return out;
  }

  /**
   * Dead-letters the unsettled events of `seq`'s delivery among `which` ('all', or a pack's indexes), one dead letter
   * each, and drops the delivery once none is left (its body with the last delivery). Returns how many went.
   */
  private deadLetter(subId: number, seq: number, known: RetriedRow | null, which: readonly number[] | 'all', reason: string, now: number): number {
    const row = known ?? (this.stmt.delivery.get(subId, seq) as RetriedRow | undefined);
    if (!row) {
      // Its body is gone: nothing to keep as a dead letter, and it could never be landed.
      log.warn('queue delivery without a body dropped', { seq });
      this.stmt.dropDelivery.run(subId, seq);
      return 0;
    }
    const failedAt = new Date(now).toISOString();
    const bodies = unpack(row, row);
    if (row.settled === null || bodies === null) {
      // A row of one event (or a pack that cannot be read: kept whole, as found).
      this.stmt.insertDeadLetter.run(subId, row.body, row.attempts, reason, failedAt);
      this.stmt.deleteDelivery.run(subId, seq, row.attempts);
      this.release(seq);
      return 1;
    }
    const picked = which === 'all' ? bodies.map((_, k) => k) : which;
    const dead = [...new Set(picked)].filter((k) => k < bodies.length && !isSettled(row.settled, k));
    for (const k of dead) this.stmt.insertDeadLetter.run(subId, bodies[k], row.attempts, reason, failedAt);
    if (dead.length >= row.unsettled) {
      this.stmt.deleteDelivery.run(subId, seq, row.attempts);
      this.release(seq);
    } else if (dead.length > 0) {
      this.stmt.settle.run(withSettled(row.settled, bodies.length, dead).bits, row.unsettled - dead.length, subId, seq, row.attempts);
    }
    return dead.length;
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

/** Delivery rows the claim reads first (see claimRows). */
const CLAIM_FIRST_ROWS = 64;

/**
 * How a producer's request is stored (QueueWriter.write's `rows`): packs of up to PACK_MAX events, each with the
 * earliest received time of its events (a request's events share one); a lone event is a row of its own.
 */
function requestRows(envelopes: readonly Envelope[]): { rows: number[]; receivedAt: string[] } {
  const rows: number[] = [];
  const receivedAt: string[] = [];
  for (let at = 0; at < envelopes.length; at += PACK_MAX) {
    const n = Math.min(PACK_MAX, envelopes.length - at);
    if (n === 1) {
      rows.push(-1);
      continue;
    }
    let earliest = envelopes[at]!.received_at;
    for (let i = at + 1; i < at + n; i++) if (envelopes[i]!.received_at < earliest) earliest = envelopes[i]!.received_at;
    rows.push(n);
    receivedAt.push(earliest);
  }
  return { rows, receivedAt };
}

/** The event texts of a stored row for its delivery: null when the body is gone, or a pack's lengths do not fit it. */
function unpack(stored: Stored | undefined, delivery: { settled: Buffer | null }): string[] | null {
  if (!stored) return null;
  if (delivery.settled === null) return stored.lengths === null ? [stored.body] : null;
  return stored.lengths === null ? null : splitPack(stored.body, stored.lengths);
}
