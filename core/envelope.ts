import { hash } from 'node:crypto';

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

/**
 * How to write one object shape (one list of keys in one order) canonically: the sorted order and the
 * quoted keys. Producers send the same few shapes over and over (a validated payload has its contract's
 * fields in the contract's order), so sorting and quoting once per shape instead of once per object is
 * what makes hashing cheap on the ingest path.
 */
interface Shape {
  keys: string[];
  order: number[];
  quoted: string[];
}

const MAX_SHAPES = 64;
let shapes: Shape[] = [];

function shapeOf(keys: string[]): Shape {
  outer: for (let s = shapes.length - 1; s >= 0; s--) {
    const shape = shapes[s]!;
    if (shape.keys.length !== keys.length) continue;
    for (let i = 0; i < keys.length; i++) if (shape.keys[i] !== keys[i]) continue outer;
    return shape;
  }
  // Code-unit order, exactly what Array.prototype.sort() gives strings.
  const order = keys.map((_, i) => i).sort((a, b) => (keys[a]! < keys[b]! ? -1 : keys[a]! > keys[b]! ? 1 : 0));
  const shape = { keys: keys.slice(), order, quoted: keys.map((k) => `${JSON.stringify(k)}:`) };
  // Bounded: odd payloads (free-form raw objects) must not grow this without limit.
  if (shapes.length >= MAX_SHAPES) shapes = shapes.slice(MAX_SHAPES / 2);
  shapes.push(shape);
  return shape;
}

/** JSON with object keys sorted, so equal values always serialise to equal strings. */
export function canonicalJson(value: unknown): string {
  if (value === null || typeof value !== 'object') return JSON.stringify(value) ?? 'null';
  if (Array.isArray(value)) {
    let out = '[';
    for (let i = 0; i < value.length; i++) out += `${i ? ',' : ''}${canonicalJson(value[i])}`;
    return `${out}]`;
  }
  const obj = value as Record<string, unknown>;
  const keys = Object.keys(obj);
  const shape = shapeOf(keys);
  let out = '{';
  let first = true;
  for (let j = 0; j < shape.order.length; j++) {
    const i = shape.order[j]!;
    const v = obj[keys[i]!];
    if (v === undefined) continue;
    out += `${first ? '' : ','}${shape.quoted[i]!}${primitiveJson(v) ?? canonicalJson(v)}`;
    first = false;
  }
  return `${out}}`;
}

/** What JSON.stringify escapes in a string: a quote, a backslash, control characters and (lone) surrogates. */
// eslint-disable-next-line no-control-regex -- control characters are exactly what must be escaped
const NEEDS_ESCAPE = /["\\\u0000-\u001f\ud800-\udfff]/;

/**
 * What JSON.stringify writes for a string, number, boolean or null; undefined for anything else. Payload
 * fields are nearly all of these, and writing null, numbers and booleans here instead of through
 * JSON.stringify roughly halves the cost of canonical JSON on the ingest path.
 */
function primitiveJson(v: unknown): string | undefined {
  switch (typeof v) {
    case 'string':
      // Most strings need no escaping, and quoting them directly is about twice as fast as JSON.stringify's call.
      return NEEDS_ESCAPE.test(v) ? JSON.stringify(v) : `"${v}"`;
    case 'number':
      return Number.isFinite(v) ? String(v) : 'null';
    case 'boolean':
      return v ? 'true' : 'false';
    default:
      return v === null ? 'null' : undefined;
  }
}

export function envelopeId(contract: string, version: number, key: string, payload: unknown): string {
  // crypto.hash (one shot) skips the Hash object createHash builds; same digest.
  return hash('sha256', `${contract}\u0000${version}\u0000${key}\u0000${canonicalJson(payload)}`, 'hex').slice(0, 32);
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
 * An envelope from its queued JSON text, leaving `raw` out (null): every puddle but raw needs only the
 * payload, and the provider's record is most of the text (a Stripe charge is ~2 of ~2.7 kB).
 * makeEnvelope puts `raw` last, so the text up to the top-level `,"raw":` is the rest of the envelope. That
 * sequence cannot occur earlier: inside strings its quotes are escaped, and inside the payload (or any
 * object) the cut would leave a brace open, so the parse below fails. Anything else is parsed whole.
 */
export function parseEnvelopeWithoutRaw(text: string): Envelope {
  const at = text.indexOf(',"raw":');
  if (at > 0) {
    let head: Partial<Envelope> | null = null;
    try {
      head = JSON.parse(`${text.slice(0, at)}}`) as Partial<Envelope>;
    } catch {
      // not the top-level key after all
    }
    if (head && head.payload !== undefined && head.id !== undefined && head.received_at !== undefined && head.delivery_id !== undefined) {
      head.raw = null;
      return head as Envelope;
    }
  }
  return JSON.parse(text) as Envelope;
}

/**
 * The contract name for what goes to `raw` only: provider events that no contract takes (an unknown
 * webhook type), kept for audit and replay. No puddle but raw lands it, and it is not quarantined.
 */
export const RAW_ONLY_CONTRACT = 'provider_event';
