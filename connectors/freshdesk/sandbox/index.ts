export * from './automation-rules.js';
export * from './helpdesk.js';
export * from './start-freshdesk-sandbox.js';
