import { setTimeout as sleep } from 'node:timers/promises';
import { readFile } from 'node:fs/promises';
import path from 'node:path';

import { DuckDBInstance } from '@duckdb/node-api';
import { describe, expect, it } from 'vitest';

import { makeEnvelope, type Envelope } from '../../core/envelope.js';
import type { ObjectStore, OpsEvent } from '../../core/ports.js';
import { lingerLeftMs, PuddleConsumer } from '../../puddles/consumer.js';
import { landEnvelopes } from '../../puddles/land.js';
import { donation, useLake } from './lake-fixture.js';

const lake = useLake();

async function drainAll(): Promise<void> {
  await lake.consumer('transactions').drain();
  await lake.consumer('quarantine').drain();
  await lake.consumer('raw').drain();
}

async function readParquetDirect(file: string, sql: (src: string) => string): Promise<Record<string, unknown>[]> {
  const inst = await DuckDBInstance.create(':memory:');
  const conn = await inst.connect();
  try {
    const src = `read_parquet('${file.replaceAll("'", "''")}', hive_partitioning = false)`;
    return (await conn.runAndReadAll(sql(src))).getRowObjectsJS();
  } finally {
    conn.closeSync();
    inst.closeSync();
  }
}

describe('landing', () => {
  it('gives typed, empty views on an empty lake', async () => {
    const [row] = await lake.engine.query('SELECT sum(amount_minor) AS total, count(*) AS n FROM donation');
    expect(row).toEqual({ total: null, n: 0 });
    expect(await lake.engine.query('SELECT count(*) AS n FROM raw')).toEqual([{ n: 0 }]);
    expect(await lake.engine.query('SELECT count(*) AS n FROM quarantine')).toEqual([{ n: 0 }]);
    const types = await lake.engine.query(`SELECT column_name, data_type FROM information_schema.columns WHERE table_name = 'donation'`);
    const byName = Object.fromEntries(types.map((t) => [t.column_name, t.data_type]));
    expect(byName).toMatchObject({ amount_minor: 'BIGINT', occurred_at: 'TIMESTAMP', _changed_at: 'TIMESTAMP', _received_at: 'TIMESTAMP', _id: 'VARCHAR' });
  });

  it('lands envelopes as Parquet under the partition layout and answers counts and sums', async () => {
    const envs: Envelope[] = [];
    const channels = ['online', 'sms', 'ivr'];
    for (let i = 0; i < 300; i++) {
      envs.push(
        donation(`d${i}`, 100 + i, {
          channel: channels[i % 3],
          occurred_at: i < 200 ? '2026-11-29T20:15:00Z' : '2026-11-30T00:30:00+01:00', // 23:30Z on the 29th
          received_at: i < 100 ? '2026-11-29T20:15:01Z' : '2026-11-30T00:00:05Z',
        }),
      );
    }
    await lake.queue.publish(envs);
    expect(await lake.consumer('transactions', { batchSize: 120 }).drain()).toBe(300);
    expect(await lake.consumer('raw').drain()).toBe(300);
    expect(await lake.queue.depth('transactions')).toBe(0);

    const files = await lake.catalog.listFiles({ contract: 'donation' });
    expect(files.length).toBeGreaterThanOrEqual(3);
    for (const f of files) expect(f.key).toMatch(/^lake\/transactions\/donation\/v1\/dt=2026-11-29\/b-[0-9a-f]{32}\.parquet$/);
    expect(files.reduce((n, f) => n + f.rows, 0)).toBe(300);
    const rawFiles = await lake.catalog.listFiles({ puddle: 'raw' });
    expect(new Set(rawFiles.map((f) => f.dt))).toEqual(new Set(['2026-11-29', '2026-11-30']));
    for (const f of rawFiles) expect(f.key).toMatch(/^lake\/raw\/envelope\/v1\/dt=2026-11-(29|30)\/b-[0-9a-f]{32}\.parquet$/);

    // The file itself, read by a separate DuckDB: right types and rows.
    const first = path.join(lake.dir, files[0]!.key);
    const described = await readParquetDirect(first, (src) => `DESCRIBE SELECT * FROM ${src}`);
    const types = Object.fromEntries(described.map((d) => [d.column_name, d.column_type]));
    expect(types).toMatchObject({
      donation_id: 'VARCHAR',
      amount_minor: 'BIGINT',
      occurred_at: 'TIMESTAMP',
      _changed_at: 'TIMESTAMP',
      _received_at: 'TIMESTAMP',
      _delivery_id: 'VARCHAR',
      _source: 'VARCHAR',
      _stream: 'VARCHAR',
    });
    const [direct] = await readParquetDirect(first, (src) => `SELECT count(*) AS n FROM ${src}`);
    expect(Number(direct!.n)).toBe(files[0]!.rows);

    const [totals] = await lake.engine.query('SELECT count(*) AS n, sum(amount_minor) AS total FROM donation');
    const expected = envs.reduce((n, e) => n + (e.payload.amount_minor as number), 0);
    expect(totals).toEqual({ n: 300, total: expected });

    const sql = await readFile(path.join(import.meta.dirname, '../../puddles/queries/totals-by-channel.sql'), 'utf8');
    const byChannel = await lake.engine.query(sql);
    expect(byChannel.map((r) => r.channel)).toEqual(['ivr', 'online', 'sms']);
    expect(byChannel.reduce((n, r) => n + (r.donations as number), 0)).toBe(300);
    const onlineSum = envs.filter((e) => e.payload.channel === 'online').reduce((n, e) => n + (e.payload.amount_minor as number), 0);
    expect(byChannel.find((r) => r.channel === 'online')).toEqual({ channel: 'online', currency: 'GBP', donations: 100, amount_minor: onlineSum });

    // JSON-safe values: ISO instants with Z, plain numbers.
    const [one] = await lake.engine.query(`SELECT occurred_at, _received_at, amount_minor, CAST(occurred_at AS DATE) AS d FROM donation WHERE donation_id = 'd250'`);
    expect(one).toEqual({ occurred_at: '2026-11-29T23:30:00.000Z', _received_at: '2026-11-30T00:00:05.000Z', amount_minor: 350, d: '2026-11-29' });

    // Raw keeps the envelope text exactly as delivered.
    const [raw] = await lake.engine.query(`SELECT envelope, contract, version, received_at FROM raw WHERE id = '${envs[7]!.id}'`);
    expect(raw).toEqual({ envelope: JSON.stringify(envs[7]), contract: 'donation', version: 1, received_at: '2026-11-29T20:15:01.000Z' });
    expect(await lake.engine.query('SELECT count(*) AS n FROM raw')).toEqual([{ n: 300 }]);
  });

  it('lands the same envelope published twice once', async () => {
    const e = donation('dup', 500);
    await lake.queue.publish([e, donation('other', 1)]);
    await lake.queue.publish([e]);
    await drainAll();
    expect(await lake.engine.query(`SELECT count(*) AS n, sum(amount_minor) AS total FROM donation`)).toEqual([{ n: 2, total: 501 }]);
    expect(await lake.engine.query(`SELECT count(*) AS n FROM donation_history WHERE donation_id = 'dup'`)).toEqual([{ n: 1 }]);
    expect(await lake.engine.query(`SELECT count(*) AS n FROM raw WHERE key = 'dup'`)).toEqual([{ n: 1 }]);
  });

  it('lets a newer version supersede and never lets a delayed older snapshot replace it', async () => {
    const v1 = donation('d1', 1000, { status: 'pending', updated_at: '2026-11-29T20:15:00Z', received_at: '2026-11-29T20:15:01Z' });
    const v2 = donation('d1', 1000, { status: 'paid', updated_at: '2026-11-29T20:20:00Z', received_at: '2026-11-29T20:20:01Z' });
    await lake.queue.publish([v1]);
    await drainAll();
    expect(await lake.engine.query(`SELECT status FROM donation`)).toEqual([{ status: 'pending' }]);
    await lake.queue.publish([v2]);
    await drainAll();
    expect(await lake.engine.query(`SELECT status FROM donation`)).toEqual([{ status: 'paid' }]);
    expect(await lake.engine.query(`SELECT status FROM donation_history ORDER BY _changed_at`)).toEqual([{ status: 'pending' }, { status: 'paid' }]);

    // An older snapshot (lower updated_at) that arrives last: history gains it, current stays paid.
    const late = donation('d1', 900, { status: 'pending', updated_at: '2026-11-29T20:17:00Z', received_at: '2026-11-29T21:00:00Z' });
    await lake.queue.publish([late]);
    await drainAll();
    expect(await lake.engine.query(`SELECT status, amount_minor FROM donation`)).toEqual([{ status: 'paid', amount_minor: 1000 }]);
    expect(await lake.engine.query(`SELECT count(*) AS n FROM donation_history`)).toEqual([{ n: 3 }]);
  });

  it('quarantines what fails validation or names an unknown contract, and keeps it in raw', async () => {
    const bad = makeEnvelope({
      contract: 'donation',
      version: 1,
      source: 'producer',
      payload: { donation_id: 'bad1', occurred_at: '2026-11-29T20:00:00Z', channel: 'pigeon', amount_minor: 'ten', currency: 'GBP' },
      received_at: '2026-11-29T20:00:01Z',
      delivery_id: 'req-9',
    });
    const future = { ...donation('v9', 5), version: 9 };
    const stranger = makeEnvelope({
      contract: 'horoscope',
      version: 1,
      source: 'producer',
      payload: { horoscope_id: 'h1', occurred_at: '2026-11-29T20:00:00Z' },
      received_at: '2026-11-29T20:00:01Z',
      delivery_id: 'req-9',
    });
    await lake.queue.publish([bad, future, stranger, donation('ok', 10)]);
    await drainAll();

    expect(await lake.engine.query(`SELECT donation_id FROM donation`)).toEqual([{ donation_id: 'ok' }]);
    const q = await lake.engine.query(`SELECT quarantine_id, contract, version, source, reasons, record FROM quarantine ORDER BY contract, version`);
    expect(q.map((r) => [r.contract, r.version])).toEqual([
      ['donation', 1],
      ['donation', 9],
      ['horoscope', 1],
    ]);
    const badRow = q[0]!;
    expect(badRow.quarantine_id).toBe(bad.id);
    const reasons = JSON.parse(String(badRow.reasons)) as { path: string }[];
    expect(reasons.map((r) => r.path).sort()).toEqual(['payload.amount_minor', 'payload.channel']);
    expect(JSON.parse(String(badRow.record))).toEqual(bad.payload);
    expect(String(q[1]!.reasons)).toContain('unknown contract donation v9');
    expect(String(q[2]!.reasons)).toContain('horoscope');

    const raw = await lake.engine.query(`SELECT id FROM raw ORDER BY id`);
    expect(raw.map((r) => r.id).sort()).toEqual([bad.id, future.id, stranger.id, donation('ok', 10).id].sort());
  });

  it('survives a crash between landing and ack: redelivery adds no duplicates', async () => {
    const envs = Array.from({ length: 200 }, (_, i) => donation(`c${i}`, 10));
    await lake.queue.publish(envs);

    // Crash 1: a batch is written and registered, then the process dies before the ack.
    const claimed = await lake.queue.claim('transactions', { max: 80, visibilityMs: 1 });
    await landEnvelopes({ puddle: lake.puddle('transactions'), store: lake.store, catalog: lake.catalog, envelopes: claimed.map((m) => m.envelope) });
    // Crash 2: a batch's files reach the store but not the catalog (an orphan queries must ignore).
    const claimed2 = await lake.queue.claim('transactions', { max: 50, visibilityMs: 1 });
    await lake.store.put('lake/transactions/donation/v1/dt=2026-11-29/b-orphan.parquet', await readFile(path.join(lake.dir, (await lake.catalog.listFiles())[0]!.key)));
    expect(claimed2.length).toBe(50);
    await new Promise((r) => setTimeout(r, 20)); // let the 1 ms visibility lapse

    // Redelivered in different batch shapes, so some rows land in two files.
    const consumer = lake.consumer('transactions', { batchSize: 70 });
    expect(await consumer.drain()).toBe(200);
    expect(await lake.queue.depth('transactions')).toBe(0);
    const stored = (await lake.catalog.listFiles({ contract: 'donation' })).reduce((n, f) => n + f.rows, 0);
    expect(stored).toBeGreaterThan(200); // the duplicates really are in the files...
    // ...and the views still count each donation once.
    expect(await lake.engine.query(`SELECT count(*) AS n, sum(amount_minor) AS total FROM donation`)).toEqual([{ n: 200, total: 2000 }]);
    expect(await lake.engine.query(`SELECT count(*) AS n FROM donation_history`)).toEqual([{ n: 200 }]);
  });

  it('rewrites the same key when the same batch is redelivered whole', async () => {
    await lake.queue.publish(Array.from({ length: 30 }, (_, i) => donation(`s${i}`, 1)));
    const claimed = await lake.queue.claim('transactions', { max: 100, visibilityMs: 1 });
    const first = await landEnvelopes({ puddle: lake.puddle('transactions'), store: lake.store, catalog: lake.catalog, envelopes: claimed.map((m) => m.envelope) });
    await new Promise((r) => setTimeout(r, 20));
    await lake.consumer('transactions').drain();
    const files = await lake.catalog.listFiles({ contract: 'donation' });
    expect(files.map((f) => f.key)).toEqual(first.files.map((f) => f.key));
  });

  it('retries a batch whose write fails and dead-letters it after maxAttempts', async () => {
    const broken: ObjectStore = {
      ...lake.store,
      localRoot: lake.store.localRoot,
      put: async () => {
        throw new Error('disk on fire');
      },
      putIfAbsent: async () => false,
      get: (k) => lake.store.get(k),
      list: (p) => lake.store.list(p),
      delete: (k) => lake.store.delete(k),
    };
    await lake.queue.subscribe({ ...lake.puddle('transactions'), maxAttempts: 2 });
    await lake.queue.publish([donation('x', 1)]);
    const told: OpsEvent[] = [];
    const events = { emit: async (e: readonly OpsEvent[]) => void told.push(...e) };
    const consumer = new PuddleConsumer({ puddle: { ...lake.puddle('transactions'), maxAttempts: 2 }, queue: lake.queue, store: broken, catalog: lake.catalog, retryDelayMs: 0, events });
    expect(await consumer.drain()).toBe(2);
    // Told once, on the delivery that reached maxAttempts, not on the first failure.
    // The error's kind, not its message (which can quote the record): the same in the event and the dead letter.
    const reason = 'Error: message left out (it can quote the record)';
    expect(told).toEqual([{ type: 'dead_letter', puddle: 'transactions', messages: 1, reason }]);
    const dead = await lake.queue.deadLetters('transactions');
    expect(dead).toHaveLength(1);
    expect(dead[0]!.reason).toBe(reason);
    expect(await lake.catalog.listFiles({ contract: 'donation' })).toEqual([]);
  });

  it('pauses its background loop after a batch for as long as pauseAfter says, and stop() ends the pause', async () => {
    const asked: number[] = [];
    const consumer = lake.consumer('transactions', { batchSize: 10, windowMs: 20, pollMs: 5, pauseAfter: (ms) => (asked.push(ms), 600_000) });
    await lake.queue.publish(Array.from({ length: 25 }, (_, i) => donation(`p${i}`, 2)));
    await consumer.start();
    for (let i = 0; i < 400 && (await lake.queue.depth('transactions')) > 15; i++) await new Promise((r) => setTimeout(r, 10));
    await consumer.stop();
    // One batch landed; without the pause the loop would have claimed and landed the next meanwhile.
    expect(await lake.queue.depth('transactions')).toBe(15);
    expect(asked).toHaveLength(1);
    expect(asked[0]).toBeGreaterThanOrEqual(0);
  });

  it('ends a pause early once pauseOver says its reason has gone', async () => {
    let over = false;
    const consumer = lake.consumer('transactions', { batchSize: 10, windowMs: 20, pollMs: 5, pauseAfter: () => (over ? 0 : 600_000), pauseOver: () => over });
    await lake.queue.publish(Array.from({ length: 25 }, (_, i) => donation(`o${i}`, 2)));
    await consumer.start();
    for (let i = 0; i < 400 && (await lake.queue.depth('transactions')) > 15; i++) await new Promise((r) => setTimeout(r, 10));
    // Paused after the first batch: nothing more lands while the reason holds (checks run every 100 ms).
    await new Promise((r) => setTimeout(r, 300));
    expect(await lake.queue.depth('transactions')).toBe(15);
    over = true;
    for (let i = 0; i < 400 && (await lake.queue.depth('transactions')) > 0; i++) await new Promise((r) => setTimeout(r, 10));
    expect(await lake.queue.depth('transactions')).toBe(0);
    await consumer.stop();
  });

  it('lands in the background loop and stops after the batch in hand', async () => {
    const consumer = lake.consumer('transactions', { windowMs: 20, pollMs: 5 });
    await consumer.start();
    await lake.queue.publish(Array.from({ length: 50 }, (_, i) => donation(`l${i}`, 2)));
    for (let i = 0; i < 400 && (await lake.queue.depth('transactions')) > 0; i++) await new Promise((r) => setTimeout(r, 10));
    await consumer.stop();
    expect(await lake.engine.query(`SELECT count(*) AS n, sum(amount_minor) AS total FROM donation`)).toEqual([{ n: 50, total: 100 }]);
  });
});

