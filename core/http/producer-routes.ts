import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { CONTRACTS, type Contract, type FieldError } from '../contracts/index.js';
import { EnvelopeTextWriter, type Envelope } from '../envelope.js';
import { log } from '../log.js';
import type { Queue } from '../ports.js';
import { bearerKey, createKeyRing, type KeyRing } from './auth.js';
import { errorBody, queueUnavailable } from './errors.js';
import { eventTexts } from './event-texts.js';

export interface ProducerRoutesOptions {
  queue: Queue;
  apiKeys: readonly string[];
  /** Every scope's keys, so a read or feed key gets 403 here rather than 401 (default: only apiKeys). */
  keys?: KeyRing;
  /** Events per request; more is a 413. */
  maxEvents: number;
}

/** One invalid event; index -1 means the request as a whole (path `events` or a top-level field). */
export interface RejectedEvent {
  index: number;
  errors: FieldError[];
}

const EVENT_FIELDS = new Set(['contract', 'version', 'id', 'payload']);
const MAX_PRODUCER_ID = 256;
const KNOWN_CONTRACTS = [...CONTRACTS.keys()].join(', ');
const JSON_TYPE = 'application/json; charset=utf-8';

type Checked = { contract: Contract; value: Record<string, unknown> } | { errors: FieldError[] };

/**
 * Checks one event's envelope fields and validates its payload against the contract.
 * Messages say what is wrong, never the value sent (it may be personal data).
 */
export function checkEvent(ev: unknown): Checked {
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
    else if (typeof e.version !== 'number' || !Number.isInteger(e.version)) {
      errors.push({ path: 'version', message: 'is required: an integer contract version' });
    } else {
      contract = versions.get(e.version);
      if (!contract) errors.push({ path: 'version', message: `is not a known version: one of ${[...versions.keys()].join(', ')}` });
    }
  }
  if (e.id !== undefined && e.id !== null && (typeof e.id !== 'string' || e.id.length === 0 || e.id.length > MAX_PRODUCER_ID)) {
    errors.push({ path: 'id', message: `must be a string of 1 to ${MAX_PRODUCER_ID} characters` });
  }
  if (contract) {
    const r = contract.validate(e.payload);
    if (r.errors) for (const err of r.errors) errors.push(err);
    else if (errors.length === 0) return { contract, value: r.value as Record<string, unknown> };
  }
  return { errors };
}

function rejectRequest(reply: FastifyReply, status: number, code: string, message: string, rejected: RejectedEvent[]) {
  return reply.code(status).send({ ...errorBody(code, message), rejected });
}

/**
 * POST /v1/events: the private REST producer. A batch is atomic: every event is validated first,
 * and only a fully valid batch is published; 202 is sent only after the queue said it is durable.
 */
export async function producerRoutes(app: FastifyInstance, opts: ProducerRoutesOptions): Promise<void> {
  const { queue, maxEvents } = opts;
  const keys = opts.keys ?? createKeyRing({ producer: opts.apiKeys });
  const noKeysMessage = 'no API keys configured (PUDDLE_API_KEYS)';

  // onRequest runs before the body is read: an unauthenticated client cannot make us buffer 1 MiB.
  app.addHook('onRequest', (req: FastifyRequest, reply: FastifyReply, done: (err?: Error) => void) => {
    const who = keys.identify(bearerKey(req.headers.authorization));
    if (who?.scope === 'producer') return done();
    if (who) {
      void reply.code(403).send(errorBody('forbidden', `a ${who.scope} key cannot write events; use a producer key (PUDDLE_API_KEYS)`));
      return;
    }
    void reply
      .header('www-authenticate', 'Bearer')
      .code(401)
      .send(errorBody('unauthorized', keys.has('producer') ? 'missing or invalid API key (Authorization: Bearer <key>)' : noKeysMessage));
  });

  app.post('/v1/events', async (req, reply) => {
    const body = req.body as Record<string, unknown> | null | undefined;
    if (body === null || typeof body !== 'object' || Array.isArray(body)) {
      return rejectRequest(reply, 400, 'invalid_request', 'body must be an object with an events array', [
        { index: -1, errors: [{ path: 'events', message: 'is required: an array of events' }] },
      ]);
    }
    const events = body.events;
    const topErrors: FieldError[] = [];
    for (const k in body) if (k !== 'events') topErrors.push({ path: k, message: 'is not a field of the request' });
    if (!Array.isArray(events) || events.length === 0) {
      topErrors.push({ path: 'events', message: `is required: an array of 1 to ${maxEvents} events` });
    } else if (events.length > maxEvents) {
      return rejectRequest(reply, 413, 'too_many_events', `at most ${maxEvents} events per request`, [
        { index: -1, errors: [{ path: 'events', message: `must hold at most ${maxEvents} events` }] },
      ]);
    }
    if (topErrors.length > 0) {
      return rejectRequest(reply, 400, 'invalid_request', 'the request is not a valid batch', [{ index: -1, errors: topErrors }]);
    }

    const list = events as unknown[];
    const receivedAt = new Date().toISOString();
    const envelopes: Envelope[] = new Array(list.length);
    const texts = new EnvelopeTextWriter();
    // Each event's text as sent becomes its envelope's raw text (see event-texts.ts); else it is serialised.
    let rawTexts = req.bodyText === null ? null : eventTexts(req.bodyText);
    if (rawTexts !== null && rawTexts.length !== list.length) rawTexts = null;
    let rejected: RejectedEvent[] | null = null;
    for (let i = 0; i < list.length; i++) {
      const ev = list[i];
      const r = checkEvent(ev);
      if ('errors' in r) (rejected ??= []).push({ index: i, errors: r.errors });
      else if (rejected === null) {
        const channel = r.value.channel;
        envelopes[i] = texts.add({
          contract: r.contract.name,
          version: r.contract.version,
          source: 'producer',
          stream: typeof channel === 'string' ? channel : null,
          payload: r.value,
          raw: ev,
          delivery_id: req.id,
          received_at: receivedAt,
        }, rawTexts?.[i]);
      }
    }
    if (rejected !== null) {
      const n = rejected.length;
      return rejectRequest(reply, 400, 'invalid_events', `${n} of ${list.length} events are invalid; nothing was accepted`, rejected);
    }

    try {
      await queue.publish(envelopes, texts.finish());
    } catch (err) {
      log.warn('producer publish failed', { request_id: req.id, events: list.length, error: err });
      return queueUnavailable(reply, err, 'the queue did not accept the events; nothing was accepted, retry later');
    }

    // Envelope ids are hex, so the answer can be written directly; this is the hot path.
    let out = '{"accepted":[';
    for (let i = 0; i < envelopes.length; i++) {
      out += `${i ? ',' : ''}{"index":${i},"id":"${envelopes[i]!.id}"}`;
    }
    return reply.code(202).header('content-type', JSON_TYPE).send(`${out}]}`);
  });
}
