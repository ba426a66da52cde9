export * from './bookmark.js';
export * from './budget.js';
export * from './define.js';
export * from './envelopes.js';
export * from './mapped.js';
export * from './retry.js';
export * from './run-stream.js';
export * from './sync-run.js';
