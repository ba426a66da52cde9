export { startBraintreeSandbox } from './start-braintree-sandbox.js';
export { SandboxStateError } from './transactions.js';
export { signNotification } from './webhook-sender.js';
export { SEARCH_INVALID, SEARCH_TOO_MANY_RESULTS } from './api-errors.js';
export type * from './types.js';
