export { startSalesforceSandbox } from './start-salesforce-sandbox.js';
export type { SalesforceFaults, SalesforceSandbox, SalesforceSandboxOptions } from './start-salesforce-sandbox.js';
export { Org } from './org.js';
