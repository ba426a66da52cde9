import type { Statement } from 'better-sqlite3';
import type { Envelope } from '../../core/envelope.js';
import { FatalError, PuddleError } from '../../core/errors.js';
import type { ClaimedMessage, DeadLetter, Queue, Subscription } from '../../core/ports.js';
import { startCheckpointer, type Checkpointer } from './sqlite-checkpointer.js';
import { openSqlite, type SqliteDatabase, type SqliteDurability } from './sqlite.js';

export interface SqliteQueueOptions {
  /** Used when a subscription does not say; 5. */
  defaultMaxAttempts?: number;
  /** See SqliteDurability: 'process' (default) survives a killed process, 'power' also a power cut. */
  durability?: SqliteDurability;
  /** Checkpoint the WAL from a worker thread (see sqlite-checkpointer.ts); default true for a file. */
  backgroundCheckpoints?: boolean;
}

// Bodies are stored once; each matching subscription gets a delivery row pointing at the body, and the body
// goes when its last delivery row is acked or dead-lettered (found through the deliveries' primary key, not a
// reference count: updating a count rewrote the whole body row, twice per message, on the ack path).
// Deliveries are keyed (sub_id, seq): claim walks that key in publish order, skipping the few in flight.
// seq is AUTOINCREMENT so a seq is never reused: a receipt names (seq, attempts), and reuse would let a late
// ack from a dead consumer delete a newer message that happened to get the same seq.
const SCHEMA = `
CREATE TABLE IF NOT EXISTS queue_meta (k TEXT PRIMARY KEY, v INTEGER NOT NULL);
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

/** Rows per multi-row INSERT: few statements per group commit, well under SQLite's 32766 parameters. */
const CHUNK = 100;

interface Pending {
  contracts: string[];
  bodies: string[];
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
  body: string;
}

export class SqliteQueue implements Queue {
  private readonly db: SqliteDatabase;
  private readonly checkpointer: Checkpointer | null;
  private readonly defaultMaxAttempts: number;
  private closed = false;

  private pending: Pending[] = [];
  private flushScheduled = false;

  /** Fan-out targets per contract, rebuilt whenever the subscriptions change (here or in another process). */
  private subsVersion = -1;
  private wildcardSubs: number[] = [];
  private subsByContract = new Map<string, number[]>();
  private targetCache = new Map<string, number[]>();

  private readonly legacyRefs: boolean;
  private readonly insertMessageStmts = new Map<number, Statement>();
  private readonly insertDeliveryStmts = new Map<number, Statement>();
  private readonly stmt: {
    subsVersion: Statement;
    bumpSubsVersion: Statement;
    allSubs: Statement;
    upsertSub: Statement;
    subByName: Statement;
    visible: Statement;
    markClaimed: Statement;
    deleteDelivery: Statement;
    delivery: Statement;
    setVisibleAt: Statement;
    deleteIfUnreferenced: Statement;
    ackMany: Statement;
    rangeSeqs: Statement;
    ackRange: Statement;
    deleteUnreferencedRange: Statement;
    insertDeadLetter: Statement;
    deadLetters: Statement;
    depth: Statement;
  };

  private readonly commitGroup: (group: Pending[]) => void;
  private readonly claimTx: (sub: SubInfo, max: number, visibilityMs: number, withBody: boolean) => ClaimedMessage[];
  private readonly ackTx: (subId: number, receipts: readonly string[]) => void;
  private readonly retryTx: (sub: SubInfo, receipts: readonly string[], reason: string, delayMs: number) => void;

  constructor(path: string, opts: SqliteQueueOptions = {}) {
    this.defaultMaxAttempts = opts.defaultMaxAttempts ?? 5;
    this.db = openSqlite(path, { durability: opts.durability });
    this.db.exec(SCHEMA);
    const db = this.db;
    const wal = (db.pragma('journal_mode', { simple: true }) as string) === 'wal';
    this.checkpointer = wal && (opts.backgroundCheckpoints ?? true) ? startCheckpointer(path, { durability: opts.durability }) : null;
    // Queues made before bodies lost their reference count still have the NOT NULL column: fill it, ignore it.
    this.legacyRefs = (db.prepare(`SELECT count(*) FROM pragma_table_info('queue_messages') WHERE name = 'refs'`).pluck().get() as number) > 0;
    this.stmt = {
      subsVersion: db.prepare(`SELECT v FROM queue_meta WHERE k = 'subscriptions'`).pluck(),
      bumpSubsVersion: db.prepare(`UPDATE queue_meta SET v = v + 1 WHERE k = 'subscriptions'`),
      allSubs: db.prepare(`SELECT id, contracts FROM queue_subscriptions`),
      upsertSub: db.prepare(
        `INSERT INTO queue_subscriptions (name, contracts, max_attempts) VALUES (?, ?, ?)
         ON CONFLICT (name) DO UPDATE SET contracts = excluded.contracts, max_attempts = excluded.max_attempts`,
      ),
      subByName: db.prepare(`SELECT id, max_attempts FROM queue_subscriptions WHERE name = ?`),
      visible: db.prepare(
        `SELECT d.seq, d.attempts, m.body FROM queue_deliveries d JOIN queue_messages m ON m.seq = d.seq
         WHERE d.sub_id = ? AND d.seq > ? AND d.visible_at <= ? ORDER BY d.seq LIMIT ?`,
      ),
      // The SELECT above took the lowest visible seqs, so the visible rows in [first, last] are exactly the
      // ones it returned (poison ones already dead-lettered): one UPDATE claims them all.
      markClaimed: db.prepare(
        `UPDATE queue_deliveries SET visible_at = @until, attempts = attempts + 1
         WHERE sub_id = @sub AND seq BETWEEN @first AND @last AND visible_at <= @now`,
      ),
      deleteDelivery: db.prepare(`DELETE FROM queue_deliveries WHERE sub_id = ? AND seq = ? AND attempts = ?`),
      delivery: db.prepare(
        `SELECT d.attempts, m.body FROM queue_deliveries d JOIN queue_messages m ON m.seq = d.seq
         WHERE d.sub_id = ? AND d.seq = ?`,
      ),
      setVisibleAt: db.prepare(`UPDATE queue_deliveries SET visible_at = ? WHERE sub_id = ? AND seq = ?`),
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
      deleteUnreferencedRange: db.prepare(
        `DELETE FROM queue_messages WHERE seq BETWEEN ? AND ? AND NOT EXISTS (
           SELECT 1 FROM queue_deliveries d WHERE d.sub_id IN (SELECT id FROM queue_subscriptions) AND d.seq = queue_messages.seq)`,
      ),
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
    };

    this.commitGroup = db.transaction((group: Pending[]) => this.writeGroup(group)).immediate;
    this.claimTx = db.transaction((sub: SubInfo, max: number, visibilityMs: number, withBody: boolean) =>
      this.claimRows(sub, max, visibilityMs, withBody),
    ).immediate;
    this.ackTx = db.transaction((subId: number, receipts: readonly string[]) => {
      // Matching attempts too is what makes a stale receipt a no-op. Receipts from one batch share an
      // attempts number and cover a seq range, so each group is deleted as a range when every row of that
      // range with that attempts number is one of ours (checked first: a range delete must not ack a row
      // another consumer holds); otherwise row by row.
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
      let lo = Infinity;
      let hi = -Infinity;
      let acked = 0;
      for (const [attempts, g] of groups) {
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
      if (acked > 0) this.stmt.deleteUnreferencedRange.run(lo, hi);
    }).immediate;
    this.retryTx = db.transaction((sub: SubInfo, receipts: readonly string[], reason: string, delayMs: number) => {
      const now = Date.now();
      for (const r of receipts) {
        const parsed = parseReceipt(r);
        if (!parsed) continue;
        const row = this.stmt.delivery.get(sub.id, parsed.seq) as { attempts: number; body: string } | undefined;
        if (!row || row.attempts !== parsed.attempts) continue;
        if (row.attempts >= sub.max_attempts) this.deadLetter(sub.id, parsed.seq, row.body, row.attempts, reason, now);
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
    // Publishes already queued in this process must not be routed with the new subscription mid-group.
    this.flushNow();
    this.db.transaction(() => {
      this.stmt.upsertSub.run(sub.name, contracts, maxAttempts);
      this.stmt.bumpSubsVersion.run();
    }).immediate();
    this.subsVersion = -1;
  }

  publish(envelopes: readonly Envelope[]): Promise<void> {
    if (this.closed) return Promise.reject(new PuddleError('queue is closed'));
    if (envelopes.length === 0) return Promise.resolve();
    const contracts: string[] = new Array(envelopes.length);
    const bodies: string[] = new Array(envelopes.length);
    try {
      // Serialise here, not in the group commit, so one unserialisable envelope fails only its own caller.
      for (let i = 0; i < envelopes.length; i++) {
        const e = envelopes[i]!;
        if (typeof e.contract !== 'string' || !e.contract) throw new PuddleError('envelope has no contract');
        contracts[i] = e.contract;
        bodies[i] = JSON.stringify(e);
      }
    } catch (err) {
      return Promise.reject(err instanceof PuddleError ? err : new PuddleError('envelope is not serialisable', { cause: err }));
    }
    return new Promise<void>((resolve, reject) => {
      this.pending.push({ contracts, bodies, resolve, reject });
      if (!this.flushScheduled) {
        this.flushScheduled = true;
        // Group commit: every publish made before the event loop reaches the check phase (all requests
        // parsed in this poll round) shares one transaction, hence one WAL append.
        setImmediate(() => this.flushNow());
      }
    });
  }

  async claim(subscription: string, opts: { max: number; visibilityMs: number; withBody?: boolean }): Promise<ClaimedMessage[]> {
    this.assertOpen();
    const sub = this.subInfo(subscription);
    const max = Math.max(0, Math.floor(opts.max));
    if (max === 0) return [];
    return this.claimTx(sub, max, Math.max(0, opts.visibilityMs), opts.withBody === true);
  }

  async ack(subscription: string, receipts: readonly string[]): Promise<void> {
    this.assertOpen();
    if (receipts.length === 0) return;
    this.ackTx(this.subInfo(subscription).id, receipts);
  }

  async retry(
    subscription: string,
    receipts: readonly string[],
    opts: { reason: string; delayMs?: number },
  ): Promise<void> {
    this.assertOpen();
    if (receipts.length === 0) return;
    this.retryTx(this.subInfo(subscription), receipts, opts.reason, Math.max(0, opts.delayMs ?? 0));
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

  async depth(subscription: string): Promise<number> {
    this.assertOpen();
    return this.stmt.depth.get(this.subInfo(subscription).id) as number;
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.flushNow();
    this.closed = true;
    await this.checkpointer?.stop();
    this.db.close();
  }

  // ------------------------------------------------------------ internals

  private flushNow(): void {
    this.flushScheduled = false;
    if (this.pending.length === 0) return;
    const group = this.pending;
    this.pending = [];
    try {
      this.commitGroup(group);
    } catch (err) {
      const failure = new PuddleError('queue publish failed', { cause: err });
      for (const p of group) p.reject(failure);
      return;
    }
    for (const p of group) p.resolve();
  }

  /** Runs inside the group's write transaction. */
  private writeGroup(group: Pending[]): void {
    const version = this.stmt.subsVersion.get() as number;
    if (version !== this.subsVersion) this.loadSubscriptions(version);

    // Collect the routed messages first so both tables are written with multi-row INSERTs.
    const bodies: string[] = [];
    const targets: number[][] = [];
    for (const p of group) {
      for (let i = 0; i < p.bodies.length; i++) {
        const t = this.targetsFor(p.contracts[i]!);
        if (t.length === 0) continue; // nobody subscribed: nothing to keep
        bodies.push(p.bodies[i]!);
        targets.push(t);
      }
    }
    for (let start = 0; start < bodies.length; start += CHUNK) {
      const n = Math.min(CHUNK, bodies.length - start);
      let params: (string | number)[];
      if (this.legacyRefs) {
        params = new Array(n * 2);
        for (let i = 0; i < n; i++) {
          params[i * 2] = bodies[start + i]!;
          params[i * 2 + 1] = targets[start + i]!.length;
        }
      } else params = bodies.slice(start, start + n);
      const info = this.insertMessages(n).run(params);
      // One INSERT inside a write transaction on an AUTOINCREMENT key takes consecutive seqs.
      const firstSeq = Number(info.lastInsertRowid) - n + 1;
      const deliveries: number[] = [];
      for (let i = 0; i < n; i++) for (const subId of targets[start + i]!) deliveries.push(subId, firstSeq + i);
      this.insertDeliveries(deliveries);
    }
  }

  private insertDeliveries(flat: number[]): void {
    const rows = flat.length / 2;
    for (let start = 0; start < rows; start += CHUNK) {
      const n = Math.min(CHUNK, rows - start);
      this.insertDeliveryStmt(n).run(flat.slice(start * 2, (start + n) * 2));
    }
  }

  private insertMessages(n: number): Statement {
    let s = this.insertMessageStmts.get(n);
    if (!s) {
      s = this.db.prepare(
        this.legacyRefs
          ? `INSERT INTO queue_messages (body, refs) VALUES ${Array(n).fill('(?, ?)').join(', ')}`
          : `INSERT INTO queue_messages (body) VALUES ${Array(n).fill('(?)').join(', ')}`,
      );
      this.insertMessageStmts.set(n, s);
    }
    return s;
  }

  private insertDeliveryStmt(n: number): Statement {
    let s = this.insertDeliveryStmts.get(n);
    if (!s) {
      s = this.db.prepare(
        `INSERT INTO queue_deliveries (sub_id, seq, visible_at, attempts) VALUES ${Array(n).fill('(?, ?, 0, 0)').join(', ')}`,
      );
      this.insertDeliveryStmts.set(n, s);
    }
    return s;
  }

  private loadSubscriptions(version: number): void {
    this.wildcardSubs = [];
    this.subsByContract = new Map();
    this.targetCache = new Map();
    for (const row of this.stmt.allSubs.all() as { id: number; contracts: string }[]) {
      if (row.contracts === '*') {
        this.wildcardSubs.push(row.id);
        continue;
      }
      for (const c of JSON.parse(row.contracts) as string[]) {
        const list = this.subsByContract.get(c) ?? [];
        if (!list.includes(row.id)) list.push(row.id);
        this.subsByContract.set(c, list);
      }
    }
    this.subsVersion = version;
  }

  private targetsFor(contract: string): number[] {
    let t = this.targetCache.get(contract);
    if (!t) {
      const specific = this.subsByContract.get(contract) ?? [];
      t = [...specific, ...this.wildcardSubs.filter((id) => !specific.includes(id))];
      this.targetCache.set(contract, t);
    }
    return t;
  }

  /** Runs inside the claim transaction. */
  private claimRows(sub: SubInfo, max: number, visibilityMs: number, withBody: boolean): ClaimedMessage[] {
    const now = Date.now();
    const out: ClaimedMessage[] = [];
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
          this.deadLetter(sub.id, r.seq, r.body, r.attempts, 'visibility timeout expired on the last attempt', now);
          poisoned++;
          continue;
        }
        const attempts = r.attempts + 1;
        const m: ClaimedMessage = { receipt: `${r.seq}.${attempts}`, envelope: JSON.parse(r.body) as Envelope, attempts };
        if (withBody) m.body = r.body;
        out.push(m);
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

/** A receipt is `${seq}.${attempts}`: re-claiming bumps attempts, which retires every older receipt. */
function parseReceipt(receipt: string): { seq: number; attempts: number } | null {
  const dot = receipt.indexOf('.');
  if (dot <= 0) return null;
  const seq = Number(receipt.slice(0, dot));
  const attempts = Number(receipt.slice(dot + 1));
  if (!Number.isSafeInteger(seq) || !Number.isSafeInteger(attempts)) return null;
  return { seq, attempts };
}
