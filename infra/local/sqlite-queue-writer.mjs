// The publish half of the SQLite queue, in plain JavaScript so that the writer thread loads it without
// the parent's TypeScript loader (a worker does not inherit module hooks, and registering tsx in each
// worker cost ~0.25 s of CPU per queue). Types: sqlite-queue-writer.d.mts.
import { encodeLengths } from './sqlite-queue-pack.mjs';

/**
 * A publish's bodies as one string and their lengths (EnvelopeTexts, core/envelope.ts): how they wait for
 * the group commit and go into the writer thread's ring. The producer's arrive so (EnvelopeTextWriter); other
 * publishes are packed here. One string per publish is one object for the scavenger to copy while it
 * waits, and one copy into the ring. Packs are not joined into one per group: a string of megabytes is
 * allocated in the old generation, and the major GCs that brought cost more than the copy saved.
 * @param {readonly string[]} bodies
 * @returns {{ text: string, lengths: Uint32Array }}
 */
export function packBodies(bodies) {
  const lengths = new Uint32Array(bodies.length);
  for (let i = 0; i < bodies.length; i++) lengths[i] = bodies[i].length;
  return { text: bodies.join(''), lengths };
}

/**
 * Several groups of publishes as one, in order: each of QueueWriter.write's lists concatenated. `rows` only when
 * some group has packs (a group without says every body is a row).
 * @param {readonly WriteGroup[]} groups
 * @returns {WriteGroup}
 */
export function joinGroups(groups) {
  if (groups.length === 1) return groups[0];
  /** @type {WriteGroup} */
  const out = { contracts: groups.flatMap((g) => g.contracts), packs: groups.flatMap((g) => g.packs) };
  if (groups.some((g) => g.rows)) {
    out.rows = groups.flatMap((g) => g.rows ?? [-g.contracts.length]);
    out.receivedAt = groups.flatMap((g) => g.receivedAt ?? []);
  }
  return out;
}

