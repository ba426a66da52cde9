// Queue throughput on this machine: publish events/s (batches of 1 and of 100 from many concurrent callers,
// as the HTTP producer makes them) and claim+ack messages/s. Prints figures; asserts nothing.
// Run alone: `node --import tsx test/bench/queue-bench.ts`.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import type { Envelope } from '../../core/envelope.js';
import { benchDonations } from './donation-envelopes.js';
import { SqliteQueue } from '../../infra/local/sqlite-queue.js';
import { packBodies, QueueWriter, type WriteGroup } from '../../infra/local/sqlite-queue-writer.mjs';
import { openSqlite, type SqliteDurability } from '../../infra/local/sqlite.js';
import { PUDDLES } from '../../puddles/definitions.js';

const PUBLISH_MS = 2000;


async function openQueue(dir: string, name: string, durability: SqliteDurability): Promise<SqliteQueue> {
  const queue = new SqliteQueue(join(dir, `${name}.db`), { durability });
  // The real subscriptions: a donation fans out to `transactions` and `raw`.
  for (const p of PUDDLES) await queue.subscribe({ name: p.name, contracts: p.contracts });
  return queue;
}

/** `callers` concurrent loops, each publishing `batch` envelopes per call until time is up. */
async function publishRate(queue: SqliteQueue, pool: Envelope[], batch: number, callers: number): Promise<number> {
  let events = 0;
  let offset = 0;
  const start = performance.now();
  const deadline = start + PUBLISH_MS;
  await Promise.all(
    Array.from({ length: callers }, async () => {
      while (performance.now() < deadline) {
        const from = offset;
        offset = (offset + batch) % (pool.length - batch);
        await queue.publish(pool.slice(from, from + batch));
        events += batch;
      }
    }),
  );
  return events / ((performance.now() - start) / 1000);
}

async function claimAckRate(queue: SqliteQueue, max: number): Promise<{ rate: number; messages: number }> {
  let messages = 0;
  const start = performance.now();
  for (;;) {
    const got = await queue.claim('transactions', { max, visibilityMs: 60_000 });
    if (got.length === 0) break;
    await queue.ack('transactions', got.map((m) => m.receipt));
    messages += got.length;
  }
  return { rate: messages / ((performance.now() - start) / 1000), messages };
}

/**
 * The writer thread's work alone (QueueWriter on a connection with the hub's pragmas, the real subscriptions): CPU of
 * this thread per event, user and system, writing `events` as transactions of `perCommit` events, each a row of its
 * own (`pack` 1, a request of one event) or in packs (a request of `pack` events). The system part is the WAL's
 * writes and the locks: on a virtual machine whose system calls are dear, half of a single-event row.
 */
async function writerCpu(dir: string, pool: Envelope[], perCommit: number, pack: number, events: number): Promise<{ user: number; system: number }> {
  const file = join(dir, `writer-${perCommit}-${pack}.db`);
  const queue = await openQueue(dir, `writer-${perCommit}-${pack}`, 'process');
  await queue.close();
  const db = openSqlite(file);
  const writer = new QueueWriter(db);
  const texts = pool.slice(0, 2_000).map((e) => JSON.stringify(e));
  let next = 0;
  const group = (): WriteGroup => {
    const contracts: string[] = [];
    const packs = [];
    for (let k = 0; k < perCommit; k += pack) {
      const bodies = [];
      for (let j = 0; j < pack; j++) bodies.push(texts[next++ % texts.length]!);
      contracts.push(...bodies.map(() => 'donation'));
      packs.push(packBodies(bodies));
    }
    if (pack === 1) return { contracts, packs };
    return { contracts, packs, rows: packs.map(() => pack), receivedAt: packs.map(() => new Date().toISOString()) };
  };
  const before = process.cpuUsage();
  for (let n = 0; n < events; n += perCommit) writer.write(group(), Date.now());
  const used = process.cpuUsage(before);
  db.close();
  return { user: used.user / events, system: used.system / events };
}

export async function benchQueue(): Promise<Record<string, number>> {
  const dir = mkdtempSync(join(tmpdir(), 'puddle-queue-bench-'));
  const pool = benchDonations(20_000);
  const figures: Record<string, number> = {};
  try {
    for (const durability of ['process', 'power'] as const) {
      const queue = await openQueue(dir, `publish-${durability}`, durability);
      figures[`publish_batch1_x200_callers_${durability}_events_per_s`] = await publishRate(queue, pool, 1, 200);
      figures[`publish_batch100_x20_callers_${durability}_events_per_s`] = await publishRate(queue, pool, 100, 20);
      await queue.close();
    }

    const queue = await openQueue(dir, 'claim', 'process');
    const backlog = 200_000;
    for (let i = 0; i < backlog; i += 1000) await queue.publish(pool.slice(i % pool.length, (i % pool.length) + 1000));
    for (const max of [100, 1000]) {
      const { rate, messages } = await claimAckRate(queue, max);
      figures[`claim_ack_max${max}_messages_per_s`] = rate;
      figures[`claim_ack_max${max}_messages`] = messages;
      if (max === 100) {
        for (let i = 0; i < backlog; i += 1000) await queue.publish(pool.slice(i % pool.length, (i % pool.length) + 1000));
      }
    }
    await queue.close();

    for (const [perCommit, pack, events] of [[12, 1, 60_000], [24, 1, 60_000], [600, 100, 300_000]] as const) {
      const cpu = await writerCpu(dir, pool, perCommit, pack, events);
      const name = `writer_${perCommit}_per_commit_${pack === 1 ? 'rows' : `packs_of_${pack}`}_cpu_ns_per_event`;
      figures[`${name}_user`] = cpu.user * 1000;
      figures[`${name}_system`] = cpu.system * 1000;
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
  for (const [k, v] of Object.entries(figures)) console.log(`${k.padEnd(52)} ${Math.round(v).toLocaleString('en-GB')}`);
  return figures;
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  await benchQueue();
}
