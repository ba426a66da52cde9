// Packs: a producer request of several events is one queue_messages row and one delivery row per subscription
// (infra/local/sqlite-queue-pack.mjs), while the Queue port still hands out, acks, retries and dead-letters events.
import { setTimeout as sleep } from 'node:timers/promises';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterEach, describe, expect, it } from 'vitest';
import { EnvelopeTextWriter, splitEnvelopeTexts, type Envelope, type EnvelopeTexts } from '../../core/envelope.js';
import { queueHolding } from '../../infra/local/erasure-home.js';
import { redriveDeadLetters } from '../../infra/local/sqlite-dead-letters.js';
import { SqliteQueue } from '../../infra/local/sqlite-queue.js';
import { openSqlite } from '../../infra/local/sqlite.js';
import { erasureNeedles } from '../../puddles/erasure-match.js';
import { olderQueue } from '../support/older-home.js';

const dirs: string[] = [];
function tempHome(): string {
  const dir = mkdtempSync(join(tmpdir(), 'puddle-packs-'));
  dirs.push(dir);
  return dir;
}
afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});
let requests = 0;
/** A producer request as producer-routes.ts makes it: envelopes and their texts, one received time for all. */
function request(contracts: readonly string[], opts: { receivedAt?: string; supporter?: (i: number) => string } = {}): { envelopes: Envelope[]; texts: EnvelopeTexts } {
  const r = ++requests;
  const writer = new EnvelopeTextWriter();
  const receivedAt = opts.receivedAt ?? new Date().toISOString();
  const envelopes = contracts.map((contract, i) =>
    writer.add({
      contract,
      version: 1,
      source: 'producer',
      stream: null,
      payload: { [`${contract}_id`]: `r${r}-${i}`, amount_minor: 100 + i, currency: 'GBP', supporter_id: opts.supporter?.(i) ?? `sup_r${r}_${i}` },
      raw: { n: i },
      delivery_id: `request-${r}`,
      received_at: receivedAt,
      received_seq: i,
    }),
  );
  return { envelopes, texts: writer.finish() };
}
const donations = (n: number) => Array.from({ length: n }, () => 'donation');

function count(file: string, sql: string): number {
  const db = new Database(file, { readonly: true });
  try {
    return db.prepare(sql).pluck().get() as number;
  } finally {
    db.close();
  }
}

async function withQueue(fn: (queue: SqliteQueue, file: string) => Promise<void>, opts: { maxAttempts?: number } = {}): Promise<void> {
  const file = join(tempHome(), 'queue.db');
  const queue = new SqliteQueue(file);
  try {
    await queue.subscribe({ name: 'transactions', contracts: ['donation'], maxAttempts: opts.maxAttempts ?? 5 });
    await queue.subscribe({ name: 'raw', contracts: '*' });
    await fn(queue, file);
  } finally {
    await queue.close();
  }
}

const ids = (ms: { envelope: Envelope }[]) => ms.map((m) => m.envelope.id);