/**
 * @typedef {{ contracts: string[], packs: { text: string | Buffer, lengths: ArrayLike<number> }[], rows?: number[], receivedAt?: string[] }} WriteGroup
 */

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
 *
 * A group (WriteGroup): `contracts[i]` is the contract of the i-th body of `packs`; `rows` says how its publishes are
 * stored, one number per publish in order: n > 0, its n bodies are one pack (sqlite-queue-pack.mjs), whose received
 * time is the next of `receivedAt`; -k, its k bodies are a row each (without `rows`, every body is a row). A pack's
 * bodies are always within one of `packs` (a publish's packed bodies are never cut, see RingReader.decode).
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
    /** @type {Map<string, import('better-sqlite3').Statement>} */
    this.insertDeliveryStmts = new Map();
    // Queues made before bodies lost their reference count still have the NOT NULL column: fill it, ignore it.
    this.legacyRefs = db.prepare(`SELECT count(*) FROM pragma_table_info('queue_messages') WHERE name = 'refs'`).pluck().get() > 0;
    this.subsVersionStmt = db.prepare(`SELECT v FROM queue_meta WHERE k = 'subscriptions'`).pluck();
    this.allSubsStmt = db.prepare(`SELECT id, contracts FROM queue_subscriptions`);
    this.keepReceivedStmt = db.prepare(
      `INSERT INTO queue_meta (k, v) VALUES ('${RECEIVED_AT_KEY}', ?) ON CONFLICT (k) DO UPDATE SET v = max(v, excluded.v)`,
    );
    /** @type {(group: WriteGroup, receivedMs?: number) => void} */
    this.write = db.transaction((group, receivedMs) => this.writeGroup(group, receivedMs)).immediate;
  }

  /** @param {WriteGroup} group @param {number} [receivedMs] */
  writeGroup({ contracts, packs, rows, receivedAt }, receivedMs) {
    // In the same transaction as the bodies: once they are durable, so is a received time at least theirs.
    if (typeof receivedMs === 'number' && Number.isFinite(receivedMs)) this.keepReceivedStmt.run(receivedMs);
    const version = this.subsVersionStmt.get();
    if (version !== this.subsVersion) this.loadSubscriptions(version);

    // Collect the rows first so that both tables are written with multi-row INSERTs: per row its text, its lengths
    // and received time (a pack's; null for one body), and its deliveries: the subscriptions, and for a pack whose
    // bodies do not all go to the same ones, per subscription the bodies it does not get (marked settled).
    const texts = [];
    const lengthsOf = [];
    const receivedOf = [];
    const targets = [];
    /** @type {({ unsettled: number, settled: Buffer }[] | null)[]} */
    const routes = [];
    const cursor = { pack: 0, body: 0, char: 0 };
    let b = 0; // index into contracts
    let packNo = 0;
    const units = rows ?? [-contracts.length];
    for (const unit of units) {
      if (unit < 0) {
        for (let k = 0; k < -unit; k++, b++) {
          const { text } = takeBodies(packs, cursor, 1);
          const t = this.targetsFor(contracts[b]);
          if (t.length === 0) continue; // nobody subscribed: nothing to keep
          texts.push(text);
          lengthsOf.push(null);
          receivedOf.push(null);
          targets.push(t);
          routes.push(null);
        }
        continue;
      }
      const { text, lengths, from } = takeBodies(packs, cursor, unit);
      const at = receivedAt?.[packNo++] ?? null;
      const route = this.routePack(contracts, b, unit);
      b += unit;
      if (!route) continue;
      texts.push(text);
      lengthsOf.push(encodeLengths(lengths, from, from + unit));
      receivedOf.push(at);
      targets.push(route.subs);
      routes.push(route.perSub);
    }
    if (b !== contracts.length) throw new Error(`queue writer: ${b} bodies described for ${contracts.length} contracts`);
    while (cursor.pack < packs.length) nextPack(packs, cursor);

    for (let start = 0; start < texts.length; start += CHUNK) {
      const n = Math.min(CHUNK, texts.length - start);
      // Rows of one event only (every publish but the producer's, and its requests of one event): their columns alone.
      let packed = false;
      for (let i = start; i < start + n && !packed; i++) packed = lengthsOf[i] !== null;
      const per = (this.legacyRefs ? 2 : 1) + (packed ? 2 : 0);
      const params = new Array(n * per);
      for (let i = 0; i < n; i++) {
        let p = i * per;
        params[p++] = texts[start + i];
        if (this.legacyRefs) params[p++] = targets[start + i].length;
        if (!packed) continue;
        params[p++] = lengthsOf[start + i];
        params[p] = receivedOf[start + i];
      }
      const info = this.insertMessages(n, packed).run(params);
      // One INSERT inside a write transaction on an AUTOINCREMENT key takes consecutive seqs.
      const firstSeq = Number(info.lastInsertRowid) - n + 1;
      const plain = [];
      const packDeliveries = [];
      for (let i = 0; i < n; i++) {
        const seq = firstSeq + i;
        const subs = targets[start + i];
        if (lengthsOf[start + i] === null) {
          for (const subId of subs) plain.push(subId, seq);
          continue;
        }
        const perSub = routes[start + i];
        const size = lengthsOf[start + i].length / 4;
        // A pack's delivery always has a bitmap (none settled yet): `settled IS NULL` is a row of one event.
        const none = perSub ? null : Buffer.alloc((size + 7) >>> 3);
        for (let s = 0; s < subs.length; s++) {
          if (perSub) packDeliveries.push(subs[s], seq, perSub[s].unsettled, perSub[s].settled);
          else packDeliveries.push(subs[s], seq, size, none);
        }
      }
      this.insertDeliveries(plain, 2, `(?, ?, 0, 0)`, `(sub_id, seq, visible_at, attempts)`);
      this.insertDeliveries(packDeliveries, 4, `(?, ?, 0, 0, ?, ?)`, `(sub_id, seq, visible_at, attempts, unsettled, settled)`);
    }
  }

  /**
   * The subscriptions a pack of `contracts[from..from+n)` goes to, null when none; `perSub` (null when every body goes
   * to every one of them, the usual case: one contract a request) gives each its count and the bodies it does not get.
   * @param {readonly string[]} contracts @param {number} from @param {number} n
   * @returns {{ subs: number[], perSub: { unsettled: number, settled: Buffer }[] | null } | null}
   */
  routePack(contracts, from, n) {
    const first = this.targetsFor(contracts[from]);
    let same = true;
    for (let i = from + 1; i < from + n && same; i++) {
      const t = this.targetsFor(contracts[i]);
      same = t === first || (t.length === first.length && t.every((s, k) => s === first[k]));
    }
    if (same) return first.length === 0 ? null : { subs: first, perSub: null };
    const subs = [];
    for (let i = from; i < from + n; i++) for (const s of this.targetsFor(contracts[i])) if (!subs.includes(s)) subs.push(s);
    if (subs.length === 0) return null;
    const perSub = subs.map((s) => {
      const settled = Buffer.alloc((n + 7) >>> 3);
      let unsettled = 0;
      for (let i = 0; i < n; i++) {
        if (this.targetsFor(contracts[from + i]).includes(s)) unsettled++;
        else settled[i >>> 3] |= 1 << (i & 7);
      }
      return { unsettled, settled };
    });
    return { subs, perSub };
  }

  /** @param {unknown[]} flat rows of `per` values @param {number} per @param {string} values @param {string} columns */
  insertDeliveries(flat, per, values, columns) {
    const rows = flat.length / per;
    for (let start = 0; start < rows; start += CHUNK) {
      const n = Math.min(CHUNK, rows - start);
      const key = `${columns}:${n}`;
      let s = this.insertDeliveryStmts.get(key);
      if (!s) {
        s = this.db.prepare(`INSERT INTO queue_deliveries ${columns} VALUES ${Array(n).fill(values).join(', ')}`);
        this.insertDeliveryStmts.set(key, s);
      }
      s.run(flat.slice(start * per, (start + n) * per));
    }
  }

  /** @param {number} n @param {boolean} packed */
  insertMessages(n, packed) {
    const key = packed ? -n : n;
    let s = this.insertMessageStmts.get(key);
    if (!s) {
      const columns = ['body', ...(this.legacyRefs ? ['refs'] : []), ...(packed ? ['lengths', 'received_at'] : [])];
      // A body may come as the bytes of ASCII text (from the ring, see RingReader.decode): bound as a blob, stored
      // as the text it is.
      const row = `(${columns.map((c) => (c === 'body' ? 'CAST(? AS TEXT)' : '?')).join(', ')})`;
      s = this.db.prepare(`INSERT INTO queue_messages (${columns.join(', ')}) VALUES ${Array(n).fill(row).join(', ')}`);
      this.insertMessageStmts.set(key, s);
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

/**
 * The text of the next `n` bodies of `packs` from `cursor` (moved past them), which must all be in one of them; with
 * that one's lengths and where the n start in them.
 * @param {readonly { text: string | Buffer, lengths: ArrayLike<number> }[]} packs @param {{ pack: number, body: number, char: number }} cursor @param {number} n
 * @returns {{ text: string | Buffer, lengths: ArrayLike<number>, from: number }}
 */
function takeBodies(packs, cursor, n) {
  while (cursor.pack < packs.length && cursor.body === packs[cursor.pack].lengths.length) nextPack(packs, cursor);
  const p = packs[cursor.pack];
  if (!p || cursor.body + n > p.lengths.length) throw new Error('queue writer: a row\'s bodies are not within one packed text');
  let chars = 0;
  for (let i = cursor.body; i < cursor.body + n; i++) chars += p.lengths[i];
  const whole = cursor.body === 0 && n === p.lengths.length;
  const text = whole ? p.text : typeof p.text === 'string' ? p.text.slice(cursor.char, cursor.char + chars) : p.text.subarray(cursor.char, cursor.char + chars);
  if (cursor.char + chars > p.text.length) throw new Error(`queue writer: bodies of ${cursor.char + chars} characters in a text of ${p.text.length}`);
  const from = cursor.body;
  cursor.body += n;
  cursor.char += chars;
  return { text, lengths: p.lengths, from };
}

/**
 * Past the packed bodies at `cursor`, all of them taken, which must have been the whole text.
 * @param {readonly { text: string | Buffer, lengths: ArrayLike<number> }[]} packs @param {{ pack: number, body: number, char: number }} cursor
 */
function nextPack(packs, cursor) {
  const p = packs[cursor.pack];
  if (cursor.char !== p.text.length) throw new Error(`queue writer: bodies of ${cursor.char} characters in a text of ${p.text.length}`);
  cursor.pack++;
  cursor.body = 0;
  cursor.char = 0;
}
