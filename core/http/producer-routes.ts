import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { CONTRACTS, NOT_A_FIELD, WRITTEN_BY_HUB, type Contract, type FieldError } from '../contracts/index.js';
import { checkedTextFields, eventIdProblem } from '../contracts/free-text.js';
import { MAX_AHEAD_MS, timeBoundsErrors } from '../contracts/time-bounds.js';
import { EnvelopeTextWriter, type Envelope, type EnvelopeTexts } from '../envelope.js';
import { REDACTED_TEXT } from '../pii.js';
import { systemClock, type Clock, type Queue } from '../ports.js';
import { receivedAt as receivedTime } from '../received-clock.js';
import { dateParse } from '../time.js';
import { RepeatedFailure } from '../repeated-failure.js';
import { bearerKey, producerSource, RETIRED_KEY, retiredKeyUsed, type KeyRing } from './auth.js';
import type { Refusals } from './refusals.js';
import { tooManyFailuresMessage, type AuthFailures } from './auth-failures.js';
import { requestAddress } from './client-address.js';
import { errorBody, retryAfterSeconds, type RouteErrorConfig } from './errors.js';
import { eventTexts, minorWrittenAsMajor } from './event-texts.js';

export interface ProducerRoutesOptions {
  /** producerKeyCheck over every scope's keys, so a read or feed key gets 403 here rather than 401. */
  check: ProducerKeyCheck;
  accept: EventsAcceptor;
  /** Counts the refused requests for the log (refusals.ts). */
  refusals?: Refusals;
}

/** One invalid event; index -1 means the request as a whole (path `events` or a top-level field). */
export interface RejectedEvent {
  index: number;
  errors: FieldError[];
}

const EVENT_FIELDS = new Set(['contract', 'version', 'id', 'payload']);
const MAX_PRODUCER_ID = 256;
const KNOWN_CONTRACTS = [...CONTRACTS.keys()].filter((c) => !WRITTEN_BY_HUB.has(c)).join(', ');
/** Every answer's content type, on both paths. */
export const JSON_TYPE = 'application/json; charset=utf-8';

type Checked = { contract: Contract; value: Record<string, unknown> } | { errors: FieldError[] };

/**
 * Checks one event's envelope fields and validates its payload against the contract.
 * Messages say what is wrong, never the value sent (it may be personal data). `receivedAtMs`: when the hub received
 * it, which its occurred_at and updated_at may not be more than a day after (core/contracts/time-bounds.ts).
 */
export function checkEvent(ev: unknown, receivedAtMs = Date.now(), maxAheadMs = MAX_AHEAD_MS): Checked {
  if (ev === null || typeof ev !== 'object' || Array.isArray(ev)) {
    return { errors: [{ path: 'event', message: 'must be an object with contract, version and payload' }] };
  }
  const e = ev as Record<string, unknown>;
  const errors: FieldError[] = [];
  for (const k in e) if (!EVENT_FIELDS.has(k)) errors.push({ path: k, message: 'is not a field of an event' });

  let contract: Contract | undefined;
  if (typeof e.contract !== 'string') {
    errors.push({ path: 'contract', message: `is required: one of ${KNOWN_CONTRACTS}` });
  } else {
    const versions = CONTRACTS.get(e.contract);
    if (!versions) errors.push({ path: 'contract', message: `is not a known contract: one of ${KNOWN_CONTRACTS}` });
    else if (WRITTEN_BY_HUB.has(e.contract)) errors.push({ path: 'contract', message: `is written by the hub itself, not by producers: one of ${KNOWN_CONTRACTS}` });
    else if (e.version === undefined || e.version === null) {
      // Null counts as missing, as it does for a payload field.
      errors.push({ path: 'version', message: 'is required: an integer contract version' });
    } else if (typeof e.version !== 'number' || !Number.isInteger(e.version)) {
      // Present but "1" or 1.5: saying "is required" would send the producer looking for a missing field.
      errors.push({ path: 'version', message: 'must be an integer contract version, e.g. 1' });
    } else {
      contract = versions.get(e.version);
      if (!contract) errors.push({ path: 'version', message: `is not a known version: one of ${[...versions.keys()].join(', ')}` });
    }
  }
  if (e.id !== undefined && e.id !== null && (typeof e.id !== 'string' || e.id.length === 0 || e.id.length > MAX_PRODUCER_ID)) {
    errors.push({ path: 'id', message: `must be a string of 1 to ${MAX_PRODUCER_ID} characters` });
  } else if (typeof e.id === 'string') {
    const why = eventIdProblem(e.id);
    if (why) errors.push({ path: 'id', message: why });
  }
  if (contract) {
    const r = contract.validate(e.payload);
    if (r.errors) for (const err of r.errors) errors.push(err.message === NOT_A_FIELD ? inLaterVersion(contract, err) : err);
    freeTextErrors(contract, e.payload, errors);
    const value = r.value as Record<string, unknown> | null;
    if (value) {
      const ahead = timeBoundsErrors(value, receivedAtMs, maxAheadMs);
      // One error a time field: a year typed short says so, not also that it is before the other.
      const changedEarly = ahead ? null : changedBeforeItHappened(value);
      if (ahead) errors.push(...ahead);
      if (changedEarly) errors.push(changedEarly);
      textErrors(contract, value, errors);
    }
    if (value && errors.length === 0) return { contract, value };
  }
  return { errors };
}

