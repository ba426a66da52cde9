import type { Database } from 'better-sqlite3';

/** See sqlite-queue-writer.mjs: routes and writes one group of publishes in one transaction. */
export declare class QueueWriter {
  constructor(db: Database);
  /** contracts[i] is the contract of bodies[i]. */
  readonly write: (contracts: readonly string[], bodies: readonly string[]) => void;
}
