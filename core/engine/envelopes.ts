import { getContract } from '../contracts/index.js';
import { makeEnvelope, type Envelope } from '../envelope.js';
import type { Redacted } from '../pii.js';
import type { Mapped } from './mapped.js';

export interface Origin {
  /** `stripe`, `webhook:stripe`, ... */
  source: string;
  stream: string | null;
  /** Run id or webhook delivery id. */
  delivery_id: string;
  received_at: string;
  /**
   * The record as the provider sent it, with personal and card data redacted (scrubPersonalData, or
   * redactPersonalData once the mapping has read it): the raw trail keeps the record's shape for
   * audit, not the person. Provider records carry names, emails and card details no contract takes.
   */
  raw: Redacted;
}

/**
 * Turn mapped payloads into envelopes, validating each against its contract. A payload that fails
 * becomes a `quarantine` envelope carrying the reasons and the raw record, so one bad record never
 * stops a run or a webhook and nothing accepted is lost (DESIGN.md rule 8).
 */
export function mappedToEnvelopes(mapped: readonly Mapped[], origin: Origin): { envelopes: Envelope[]; quarantined: number } {
  const envelopes: Envelope[] = [];
  let quarantined = 0;
  for (const m of mapped) {
    const contract = getContract(m.contract, m.version);
    const r = contract
      ? contract.validate(m.payload)
      : { value: null, errors: [{ path: 'contract', message: `unknown contract ${m.contract} v${m.version}` }] };
    if (r.errors) {
      quarantined++;
      envelopes.push(quarantineEnvelope(m, r.errors, origin));
      continue;
    }
    envelopes.push(makeEnvelope({ contract: m.contract, version: m.version, payload: r.value as Record<string, unknown>, ...origin }));
  }
  return { envelopes, quarantined };
}

/** A record that could not be mapped at all (the mapping threw): quarantine it with the reason. */
export function quarantineEnvelope(
  m: { contract: string; version?: number; payload?: Record<string, unknown> },
  reasons: { path: string; message: string }[],
  origin: Origin,
): Envelope {
  const key = m.payload?.[`${m.contract}_id`];
  const payload = {
    quarantine_id: `${origin.source}:${m.contract}:${typeof key === 'string' ? key : origin.delivery_id}`,
    occurred_at: origin.received_at,
    updated_at: null,
    contract: m.contract,
    version: m.version ?? null,
    source: origin.source,
    reasons: JSON.stringify(reasons),
    record: m.payload ? JSON.stringify(m.payload) : null,
  };
  return makeEnvelope({ contract: 'quarantine', version: 1, payload, ...origin });
}
