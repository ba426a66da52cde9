import { getContract } from '../contracts/index.js';
import { MAX_AHEAD_MS, timeBoundsErrors } from '../contracts/time-bounds.js';
import { hash } from 'node:crypto';
import { canonicalJson, makeEnvelope, type Envelope } from '../envelope.js';
import { dateParse, isoInstantMs } from '../time.js';
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
  raw: Redacted | null;
  /**
   * What the source calls this record (a connector's primary key), and when the source says it happened
   * (the record's cursor time, the event's creation): a record quarantined again on a re-read or a
   * redelivered webhook then gets the same quarantine envelope, not one per arrival.
   */
  record_key?: string | null;
  occurred_at?: string | null;
}

/**
 * Turn mapped payloads into envelopes, validating each against its contract. A payload that fails
 * becomes a `quarantine` envelope carrying the reasons and the raw record, so one bad record never
 * stops a run or a webhook and nothing accepted is lost (DESIGN.md rule 8). A record dated more than a day after
 * it was received is quarantined too, as the producer refuses such an event (core/contracts/time-bounds.ts), `maxAheadMs`
 * its bound (the engine runtime's setting; a day).
 */
export function mappedToEnvelopes(mapped: readonly Mapped[], origin: Origin, maxAheadMs = MAX_AHEAD_MS): { envelopes: Envelope[]; quarantined: number } {
  const envelopes: Envelope[] = [];
  let quarantined = 0;
  const receivedAtMs = dateParse(origin.received_at);
  for (const m of mapped) {
    const contract = getContract(m.contract, m.version);
    const r = contract
      ? contract.validate(m.payload)
      : { value: null, errors: [{ path: 'contract', message: `unknown contract ${m.contract} v${m.version}` }] };
    const errors = r.errors ?? timeBoundsErrors(r.value as Record<string, unknown>, receivedAtMs, maxAheadMs);
    if (errors) {
      quarantined++;
      envelopes.push(quarantineEnvelope(m, errors, origin, maxAheadMs));
      continue;
    }
    envelopes.push(makeEnvelope({ contract: m.contract, version: m.version, payload: r.value as Record<string, unknown>, ...origin }));
  }
  return { envelopes, quarantined };
}

/**
 * A record that could not be mapped (the mapping threw) or failed its contract: quarantine it with the
 * reasons. Its id names the record (its contract key, else the source's own key, else a hash of what was
 * received), and its time is the record's own where known, so arriving again never makes a second one.
 */
export function quarantineEnvelope(
  m: { contract: string; version?: number; payload?: Record<string, unknown> },
  reasons: { path: string; message: string }[],
  origin: Origin,
  maxAheadMs = MAX_AHEAD_MS,
): Envelope {
  const key = m.payload?.[`${m.contract}_id`];
  // A blank key names nothing (it is why such a record is here): two of them must stay two quarantine rows.
  const which = typeof key === 'string' && key.trim() ? key : (origin.record_key ?? `sha256:${hash('sha256', canonicalJson(origin.raw), 'hex').slice(0, 32)}`);
  const own = m.payload?.occurred_at;
  const payload = {
    quarantine_id: `${origin.source}:${m.contract}:${which}`,
    // A time far ahead (the reason it is here, perhaps) would file the quarantine row under that year: its arrival instead.
    occurred_at: isTime(own) && !timeBoundsErrors({ occurred_at: own }, dateParse(origin.received_at), maxAheadMs) ? own : isTime(origin.occurred_at) ? origin.occurred_at : origin.received_at,
    updated_at: null,
    contract: m.contract,
    version: m.version ?? null,
    source: origin.source,
    reasons: JSON.stringify(reasons),
    record: m.payload ? JSON.stringify(m.payload) : null,
  };
  return makeEnvelope({ contract: 'quarantine', version: 1, payload, ...origin });
}

/** A time the quarantine contract itself accepts (Date.parse would take '2026-02-30' and roll it over). */
const isTime = (v: unknown): v is string => !Number.isNaN(isoInstantMs(v));

/**
 * A webhook's snapshot that failed its contract or mapping, when the object it names is being read again by id
 * (a prompt, core/engine/refetch.ts): the re-read lands the whole object (or, deferred, the next sync does), and
 * an object the provider no longer knows cannot be brought back by anything. Its quarantine row would stay open
 * after the object landed, and `puddle quarantine retry` could only name a sync for it; so it is left out, and
 * the webhook's raw envelope keeps the snapshot for audit. `keys`: the ids read again, and the webhook's own
 * record key (a snapshot whose mapping threw is quarantined under it).
 */
export function withoutRereadQuarantine(envelopes: readonly Envelope[], keys: readonly string[]): Envelope[] {
  if (!keys.length) return [...envelopes];
  const reread = new Set(keys);
  return envelopes.filter((e) => {
    if (e.contract !== 'quarantine') return true;
    const p = e.payload as { quarantine_id?: unknown; source?: unknown; contract?: unknown };
    const prefix = `${String(p.source)}:${String(p.contract)}:`;
    const id = String(p.quarantine_id);
    return !(id.startsWith(prefix) && reread.has(id.slice(prefix.length)));
  });
}
