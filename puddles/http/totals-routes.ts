// GET /v1/totals and GET /v1/totals/stream: the live total from the in-memory aggregate (read and TV keys).
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { DEFAULT_MAX_STREAMS, defaultMaxStreamsPerKey } from '../../core/config.js';
import { MAX_STRING } from '../../core/contracts/index.js';
import type { KeyRing } from '../../core/http/auth.js';
import { LakeFileError } from '../../core/errors.js';
import { errorBody } from '../../core/http/errors.js';
import { queryParams } from '../../core/http/query-params.js';
import { readsTotals, requireScope } from '../../core/http/scope.js';
import { parseTimeWindow } from '../../core/time-window.js';
import type { LiveTotals, TotalsBy, TotalsDocument, TotalsQuery } from '../live-totals.js';

export interface TotalsRoutesOptions {
  keys: KeyRing;
  totals: LiveTotals;
  /** False while the totals are being rebuilt from the lake: answers are then 503 (default: always ready). */
  ready?: () => boolean;
  /**
   * While the rebuild fails (it is retried), the error that stopped it, else undefined: the 503 then says so, not
   * that the totals are warming up, and a damaged lake file (LakeFileError) is named with what to do.
   */
  rebuildFailing?: () => unknown;
  /** Donations accepted and not yet counted, while the oldest has waited too long (CountingBehind), else null. */
  behind?: () => CountingBehind | null;
  /** Least time between two pushes on one stream (default 250 ms). */
  minIntervalMs?: number;
  /** Time between heartbeat events on a stream (default 15 s). */
  heartbeatMs?: number;
  /** Streams open at once, over all keys (default 200, PUDDLE_MAX_STREAMS); beyond, a stream that says so and ends. */
  maxStreams?: number;
  /** Streams one key may hold open at once (default a quarter of maxStreams, PUDDLE_MAX_STREAMS_PER_KEY); beyond, 429. */
  maxStreamsPerKey?: number;
}

/**
 * Donations the hub accepted that the totals do not count yet, said once the oldest has waited past COUNTING_BEHIND_MS
 * (landing failing on a full or read-only lake, or far behind): in GET /v1/totals's answer and on every heartbeat, so
 * a screen can say its figure is behind. Until 2026-12-06 the TV showed a frozen total under a green "live" while
 * producers went on getting 202s (a user test).
 */
export interface CountingBehind {
  /** Donations' deliveries waiting to land. */
  waiting: number;
  oldest_waiting_s: number;
  /** Since when landing has failed, when it has. */
  landing_failing_since?: string;
}

/** How long accepted donations may wait to be counted before the totals say they are behind: landing takes 1-2 s. */
export const COUNTING_BEHIND_MS = 30_000;

/** Seconds a client refused for too many streams is told to wait: long enough for a TV to come back calmly. */
const STREAMS_RETRY_AFTER_S = 10;

interface Unavailable {
  code: string;
  message: string;
  retryAfterS: number;
}

const BY: readonly TotalsBy[] = ['channel', 'campaign', 'cta'];
// Process start: event ids of one process never repeat another's, so a client resuming after a restart
// always gets the current document.
const BOOT = Date.now().toString(36);

/** Which donations a total counts: one campaign or all, boxes whose start is in [from, to). */
export type TotalsFilter = Pick<TotalsQuery, 'campaign' | 'from' | 'to'>;

/** A query string's totals question, or the parameter that is wrong and why. */
export function parseTotalsQuery(q: Record<string, unknown>): TotalsQuery | { error: string } {
  const read = queryParams(q, ['campaign', 'by', 'box', 'from', 'to']);
  if ('error' in read) return read;
  const p = read.params;
  const by = p.by ?? 'channel';
  if (!BY.includes(by as TotalsBy)) return { error: 'by must be channel, campaign or cta' };
  const box = p.box ?? '15m';
  if (box !== '15m') return { error: 'box must be 15m (boxes are 15 minutes, UTC)' };
  const filter = parseTotalsFilter(p);
  return 'error' in filter ? filter : { by: by as TotalsBy, ...filter };
}

/** `campaign`, `from` and `to` as GET /v1/totals takes them (and GET /v1/ops/ctas, for the same page). */
export function parseTotalsFilter(p: Partial<Record<'campaign' | 'from' | 'to', string>>): TotalsFilter | { error: string } {
  const campaign = p.campaign;
  // Any campaign a donation may carry can be asked for (a shorter limit left long names listed but unfilterable).
  if (campaign !== undefined && (campaign === '' || campaign.length > MAX_STRING)) return { error: `campaign must be 1 to ${MAX_STRING} characters` };
  const window = parseTimeWindow(p);
  return 'error' in window ? window : { ...(campaign !== undefined ? { campaign } : {}), ...window };
}