describe("raw's linger: fewer, larger files of a trail never merged", () => {
  /** A donation received now (the linger counts from the receipt). */
  const fresh = (id: string) => donation(id, 1, { received_at: new Date().toISOString(), delivery: `req-${id}` });
  const lingering = (opts: { lingerMs: number; batchSize?: number }) =>
    lake.consumer('raw', { windowMs: 20, pollMs: 5, ...opts, claimable: (n) => lake.queue.claimable('raw', n) });

  it('lands many small publishes over the linger as one raw file, not one per batch window', async () => {
    const consumer = lingering({ lingerMs: 5_000 });
    await consumer.start();
    try {
      // Eight requests 100 ms apart: with a 20 ms window each was a batch and a file of its own.
      const first = Date.now();
      for (let i = 0; i < 8; i++) {
        await lake.queue.publish([fresh(`t${i}`)]);
        await sleep(100);
      }
      // Still within the first one's linger (a machine too busy to publish eight in 4 s cannot tell): nothing claimed.
      if (Date.now() - first < 4_000) expect(await lake.queue.depth('raw')).toBe(8);
      for (let i = 0; i < 1_000 && (await lake.queue.depth('raw')) > 0; i++) await sleep(10);
    } finally {
      await consumer.stop();
    }
    const files = await lake.catalog.listFiles({ puddle: 'raw' });
    expect(files.map((f) => f.rows)).toEqual([8]);
  });

  it('lands a backlog in full batches at once, and leaves the rest until the linger ends or a drain', async () => {
    const consumer = lingering({ lingerMs: 60_000, batchSize: 10 });
    await lake.queue.publish(Array.from({ length: 25 }, (_, i) => fresh(`b${i}`)));
    await consumer.start();
    for (let i = 0; i < 400 && (await lake.queue.depth('raw')) > 5; i++) await sleep(10);
    await sleep(300);
    await consumer.stop();
    expect((await lake.catalog.listFiles({ puddle: 'raw' })).map((f) => f.rows)).toEqual([10, 10]);
    expect(await lake.queue.depth('raw')).toBe(5);
    // What lingers lands on a stop's drain (landOnce) or `puddle land` (drain()): they never linger.
    expect(await consumer.drain()).toBe(5);
    expect((await lake.catalog.listFiles({ puddle: 'raw' })).map((f) => f.rows).sort()).toEqual([10, 10, 5].sort());
  });

  it('lingers whole batches too while lingerWhole says so (raw in a burst), and lands them once it stops', async () => {
    let burst = true;
    const consumer = lake.consumer('raw', {
      windowMs: 20,
      pollMs: 5,
      lingerMs: 60_000,
      batchSize: 10,
      claimable: (n) => lake.queue.claimable('raw', n),
      lingerWhole: () => burst,
    });
    await lake.queue.publish(Array.from({ length: 25 }, (_, i) => fresh(`w${i}`)));
    await consumer.start();
    try {
      // Two whole batches visible, and more than two linger checks (250 ms) pass: without lingerWhole both land.
      await sleep(700);
      expect(await lake.queue.depth('raw')).toBe(25);
      burst = false;
      for (let i = 0; i < 400 && (await lake.queue.depth('raw')) > 5; i++) await sleep(10);
      await sleep(300);
    } finally {
      await consumer.stop();
    }
    expect((await lake.catalog.listFiles({ puddle: 'raw' })).map((f) => f.rows)).toEqual([10, 10]);
    // A whole batch of a burst longer than the linger lands when its first one has waited the linger.
    expect(lingerLeftMs({ visible: 10, oldestMs: 1_000 }, Infinity, 60_000)).toBe(59_000);
    expect(lingerLeftMs({ visible: 10, oldestMs: 60_000 }, Infinity, 60_000)).toBe(0);
  });

  it('holds back only what is visible, fewer than a batch, and younger than the linger', () => {
    expect(lingerLeftMs({ visible: 3, oldestMs: 1_000 }, 10, 60_000)).toBe(59_000);
    expect(lingerLeftMs({ visible: 3, oldestMs: 60_000 }, 10, 60_000)).toBe(0);
    expect(lingerLeftMs({ visible: 10, oldestMs: 1_000 }, 10, 60_000)).toBe(0);
    expect(lingerLeftMs({ visible: 0, oldestMs: 0 }, 10, 60_000)).toBe(0);
    expect(lingerLeftMs({ visible: 3, oldestMs: 1_000 }, 10, 0)).toBe(0);
    // No readable receipt time, or one more than a linger ahead of this clock (it stepped back): land, never wait on it.
    expect(lingerLeftMs({ visible: 3, oldestMs: null }, 10, 60_000)).toBe(0);
    expect(lingerLeftMs({ visible: 3, oldestMs: -120_000 }, 10, 60_000)).toBe(0);
    expect(lingerLeftMs({ visible: 3, oldestMs: -1_000 }, 10, 60_000)).toBe(61_000);
  });

  it("counts what the queue could claim without claiming it, and the first one's age from its receipt", async () => {
    expect(lake.queue.claimable('raw', 10)).toEqual({ visible: 0, oldestMs: 0 });
    await lake.queue.publish([donation('c1', 1, { received_at: new Date(Date.now() - 5_000).toISOString() }), fresh('c2'), fresh('c3')]);
    const seen = lake.queue.claimable('raw', 2);
    expect(seen.visible).toBe(2);
    expect(seen.oldestMs).toBeGreaterThanOrEqual(5_000);
    expect(seen.oldestMs).toBeLessThan(30_000);
    const claimed = await lake.queue.claim('raw', { max: 1, visibilityMs: 60_000 });
    expect(claimed).toHaveLength(1);
    const after = lake.queue.claimable('raw', 10);
    expect(after.visible).toBe(2);
    expect(after.oldestMs).toBeLessThan(5_000);
    expect(await lake.queue.depth('raw')).toBe(3);
  });
});