/**
 * A pushed event whose `updated_at` is before its own `occurred_at`: a version cannot change before it happened, and
 * it would lose to the version it corrects (whose change time is its `occurred_at`) whatever arrives later: until
 * 2026-12-06 it was taken (202) and never current (user test). A local time sent as UTC is the usual cause. Only
 * for producers: a connector's source may date a record ahead of its last change (a Salesforce gift's close date).
 */
function changedBeforeItHappened(value: Record<string, unknown>): FieldError | null {
  const { updated_at: updated, occurred_at: occurred } = value;
  if (typeof updated !== 'string' || typeof occurred !== 'string' || !(dateParse(updated) < dateParse(occurred))) return null;
  return {
    path: 'payload.updated_at',
    message: 'is before occurred_at: a version cannot change before it happened, and this one would never become current; send when it changed, with its zone (a local time sent as UTC is the usual cause)',
  };
}

/** Field names a producer uses for a person's contact details, which no contract has. */
const PERSONAL_FIELD = /^(msisdn|phone|phone_number|mobile|mobile_number|telephone|tel|email|email_address|first_name|last_name|full_name|name|address|address_line_\d|street)$/i;

/**
 * What a producer sending a phone number, an address or a name is told: until 2026-12-06 `msisdn` got only "is not a
 * field of this contract", and an SMS supplier was left to guess what to send so that care could find a donor who
 * calls with their number (a user test). One form of hash, so that the charity can make it again from a number.
 */
export const PERSONAL_DATA_ADVICE =
  "the lake keeps no phone number, email address, name or postal address: send the person's id (the CRM's or the aggregator's) as supporter_id; a phone number that is the only id, as the SHA-256 (hex) of its E.164 form (a UK mobile: +44 and the number without its leading 0, no spaces); an email address as email_sha256 on a supporter event";

/**
 * A field the event's version does not have but a later one does (`sms_network` on a donation v1): the error says
 * which version to send, where "is not a field of this contract" sent its sender looking for a typo. Only on the
 * error path: a valid event never comes here.
 */
function inLaterVersion(contract: Contract, err: FieldError): FieldError {
  const name = err.path.slice(err.path.indexOf('.') + 1);
  const versions = [...(CONTRACTS.get(contract.name)?.values() ?? [])].sort((a, b) => a.version - b.version);
  const later = versions.find((c) => c.version > contract.version && Object.hasOwn(c.fields, name));
  if (!later) return PERSONAL_FIELD.test(name) ? { path: err.path, message: `${NOT_A_FIELD}: ${PERSONAL_DATA_ADVICE}` } : err;
  return { path: err.path, message: `is not a field of ${contract.name} version ${contract.version}: version ${later.version} has it, so send "version": ${later.version}` };
}

/**
 * Adds an error for each free-text field (a campaign, a cta, a reason: Field.isFreeText) that holds a card number
 * or an email address, and each id that stands for a person (Field.isPersonRef) that is an email address. Only
 * here, for producers: a connector's records come from systems that hold such data and are scrubbed on their own
 * path (core/pii.ts); a producer's text would land as sent.
 */