type Readiness = Pick<TotalsDocumentRouteOptions, 'ready' | 'rebuildFailing'>;

/** Why the totals cannot be served yet, and when to ask again, or undefined when they are whole. */
function unavailable({ ready, rebuildFailing }: Readiness): Unavailable | undefined {
  if (!ready || ready()) return undefined;
  // A total that is still being rebuilt would be too low: say so rather than show it. Until 2026-12-02 a
  // rebuild that failed said `warming_up` for as long as the hub ran.
  const failed = rebuildFailing?.();
  if (failed instanceof LakeFileError) return { code: 'lake_file_unavailable', message: failed.message, retryAfterS: 30 };
  if (failed !== undefined) return { code: 'totals_unavailable', message: 'the live totals could not be rebuilt from the lake (the hub\'s log says why); the hub tries again on its own', retryAfterS: 30 };
  return { code: 'warming_up', message: 'the live totals are being rebuilt from the lake; try again shortly', retryAfterS: 2 };
}

function queryOf(req: FastifyRequest, reply: FastifyReply, readiness: Readiness): TotalsQuery | undefined {
  const down = unavailable(readiness);
  if (down) {
    void reply.code(503).header('retry-after', String(down.retryAfterS)).send(errorBody(down.code, down.message));
    return undefined;
  }
  return parsedQuery(req, reply);
}

function parsedQuery(req: FastifyRequest, reply: FastifyReply): TotalsQuery | undefined {
  const q = parseTotalsQuery((req.query ?? {}) as Record<string, unknown>);
  if ('error' in q) {
    void reply.code(400).send(errorBody('invalid_query', q.error));
    return undefined;
  }
  return q;
}

export interface TotalsDocumentRouteOptions {
  keys: KeyRing;
  /** The document for a query, from wherever the counters are (in memory here, DynamoDB in the AWS shape). */
  document: (q: TotalsQuery) => TotalsDocument | Promise<TotalsDocument>;
  ready?: () => boolean;
  rebuildFailing?: () => unknown;
  behind?: () => CountingBehind | null;
}

/** GET /v1/totals alone (read and TV keys): the embedded hub and the AWS totals function both serve it. */
export async function totalsDocumentRoute(app: FastifyInstance, opts: TotalsDocumentRouteOptions): Promise<void> {
  app.addHook('onRequest', requireScope(opts.keys, readsTotals, 'totals'));
  app.get('/v1/totals', async (req, reply) => {
    const q = queryOf(req, reply, opts);
    if (!q) return reply;
    const doc = await opts.document(q);
    const behind = opts.behind?.();
    return reply.header('cache-control', 'no-store').send(behind ? { ...doc, behind } : doc);
  });
}

