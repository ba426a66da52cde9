// The publish half of the SQLite queue, in plain JavaScript so that the writer thread loads it without
// the parent's TypeScript loader (a worker does not inherit module hooks, and registering tsx in each
// worker cost ~0.25 s of CPU per queue). Types: sqlite-queue-writer.d.mts.

/**
 * A publish's bodies as one string and their lengths (EnvelopeTexts, core/envelope.ts): how they wait for
 * the group commit and cross to the writer thread. The producer's arrive so (EnvelopeTextWriter); other
 * publishes are packed here. One string per publish is one object for the scavenger to copy while it
 * waits, and one memcpy for postMessage. Packs are not joined into one per group: a string of megabytes is
 * allocated in the old generation, and the major GCs that brought cost more than the copy saved.
 * @param {readonly string[]} bodies
 * @returns {{ text: string, lengths: Uint32Array }}
 */
export function packBodies(bodies) {
  const lengths = new Uint32Array(bodies.length);
  for (let i = 0; i < bodies.length; i++) lengths[i] = bodies[i].length;
  return { text: bodies.join(''), lengths };
}

/** Characters up to which joinSmallPacks joins packs into one. */
const JOIN_CHARS = 64 * 1024;

/**
 * The same bodies in fewer packs: runs of small packs joined into one, in order. For the post to the writer
 * thread: structured cloning costs about 4 µs per typed array and 1 µs per string, so a group of 30 one-event
 * publishes (1 event a request, 64 connections) cost ~250 µs of the event loop to post as 30 packs and ~30 µs
 * as one. Large packs stay as they are (see packBodies: a joined string of megabytes costs major GCs).
 * @param {readonly { text: string, lengths: Uint32Array }[]} packs
 * @returns {{ text: string, lengths: Uint32Array }[]}
 */
export function joinSmallPacks(packs) {
  const out = [];
  for (let i = 0; i < packs.length; ) {
    let end = i + 1;
    let chars = packs[i].text.length;
    let count = packs[i].lengths.length;
    while (end < packs.length && chars + packs[end].text.length <= JOIN_CHARS) {
      chars += packs[end].text.length;
      count += packs[end].lengths.length;
      end++;
    }
    if (end === i + 1) out.push(packs[i]);
    else {
      const texts = new Array(end - i);
      const lengths = new Uint32Array(count);
      let at = 0;
      for (let j = i; j < end; j++) {
        texts[j - i] = packs[j].text;
        lengths.set(packs[j].lengths, at);
        at += packs[j].lengths.length;
      }
      out.push({ text: texts.join(''), lengths });
    }
    i = end;
  }
  return out;
}

/**
 * The bodies of several packs, in order.
 * @param {readonly { text: string, lengths: Uint32Array }[]} packs
 * @returns {string[]}
 */
export function unpackAll(packs) {
  return packs.length === 1 ? unpackBodies(packs[0].text, packs[0].lengths) : packs.flatMap((p) => unpackBodies(p.text, p.lengths));
}

/**
 * splitEnvelopeTexts (core/envelope.ts) for the writer thread, which loads plain JavaScript only.
 * @param {string} text
 * @param {ArrayLike<number>} lengths
 * @returns {string[]}
 */
export function unpackBodies(text, lengths) {
  const bodies = new Array(lengths.length);
  let at = 0;
  for (let i = 0; i < lengths.length; i++) bodies[i] = text.slice(at, (at += lengths[i]));
  if (at !== text.length) throw new Error(`queue writer: bodies of ${at} characters in a text of ${text.length}`);
  return bodies;
}

/** Rows per multi-row INSERT: few statements per group commit, well under SQLite's 32766 parameters. */
const CHUNK = 100;

/**
 * The queue_meta row holding the latest received time (epoch ms) issued for what was published: a home's
 * ForwardClock (core/received-clock.ts) starts from it, so its received times never go back across a restart.
 */
export const RECEIVED_AT_KEY = 'received_at';

/**
 * Routes each body to the subscriptions of its contract and writes bodies and delivery rows with
 * multi-row INSERTs, one immediate transaction per group, on whichever connection it is given: the
 * queue's own (`:memory:`, or after the writer thread died) or the writer thread's.
 */
