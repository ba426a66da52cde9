// The lake's own words, which a `--text` of an erasure must not be (puddles/erasure-match.ts): matched as a whole
// word in any case, `GBP` would rewrite the currency of every gift, `paid` every payment's status, `donation`
// every raw envelope's contract. Read off the contracts themselves, so a new status or contract is covered.
import { CONTRACTS } from '../core/contracts/index.js';
import { RECON_PROVIDERS } from '../core/recon-providers.js';
import { RAW_COLUMNS } from './columns.js';

export type LakeWordKind = 'name' | 'value';

/**
 * Names the lake's structure is made of: raw envelopes' JSON keys (`currency`, `payload`, `source`), column names
 * and JSON's own literals. Rewriting one renames a field in every raw envelope, which replay then cannot read:
 * refused whatever the DPO says.
 */
const NAMES: ReadonlySet<string> = new Set(
  [
    ...['payload', 'raw', 'received_seq', 'true', 'false', 'null'],
    ...RAW_COLUMNS.map((c) => c.name),
    ...[...CONTRACTS.values()].flatMap((versions) => [...versions.values()].flatMap((c) => Object.keys(c.fields))),
  ].map((w) => w.toLowerCase()),
);

/**
 * Values that stand in whole columns of rows that are no one's: contract names, every `enum` value of every
 * contract (statuses, channels, kinds), ISO 4217 currency codes (`Intl`, whose list is ICU's) and the sources
 * and providers. A person may be called one of them (`Bob` is Bolivia's currency code), so `--force-text` takes it.
 */
const VALUES: ReadonlySet<string> = new Set(
  [
    ...[...CONTRACTS.keys()],
    ...[...CONTRACTS.values()].flatMap((versions) => [...versions.values()].flatMap((c) => Object.values(c.fields).flatMap((f) => f.values ?? []))),
    ...Intl.supportedValuesOf('currency'),
    // Sources not in RECON_PROVIDERS: the producer, the CRM and the helpdesk, and webhooks' `webhook:<provider>`.
    ...['producer', 'salesforce', 'freshdesk', 'webhook'],
    ...RECON_PROVIDERS.flatMap((p) => [p.provider, p.bank_text]),
  ].map((w) => w.toLowerCase()),
);

/** Whether `text` (trimmed, any case) is one of the lake's own names or values, and which; null when neither. */
export function lakeWord(text: string): LakeWordKind | null {
  const w = text.trim().toLowerCase();
  if (NAMES.has(w)) return 'name';
  if (VALUES.has(w)) return 'value';
  return null;
}
