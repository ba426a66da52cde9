import type { Contract } from './contract.js';
import * as bank from './bank.js';
import * as card from './payment-card.js';
import * as crm from './crm.js';
import * as regular from './regular-giving.js';
import * as sms from './sms.js';
import * as v1 from './catalog.js';
import * as supplies from './supplies.js';

export * from './contract.js';
export * from './schema.js';
export * from './validate.js';
export * from './donation-status.js';
export * from './money-status.js';
export { CHANNELS } from './catalog.js';
export * as contractsV1 from './catalog.js';
export * as bankContracts from './bank.js';
export * as crmContracts from './crm.js';

/** Every contract, every version: name -> version -> Contract. */
export const CONTRACTS: ReadonlyMap<string, ReadonlyMap<number, Contract>> = collect([v1, bank, crm, sms, regular, card, supplies]);

/**
 * Contracts only the hub writes: its own audit of connector runs, quarantined records (and their resolution)
 * and supplier feed fetches. A producer key must not be able to add rows to that audit (they would read as the
 * hub's own, and a forged resolution would hide a quarantined record).
 */
export const WRITTEN_BY_HUB: ReadonlySet<string> = new Set([
  v1.sync_run.name,
  v1.quarantine.name,
  v1.quarantine_resolution.name,
  supplies.feed_fetch.name,
]);

function collect(modules: readonly object[]): Map<string, Map<number, Contract>> {
  const out = new Map<string, Map<number, Contract>>();
  for (const c of modules.flatMap((m) => Object.values(m) as unknown[])) {
    if (typeof c !== 'object' || c === null || !('validate' in c)) continue;
    const contract = c as Contract;
    let versions = out.get(contract.name);
    if (!versions) out.set(contract.name, (versions = new Map()));
    if (versions.has(contract.version)) throw new Error(`contract ${contract.name} v${contract.version} defined twice`);
    versions.set(contract.version, contract);
  }
  return out;
}

export function getContract(name: string, version: number): Contract | undefined {
  return CONTRACTS.get(name)?.get(version);
}

export function latestVersion(name: string): Contract | undefined {
  const versions = CONTRACTS.get(name);
  if (!versions) return undefined;
  return versions.get(Math.max(...versions.keys()));
}
