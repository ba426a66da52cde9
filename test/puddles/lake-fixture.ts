// A throwaway embedded lake for puddle tests: real SQLite queue, folder store, SQLite catalog, DuckDB.
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';

import { makeEnvelope, type Envelope } from '../../core/envelope.js';
import { DuckDbQueryEngine } from '../../infra/local/duckdb-query-engine.js';
import { FsObjectStore } from '../../infra/local/fs-object-store.js';
import { SqliteCatalog } from '../../infra/local/sqlite-catalog.js';
import { SqliteQueue } from '../../infra/local/sqlite-queue.js';
import { PuddleConsumer, type PuddleConsumerOptions } from '../../puddles/consumer.js';
import { PUDDLES, type PuddleDef } from '../../puddles/definitions.js';
import { perTest } from '../support/per-test.js';

export interface Lake {
  dir: string;
  queue: SqliteQueue;
  store: FsObjectStore;
  catalog: SqliteCatalog;
  engine: DuckDbQueryEngine;
  puddle(name: string): PuddleDef;
  consumer(name: string, opts?: Partial<PuddleConsumerOptions>): PuddleConsumer;
  /** Subscribe every puddle (messages published before a subscription are not delivered to it). */
  subscribeAll(): Promise<void>;
  close(): Promise<void>;
}

export async function createLake(): Promise<Lake> {
  const dir = await mkdtemp(path.join(tmpdir(), 'puddle-lake-'));
  const queue = new SqliteQueue(path.join(dir, 'queue.db'), { durability: 'process' });
  const store = new FsObjectStore(dir, { fsync: false });
  const catalog = new SqliteCatalog(path.join(dir, 'catalog.db'));
  const engine = new DuckDbQueryEngine({ catalog, store });
  const puddle = (name: string) => {
    const p = PUDDLES.find((x) => x.name === name);
    if (!p) throw new Error(`no puddle ${name}`);
    return p;
  };
  return {
    dir,
    queue,
    store,
    catalog,
    engine,
    puddle,
    consumer: (name, opts = {}) => new PuddleConsumer({ puddle: puddle(name), queue, store, catalog, ...opts }),
    async subscribeAll() {
      for (const p of PUDDLES) await queue.subscribe(p);
    },
    async close() {
      await engine.close();
      await queue.close();
      catalog.close();
      await rm(dir, { recursive: true, force: true });
    },
  };
}

/**
 * A fresh, subscribed lake for every test of the calling file (hooks registered here). The returned
 * object forwards to the current test's lake.
 */
export function useLake(): Lake {
  return perTest('useLake()', async () => {
    const lake = await createLake();
    await lake.subscribeAll();
    return lake;
  });
}

export function donation(
  id: string,
  amount: number,
  opts: { channel?: string; currency?: string; occurred_at?: string; updated_at?: string; received_at?: string; delivery?: string; status?: string } = {},
): Envelope {
  const payload: Record<string, unknown> = {
    donation_id: id,
    occurred_at: opts.occurred_at ?? '2026-11-29T20:15:00Z',
    channel: opts.channel ?? 'online',
    amount_minor: amount,
    currency: opts.currency ?? 'GBP',
  };
  if (opts.updated_at) payload.updated_at = opts.updated_at;
  if (opts.status) payload.status = opts.status;
  return makeEnvelope({
    contract: 'donation',
    version: 1,
    source: 'producer',
    stream: 'web',
    payload,
    received_at: opts.received_at ?? '2026-11-29T20:15:01.000Z',
    delivery_id: opts.delivery ?? 'req-1',
  });
}
