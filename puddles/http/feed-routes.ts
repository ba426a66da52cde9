// GET /v1/feeds/<name>?after=<cursor>&limit=<n>: a supplier's batches, for feed keys that name the feed.
// Each fetch is recorded as a `feed_fetch` event (the key's label, never the key) before the rows are sent:
// a fetch the audit cannot record is refused (503) rather than served unrecorded.
import { randomUUID } from 'node:crypto';
import type { FastifyInstance } from 'fastify';
import type { KeyIdentity, KeyRing } from '../../core/http/auth.js';
import { errorBody, queueUnavailable } from '../../core/http/errors.js';
import { numberParam, queryParams } from '../../core/http/query-params.js';
import { requireScope } from '../../core/http/scope.js';
import { makeEnvelope } from '../../core/envelope.js';
import { systemClock, type Clock, type Queue } from '../../core/ports.js';
import { receivedAt } from '../../core/received-clock.js';
import { feedNamed, type FeedLog } from '../feeds.js';

export interface FeedRoutesOptions {
  keys: KeyRing;
  log: FeedLog;
  queue: Queue;
  /** Most rows per page (default 1000). */
  maxLimit?: number;
  /** Stamps the audit record's received_at (receivedAt); the system clock by default. */
  clock?: Clock;
}

/**
 * A cursor as the hub hands one out: a position in decimal, no leading zero (0, the start, is taken too). `007`
 * was read as 7 and, on an empty page, echoed back as `next` in a spelling the hub never gives (until 2026-12-02).
 */
const CURSOR = /^(?:0|[1-9]\d{0,14})$/;

export async function feedRoutes(app: FastifyInstance, opts: FeedRoutesOptions): Promise<void> {
  const maxLimit = opts.maxLimit ?? 1000;
  // A feed key asking for a name that is no feed at all gets 404 "no such feed" from the route (it was 403 "may
  // not read this feed", as if the feed existed and the key lacked it). Feed names are no secret: they are data
  // in puddles/feeds.ts and the start-up check names them all. A key of another scope, or none, learns nothing
  // of which feeds exist: 403 or 401 whatever the name.
  const allowed = (who: KeyIdentity, name: string) => who.scope === 'feed' && (who.feeds.includes(name) || !feedNamed(name));
  app.addHook('onRequest', requireScope(opts.keys, (who, req) => allowed(who, (req.params as { name?: string }).name ?? ''), 'this feed'));

  // No HEAD: Fastify would run this handler for one, recording a fetch of rows it never sent (until 2026-12-02).
  app.get<{ Params: { name: string }; Querystring: Record<string, string | string[] | undefined> }>('/v1/feeds/:name', { exposeHeadRoute: false }, async (req, reply) => {
    const feed = feedNamed(req.params.name);
    if (!feed) return reply.code(404).send(errorBody('not_found', 'no such feed'));
    const read = queryParams(req.query, ['after', 'limit']);
    if ('error' in read) return reply.code(400).send(errorBody('invalid_query', read.error));
    const { after, limit: limitText } = read.params;
    if (after !== undefined && !CURSOR.test(after)) {
      return reply.code(400).send(errorBody('invalid_query', 'after must be a cursor this feed returned as next'));
    }
    const limitRead = numberParam('limit', limitText, 100, { whole: true, min: 1, max: maxLimit });
    if ('error' in limitRead) return reply.code(400).send(errorBody('invalid_query', limitRead.error));
    const limit = limitRead.value;
    const from = after === undefined ? 0 : Number(after);
    const page = opts.log.read(feed.name, from, limit);
    // Only an empty page can come from a cursor past the end. Such a cursor was never handed out by this log
    // (feeds.db was rebuilt, numbered afresh, or it came from another hub): answering it with an empty page
    // would have the supplier wait there and silently skip every row numbered up to it.
    if (!page.length && from > 0) {
      const last = opts.log.last(feed.name);
      if (from > last) {
        return reply.code(409).send(errorBody('cursor_past_end', `after is past the end of this feed (its last position is ${last}): the cursor was not handed out by this feed's log, which may have been rebuilt; start again without after and keep, per id, the row with the latest changed_at`));
      }
    }
    const next = page.length ? String(page[page.length - 1]!.position) : (after ?? null);
    const now = receivedAt(opts.clock ?? systemClock);
    const audit = makeEnvelope({
      contract: 'feed_fetch',
      version: 1,
      source: 'hub',
      stream: 'feeds',
      payload: {
        feed_fetch_id: randomUUID(),
        occurred_at: now,
        feed: feed.name,
        key_label: req.keyIdentity!.label,
        ...(after !== undefined ? { after } : {}),
        ...(next !== null ? { next } : {}),
        rows: page.length,
      },
      delivery_id: req.id,
      received_at: now,
    });
    try {
      await opts.queue.publish([audit]);
    } catch (err) {
      return queueUnavailable(reply, err, 'the fetch could not be recorded for audit; nothing was served, retry later');
    }
    return reply.header('cache-control', 'no-store').send({ rows: page.map((p) => p.row), next });
  });
}
