import { hash } from 'node:crypto';
import { PuddleError } from './errors.js';

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
  /**
   * Its position in its delivery, where that order means something: the event's index in its producer
   * request. Every event of a request has the request's received_at, so this is what makes a correction sent
   * after its original in one request the later arrival (puddles/version-order.ts). Absent elsewhere: a
   * connector's page and a webhook's envelopes are in no order of change. Not part of the id: a request sent
   * again gives the same envelopes, de-duplicated as before.
   */
  received_seq?: number;
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
      return stringJson(v);
    case 'number':
      return Number.isFinite(v) ? String(v) : 'null';
    case 'boolean':
      return v ? 'true' : 'false';
    default:
      return v === null ? 'null' : undefined;
  }
}

export function envelopeId(contract: string, version: number, key: string, payload: unknown): string {
  return idHash(idInput(contract, version, key, canonicalJson(payload)));
}

/** What the id hashes: contract, version, key and the payload's canonical JSON. */
function idInput(contract: string, version: number, key: string, payloadJson: string): string {
  return `${contract}\u0000${version}\u0000${key}\u0000${payloadJson}`;
}

function idHash(input: string): string {
  // crypto.hash (one shot) skips the Hash object createHash builds; same digest.
  return hash('sha256', input, 'hex').slice(0, 32);
}

export interface EnvelopeInit<P extends Record<string, unknown>> {
  contract: string;
  version: number;
  source: string;
  stream?: string | null;
  payload: P;
  raw?: unknown;
  received_at?: string;
  received_seq?: number;
  delivery_id: string;
}

let keyFieldOf = { contract: '', field: '_id' };

/**
 * The contract key's value: `payload[contract + '_id']`. Missing, it is an error: until 2026-12-07 it was the text
 * "undefined", so a connector's webhook that spelt its `provider_event_id` otherwise keyed every event alike, and
 * the lake kept one of them (a contributor's user test). A contract's own validation refuses a payload without its
 * key before this; what reaches it without one is a connector's bug.
 */
function keyOf(init: EnvelopeInit<Record<string, unknown>>): string {
  // The field name kept from the last call: a name built anew is looked up in the string table every time.
  if (keyFieldOf.contract !== init.contract) keyFieldOf = { contract: init.contract, field: `${init.contract}_id` };
  const key = init.payload[keyFieldOf.field];
  if (key === undefined || key === null) throw new Error(`an envelope of ${init.contract} has no ${keyFieldOf.field}, its key`);
  return String(key);
}

function envelopeFrom<P extends Record<string, unknown>>(init: EnvelopeInit<P>, key: string, id: string): Envelope<P> {
  const changed = (init.payload.updated_at ?? init.payload.occurred_at) as string | undefined;
  const received_at = init.received_at ?? new Date().toISOString();
  const occurred_at = changed ?? received_at;
  const stream = init.stream ?? null;
  const raw = init.raw ?? null;
  // These literals' key order is the envelope's order in its queued text (envelopeText follows it; raw last, where
  // parseEnvelopeWithoutRaw cuts). Without a place, no received_seq key at all: envelopes as they always were.
  if (init.received_seq === undefined) {
    return { id, contract: init.contract, version: init.version, source: init.source, stream, key, occurred_at, received_at, delivery_id: init.delivery_id, payload: init.payload, raw };
  }
  return {
    id,
    contract: init.contract,
    version: init.version,
    source: init.source,
    stream,
    key,
    occurred_at,
    received_at,
    received_seq: init.received_seq,
    delivery_id: init.delivery_id,
    payload: init.payload,
    raw,
  };
}

export function makeEnvelope<P extends Record<string, unknown>>(init: EnvelopeInit<P>): Envelope<P> {
  const key = keyOf(init);
  return envelopeFrom(init, key, idHash(idInput(init.contract, init.version, key, canonicalJson(init.payload))));
}

/**
 * Envelopes' JSON texts one after another in one string: text i is `lengths[i]` characters long and starts
 * where text i-1 ends. How a producer request's events go to the queue (Queue.publish's `texts`).
 */
export interface EnvelopeTexts {
  text: string;
  lengths: Uint32Array;
}

/** Refuses texts that do not list one text per envelope (what every queue checks before it trusts them). */
export function checkEnvelopeTexts(envelopes: readonly Envelope[], texts: EnvelopeTexts | undefined): void {
  if (texts !== undefined && texts.lengths.length !== envelopes.length) {
    throw new PuddleError(`publish: ${texts.lengths.length} texts for ${envelopes.length} envelopes`);
  }
}

/** The texts as separate strings (slices of the one). */
export function splitEnvelopeTexts(texts: EnvelopeTexts): string[] {
  const out: string[] = new Array(texts.lengths.length);
  let at = 0;
  for (let i = 0; i < out.length; i++) out[i] = texts.text.slice(at, (at += texts.lengths[i]!));
  if (at !== texts.text.length) throw new PuddleError(`envelope texts: ${at} characters listed in a text of ${texts.text.length}`);
  return out;
}