export class QueueWriter {
  /** @param {import('better-sqlite3').Database} db */
  constructor(db) {
    this.db = db;
    // Fan-out targets per contract, rebuilt whenever the subscriptions change (here or in another process).
    this.subsVersion = -1;
    /** @type {number[]} */
    this.wildcardSubs = [];
    /** @type {Map<string, number[]>} */
    this.subsByContract = new Map();
    /** @type {Map<string, number[]>} */
    this.targetCache = new Map();
    /** @type {Map<number, import('better-sqlite3').Statement>} */
    this.insertMessageStmts = new Map();
    /** @type {Map<number, import('better-sqlite3').Statement>} */
    this.insertDeliveryStmts = new Map();
    // Queues made before bodies lost their reference count still have the NOT NULL column: fill it, ignore it.
    this.legacyRefs = db.prepare(`SELECT count(*) FROM pragma_table_info('queue_messages') WHERE name = 'refs'`).pluck().get() > 0;
    this.subsVersionStmt = db.prepare(`SELECT v FROM queue_meta WHERE k = 'subscriptions'`).pluck();
    this.allSubsStmt = db.prepare(`SELECT id, contracts FROM queue_subscriptions`);
    this.keepReceivedStmt = db.prepare(
      `INSERT INTO queue_meta (k, v) VALUES ('${RECEIVED_AT_KEY}', ?) ON CONFLICT (k) DO UPDATE SET v = max(v, excluded.v)`,
    );
    /** @type {(contracts: readonly string[], bodies: readonly string[], receivedMs?: number) => void} */
    this.write = db.transaction((contracts, bodies, receivedMs) => this.writeGroup(contracts, bodies, receivedMs)).immediate;
  }

  /** @param {readonly string[]} contracts @param {readonly string[]} all @param {number} [receivedMs] */
  writeGroup(contracts, all, receivedMs) {
    // In the same transaction as the bodies: once they are durable, so is a received time at least theirs.
    if (typeof receivedMs === 'number' && Number.isFinite(receivedMs)) this.keepReceivedStmt.run(receivedMs);
    const version = this.subsVersionStmt.get();
    if (version !== this.subsVersion) this.loadSubscriptions(version);

    // Collect the routed messages first so both tables are written with multi-row INSERTs.
    const bodies = [];
    const targets = [];
    for (let i = 0; i < all.length; i++) {
      const t = this.targetsFor(contracts[i]);
      if (t.length === 0) continue; // nobody subscribed: nothing to keep
      bodies.push(all[i]);
      targets.push(t);
    }
    for (let start = 0; start < bodies.length; start += CHUNK) {
      const n = Math.min(CHUNK, bodies.length - start);
      let params;
      if (this.legacyRefs) {
        params = new Array(n * 2);
        for (let i = 0; i < n; i++) {
          params[i * 2] = bodies[start + i];
          params[i * 2 + 1] = targets[start + i].length;
        }
      } else params = bodies.slice(start, start + n);
      const info = this.insertMessages(n).run(params);
      // One INSERT inside a write transaction on an AUTOINCREMENT key takes consecutive seqs.
      const firstSeq = Number(info.lastInsertRowid) - n + 1;
      const deliveries = [];
      for (let i = 0; i < n; i++) for (const subId of targets[start + i]) deliveries.push(subId, firstSeq + i);
      this.insertDeliveries(deliveries);
    }
  }

  /** @param {number[]} flat (sub_id, seq) pairs */
  insertDeliveries(flat) {
    const rows = flat.length / 2;
    for (let start = 0; start < rows; start += CHUNK) {
      const n = Math.min(CHUNK, rows - start);
      this.insertDeliveryStmt(n).run(flat.slice(start * 2, (start + n) * 2));
    }
  }

  /** @param {number} n */
  insertMessages(n) {
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

  /** @param {number} n */
  insertDeliveryStmt(n) {
    let s = this.insertDeliveryStmts.get(n);
    if (!s) {
      s = this.db.prepare(`INSERT INTO queue_deliveries (sub_id, seq, visible_at, attempts) VALUES ${Array(n).fill('(?, ?, 0, 0)').join(', ')}`);
      this.insertDeliveryStmts.set(n, s);
    }
    return s;
  }

  /** @param {number} version */
  loadSubscriptions(version) {
    this.wildcardSubs = [];
    this.subsByContract = new Map();
    this.targetCache = new Map();
    for (const row of this.allSubsStmt.all()) {
      if (row.contracts === '*') {
        this.wildcardSubs.push(row.id);
        continue;
      }
      for (const c of JSON.parse(row.contracts)) {
        const list = this.subsByContract.get(c) ?? [];
        if (!list.includes(row.id)) list.push(row.id);
        this.subsByContract.set(c, list);
      }
    }
    this.subsVersion = version;
  }

  /** @param {string} contract */
  targetsFor(contract) {
    let t = this.targetCache.get(contract);
    if (!t) {
      const specific = this.subsByContract.get(contract) ?? [];
      t = [...specific, ...this.wildcardSubs.filter((id) => !specific.includes(id))];
      this.targetCache.set(contract, t);
    }
    return t;
  }
}
