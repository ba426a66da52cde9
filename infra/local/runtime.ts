import { join } from 'node:path';
import { systemClock, type Clock } from '../../core/ports.js';
import { ForwardClock } from '../../core/received-clock.js';
import type { Runtime } from '../../core/runtime.js';
import { PUDDLES } from '../../puddles/definitions.js';
import { DuckDbQueryEngine } from './duckdb-query-engine.js';
import { FsObjectStore } from './fs-object-store.js';
import { makeHome } from './home-dir.js';
import { SqliteCatalog } from './sqlite-catalog.js';
import { SqliteQueue } from './sqlite-queue.js';
import type { SqliteDurability } from './sqlite.js';
import { SqliteStateStore } from './sqlite-state-store.js';

/**
 * The embedded shape: everything under one folder (PUDDLE_HOME).
 *   lake/       Parquet objects (the ObjectStore)
 *   queue.db    the durable queue
 *   state.db    bookmarks and leases
 *   catalog.db  which files make up each table
 */
export async function createLocalRuntime(opts: {
  home: string;
  materializeCurrent?: boolean;
  /** With materializeCurrent: each contract's state as at the end of this date (DuckDbQueryEngineOptions.asOf). */
  asOf?: string;
  /** With asOf: the versions received after it left out too (DuckDbQueryEngineOptions.asKnown). */
  asKnown?: boolean;
  clock?: Clock;
  /** How far queue.db's and state.db's commits get (PUDDLE_DURABILITY; default 'process'). */
  durability?: SqliteDurability;
}): Promise<Runtime & { queue: SqliteQueue; query: DuckDbQueryEngine }> {
  makeHome(opts.home);
  const queue = new SqliteQueue(join(opts.home, 'queue.db'), { durability: opts.durability });
  const catalog = new SqliteCatalog(join(opts.home, 'catalog.db'));
  // Received times never go back within the home, across restarts too: the queue keeps the latest one issued
  // with every commit, and the clock starts from it (core/received-clock.ts).
  const clock = new ForwardClock(opts.clock ?? systemClock, queue.lastReceivedAt() ?? olderHomeLast(queue, catalog));
  queue.keepReceivedAt(() => clock.lastReceived);
  const state = new SqliteStateStore(join(opts.home, 'state.db'), { durability: opts.durability });
  const store = new FsObjectStore(opts.home);
  const query = new DuckDbQueryEngine({ catalog, store, materializeCurrent: opts.materializeCurrent, asOf: opts.asOf, asKnown: opts.asKnown, snapshotPerQuery: true });
  // Every puddle's subscription exists before anything is published: a queue only fans out to
  // subscriptions it knows, so a sync run before the first consumer started would otherwise be lost.
  for (const puddle of PUDDLES) await queue.subscribe(puddle);
  return {
    queue,
    store,
    state,
    catalog,
    query,
    clock,
    secrets: { get: (name) => process.env[name] },
    async close() {
      await query.close();
      await queue.close();
      state.close();
      catalog.close();
    },
  };
}

/**
 * A home a hub before 2026-12-02 kept has no received time in its queue, but its lake and waiting events hold
 * received times that hub's clock gave: the latest waiting event's, and the latest file's adding (landed after
 * every row in it was received). The clock starts after both, so a correction received after the upgrade under a
 * clock that stepped back is not stamped before the version it corrects. Null for a new home.
 */
function olderHomeLast(queue: SqliteQueue, catalog: SqliteCatalog): number | null {
  const times = [queue.latestWaitingReceivedAt(), catalog.lastAddedAt()].filter((t): t is number => t !== null);
  return times.length ? Math.max(...times) : null;
}
