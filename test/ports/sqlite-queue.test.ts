import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import Database from 'better-sqlite3';
import { afterEach, describe, expect, it } from 'vitest';
import { QueueCommitError } from '../../core/errors.js';
import { redriveDeadLetters } from '../../infra/local/sqlite-dead-letters.js';
import { SqliteQueue } from '../../infra/local/sqlite-queue.js';
import { createRing, RingWriter } from '../../infra/local/sqlite-queue-ring.mjs';
import { packBodies } from '../../infra/local/sqlite-queue-writer.mjs';
import { openSqlite } from '../../infra/local/sqlite.js';
import { queuePortSuite, testEnvelope } from './queue-suite.js';

const dirs: string[] = [];
function tempDb(): string {
  const dir = mkdtempSync(join(tmpdir(), 'puddle-queue-'));
  dirs.push(dir);
  return join(dir, 'queue.db');
}
afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

queuePortSuite('SQLite (:memory:)', async () => ({ queue: new SqliteQueue(':memory:') }));

queuePortSuite('SQLite (file, WAL)', async () => {
  const path = tempDb();
  return { queue: new SqliteQueue(path), reopen: async () => new SqliteQueue(path) };
});

queuePortSuite('SQLite (file, synchronous=FULL)', async () => {
  const path = tempDb();
  return {
    queue: new SqliteQueue(path, { durability: 'power' }),
    reopen: async () => new SqliteQueue(path, { durability: 'power' }),
  };
});

function countRows(path: string, table: string): number {
  const db = new Database(path, { readonly: true });
  try {
    return db.prepare(`SELECT count(*) FROM ${table}`).pluck().get() as number;
  } finally {
    db.close();
  }
}