function freeTextErrors(contract: Contract, payload: unknown, errors: FieldError[]): void {
  if (payload === null || typeof payload !== 'object') return;
  for (const [name, rule] of checkedTextFields(contract.fields)) {
    const v = (payload as Record<string, unknown>)[name];
    const why = typeof v === 'string' ? rule(v) : null;
    if (why) errors.push({ path: `payload.${name}`, message: why });
  }
}

/** String.prototype.isWellFormed (Node 20; ES2024, past this project's lib). */
const wellFormed = (v: string) => (v as unknown as { isWellFormed(): boolean }).isWellFormed();
/** Text that needs no look: printable ASCII, nearly every value a producer sends. */
const PRINTABLE_ASCII = /^[\x20-\x7e]*$/;
// eslint-disable-next-line no-control-regex -- control characters are what it finds
const CONTROL = /[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]/;
// eslint-disable-next-line no-control-regex
const ASCII = /^[\x00-\x7f]*$/;

/**
 * One pass over the payload's text values (the producer's hot path: a regex test a value, nearly always the first):
 * - half of a UTF-16 pair (a JSON `\ud83c` escape without its partner, as a sender that cuts text to a length in
 *   UTF-16 units makes of an emoji) is refused in any field: it names no character, so the lake's UTF-8 would land
 *   U+FFFD in its place while the live totals kept the half, and a campaign would be two in SQL and on the TV.
 *   Refused as invalid UTF-8 bytes are (since 2026-12-03);
 * - a NUL character is refused in any field: a C library, a CSV tool or a CRM import ends the text there, so an id
 *   would join to another and a name would be cut; an id's other control characters are the source's own;
 * - a control character other than tab, line feed and carriage return is refused in free text (a campaign, a cta,
 *   a reason: Field.isFreeText): nothing shows it, so `xmas\u0000appeal` and `xmas appeal` looked one campaign on
 *   the TV and were two in the totals (taken until 2026-12-04);
 * - free text lands in Unicode's composed form (NFC). "Zoë" typed on a Mac can arrive decomposed (e + U+0308) from one
 *   system and composed from another: they look the same on the TV and the dashboard, but a total by campaign and a
 *   join in SQL would count two campaigns. Ids are left as sent: they are the source's own (since 2026-12-03).
 * - free text's spaces at either end are dropped (since 2026-12-06), and text of spaces alone is refused.
 * Messages name the character's code point, never the text.
 */
function textErrors(contract: Contract, value: Record<string, unknown>, errors: FieldError[]): void {
  for (const name in value) {
    const given = value[name];
    if (typeof given !== 'string') continue;
    let v = given;
    // Spaces at either end of free text (a CSV export's padding, an IVR system's) are dropped: `appeal ` and `appeal`
    // look one campaign on the TV and were two in the totals, and a filter by either missed the other's donations
    // (until 2026-12-06; a user test). Text of nothing but spaces is refused, as it names nothing.
    // Spaces only: a line break or tab kept at an end is text as sent, and changing it would change the id of an event
    // a producer sent before this rule and sends again.
    if (v.length > 0 && (v.charCodeAt(0) === 32 || v.charCodeAt(v.length - 1) === 32) && contract.fields[name]?.isFreeText === true) {
      v = v.replace(/^ +| +$/g, '');
      if (v === '') {
        errors.push({ path: `payload.${name}`, message: 'holds only spaces: send the text, or leave the field out' });
        continue;
      }
      value[name] = v;
    }
    if (PRINTABLE_ASCII.test(v)) continue;
    const freeText = contract.fields[name]?.isFreeText === true;
    const control = freeText ? CONTROL.exec(v) : v.includes('\0') ? ['\0'] : null;
    if (control) {
      const code = control[0]!.charCodeAt(0).toString(16).toUpperCase().padStart(4, '0');
      errors.push({ path: `payload.${name}`, message: `holds a control character (U+${code}), which no screen shows and some systems end text at: remove it (tab and line breaks are taken)` });
    } else if (!wellFormed(v)) {
      errors.push({ path: `payload.${name}`, message: 'holds half of a UTF-16 surrogate pair (a \\ud800-\\udfff escape without its partner), which is no character: send the whole character, or cut text between characters' });
    } else if (freeText && !ASCII.test(v)) value[name] = v.normalize('NFC');
  }
}

