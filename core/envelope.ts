import { createHash } from 'node:crypto';

/**
 * The one shape on the queue, for pulled and pushed records alike (DESIGN.md rule 3).
 * `id` is deterministic: the same contract, version, key and payload always give the same id,
 * so a retried webhook or a re-sent event de-duplicates wherever it lands.
 */
export interface Envelope<P = Record<string, unknown>> {
  id: string;
  contract: string;
  version: number;
  /** Where it came from: `producer`, `stripe`, `webhook:stripe`, ... */
  source: string;
  /** Connector stream or producer channel, when there is one. */
  stream: string | null;
  /** The contract key's value (`payload[contract + '_id']`). */
  key: string;
  /** When the source says this version of the record changed (updated_at, else occurred_at). */
  occurred_at: string;
  /** When Puddle first received it. */
  received_at: string;
  /** Connector run id, webhook delivery id or producer request id. */
  delivery_id: string;
  payload: P;
  /** The record exactly as the provider or producer sent it, for audit. */
  raw: unknown;
}

/** JSON with object keys sorted, so equal values always serialise to equal strings. */
export function canonicalJson(value: unknown): string {
  if (value === null || typeof value !== 'object') return JSON.stringify(value) ?? 'null';
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(',')}]`;
  const obj = value as Record<string, unknown>;
  const keys = Object.keys(obj)
    .filter((k) => obj[k] !== undefined)
    .sort();
  return `{${keys.map((k) => `${JSON.stringify(k)}:${canonicalJson(obj[k])}`).join(',')}}`;
}

export function envelopeId(contract: string, version: number, key: string, payload: unknown): string {
  return createHash('sha256')
    .update(`${contract}\u0000${version}\u0000${key}\u0000${canonicalJson(payload)}`)
    .digest('hex')
    .slice(0, 32);
}

export function makeEnvelope<P extends Record<string, unknown>>(init: {
  contract: string;
  version: number;
  source: string;
  stream?: string | null;
  payload: P;
  raw?: unknown;
  received_at?: string;
  delivery_id: string;
}): Envelope<P> {
  const keyField = `${init.contract}_id`;
  const key = String(init.payload[keyField]);
  const changed = (init.payload.updated_at ?? init.payload.occurred_at) as string | undefined;
  const received_at = init.received_at ?? new Date().toISOString();
  return {
    id: envelopeId(init.contract, init.version, key, init.payload),
    contract: init.contract,
    version: init.version,
    source: init.source,
    stream: init.stream ?? null,
    key,
    occurred_at: changed ?? received_at,
    received_at,
    delivery_id: init.delivery_id,
    payload: init.payload,
    raw: init.raw ?? null,
  };
}

/**
 * The contract name for what goes to `raw` only: provider events that no contract takes (an unknown
 * webhook type), kept for audit and replay. No puddle but raw lands it, and it is not quarantined.
 */
export const RAW_ONLY_CONTRACT = 'provider_event';