export async function totalsRoutes(app: FastifyInstance, opts: TotalsRoutesOptions): Promise<void> {
  const { totals } = opts;
  const minInterval = opts.minIntervalMs ?? 250;
  const heartbeatMs = opts.heartbeatMs ?? 15_000;
  const maxStreams = opts.maxStreams ?? DEFAULT_MAX_STREAMS;
  const perKey = opts.maxStreamsPerKey ?? defaultMaxStreamsPerKey(maxStreams);
  // Open streams by key label (read#1, tv#2): one key, a page reloading in a loop or a script, could otherwise take
  // every place, and the broadcaster's TV, on a key of its own, was refused its stream.
  const byKey = new Map<string, number>();
  await totalsDocumentRoute(app, { keys: opts.keys, document: (q) => totals.document(q), ready: opts.ready, rebuildFailing: opts.rebuildFailing, behind: opts.behind });
  // Open streams would hold server.close() forever: end them first (clients reconnect to the next process).
  const streams = new Set<() => void>();
  app.addHook('preClose', (done) => {
    for (const end of streams) end();
    done();
  });

  // No HEAD: Fastify would run this handler for one, and hold a stream's place for a client that reads nothing.
  app.get('/v1/totals/stream', { exposeHeadRoute: false }, (req, reply) => {
    const q = parsedQuery(req, reply);
    if (!q) return reply;
    // Not ready (warming up after a restart, or the rebuild failing), or too many streams open: a 503 would make a
    // browser's EventSource give up for good (it reconnects only after a stream that ends), so a broadcaster's own
    // graphic stopped at every hub restart. Until 2026-12-02 these were 503s. Now: an event stream that says why
    // and ends, with `retry:` set to when to come back, which every EventSource obeys.
    // Each stream holds a socket, a heartbeat timer and a listener until its client goes: until 2026-12-02 any
    // number were taken, so one key (or a page reloading in a loop) could hold the hub's sockets and memory.
    const down = unavailable(opts);
    if (down) return endStream(reply, down);
    // Over its own share a key gets a plain 429, unlike the shared limit below: the key is holding the places itself,
    // so its EventSource should stop rather than come back on its own (the hub's pages ask again every 2 s).
    const label = req.keyIdentity?.label ?? '';
    const held = byKey.get(label) ?? 0;
    if (held >= perKey) {
      const message = `this key already has ${held} live totals streams open, the most one key may hold (PUDDLE_MAX_STREAMS_PER_KEY), so that other keys keep theirs; close one, or poll GET /v1/totals`;
      return reply.code(429).header('retry-after', String(STREAMS_RETRY_AFTER_S)).header('cache-control', 'no-store').send(errorBody('too_many_streams_for_key', message));
    }
    if (streams.size >= maxStreams) return endStream(reply, tooManyStreams(maxStreams));
    reply.hijack();
    const res = reply.raw;
    res.writeHead(200, {
      'content-type': 'text/event-stream; charset=utf-8',
      'cache-control': 'no-store',
      connection: 'keep-alive',
      'x-accel-buffering': 'no',
    });
    // Browsers reconnect by themselves after this long, sending the last id they saw.
    res.write('retry: 1000\n\n');
    // A heartbeat is an event, not a comment, so a page can see it: a hub that hangs, or a link that goes silent
    // without closing, sends nothing, and EventSource would wait on it for good with the page reading "live". The
    // first comes at once and says how often they come, so a client knows when silence means the link is dead.
    // Until 2026-12-03 it was a `: heartbeat` comment, which EventSource hides from the page.
    // It carries `behind` while accepted donations wait to be counted (CountingBehind).
    const beat = () => {
      const behind = opts.behind?.();
      res.write(`event: heartbeat\ndata: {"at":"${new Date().toISOString()}","every_ms":${heartbeatMs}${behind ? `,"behind":${JSON.stringify(behind)}` : ''}}\n\n`);
    };
    beat();
    const lastHeader = req.headers['last-event-id'];
    let lastId = typeof lastHeader === 'string' ? lastHeader : '';
    let lastBody = '';
    let lastSent = 0;
    let pending: NodeJS.Timeout | undefined;
    const send = () => {
      pending = undefined;
      const id = `${BOOT}-${totals.version}`;
      if (id === lastId) return;
      const body = JSON.stringify(totals.document(q));
      lastId = id;
      // A change elsewhere (another campaign) bumps the version but not this document: nothing to push.
      if (body === lastBody) return;
      lastBody = body;
      lastSent = Date.now();
      res.write(`id: ${id}\nevent: totals\ndata: ${body}\n\n`);
    };
    const changed = () => {
      if (pending) return;
      pending = setTimeout(send, Math.max(0, lastSent + minInterval - Date.now()));
    };
    const heartbeat = setInterval(beat, heartbeatMs);
    const unsubscribe = totals.onChange(changed);
    // A client resuming with the current id already has this document; anyone else gets it now.
    if (lastId !== `${BOOT}-${totals.version}`) send();
    byKey.set(label, held + 1);
    let closed = false;
    const close = () => {
      // 'close' and 'error' can both come, and end() runs it too: the key's count goes down once.
      if (closed) return;
      closed = true;
      const left = (byKey.get(label) ?? 1) - 1;
      if (left > 0) byKey.set(label, left);
      else byKey.delete(label);
      streams.delete(end);
      unsubscribe();
      clearInterval(heartbeat);
      if (pending) clearTimeout(pending);
    };
    const end = () => {
      close();
      res.end();
    };
    streams.add(end);
    res.on('close', close);
    res.on('error', close);
    return reply;
  });
}

function tooManyStreams(maxStreams: number): Unavailable {
  const message = `${maxStreams} live totals streams are open, the most this hub serves at once (PUDDLE_MAX_STREAMS); retry later or poll GET /v1/totals`;
  return { code: 'too_many_streams', message, retryAfterS: STREAMS_RETRY_AFTER_S };
}

/** A stream that only says why it cannot serve, and ends: `retry:` tells an EventSource when to come back. */
function endStream(reply: FastifyReply, why: Unavailable): FastifyReply {
  reply.hijack();
  reply.raw.writeHead(200, { 'content-type': 'text/event-stream; charset=utf-8', 'cache-control': 'no-store' });
  const data = JSON.stringify(errorBody(why.code, why.message));
  reply.raw.end(`retry: ${why.retryAfterS * 1000}\n\nevent: unavailable\ndata: ${data}\n\n`);
  return reply;
}