describe('SqliteQueue packs', () => {
  it('keeps a request as one row and one delivery per subscription, and counts its events in depth and the visible counts', async () => {
    await withQueue(async (queue, file) => {
      const { envelopes, texts } = request(donations(100));
      await queue.publish(envelopes, texts);
      expect(count(file, 'SELECT count(*) FROM queue_messages')).toBe(1);
      expect(count(file, 'SELECT count(*) FROM queue_deliveries')).toBe(2);
      expect(await queue.depth('transactions')).toBe(100);
      expect(queue.claimable('raw', 1_000).visible).toBe(100);
      expect(queue.claimable('raw', 40).visible).toBe(40);
      expect(queue.visibleMoreThan('raw', 99)).toBe(true);
      expect(queue.visibleMoreThan('raw', 100)).toBe(false);

      const got = await queue.claim('raw', { max: 1_000, visibilityMs: 30_000, withBody: true });
      expect(ids(got)).toEqual(envelopes.map((e) => e.id));
      expect(got.map((m) => m.body)).toEqual(splitEnvelopeTexts(texts));
      expect(got.map((m) => m.envelope)).toEqual(envelopes);
      expect(new Set(got.map((m) => m.receipt)).size).toBe(100);
      // In flight: still waiting, no longer visible.
      expect(await queue.depth('raw')).toBe(100);
      expect(queue.claimable('raw', 1_000).visible).toBe(0);
      await queue.ack('raw', got.map((m) => m.receipt));
      expect(await queue.depth('raw')).toBe(0);
      // transactions still needs the body.
      expect(count(file, 'SELECT count(*) FROM queue_messages')).toBe(1);
      const tx = await queue.claim('transactions', { max: 1_000, visibilityMs: 30_000 });
      await queue.ack('transactions', tx.map((m) => m.receipt));
      expect(count(file, 'SELECT count(*) FROM queue_messages')).toBe(0);
      expect(count(file, 'SELECT count(*) FROM queue_deliveries')).toBe(0);
    });
  });

  it('after a partial ack, a claim hands out only the events not yet acked', async () => {
    await withQueue(async (queue) => {
      const { envelopes, texts } = request(donations(10));
      await queue.publish(envelopes, texts);
      const first = await queue.claim('transactions', { max: 100, visibilityMs: 50 });
      expect(first).toHaveLength(10);
      const acked = first.filter((_, i) => i % 3 === 0); // 0, 3, 6, 9
      await queue.ack('transactions', acked.map((m) => m.receipt));
      expect(await queue.depth('transactions')).toBe(6);
      // Acking the same receipts again changes nothing, nor do receipts cut or padded from a real one.
      await queue.ack('transactions', acked.map((m) => m.receipt));
      const [seq, attempts] = first[1]!.receipt.split('.');
      await queue.ack('transactions', [`${seq}`, `${seq}.`, `${seq}.${attempts}.`, `${seq}.${attempts}.1.1`, `${seq}.${attempts}.-1`, `${seq}.${attempts}.x`, `${seq}.0.1`, `.${attempts}.1`]);
      expect(await queue.depth('transactions')).toBe(6);
      await sleep(150);
      const rest = await queue.claim('transactions', { max: 100, visibilityMs: 30_000 });
      expect(ids(rest)).toEqual(envelopes.filter((_, i) => i % 3 !== 0).map((e) => e.id));
      expect(rest.every((m) => m.attempts === 2)).toBe(true);
      // The first claim's receipts are stale now.
      await queue.ack('transactions', first.map((m) => m.receipt));
      expect(await queue.depth('transactions')).toBe(6);
      await queue.ack('transactions', rest.map((m) => m.receipt));
      expect(await queue.depth('transactions')).toBe(0);
    });
  });

  it('offers a pack again when some of its events are retried: those, and the ones not acked, never the acked ones', async () => {
    await withQueue(async (queue) => {
      const { envelopes, texts } = request(donations(5));
      await queue.publish(envelopes, texts);
      const got = await queue.claim('transactions', { max: 100, visibilityMs: 30_000 });
      await queue.ack('transactions', [got[0]!.receipt, got[1]!.receipt]);
      await queue.retry('transactions', [got[2]!.receipt], { reason: 'Error: boom', delayMs: 0 });
      const again = await queue.claim('transactions', { max: 100, visibilityMs: 30_000 });
      expect(ids(again)).toEqual(envelopes.slice(2).map((e) => e.id));
      expect(again.map((m) => m.attempts)).toEqual([2, 2, 2]);
      expect(await queue.deadLetters('transactions')).toEqual([]);
    });
  });

  it('dead-letters a pack at its last attempt event by event, one dead letter each, which redrive sends back as before', async () => {
    await withQueue(
      async (queue, file) => {
        const { envelopes, texts } = request(donations(5));
        await queue.publish(envelopes, texts);
        const first = await queue.claim('transactions', { max: 100, visibilityMs: 30_000 });
        await queue.ack('transactions', [first[0]!.receipt]);
        await queue.retry('transactions', first.slice(1).map((m) => m.receipt), { reason: 'Error: first', delayMs: 0 });
        const last = await queue.claim('transactions', { max: 100, visibilityMs: 50 });
        expect(last.map((m) => m.attempts)).toEqual([2, 2, 2, 2]);
        // Two fail on their last attempt: they go, one dead letter each; the other two stay with their consumer.
        await queue.retry('transactions', [last[0]!.receipt, last[1]!.receipt], { reason: 'Error: mapping failed', delayMs: 0 });
        const dead = await queue.deadLetters('transactions');
        expect(dead.map((d) => d.envelope)).toEqual(envelopes.slice(1, 3));
        expect(dead.map((d) => [d.attempts, d.reason])).toEqual([
          [2, 'Error: mapping failed'],
          [2, 'Error: mapping failed'],
        ]);
        expect(await queue.depth('transactions')).toBe(2);
        // Their consumer dies: the other two come back at the visibility timeout, out of attempts, and are dead-lettered.
        await sleep(150);
        expect(await queue.claim('transactions', { max: 100, visibilityMs: 30_000 })).toEqual([]);
        const all = await queue.deadLetters('transactions');
        expect(all.map((d) => d.envelope)).toEqual(envelopes.slice(1));
        expect(all.slice(2).map((d) => d.reason)).toEqual(['visibility timeout expired on the last attempt', 'visibility timeout expired on the last attempt']);
        expect(await queue.depth('transactions')).toBe(0);
        // raw still holds the pack: its body stays until raw is done with it.
        expect(count(file, 'SELECT count(*) FROM queue_messages')).toBe(1);

        // `puddle dead-letters redrive`, on its own connection: each comes back as an event of its own.
        const cli = openSqlite(file);
        try {
          expect(redriveDeadLetters(cli)).toEqual({ transactions: 4 });
        } finally {
          cli.close();
        }
        const back = await queue.claim('transactions', { max: 100, visibilityMs: 30_000 });
        expect(ids(back)).toEqual(envelopes.slice(1).map((e) => e.id));
        expect(back.map((m) => [m.attempts, m.receipt.split('.').length])).toEqual(Array(4).fill([1, 2]));
        await queue.ack('transactions', back.map((m) => m.receipt));
        expect(await queue.depth('transactions')).toBe(0);
      },
      { maxAttempts: 2 },
    );
  });

  it('keeps every pack whole and in order when requests waiting for the writer thread are posted together', async () => {
    await withQueue(async (queue, file) => {
      // Requests made while a group commits wait in the ring and are written together, small ones decoded as one text
      // (RingReader.decode): packs start and end inside a joined text and at its edges. Sizes vary so that a wrong cut shows.
      // Most runs are ASCII, and go to SQLite as their bytes; a supporter named with an é now and then makes a run text.
      const sent = Array.from({ length: 300 }, (_, i) => request(donations(1 + (i % 12)), i % 23 === 0 ? { supporter: (k) => `sup_é${k}` } : {}));
      await Promise.all(sent.map((r) => queue.publish(r.envelopes, r.texts)));
      const got = await queue.claim('raw', { max: 10_000, visibilityMs: 30_000, withBody: true });
      expect(got.map((m) => m.body)).toEqual(sent.flatMap((r) => splitEnvelopeTexts(r.texts)));
      // A request of one event is a row of its own; every other is one pack.
      expect(count(file, 'SELECT count(*) FROM queue_messages')).toBe(300);
      expect(count(file, 'SELECT count(*) FROM queue_messages WHERE lengths IS NULL')).toBe(25);
      // Stored as text either way, as every reader of the queue expects.
      expect(count(file, "SELECT count(*) FROM queue_messages WHERE typeof(body) <> 'text'")).toBe(0);
      expect(count(file, "SELECT count(*) FROM queue_messages WHERE body LIKE '%sup_é%'")).toBe(14);
    });
  });

  it('claims whole packs: as many as fit in max, or the first alone when it holds more', async () => {
    await withQueue(async (queue) => {
      const sent = [request(donations(4)), request(donations(4)), request(donations(4))];
      for (const r of sent) await queue.publish(r.envelopes, r.texts);
      const a = await queue.claim('transactions', { max: 6, visibilityMs: 30_000 });
      expect(ids(a)).toEqual(sent[0]!.envelopes.map((e) => e.id));
      const b = await queue.claim('transactions', { max: 2, visibilityMs: 30_000 });
      expect(ids(b)).toEqual(sent[1]!.envelopes.map((e) => e.id));
      const c = await queue.claim('transactions', { max: 100, visibilityMs: 30_000 });
      expect(ids(c)).toEqual(sent[2]!.envelopes.map((e) => e.id));
    });
  });

  it('keeps a request whose events go to different subscriptions as one pack, each subscription getting its own events in order', async () => {
    await withQueue(async (queue, file) => {
      await queue.subscribe({ name: 'support', contracts: ['ticket'] });
      const { envelopes, texts } = request(['donation', 'ticket', 'donation', 'click']);
      await queue.publish(envelopes, texts);
      expect(count(file, 'SELECT count(*) FROM queue_messages')).toBe(1);
      expect(count(file, 'SELECT count(*) FROM queue_deliveries')).toBe(3);
      expect([await queue.depth('transactions'), await queue.depth('support'), await queue.depth('raw')]).toEqual([2, 1, 4]);
      const byContract = (c: string) => envelopes.filter((e) => e.contract === c).map((e) => e.id);
      const tx = await queue.claim('transactions', { max: 10, visibilityMs: 30_000 });
      expect(ids(tx)).toEqual(byContract('donation'));
      const support = await queue.claim('support', { max: 10, visibilityMs: 30_000 });
      expect(ids(support)).toEqual(byContract('ticket'));
      const raw = await queue.claim('raw', { max: 10, visibilityMs: 30_000 });
      expect(ids(raw)).toEqual(envelopes.map((e) => e.id));
      for (const [name, got] of [['transactions', tx], ['support', support], ['raw', raw]] as const) await queue.ack(name, got.map((m) => m.receipt));
      expect(count(file, 'SELECT count(*) FROM queue_messages')).toBe(0);
    });
  });

  it("tells how long a pack has waited from its request's received time (a pack is not one JSON value)", async () => {
    await withQueue(async (queue) => {
      const receivedAt = new Date(Date.now() - 60_000).toISOString();
      const { envelopes, texts } = request(donations(3), { receivedAt });
      await queue.publish(envelopes, texts);
      expect(await queue.oldestWaitingMs(['transactions'])).toBeGreaterThanOrEqual(60_000);
      expect(queue.claimable('transactions', 10).oldestMs).toBeGreaterThanOrEqual(60_000);
      expect(queue.latestWaitingReceivedAt()).toBe(Date.parse(receivedAt));
    });
  });

  it('stores a request larger than a pack as several packs, and a lone event as a row of its own', async () => {
    await withQueue(async (queue, file) => {
      const big = request(donations(600));
      await queue.publish(big.envelopes, big.texts);
      // 256 + 256 + 88.
      expect(count(file, 'SELECT count(*) FROM queue_messages')).toBe(3);
      const one = request(donations(1));
      await queue.publish(one.envelopes, one.texts);
      expect(count(file, 'SELECT count(*) FROM queue_messages WHERE lengths IS NULL')).toBe(1);
      const got = await queue.claim('transactions', { max: 1_000, visibilityMs: 30_000 });
      expect(ids(got)).toEqual([...big.envelopes, ...one.envelopes].map((e) => e.id));
      expect(got.at(-1)!.receipt.split('.')).toHaveLength(2);
    });
  });
});

