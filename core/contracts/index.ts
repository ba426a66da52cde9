import type { Contract } from './contract.js';
import * as v1 from './catalog.js';

export * from './contract.js';
export * from './schema.js';
export * from './validate.js';
export { CHANNELS } from './catalog.js';
export * as contractsV1 from './catalog.js';

/** Every contract, every version: name -> version -> Contract. */
export const CONTRACTS: ReadonlyMap<string, ReadonlyMap<number, Contract>> = new Map(
  (Object.values(v1) as unknown[])
    .filter((c): c is Contract => typeof c === 'object' && c !== null && 'validate' in c)
    .map((c) => [c.name, new Map<number, Contract>([[c.version, c]])]),
);

export function getContract(name: string, version: number): Contract | undefined {
  return CONTRACTS.get(name)?.get(version);
}

export function latestVersion(name: string): Contract | undefined {
  const versions = CONTRACTS.get(name);
  if (!versions) return undefined;
  return versions.get(Math.max(...versions.keys()));
}
