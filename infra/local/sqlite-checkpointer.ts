import { createRequire } from 'node:module';
import { Worker } from 'node:worker_threads';
import { log } from '../../core/log.js';
import type { SqliteDurability } from './sqlite.js';

/**
 * Copies committed WAL frames into the database file from a worker thread, on its own connection.
 *
 * Why: better-sqlite3 is synchronous, so the automatic checkpoint runs inside whichever commit crosses
 * `wal_autocheckpoint` and blocks the event loop while it copies ~64 MB and syncs the file (~100 ms);
 * on the producer that was about a sixth of the time spent at full ingest. A PASSIVE checkpoint never
 * blocks writers, so here it runs beside them. The automatic checkpoint stays on as it was: it still
 * bounds the WAL and resets it (only a writer can), but finds almost every frame already copied and synced.
 * If this worker is slow or gone, nothing changes but speed. Durability is the commit's, not the checkpoint's.
 */
const SOURCE = `
const { parentPort, workerData } = require('node:worker_threads');
const Database = require(workerData.driver);
const db = new Database(workerData.file);
db.pragma('busy_timeout = 5000');
db.pragma('synchronous = ' + workerData.synchronous);
const timer = setInterval(() => {
  // Best effort: a round that fails (say, the disk was briefly full) is simply tried again next time.
  try { db.pragma('wal_checkpoint(PASSIVE)'); } catch {}
}, workerData.intervalMs);
parentPort.once('message', () => {
  clearInterval(timer);
  db.close();
  parentPort.close();
});
`;

export interface Checkpointer {
  /** Stop the worker and close its connection. */
  stop(): Promise<void>;
}

export function startCheckpointer(file: string, opts: { durability?: SqliteDurability; intervalMs?: number } = {}): Checkpointer {
  const worker = new Worker(SOURCE, {
    eval: true,
    // Plain CommonJS: no need for the parent's loaders (tsx) in the worker.
    execArgv: [],
    workerData: {
      driver: createRequire(import.meta.url).resolve('better-sqlite3'),
      file,
      synchronous: opts.durability === 'power' ? 'FULL' : 'NORMAL',
      intervalMs: opts.intervalMs ?? 100,
    },
  });
  // Never the reason a process stays up; a failure only means commits checkpoint themselves again.
  worker.unref();
  const exited = new Promise<void>((resolve) => worker.once('exit', () => resolve()));
  worker.on('error', (err) => log.warn('background checkpoints stopped; commits will checkpoint themselves', { file, error: err }));
  return {
    async stop() {
      // Keep the process up until the worker has closed its connection (it is unref'd otherwise).
      worker.ref();
      worker.postMessage('stop');
      await exited;
    },
  };
}