/**
 * Makes envelopes (makeEnvelope) and writes their queued texts in the same pass: the payload's canonical
 * JSON, written anyway for the id, is the payload's text in the body (the same JSON value, keys sorted), so
 * a producer event is serialised once, not again by the queue. Every text goes into one list of flat
 * pieces joined once by finish(): no string per event, no rope of small strings to flatten later, and
 * far less for the scavenger to copy while a request waits for its commit (the producer's event loop spent
 * a fifth of its time in GC).
 * Payloads must be JSON data (what JSON.parse and the contracts' validation give): canonicalJson writes
 * no toJSON (a Date would be `{}`), which is why generic callers keep makeEnvelope + JSON.stringify.
 */
export class EnvelopeTextWriter {
  readonly #parts: string[] = [];
  readonly #lengths: number[] = [];

  /** `rawText`, when given, is init.raw's JSON text as received (the producer's event as sent), kept as is. */
  add<P extends Record<string, unknown>>(init: EnvelopeInit<P>, rawText?: string): Envelope<P> {
    const key = keyOf(init);
    const payloadJson = canonicalJson(init.payload);
    const input = idInput(init.contract, init.version, key, payloadJson);
    const envelope = envelopeFrom(init, key, idHash(input));
    // canonicalJson's text is a rope of small strings, and hashing flattened `input` in place: the payload's
    // text sliced from it is flat.
    this.#lengths.push(writeEnvelope(this.#parts, envelope, input.slice(input.length - payloadJson.length), rawText));
    return envelope;
  }

  finish(): EnvelopeTexts {
    return { text: this.#parts.join(''), lengths: Uint32Array.from(this.#lengths) };
  }
}

/**
 * An envelope's JSON text given its payload's JSON (the same value as envelope.payload): makeEnvelope's
 * key order, strings escaped as JSON.stringify escapes them, `raw` last (parseEnvelopeWithoutRaw cuts
 * there). Parses to what JSON.stringify(envelope) does.
 */
export function envelopeText(e: Envelope, payloadJson: string): string {
  const parts: string[] = [];
  writeEnvelope(parts, e, payloadJson);
  return parts.join('');
}

/**
 * Appends envelopeText's pieces to `out`; returns the text's length. `rawText` is e.raw's text when the
 * caller has it (not checked: it must be JSON of the same value). An envelope whose fields are not the
 * plain strings and numbers makeEnvelope gives (or whose raw JSON.stringify would leave out) is written by
 * JSON.stringify.
 */
function writeEnvelope(out: string[], e: Envelope, payloadJson: string, rawText?: string): number {
  const raw = rawText ?? JSON.stringify(e.raw);
  if (
    raw === undefined ||
    typeof e.id !== 'string' ||
    typeof e.contract !== 'string' ||
    typeof e.version !== 'number' ||
    typeof e.source !== 'string' ||
    (e.stream !== null && typeof e.stream !== 'string') ||
    typeof e.key !== 'string' ||
    typeof e.occurred_at !== 'string' ||
    typeof e.received_at !== 'string' ||
    (e.received_seq !== undefined && !Number.isSafeInteger(e.received_seq)) ||
    typeof e.delivery_id !== 'string'
  ) {
    const text = JSON.stringify(e);
    out.push(text);
    return text.length;
  }
  // The head is short: one rope of a few small strings costs less than a piece each in the join.
  const head =
    `{"id":${stringJson(e.id)},"contract":${quoted.contract(e.contract)},"version":${primitiveJson(e.version)!}` +
    `,"source":${quoted.source(e.source)},"stream":${e.stream === null ? 'null' : quoted.stream(e.stream)}` +
    `,"key":${stringJson(e.key)},"occurred_at":${quoted.occurred(e.occurred_at)},"received_at":${quoted.received(e.received_at)}` +
    `${e.received_seq === undefined ? '' : `,"received_seq":${e.received_seq}`},"delivery_id":${quoted.delivery(e.delivery_id)},"payload":`;
  out.push(head, payloadJson, ',"raw":', raw, '}');
  return head.length + payloadJson.length + 7 + raw.length + 1;
}

function stringJson(s: string): string {
  return NEEDS_ESCAPE.test(s) ? JSON.stringify(s) : `"${s}"`;
}

/** stringJson remembering its last string: one per envelope field whose value repeats from event to event. */
function lastQuoted(): (s: string) => string {
  let last: string | null = null;
  let q = '';
  return (s) => {
    if (s !== last) {
      q = stringJson(s);
      last = s;
    }
    return q;
  };
}

/** Every event of a request has the same received_at and delivery_id, and mostly the same contract, source and stream. */
const quoted = { contract: lastQuoted(), source: lastQuoted(), stream: lastQuoted(), occurred: lastQuoted(), received: lastQuoted(), delivery: lastQuoted() };

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