describe('a queue.db from before packs', () => {
  it('opens with the pack columns added; its rows claim and ack as before, and new requests are packs beside them', async () => {
    const home = tempHome();
    const file = join(home, 'queue.db');
    const old = olderQueue(home);
    const older = [1, 2, 3].map((i) => ({ id: `old-${i}`, contract: 'donation', received_at: '2026-12-03T20:00:00.000Z', payload: { donation_id: `old-${i}` } }));
    for (const body of older) {
      const seq = old.prepare(`INSERT INTO queue_messages (body) VALUES (?)`).run(JSON.stringify(body)).lastInsertRowid;
      old.prepare(`INSERT INTO queue_deliveries (sub_id, seq, visible_at, attempts) VALUES (1, ?, 0, 0)`).run(seq);
    }
    old.close();

    const queue = new SqliteQueue(file);
    try {
      const columns = (t: string) => {
        const db = new Database(file, { readonly: true });
        try {
          return db.prepare(`SELECT name FROM pragma_table_info(?)`).pluck().all(t);
        } finally {
          db.close();
        }
      };
      expect(columns('queue_messages')).toEqual(['seq', 'body', 'lengths', 'received_at']);
      expect(columns('queue_deliveries')).toEqual(['sub_id', 'seq', 'visible_at', 'attempts', 'unsettled', 'settled']);
      expect(await queue.depth('transactions')).toBe(3);
      expect(await queue.oldestWaitingMs(['transactions'])).toBeGreaterThan(0);
      const { envelopes, texts } = request(donations(3));
      await queue.publish(envelopes, texts);
      const got = await queue.claim('transactions', { max: 10, visibilityMs: 30_000 });
      expect(ids(got)).toEqual([...older.map((b) => b.id), ...envelopes.map((e) => e.id)]);
      expect(got.slice(0, 3).map((m) => m.receipt.split('.').length)).toEqual([2, 2, 2]);
      await queue.ack('transactions', [got[1]!.receipt, got[4]!.receipt]);
      expect(await queue.depth('transactions')).toBe(4);
      await queue.ack('transactions', got.map((m) => m.receipt));
      expect(await queue.depth('transactions')).toBe(0);
      expect(count(file, 'SELECT count(*) FROM queue_messages')).toBe(0);
    } finally {
      await queue.close();
    }
    // A second open finds the columns there and adds nothing.
    const again = new SqliteQueue(file);
    await again.close();
  });
});

