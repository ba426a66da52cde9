import { randomUUID } from 'node:crypto';
import type { IncomingMessage, OutgoingHttpHeaders, ServerResponse } from 'node:http';
import type { Socket } from 'node:net';
import { log } from '../log.js';
import { clientAddress, type ProxyTrust } from './client-address.js';
import { BODY_ERRORS, errorBody } from './errors.js';
import { JSON_TYPE, type EventsAcceptor, type ProducerAnswer } from './producer-routes.js';
import { utf8Text } from './raw-body.js';
import type { Refusals } from './refusals.js';

/**
 * POST /v1/events on a listening server, answered straight from node:http instead of through Fastify.
 *
 * Why: at one event a request Fastify's request and reply objects, hooks, routing, content-type parser and
 * reply pipeline cost about as much of the event loop as the producer's own work (docs/benchmarks.md, "The whole hub").
 * This path takes only the plain, well-formed case: POST to exactly /v1/events, a JSON content type, a
 * Content-Length within the body limit, no Content-Encoding, a producer key, and a server that is not closing.
 * Everything else (another key, chunked, gzipped or oversized bodies, other content types, the 503s of a closing server) goes on to
 * Fastify, which answers it as before. What both paths do with a request is one function
 * (`eventsAcceptor`), and the tests run the producer's suite through both (test/producer.test.ts).
 */
export interface FastPathOptions {
  accept: EventsAcceptor;
  /**
   * The envelope source of the request's events when its Authorization is a producer key its address may use
   * (auth-failures.ts), else null.
   */
  producerSource: (authorization: string | undefined, address: string | undefined) => string | null;
  maxBodyBytes: number;
  /** The trusted proxies (client-address.ts): the address producerSource is given is the client's behind them. */
  proxyTrust?: ProxyTrust | null;
  /** Fastify's own JSON parser (prototype-poisoning guard included), so both paths parse alike. */
  parseJson: (req: unknown, text: string, done: (err: Error | null, body?: unknown) => void) => void;
  /** True once the server is closing: Fastify then answers 503 with `Connection: close`. */
  closing: () => boolean;
  /** Counts the refused requests for the log (refusals.ts). */
  refusals?: Refusals;
}

export interface FastPath {
  /** Takes the request and answers it (true), or leaves it for Fastify (false). */
  (req: IncomingMessage, res: ServerResponse): boolean;
  /** Requests this path took, for the tests that check it is the one that answered. */
  readonly taken: number;
}

const JSON_TYPES = new Set(['application/json', 'application/json; charset=utf-8', 'application/json;charset=utf-8']);

/**
 * Per connection, the Authorization header last found to be a producer key on it. A producer sends the same header
 * on every request of a keep-alive connection, and checking it (a SHA-256 and a timing-safe compare with every key)
 * was about 4 µs of a request's ~65 on the event loop. Comparing with this is safe: it is the text this same client
 * sent before, so its timing says nothing about the configured keys. The keys are fixed while a server runs.
 */
const producerAuthOf = new WeakMap<Socket, { authorization: string; source: string }>();

export function producerFastPath(opts: FastPathOptions): FastPath {
  let taken = 0;
  const handle = (req: IncomingMessage, res: ServerResponse): boolean => {
    if (req.method !== 'POST' || req.url !== '/v1/events' || opts.closing()) return false;
    const type = req.headers['content-type'];
    if (type === undefined || !JSON_TYPES.has(type.toLowerCase())) return false;
    const length = Number(req.headers['content-length']);
    if (!(length > 0 && length <= opts.maxBodyBytes) || req.headers['transfer-encoding'] !== undefined) return false;
    // A gzipped (or otherwise encoded) body is Fastify's to decode or refuse (raw-body.ts): one header lookup here.
    if (req.headers['content-encoding'] !== undefined) return false;
    const authorization = req.headers.authorization;
    let known = producerAuthOf.get(req.socket);
    if (authorization === undefined || known?.authorization !== authorization) {
      const source = opts.producerSource(authorization, clientAddress(req.socket.remoteAddress, req.headers['x-forwarded-for'], opts.proxyTrust ?? null));
      if (source === null) return false;
      known = { authorization: authorization ?? '', source };
      if (authorization !== undefined) producerAuthOf.set(req.socket, known);
    }
    const source = known.source;
    taken++;
    const chunks: Buffer[] = [];
    let got = 0;
    req.on('data', (chunk: Buffer) => {
      chunks.push(chunk);
      got += chunk.length;
    });
    // A client that goes away mid-body leaves nothing to answer; the socket is node's to clean up.
    req.on('error', () => {});
    req.on('end', () => {
      if (got !== length) return answer(res, bodyError('FST_ERR_CTP_INVALID_CONTENT_LENGTH'), opts.refusals, source);
      // As the Fastify path does (raw-body.ts): bytes that are not UTF-8 are a 400, not U+FFFD in the lake.
      const text = utf8Text(chunks.length === 1 ? chunks[0]! : Buffer.concat(chunks, got));
      if (text === null) return answer(res, bodyError('PUDDLE_INVALID_UTF8'), opts.refusals, source);
      const body = parse(opts.parseJson, text);
      if (body instanceof NotJson) return answer(res, bodyError(body.code), opts.refusals, source);
      const id = randomUUID();
      const failed = (err: unknown) => {
        log.error('request failed', { request_id: id, method: 'POST', url: '/v1/events', error: err });
        answer(res, { status: 500, body: JSON.stringify(errorBody('internal', 'internal error')) });
      };
      // A fault thrown here would be an uncaught exception in an event handler, and end the process; through
      // Fastify it is a 500, so it is here too.
      let pending: Promise<ProducerAnswer>;
      try {
        pending = opts.accept(body, text, id, source);
      } catch (err) {
        return failed(err);
      }
      pending.then((a) => answer(res, a, opts.refusals, source), failed);
    });
    return true;
  };
  return Object.defineProperty(handle, 'taken', { get: () => taken }) as FastPath;
}

/** A body the parser refused, with its error's code (BODY_ERRORS). */
class NotJson {
  constructor(readonly code: string) {}
}
const MALFORMED = new NotJson('FST_ERR_CTP_INVALID_JSON_BODY');

/**
 * The parsed body, or why not. A function of its own so that no closure in the request's handler holds
 * the parsed body while its commit is awaited (see eventsAcceptor).
 */
function parse(parseJson: FastPathOptions['parseJson'], text: string): unknown {
  let out: unknown = MALFORMED;
  parseJson(null, text, (err, value) => {
    if (err === null) out = value;
    else {
      const code = (err as { code?: string }).code;
      if (code !== undefined && code in BODY_ERRORS) out = new NotJson(code);
    }
  });
  return out;
}

function bodyError(code: string): ProducerAnswer {
  const e = BODY_ERRORS[code]!;
  return { status: e.status, body: JSON.stringify(errorBody(e.code, e.message)) };
}

/** Answers; a refusal (4xx) is counted for the log (refusals.ts). */
function answer(res: ServerResponse, a: ProducerAnswer, refusals?: Refusals, source?: string): void {
  if (a.status >= 400 && a.status < 500) refusals?.note(a.status, source, a.body);
  const headers: OutgoingHttpHeaders = { 'content-type': JSON_TYPE, 'content-length': Buffer.byteLength(a.body) };
  if (a.retryAfter !== undefined) headers['retry-after'] = a.retryAfter;
  res.writeHead(a.status, headers).end(a.body);
}
