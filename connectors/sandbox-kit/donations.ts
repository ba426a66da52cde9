import { CHANNELS, type contractsV1, type Infer } from '../../core/contracts/index.js';

/**
 * A donation as the charity's website or call centre records it: the `donation` contract's payload (v1). A
 * sandbox keeps one for every charge or sale it takes, naming the donation as the payment does, and the hub's
 * pretend website sends them to its producer API (connectors/sandbox-website.ts): in the real world the
 * provider never sends the donation, the charity's own producer does.
 */
export type SandboxDonation = Infer<(typeof contractsV1)['donation']['fields']>;

/** The channel as the donation contract spells it; a gift a sandbox takes is online unless it says otherwise. */
export function donationChannel(channel: string): SandboxDonation['channel'] {
  return (CHANNELS as readonly string[]).includes(channel) ? (channel as SandboxDonation['channel']) : 'online';
}

/**
 * The address a sandbox gives a supporter, the same in every sandbox (Stripe's customer, Salesforce's contact,
 * Freshdesk's requester), so their email hashes join as one person's do across real providers. Until 2026-12-05
 * Stripe's sandbox gave `<id>@supporters.example.org` and its customers joined nothing (user test).
 */
export function sandboxSupporterEmail(supporterId: string): string {
  return `${supporterId}@example.org`;
}