describe('puddle erase and packs', () => {
  it("scrubs a person out of the events of a pack that hold them, and leaves the others' events as they were", async () => {
    const home = tempHome();
    const file = join(home, 'queue.db');
    const queue = new SqliteQueue(file);
    const { envelopes, texts } = request(donations(5), { supporter: (i) => (i % 2 === 0 ? 'sup_erase_me' : `sup_keep_${i}`) });
    const before = splitEnvelopeTexts(texts);
    try {
      await queue.subscribe({ name: 'transactions', contracts: ['donation'] });
      await queue.publish(envelopes, texts);
    } finally {
      await queue.close();
    }
    const needles = erasureNeedles({ supporterIds: ['sup_erase_me'], emails: [], texts: [] });
    expect(queueHolding(home, needles, { scrub: false })).toEqual({ waiting: 3, deadLetters: [] });
    expect(queueHolding(home, needles, { scrub: true })).toEqual({ waiting: 3, deadLetters: [] });
    expect(queueHolding(home, needles, { scrub: false })).toEqual({ waiting: 0, deadLetters: [] });

    const reopened = new SqliteQueue(file);
    try {
      const got = await reopened.claim('transactions', { max: 10, visibilityMs: 30_000, withBody: true });
      expect(ids(got)).toEqual(envelopes.map((e) => e.id));
      for (let i = 0; i < 5; i++) {
        const supporter = got[i]!.envelope.payload.supporter_id;
        if (i % 2 === 0) expect(supporter).toBe(needles[0]!.replacement);
        else {
          expect(supporter).toBe(`sup_keep_${i}`);
          expect(got[i]!.body).toBe(before[i]);
        }
      }
      expect(got.some((m) => m.body!.includes('sup_erase_me'))).toBe(false);
    } finally {
      await reopened.close();
    }
  });
});