/**
 * The event as the raw trail keeps it when its contract left a personal value out of the payload (Contract.personal,
 * such as a donor's name as a bank line's counterparty): a copy with that value '[redacted]', because raw is never
 * rewritten. Null when the payload kept everything sent, so the event's text as sent is kept.
 */
function withoutPersonal(ev: unknown, contract: Contract, value: Record<string, unknown>): Record<string, unknown> | null {
  if (!contract.personal) return null;
  const e = ev as Record<string, unknown>;
  const sent = e.payload as Record<string, unknown>;
  let payload: Record<string, unknown> | null = null;
  for (const name in contract.personal) {
    if (value[name] === null && sent[name] !== null && sent[name] !== undefined) (payload ??= { ...sent })[name] = REDACTED_TEXT;
  }
  return payload && { ...e, payload };
}

/** An answer to POST /v1/events, whichever of the server's two paths took the request (producer-fast-path.ts). */
export interface ProducerAnswer {
  status: number;
  /** JSON text. */
  body: string;
  /** Seconds, on a 503 or 429. */
  retryAfter?: string;
}

/** Accepts one parsed request body: validates the batch, publishes it, and says what to answer. */
export type EventsAcceptor = (body: unknown, bodyText: string | null, requestId: string, source: string) => Promise<ProducerAnswer>;

const reject = (status: number, code: string, message: string, rejected: RejectedEvent[]): ProducerAnswer => ({
  status,
  body: JSON.stringify({ ...errorBody(code, message), rejected }),
});

/** A valid batch, ready to publish, and the 202 to answer once it is durable. */
interface Batch {
  envelopes: Envelope[];
  texts: EnvelopeTexts;
  accepted: string;
}

/**
 * The producer's work for one request. A batch is atomic: every event is validated first, and only a fully
 * valid batch is published; 202 is answered only after the queue said it is durable.
 *
 * The envelopes are not held while the commit is awaited: only the answer's text and the event count are.
 * With 64 requests of 100 events waiting on commits, the envelopes (each with its payload and the parsed
 * event as raw) were most of what the young generation's scavenges had to copy on the producer's loop.
 */
export function eventsAcceptor(queue: Queue, maxEvents: number, clock: Clock = systemClock, maxAheadMs = MAX_AHEAD_MS): EventsAcceptor {
  // A queue that cannot commit (a full disk) refuses every request: the first is logged, then a count every
  // 10 s, not a line per request.
  const failing = new RepeatedFailure();
  const unavailable = (err: unknown, requestId: string, events: number): ProducerAnswer => {
    failing.fail('producer publish failed', err, { request_id: requestId, events }, 'warn');
    const message = 'the queue did not accept the events; nothing was accepted, retry later';
    return { status: 503, body: JSON.stringify(errorBody('queue_unavailable', message)), retryAfter: retryAfterSeconds(err) };
  };
  return (body, bodyText, requestId, source) => {
    const batch = checkBatch(body, bodyText, requestId, source, maxEvents, clock, maxAheadMs);
    if (!('envelopes' in batch)) return Promise.resolve(batch);
    const accepted = batch.accepted;
    const events = batch.envelopes.length;
    let published: Promise<void>;
    try {
      published = queue.publish(batch.envelopes, batch.texts);
    } catch (err) {
      return Promise.resolve(unavailable(err, requestId, events));
    }
    return published.then(
      (): ProducerAnswer => {
        failing.succeeded('producer publishes are accepted again', 'warn');
        return { status: 202, body: accepted };
      },
      (err: unknown) => unavailable(err, requestId, events),
    );
  };
}

/**
 * Said beside a cancellation sent without `updated_at` (as JSON text, for the answer). Its change time is then its
 * `occurred_at`, so if that is earlier than the pledge's (the operator also fixed the time of the call) it is kept in
 * `donation_history` and never becomes current: the pledge stays in the totals. The producer cannot see the pledge's
 * time here, so it is said of every such cancellation: a data engineer's user test sent one, got a bare 202, and the
 * pledge stayed on the screen (2026-12-07). An IVR line's first send of a `paid` gift has no `updated_at` either,
 * which is why only a cancellation, always a change to a gift sent before, is spoken of.
 */
const CANCELLED_WITHOUT_UPDATED_AT = JSON.stringify(
  'a cancellation without updated_at is ordered by its occurred_at: if that is earlier than the version it cancels, it never becomes current and the gift stays in the totals; send updated_at (when it was cancelled)',
);

