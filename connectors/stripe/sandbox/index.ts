export { startStripeSandbox } from './start-stripe-sandbox.js';
export { SandboxStateError } from './late-changes.js';
export { SANDBOX_API_VERSION } from './ledger.js';
export { signatureHeader } from './webhook-sender.js';
export type * from './types.js';
