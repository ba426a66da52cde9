import type { Subscription } from '../core/ports.js';

/** Deliveries before a message is dead-lettered, when a puddle does not say (the SQLite queue and the SQS queues agree). */
export const DEFAULT_MAX_ATTEMPTS = 5;

/** A puddle is a landed dataset: which contracts it takes from the queue. Declared as data. */
export interface PuddleDef extends Subscription {
  name: string;
  contracts: readonly string[] | '*';
  doc: string;
}

export const PUDDLES: readonly PuddleDef[] = [
  {
    name: 'transactions',
    contracts: ['donation', 'payment', 'refund', 'dispute', 'payout', 'payout_item', 'bank_line', 'bank_statement', 'bank_line_detail', 'settlement_summary'],
    doc: 'Money: promised, taken, given back, paid out, arrived in the bank',
  },
  { name: 'supporters', contracts: ['supporter', 'gift', 'gift_payment', 'recurring_donation', 'gift_allocation', 'crm_account', 'gift_contact_role', 'campaign_member'], doc: 'People and the CRM view of their accounts, gifts, payments, roles, recurring donations, allocations and campaign memberships' },
  { name: 'support', contracts: ['ticket'], doc: 'Supporter care tickets' },
  { name: 'engagement', contracts: ['click', 'campaign'], doc: 'Clicks and campaigns, for attribution' },
  { name: 'operations', contracts: ['sync_run', 'feed_fetch'], doc: 'Connector runs, for status and lag; supplier feed fetches, for audit' },
  { name: 'supplies', contracts: ['school_giro_request'], doc: 'What suppliers fulfil: giro form packs for schools' },
  { name: 'quarantine', contracts: ['quarantine', 'quarantine_resolution'], doc: 'What failed validation or mapping, with reasons; and which of it landed since' },
  { name: 'raw', contracts: '*', doc: 'Every envelope exactly as received; never rewritten; replay source' },
];

/** The puddle that lands a contract (excluding `raw`, which takes everything). */
export function puddleFor(contract: string): PuddleDef | undefined {
  return PUDDLES.find((p) => p.contracts !== '*' && p.contracts.includes(contract));
}