/** Validates a request body and builds its envelopes, or says what to answer instead. */
function checkBatch(body: unknown, bodyText: string | null, requestId: string, source: string, maxEvents: number, clock: Clock, maxAheadMs: number): Batch | ProducerAnswer {
  if (body === null || typeof body !== 'object' || Array.isArray(body)) {
    return reject(400, 'invalid_request', 'body must be an object with an events array', [
      { index: -1, errors: [{ path: 'events', message: 'is required: an array of events' }] },
    ]);
  }
  const events = (body as Record<string, unknown>).events;
  const topErrors: FieldError[] = [];
  for (const k in body) if (k !== 'events') topErrors.push({ path: k, message: 'is not a field of the request' });
  if (!Array.isArray(events) || events.length === 0) {
    // Present but not an array (a string holding JSON, one event on its own): "is required" would send the sender looking for a missing key.
    const what = events === undefined || events === null ? 'is required' : Array.isArray(events) ? 'must not be empty' : 'must be an array, not a single value or text holding JSON';
    topErrors.push({ path: 'events', message: `${what}: an array of 1 to ${maxEvents} events` });
  } else if (events.length > maxEvents) {
    return reject(413, 'too_many_events', `at most ${maxEvents} events per request`, [
      { index: -1, errors: [{ path: 'events', message: `must hold at most ${maxEvents} events` }] },
    ]);
  }
  if (topErrors.length > 0) return reject(400, 'invalid_request', 'the request is not a valid batch', [{ index: -1, errors: topErrors }]);

  const list = events as unknown[];
  const receivedAt = receivedTime(clock);
  const receivedAtMs = dateParse(receivedAt);
  const envelopes: Envelope[] = new Array(list.length);
  const texts = new EnvelopeTextWriter();
  // Each event's text as sent becomes its envelope's raw text (see event-texts.ts); else it is serialised.
  let rawTexts = bodyText === null ? null : eventTexts(bodyText);
  if (rawTexts !== null && rawTexts.length !== list.length) rawTexts = null;
  let rejected: RejectedEvent[] | null = null;
  let warnings: string[] | null = null;
  for (let i = 0; i < list.length; i++) {
    const ev = list[i];
    const r = withMajorAmounts(checkEvent(ev, receivedAtMs, maxAheadMs), rawTexts?.[i]);
    if ('errors' in r) (rejected ??= []).push({ index: i, errors: r.errors });
    else if (rejected === null) {
      if (r.contract.name === 'donation' && r.value.status === 'cancelled' && r.value.updated_at === null) (warnings ??= [])[i] = CANCELLED_WITHOUT_UPDATED_AT;
      const channel = r.value.channel;
      const scrubbed = withoutPersonal(ev, r.contract, r.value);
      envelopes[i] = texts.add({
        contract: r.contract.name,
        version: r.contract.version,
        // Which key sent it: `producer:<name>` for a named key (auth.ts, producerKeyEntry).
        source,
        stream: typeof channel === 'string' ? channel : null,
        payload: r.value,
        raw: scrubbed ?? ev,
        delivery_id: requestId,
        received_at: receivedAt,
        // The request's order is the producer's: a correction after its original in one request is the later.
        received_seq: i,
      }, scrubbed ? undefined : rawTexts?.[i]);
    }
  }
  if (rejected !== null) {
    const n = rejected.length;
    return reject(400, 'invalid_events', `${n} of ${list.length} events are invalid; nothing was accepted`, rejected);
  }
  // Envelope ids are hex, so the answer can be written directly; this is the hot path.
  let out = '{"accepted":[';
  for (let i = 0; i < envelopes.length; i++) {
    const warning = warnings?.[i];
    out += `${i ? ',' : ''}{"index":${i},"id":"${envelopes[i]!.id}"${warning === undefined ? '' : `,"warning":${warning}`}}`;
  }
  return { envelopes, texts: texts.finish(), accepted: `${out}]}` };
}

/**
 * The event's check, with an error for each money field its text writes as an amount in major units (`5.00`, see
 * minorWrittenAsMajor). Until 2026-12-06 `"amount_minor": 5.00` was taken as 5 pence (user test).
 */
