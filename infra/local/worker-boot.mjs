// Starts a worker thread's TypeScript entry (workerData.entry) under tsx: a worker does not inherit the
// parent's loaders. Only the tests and the benchmarks, which run the TypeScript, come here; the compiled
// hub (dist/js) starts its workers on their .js files directly.
import { workerData } from 'node:worker_threads';
import { register } from 'tsx/esm/api';

register();
await import(workerData.entry);
