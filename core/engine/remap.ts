// Mapping a quarantined record again (`puddle quarantine retry`): the provider record the raw trail kept, through
// its stream's mapping and the contracts as they are now, so a record refused for a setting since fixed (a
// merchant account's currency) or by a mapping since corrected lands without asking the provider again.
// The kept record is redacted (core/pii.ts). A mapping that reads a field the redaction replaced (an email, to
// hash it) would map '[redacted]' as if it were the value, so such a record is not mapped here: it must be read
// from the provider again, and the retry says which range to sync.
import type { FieldError } from '../contracts/index.js';
import type { Envelope } from '../envelope.js';
import { REDACTED_TEXT, scrubPersonalData } from '../pii.js';
import type { StreamDef } from './define.js';
import { mappedToEnvelopes, type Origin } from './envelopes.js';
import type { Mapped } from './mapped.js';
import { recordIdentity } from './run-stream.js';

export type Remapped =
  /** It maps and validates now: the envelopes to publish. */
  | { outcome: 'landed'; envelopes: Envelope[] }
  /** It fails still: the reasons, as the quarantine row would give them. */
  | { outcome: 'failed'; reasons: FieldError[] }
  /** It cannot be mapped from what was kept: why (read it from the provider again). */
  | { outcome: 'resync'; why: string };

/** Whether the stream's mapping needs nothing but the record itself (see StreamDef.remapsAlone). */
export function remapsAlone(stream: StreamDef<never, never>): boolean {
  return stream.remapsAlone ?? !stream.prepare;
}

/**
 * Map `raw` (the record as the raw trail kept it) again with `stream`, as a sync maps a record, and validate it.
 * `delivery` names this retry (its delivery id and time), as a run's id names a sync.
 */
export function remapRecord(
  def: StreamDef<never, never>,
  raw: unknown,
  delivery: Pick<Origin, 'source' | 'delivery_id' | 'received_at'>,
): Remapped {
  const stream = def as unknown as StreamDef<unknown, unknown>;
  if (raw === null || raw === undefined) return { outcome: 'resync', why: 'no raw record was kept' };
  if (!remapsAlone(def)) return { outcome: 'resync', why: `stream ${stream.name} maps a record with its page or the provider's state` };
  const watched = watchRedacted(raw);
  let mapped: Mapped[];
  try {
    mapped = stream.toContract(watched.view, undefined);
  } catch (err) {
    if (watched.touched()) return { outcome: 'resync', why: 'its mapping reads fields the raw trail keeps redacted' };
    return { outcome: 'failed', reasons: [{ path: 'mapping', message: (err as Error)?.message ?? String(err) }] };
  }
  if (watched.touched()) return { outcome: 'resync', why: 'its mapping reads fields the raw trail keeps redacted' };
  // Plain copies from here on: a payload must hold no view of the record (validation and hashing read it).
  const payloads = JSON.parse(JSON.stringify(mapped)) as Mapped[];
  const origin: Origin = { ...delivery, stream: stream.name, raw: scrubPersonalData(raw), ...recordIdentity(stream, raw) };
  const { envelopes } = mappedToEnvelopes(payloads, origin);
  const failed = envelopes.filter((e) => e.contract === 'quarantine');
  if (failed.length) return { outcome: 'failed', reasons: failed.flatMap((e) => JSON.parse(String(e.payload.reasons)) as FieldError[]) };
  return { outcome: 'landed', envelopes };
}

/**
 * A read-only view of `value` that notes whether anything read a redacted value through it. A field that is
 * only passed over (another key of the same object) does not count: only what the mapping actually reads.
 */
function watchRedacted(value: unknown): { view: unknown; touched: () => boolean } {
  let touched = false;
  const views = new WeakMap<object, unknown>();
  const wrap = (v: unknown): unknown => {
    if (v === null || typeof v !== 'object') return v;
    let view = views.get(v);
    if (!view) {
      view = new Proxy(v, {
        get(target, key, receiver) {
          const got: unknown = Reflect.get(target, key, receiver);
          if (got === REDACTED_TEXT) touched = true;
          return wrap(got);
        },
      });
      views.set(v, view);
    }
    return view;
  };
  return { view: wrap(value), touched: () => touched };
}