describe('SqliteQueue specifics', () => {
  it('hands back the queued JSON text only when asked, and it is the envelope exactly', async () => {
    const queue = new SqliteQueue(tempDb());
    try {
      await queue.subscribe({ name: 'raw', contracts: '*' });
      const envelopes = [testEnvelope('donation'), testEnvelope('ticket', { note: 'a "quoted" \u2028 line' })];
      await queue.publish(envelopes);
      const plain = await queue.claim('raw', { max: 10, visibilityMs: 0 });
      expect(plain.map((m) => m.body)).toEqual([undefined, undefined]);
      const withBody = await queue.claim('raw', { max: 10, visibilityMs: 0, withBody: true });
      expect(withBody.map((m) => m.body)).toEqual(envelopes.map((e) => JSON.stringify(e)));
      expect(withBody.map((m) => JSON.stringify(m.envelope))).toEqual(withBody.map((m) => m.body));
    } finally {
      await queue.close();
    }
  });

  it('closes cleanly with background checkpoints running, leaving no WAL behind', async () => {
    const path = tempDb();
    const queue = new SqliteQueue(path);
    await queue.subscribe({ name: 'raw', contracts: '*' });
    for (let i = 0; i < 20; i++) await queue.publish(Array.from({ length: 50 }, () => testEnvelope('donation')));
    await new Promise((r) => setTimeout(r, 300)); // a few of the worker's rounds
    await queue.close();
    expect(existsSync(`${path}-wal`)).toBe(false);
    expect(countRows(path, 'queue_messages')).toBe(1000);
  });

  it('stores a body once and deletes it when the last subscription is done with it', async () => {
    const path = tempDb();
    const queue = new SqliteQueue(path);
    try {
      await queue.subscribe({ name: 'a', contracts: ['donation'] });
      await queue.subscribe({ name: 'b', contracts: '*' });
      await queue.subscribe({ name: 'c', contracts: '*', maxAttempts: 1 });
      await queue.publish([testEnvelope('donation'), testEnvelope('ticket')]);
      await queue.publish([testEnvelope('nobody-but-wildcards')]);
      expect(countRows(path, 'queue_messages')).toBe(3);
      expect(countRows(path, 'queue_deliveries')).toBe(7);

      const a = await queue.claim('a', { max: 10, visibilityMs: 30_000 });
      await queue.ack('a', a.map((m) => m.receipt));
      const b = await queue.claim('b', { max: 10, visibilityMs: 30_000 });
      await queue.ack('b', b.map((m) => m.receipt));
      expect(countRows(path, 'queue_messages')).toBe(3);
      const c = await queue.claim('c', { max: 10, visibilityMs: 30_000 });
      await queue.retry('c', c.map((m) => m.receipt), { reason: 'no' }); // maxAttempts 1: dead-letters all
      expect(countRows(path, 'queue_messages')).toBe(0);
      expect(countRows(path, 'queue_deliveries')).toBe(0);
      expect((await queue.deadLetters('c')).length).toBe(3);
    } finally {
      await queue.close();
    }
  });

  it('leaves no copy of a landed or redriven body in the file: deleted bodies are overwritten, not left on free pages', async () => {
    // A DPO's question: once an event has landed, is its payload (a supporter's name, a note) gone from queue.db?
    // Until 2026-12-03 its row went but its bytes stayed on SQLite's free pages (secure_delete off), readable by
    // anyone who opened the file and copied into every `puddle backup` (the online backup copies free pages).
    const path = tempDb();
    const marker = (i: number) => `Zelda Quxworthy of 12 Qux Lane, note ${i}`;
    const queue = new SqliteQueue(path);
    try {
      await queue.subscribe({ name: 'lake', contracts: '*' });
      await queue.subscribe({ name: 'poison', contracts: '*', maxAttempts: 1 });
      for (let r = 0; r < 6; r++) await queue.publish(Array.from({ length: 100 }, (_, i) => testEnvelope('ticket', { note: marker(r * 100 + i) })));
      for (;;) {
        const got = await queue.claim('lake', { max: 250, visibilityMs: 60_000 });
        if (!got.length) break;
        await queue.ack('lake', got.map((m) => m.receipt));
      }
      for (;;) {
        const got = await queue.claim('poison', { max: 250, visibilityMs: 60_000 });
        if (!got.length) break;
        await queue.retry('poison', got.map((m) => m.receipt), { reason: 'no' }); // dead-lettered at once
      }
      expect(countRows(path, 'queue_messages')).toBe(0);
      expect(countRows(path, 'queue_dead_letters')).toBe(600);
      // `puddle dead-letters redrive` on its own connection, as the CLI opens it, then the redriven ones land.
      const cli = openSqlite(path);
      try {
        expect(redriveDeadLetters(cli)).toEqual({ poison: 600 });
      } finally {
        cli.close();
      }
      for (;;) {
        const got = await queue.claim('poison', { max: 250, visibilityMs: 60_000 });
        if (!got.length) break;
        await queue.ack('poison', got.map((m) => m.receipt));
      }
      expect(countRows(path, 'queue_messages')).toBe(0);
      expect(countRows(path, 'queue_dead_letters')).toBe(0);
    } finally {
      await queue.close();
    }
    expect(existsSync(`${path}-wal`)).toBe(false);
    const bytes = readFileSync(path).toString('latin1');
    expect(bytes.includes('Zelda Quxworthy')).toBe(false);
    expect(bytes.includes('Qux Lane')).toBe(false);
  });

  it('keeps exactly the bodies some delivery still needs when acks leave them scattered', async () => {
    const path = tempDb();
    const queue = new SqliteQueue(path);
    const seqsOf = (ids: string[]) => {
      const db = new Database(path, { readonly: true });
      try {
        const has = db.prepare(`SELECT count(*) FROM queue_messages WHERE body ->> '$.id' = ?`).pluck();
        return ids.filter((id) => (has.get(id) as number) > 0);
      } finally {
        db.close();
      }
    };
    try {
      await queue.subscribe({ name: 'all', contracts: '*' });
      await queue.subscribe({ name: 'donations', contracts: ['donation'] });
      // Donations and tickets interleaved: every donation has two deliveries, every ticket one.
      const envs = Array.from({ length: 400 }, (_, i) => testEnvelope(i % 2 === 0 ? 'donation' : 'ticket'));
      await queue.publish(envs);
      const donations = envs.filter((e) => e.contract === 'donation').map((e) => e.id);
      const tickets = envs.filter((e) => e.contract === 'ticket').map((e) => e.id);

      // 'all' acks everything: tickets go, donations stay for 'donations' (200 survivors, 200 ranges apart).
      const all = await queue.claim('all', { max: 1000, visibilityMs: 30_000 });
      await queue.ack('all', all.map((m) => m.receipt));
      expect(seqsOf(tickets)).toEqual([]);
      expect(seqsOf(donations)).toEqual(donations);

      // 'donations' acks every third, then the rest from a second claim: each body goes with its last delivery.
      const d = await queue.claim('donations', { max: 1000, visibilityMs: 30_000 });
      const every3 = d.filter((_, i) => i % 3 === 0);
      await queue.ack('donations', every3.map((m) => m.receipt));
      const gone = new Set(every3.map((m) => m.envelope.id));
      expect(seqsOf(donations)).toEqual(donations.filter((id) => !gone.has(id)));
      // Two runs with ten survivors between them: the bodies either side go, the ten stay.
      const rest = d.filter((_, i) => i % 3 !== 0);
      const runs = [...rest.slice(0, 10), ...rest.slice(20, 30)];
      await queue.ack('donations', runs.map((m) => m.receipt));
      for (const m of runs) gone.add(m.envelope.id);
      expect(seqsOf(donations)).toEqual(donations.filter((id) => !gone.has(id)));
      await queue.ack('donations', [...rest.slice(10, 20), ...rest.slice(30)].map((m) => m.receipt));
      expect(countRows(path, 'queue_messages')).toBe(0);
      expect(countRows(path, 'queue_deliveries')).toBe(0);
    } finally {
      await queue.close();
    }
  });

  it('routes to a subscription declared by another handle on the same file', async () => {
    const path = tempDb();
    const producer = new SqliteQueue(path);
    const consumer = new SqliteQueue(path);
    try {
      await producer.publish([testEnvelope()]); // no subscriptions yet: dropped
      await consumer.subscribe({ name: 'late', contracts: ['donation'] });
      const env = testEnvelope('donation');
      await producer.publish([env]);
      const got = await consumer.claim('late', { max: 10, visibilityMs: 30_000 });
      expect(got.map((m) => m.envelope)).toEqual([env]);
    } finally {
      await producer.close();
      await consumer.close();
    }
  });

  it('commits publishes on its writer thread, and on its own connection once that thread is gone', async () => {
    const path = tempDb();
    const queue = new SqliteQueue(path);
    let landed = 0;
    try {
      await queue.subscribe({ name: 'raw', contracts: '*' });
      const internals = queue as unknown as { thread: { worker: { threadId: number; terminate(): Promise<number> } } | null };
      expect(internals.thread).toBeNull(); // started by the first publish, not before
      await queue.publish([testEnvelope('donation')]);
      const thread = internals.thread!;
      expect(thread.worker.threadId).toBeGreaterThan(0);
      // Kill the thread with groups on their way to it: a publish either resolves, and is in the queue, or fails
      // with a QueueCommitError (handed to the thread, unconfirmed: its sender sends again); later ones still land.
      const sent = Array.from({ length: 20 }, () => [testEnvelope('donation'), testEnvelope('ticket')]);
      // Two groups, the second handed over while the first commits.
      const inFlight = sent.slice(0, 10).map((envs) => queue.publish(envs));
      await new Promise((r) => setImmediate(r));
      inFlight.push(...sent.slice(10).map((envs) => queue.publish(envs)));
      await new Promise((r) => setImmediate(r));
      await thread.worker.terminate();
      const settled = await Promise.allSettled(inFlight);
      for (const r of settled) if (r.status === 'rejected') expect(r.reason).toBeInstanceOf(QueueCommitError);
      const confirmed = sent.filter((_, i) => settled[i]!.status === 'fulfilled').flat();
      const refund = testEnvelope('refund');
      await queue.publish([refund]);
      const keys = new Set((await queue.claim('raw', { max: 100, visibilityMs: 30_000 })).map((m) => m.envelope.id));
      for (const e of [...confirmed, refund]) expect(keys.has(e.id), e.contract).toBe(true);
      expect(internals.thread).toBe(thread); // not started again: its successor is the queue's own connection
      landed = confirmed.length + 1;
    } finally {
      await queue.close();
    }
    expect(countRows(path, 'queue_messages')).toBeGreaterThanOrEqual(landed);
  });

  it('keeps the latest received time issued with its commits, on its writer thread or its own connection, never lowering it', async () => {
    const path = tempDb();
    const queue = new SqliteQueue(path);
    let last = 1_000;
    try {
      await queue.subscribe({ name: 'raw', contracts: '*' });
      expect(queue.lastReceivedAt()).toBeNull();
      await queue.publish([testEnvelope('donation')]);
      // Nothing asked to keep one: nothing kept.
      expect(queue.lastReceivedAt()).toBeNull();
      queue.keepReceivedAt(() => last);
      await queue.publish([testEnvelope('donation')]);
      expect(queue.lastReceivedAt()).toBe(1_000);
      // Another process of the home may keep an earlier one: the latest stays.
      last = 500;
      await queue.publish([testEnvelope('donation')]);
      expect(queue.lastReceivedAt()).toBe(1_000);
      // Publishes made one after another, some waiting for the thread while a group commits.
      const waiting: Promise<void>[] = [];
      for (const t of [2_000, 2_500, 3_000]) {
        last = t;
        waiting.push(queue.publish([testEnvelope('donation')]));
        await new Promise((r) => setImmediate(r));
      }
      await Promise.all(waiting);
      expect(queue.lastReceivedAt()).toBe(3_000);
    } finally {
      await queue.close();
    }
    const reopened = new SqliteQueue(path, { backgroundWrites: false });
    try {
      expect(reopened.lastReceivedAt()).toBe(3_000);
      reopened.keepReceivedAt(() => 4_000);
      await reopened.publish([testEnvelope('donation')]);
      expect(reopened.lastReceivedAt()).toBe(4_000);
    } finally {
      await reopened.close();
    }
  });

  it('keeps every body whole and in order when publishes waiting for the writer thread are posted together', async () => {
    const queue = new SqliteQueue(tempDb());
    try {
      await queue.subscribe({ name: 'raw', contracts: '*' });
      await queue.publish([testEnvelope('donation')]);
      // Publishes made while a group commits wait in the ring and are written together, small ones decoded as one
      // text (sqlite-queue-ring.mjs); one of 100 kB stays on its own. Sizes vary so that a wrong cut shows.
      const sent: ReturnType<typeof testEnvelope>[][] = [];
      for (let i = 0; i < 300; i++) {
        const note = i === 150 ? 'x'.repeat(100_000) : 'é'.repeat(i % 7);
        sent.push(Array.from({ length: 1 + (i % 3) }, () => testEnvelope('donation', { note })));
      }
      await Promise.all(sent.map((envelopes) => queue.publish(envelopes)));
      const got = await queue.claim('raw', { max: 1000, visibilityMs: 30_000 });
      expect(got.slice(1).map((m) => m.envelope)).toEqual(sent.flat());
    } finally {
      await queue.close();
    }
  });

  it('holds groups while the ring is full and posts one too large for it, every body landing whole and in order', async () => {
    const path = tempDb();
    const queue = new SqliteQueue(path);
    const blocker = new Database(path);
    try {
      await queue.subscribe({ name: 'raw', contracts: '*' });
      await queue.publish([testEnvelope('donation')]); // starts the writer thread
      const internals = queue as unknown as { thread: { held: number[]; worker: { postMessage(m: unknown): void } } };
      const worker = internals.thread.worker;
      const post = worker.postMessage.bind(worker);
      let posted = 0;
      worker.postMessage = (m: unknown) => {
        posted++;
        post(m);
      };
      // Another connection holds the write lock: the writer thread takes the next group and waits in its
      // transaction (busy_timeout 5 s), so later groups fill the ring (16 MiB; a group's room is counted as 3 bytes a
      // character) and wait here.
      blocker.exec('BEGIN IMMEDIATE');
      const sent: ReturnType<typeof testEnvelope>[] = [];
      const published: Promise<void>[] = [];
      for (let i = 0; i < 12; i++) {
        // 1.95 MB of UTF-8 each (room kept for 3.9 MB), so that they fill the ring; group 6, 4.5 MB, is over a
        // quarter of it: it goes on the worker's port, in its place.
        const note = i === 0 ? 'first' : `${i}é`.repeat(i === 6 ? 1_500_000 : 650_000);
        const e = testEnvelope('donation', { note });
        sent.push(e);
        published.push(queue.publish([e]));
        await new Promise((r) => setImmediate(r));
      }
      expect(internals.thread.held.length).toBeGreaterThan(0);
      blocker.exec('COMMIT');
      await Promise.all(published);
      expect(internals.thread.held).toEqual([]);
      expect(posted).toBe(1); // group 6 alone
      const got = await queue.claim('raw', { max: 100, visibilityMs: 30_000 });
      expect(got.slice(1).map((m) => m.envelope)).toEqual(sent);
    } finally {
      if (blocker.inTransaction) blocker.exec('ROLLBACK');
      blocker.close();
      await queue.close();
    }
  });

  it('keeps the place of a group too large for the ring when the ring has no room even for its marker', async () => {
    const path = tempDb();
    const queue = new SqliteQueue(path);
    const blocker = new Database(path);
    type Internals = {
      thread: {
        held: number[];
        inflight: Map<number, { onPort?: boolean }>;
        ring: RingWriter;
        worker: { postMessage(m: unknown): void };
      };
    };
    try {
      await queue.subscribe({ name: 'raw', contracts: '*' });
      // Another connection holds the write lock before the writer thread starts: it takes the first group and
      // waits in its transaction (busy_timeout 5 s), so the ring gives nothing back and records fill it from its start.
      blocker.exec('BEGIN IMMEDIATE');
      const sent: ReturnType<typeof testEnvelope>[] = [];
      const published: Promise<void>[] = [];
      const publish = async (e: ReturnType<typeof testEnvelope>) => {
        sent.push(e);
        published.push(queue.publish([e]));
        await new Promise((r) => setImmediate(r)); // its group commit: into the ring
      };
      /** A donation whose record in the ring (a group of one body, sqlite-queue-ring.mjs) is exactly `bytes`. */
      const sized = (bytes: number) => {
        const e = testEnvelope('donation', { note: '' });
        const fixed = 16 + 8 + 4 + JSON.stringify({ c: ['donation'] }).length + JSON.stringify(e).length;
        (e.payload as Record<string, unknown>).note = 'x'.repeat(bytes - fixed);
        // The same record in a ring of its own: the arithmetic above is the ring's.
        const scratch = new RingWriter(createRing(16 * 1024 * 1024));
        expect(scratch.write({ contracts: ['donation'], packs: [packBodies([JSON.stringify(e)])] })).toBe('written');
        expect(scratch.head).toBe(bytes);
        return e;
      };
      await publish(testEnvelope('donation', { note: 'first' }));
      const thread = (queue as unknown as Internals).thread;
      const worker = thread.worker;
      const post = worker.postMessage.bind(worker);
      let posted = 0;
      worker.postMessage = (m: unknown) => {
        posted++;
        post(m);
      };
      const ring = thread.ring;
      const quarter = ring.capacity / 4;
      // Records of 3.5 MB, then one of what is left: the ring is full to its last byte (each record is a multiple of 8,
      // and these are over 1.4 MB, so their room is counted exactly, not as 3 bytes a character).
      while (ring.capacity - ring.head > quarter) await publish(sized(3_500_000));
      await publish(sized(ring.capacity - ring.head));
      expect(ring.head).toBe(ring.capacity);
      expect(thread.held).toEqual([]);

      // 4.5 MB, over a quarter of the ring: posted on the port, and its marker finds no room. It is held, as posted,
      // and a small group after it waits behind it.
      await publish(testEnvelope('donation', { note: 'y'.repeat(4_500_000) }));
      expect(posted).toBe(1);
      expect(thread.held).toHaveLength(1);
      expect(thread.inflight.get(thread.held[0]!)?.onPort).toBe(true);
      await publish(testEnvelope('donation', { note: 'last' }));
      expect(thread.held).toHaveLength(2);

      blocker.exec('COMMIT');
      await Promise.all(published);
      expect(thread.held).toEqual([]);
      expect(posted).toBe(1); // its marker went in later; the group was not posted again
      const got = await queue.claim('raw', { max: 100, visibilityMs: 30_000 });
      expect(got.map((m) => m.envelope)).toEqual(sent);
    } finally {
      if (blocker.inTransaction) blocker.exec('ROLLBACK');
      blocker.close();
      await queue.close();
    }
  });

  it('subscribes while publishes keep coming, waiting only for those made before it', async () => {
    const queue = new SqliteQueue(tempDb());
    try {
      await queue.subscribe({ name: 'first', contracts: '*' });
      let publishing = true;
      const sent: Promise<void>[] = [];
      // A publish every turn of the event loop: some group is always in flight on the writer thread.
      const pump = (async () => {
        while (publishing) {
          sent.push(queue.publish([testEnvelope('donation')]));
          await new Promise((r) => setImmediate(r));
        }
      })();
      await new Promise((r) => setTimeout(r, 100));
      const subscribed = queue.subscribe({ name: 'late', contracts: ['donation'] }).then(() => 'subscribed');
      const outcome = await Promise.race([subscribed, new Promise((r) => setTimeout(() => r('still waiting'), 20_000))]);
      sent.push(queue.publish([testEnvelope('donation')])); // at least one after the subscription
      publishing = false;
      await pump;
      await Promise.all(sent);
      expect(outcome).toBe('subscribed');
      expect(await queue.depth('first')).toBe(sent.length);
      expect(await queue.depth('late')).toBeGreaterThan(0);
      expect(await queue.depth('late')).toBeLessThan(sent.length);
    } finally {
      await queue.close();
    }
  });

  it('claims nothing without waiting for the write lock when nothing is visible', async () => {
    const path = tempDb();
    const queue = new SqliteQueue(path);
    const other = new Database(path);
    try {
      await queue.subscribe({ name: 'idle', contracts: ['donation'] });
      await queue.subscribe({ name: 'busy', contracts: ['ticket'] });
      await queue.publish([testEnvelope('ticket')]);
      // Another writer (the producer's commit, say) holds the lock: an idle poll must not queue behind it
      // (it used to BEGIN IMMEDIATE and wait out the busy timeout, then throw SQLITE_BUSY).
      other.exec('BEGIN IMMEDIATE');
      expect(await queue.claim('idle', { max: 10, visibilityMs: 30_000 })).toEqual([]);
      other.exec('ROLLBACK');
      const got = await queue.claim('busy', { max: 10, visibilityMs: 30_000, withBody: true });
      expect(got.map((m) => m.envelope.contract)).toEqual(['ticket']);
      expect(JSON.parse(got[0]!.body!)).toEqual(got[0]!.envelope);
    } finally {
      other.close();
      await queue.close();
    }
  });

  it('says whether more than n deliveries are visible, leaving claimed ones out', async () => {
    const queue = new SqliteQueue(tempDb());
    try {
      await queue.subscribe({ name: 'tickets', contracts: ['ticket'] });
      await queue.subscribe({ name: 'other', contracts: ['donation'] });
      await queue.publish(Array.from({ length: 5 }, () => testEnvelope('ticket')));
      expect(queue.visibleMoreThan('tickets', 4)).toBe(true);
      expect(queue.visibleMoreThan('tickets', 5)).toBe(false);
      expect(queue.visibleMoreThan('other', 0)).toBe(false);
      await queue.claim('tickets', { max: 2, visibilityMs: 30_000 });
      expect(queue.visibleMoreThan('tickets', 2)).toBe(true);
      expect(queue.visibleMoreThan('tickets', 3)).toBe(false);
      expect(() => queue.visibleMoreThan('nobody', 0)).toThrow(/unknown subscription/);
    } finally {
      await queue.close();
    }
  });

  it('drops a delivery whose body is gone and hands out the rest', async () => {
    const path = tempDb();
    const queue = new SqliteQueue(path);
    try {
      await queue.subscribe({ name: 'a', contracts: '*' });
      const envelopes = [testEnvelope(), testEnvelope(), testEnvelope()];
      await queue.publish(envelopes);
      const db = new Database(path);
      db.prepare('DELETE FROM queue_messages WHERE seq = (SELECT min(seq) + 1 FROM queue_messages)').run();
      db.close();
      const got = await queue.claim('a', { max: 10, visibilityMs: 30_000 });
      expect(got.map((m) => m.envelope.id)).toEqual([envelopes[0]!.id, envelopes[2]!.id]);
      expect(await queue.depth('a')).toBe(2);
    } finally {
      await queue.close();
    }
  });

  it('resolves each publish only once its rows are committed, however many groups wait behind the first', async () => {
    const path = tempDb();
    const queue = new SqliteQueue(path);
    const reader = new Database(path, { readonly: true });
    const has = reader.prepare(`SELECT count(*) FROM queue_messages WHERE body ->> '$.id' = ?`).pluck();
    try {
      await queue.subscribe({ name: 'a', contracts: '*' });
      // One publish per tick of the event loop: each its own group, most held while an earlier one commits.
      const seen: number[] = [];
      const publishes: Promise<void>[] = [];
      for (let i = 0; i < 60; i++) {
        const env = testEnvelope();
        publishes.push(queue.publish([env]).then(() => void seen.push(has.get(env.id) as number)));
        await new Promise((r) => setImmediate(r));
      }
      await Promise.all(publishes);
      expect(seen).toEqual(Array(60).fill(1));
      expect(await queue.depth('a')).toBe(60);
    } finally {
      reader.close();
      await queue.close();
    }
  });

  it('rejects an unknown subscription and use after close', async () => {
    const queue = new SqliteQueue(':memory:');
    await expect(queue.claim('nope', { max: 1, visibilityMs: 1000 })).rejects.toThrow(/unknown subscription/);
    await queue.close();
    await expect(queue.publish([testEnvelope()])).rejects.toThrow(/closed/);
  });

  it('flushes publishes still waiting for their group commit on close', async () => {
    const path = tempDb();
    const queue = new SqliteQueue(path);
    await queue.subscribe({ name: 's', contracts: '*' });
    const pending = queue.publish([testEnvelope(), testEnvelope()]);
    await queue.close();
    await pending;
    const again = new SqliteQueue(path);
    expect(await again.depth('s')).toBe(2);
    await again.close();
  });

  it('keeps every confirmed publish when the publishing process is SIGKILLed', async () => {
    const path = tempDb();
    const setup = new SqliteQueue(path);
    await setup.subscribe({ name: 'raw', contracts: '*' });
    await setup.close();

    const fixture = fileURLToPath(new URL('./fixtures/publish-until-killed.ts', import.meta.url));
    const child = spawn(process.execPath, ['--import', 'tsx', fixture, path], { stdio: ['ignore', 'pipe', 'pipe'] });
    const confirmed = new Set<string>();
    let stderr = '';
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    const exited = new Promise<NodeJS.Signals | null>((resolve) => child.on('exit', (_code, signal) => resolve(signal)));
    await new Promise<void>((resolve, reject) => {
      let buf = '';
      child.stdout.on('data', (d: Buffer) => {
        buf += d.toString();
        let nl: number;
        while ((nl = buf.indexOf('\n')) >= 0) {
          const line = buf.slice(0, nl);
          buf = buf.slice(nl + 1);
          if (line.startsWith('ok ')) for (const id of line.slice(3).split(',')) confirmed.add(id);
        }
        // Kill mid-stream, with publishes in flight, once plenty are confirmed.
        if (confirmed.size >= 2000 && !child.killed) {
          child.kill('SIGKILL');
          resolve();
        }
      });
      child.on('exit', () => reject(new Error(`child exited early: ${stderr.slice(0, 2000)}`)));
    });
    expect(await exited).toBe('SIGKILL');

    const queue = new SqliteQueue(path);
    try {
      const found = new Set<string>();
      for (;;) {
        const got = await queue.claim('raw', { max: 1000, visibilityMs: 60_000 });
        if (got.length === 0) break;
        for (const m of got) found.add(m.envelope.id);
      }
      const missing = [...confirmed].filter((id) => !found.has(id));
      expect(missing).toEqual([]);
      expect(found.size).toBeGreaterThanOrEqual(confirmed.size);
    } finally {
      await queue.close();
    }
  });
});
