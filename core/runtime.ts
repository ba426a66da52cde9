import type { Catalog, Clock, ObjectStore, OpsEvents, QueryEngine, Queue, SecretStore, StateStore } from './ports.js';

/** The adapters one entry point chose (createLocalRuntime / createAwsRuntime), handed to everything else. */
export interface Runtime {
  queue: Queue;
  store: ObjectStore;
  state: StateStore;
  catalog: Catalog;
  query: QueryEngine;
  clock: Clock;
  secrets: SecretStore;
  /** Operational events; log lines when absent (core/ops-events.ts). */
  events?: OpsEvents;
  close(): Promise<void>;
}