function withMajorAmounts(r: ReturnType<typeof checkEvent>, text: string | undefined): ReturnType<typeof checkEvent> {
  const names = text === undefined ? [] : minorWrittenAsMajor(text);
  if (names.length === 0) return r;
  const fields = 'errors' in r ? null : r.contract.fields;
  const errors: FieldError[] = names
    .filter((n) => fields === null || fields[n]?.kind === 'int')
    .map((n) => ({ path: `payload.${n}`, message: MAJOR_UNITS }));
  if (errors.length === 0) return r;
  return { errors: 'errors' in r ? [...r.errors.filter((e) => !errors.some((x) => x.path === e.path)), ...errors] : errors };
}

const MAJOR_UNITS =
  'must be in minor units (pence, cents): a whole number written with two decimals, like 5.00, is how pounds or euros are written, and would count a hundred times too little; send 500 for 5.00 (a float of minor units such as 500.0 is taken)';

/**
 * The envelope source of the request's events when its Authorization may write events (a producer key:
 * `producer` or `producer:<name>`); otherwise the 401, 403 or 429 to send.
 */
export type ProducerKeyCheck = (authorization: string | undefined, address?: string) => ProducerAnswer | string;

/** `failures` counts unknown keys per address: an address that sent too many gets 429 (auth-failures.ts). */
export function producerKeyCheck(keys: KeyRing, failures?: AuthFailures): ProducerKeyCheck {
  const noKey = keys.has('producer') ? 'missing or invalid API key (Authorization: Bearer <key>)' : 'no API keys configured (PUDDLE_API_KEYS)';
  return (authorization, address) => {
    const presented = bearerKey(authorization);
    const who = keys.identify(presented);
    const wait = failures?.refusal(address, who, presented !== undefined) ?? 0;
    if (wait > 0) return { status: 429, body: JSON.stringify(errorBody('too_many_failed_keys', tooManyFailuresMessage(wait))), retryAfter: String(wait) };
    if (who?.scope === 'producer') return who.source ?? producerSource(undefined);
    if (who?.scope === 'retired') {
      retiredKeyUsed(who, address);
      return { status: 401, body: JSON.stringify(errorBody(RETIRED_KEY.code, RETIRED_KEY.message)) };
    }
    if (who) return { status: 403, body: JSON.stringify(errorBody('forbidden', `a ${who.scope} key cannot write events; use a producer key (PUDDLE_API_KEYS)`)) };
    return { status: 401, body: JSON.stringify(errorBody('unauthorized', noKey)) };
  };
}

function send(reply: FastifyReply, a: ProducerAnswer): FastifyReply {
  if (a.retryAfter !== undefined) void reply.header('retry-after', a.retryAfter);
  if (a.status === 401) void reply.header('www-authenticate', 'Bearer');
  return reply.code(a.status).header('content-type', JSON_TYPE).send(a.body);
}

/**
 * POST /v1/events through Fastify: for `inject`, for requests the fast path leaves alone (a key outside the
 * producer scope, a chunked or oversized body, another content type) and while the server closes.
 */
export async function producerRoutes(app: FastifyInstance, opts: ProducerRoutesOptions): Promise<void> {
  const { check, accept, refusals } = opts;
  // onRequest runs before the body is read: an unauthenticated client cannot make us buffer 1 MiB.
  const sourceOf = new WeakMap<FastifyRequest, string>();
  // Every refusal Fastify answers here: a key (401, 403, 429), a body (400, 413, 415) or the events (400), with the
  // source of a key that was known and the answer, which says why.
  if (refusals) {
    app.addHook('onSend', (req, reply, payload, done) => {
      if (reply.statusCode >= 400 && reply.statusCode < 500) refusals.note(reply.statusCode, sourceOf.get(req), typeof payload === 'string' ? payload : undefined);
      done(null, payload);
    });
  }

  app.addHook('onRequest', (req: FastifyRequest, reply: FastifyReply, done: (err?: Error) => void) => {
    const checked = check(req.headers.authorization, requestAddress(req));
    if (typeof checked !== 'string') return void send(reply, checked);
    sourceOf.set(req, checked);
    done();
  });

  const config: RouteErrorConfig = { tooLargeAdvice: 'a producer sends its events in smaller batches' };
  app.post('/v1/events', { config }, async (req, reply) => send(reply, await accept(req.body, req.bodyText, req.id, sourceOf.get(req)!)));
}
