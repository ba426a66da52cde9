// A hub with every kind of key, for the live totals, dashboard and feed tests.
import { loadConfig } from '../../core/config.js';
import type { AuthFailuresOptions } from '../../core/http/auth-failures.js';
import type { Clock, Row } from '../../core/ports.js';
import { startHub, type Hub } from '../../infra/local/hub.js';
import { postEvents } from '../support/hub-process.js';

export const PRODUCER_KEY = 'producer-key-live-0001';
export const READ_KEY = 'read-key-live-0002';
export const FEED_KEY = 'feed-key-live-0003';
/** A broadcaster's key: the totals and /tv, nothing else. */
export const TV_KEY = 'tv-key-live-0005';
export const OTHER_FEED_KEY = 'feed-key-live-0004';

export function startLiveHub(
  home: string,
  opts: { port?: number; heartbeatMs?: number; driftCheckMs?: number; maxStreams?: number; maxStreamsPerKey?: number; authFailures?: AuthFailuresOptions; totalsInBackground?: boolean; totalsRetryMs?: number; clock?: Clock; rawLingerMs?: number } = {},
): Promise<Hub> {
  return startHub({
    config: {
      ...loadConfig({}),
      home,
      port: opts.port ?? 0,
      ...(opts.driftCheckMs ? { driftCheckMs: opts.driftCheckMs } : {}),
      ...(opts.maxStreams ? { maxStreams: opts.maxStreams } : {}),
      ...(opts.maxStreamsPerKey ? { maxStreamsPerKey: opts.maxStreamsPerKey } : {}),
      ...(opts.rawLingerMs !== undefined ? { rawLingerMs: opts.rawLingerMs } : {}),
      apiKeys: [PRODUCER_KEY],
      readKeys: [READ_KEY],
      tvKeys: [TV_KEY],
      feedKeys: [
        { key: FEED_KEY, feeds: ['giro_requests'] },
        { key: OTHER_FEED_KEY, feeds: ['some_other_feed'] },
      ],
    },
    ...(opts.heartbeatMs ? { stream: { heartbeatMs: opts.heartbeatMs } } : {}),
    ...(opts.totalsInBackground ? { totalsInBackground: true } : {}),
    ...(opts.totalsRetryMs ? { totalsRetryMs: opts.totalsRetryMs } : {}),
    ...(opts.clock ? { clock: opts.clock } : {}),
    ...(opts.authFailures ? { authFailures: opts.authFailures } : {}),
  });
}

/**
 * Waits until nothing is waiting to land. The deadline only bounds a hub that never lands: on a loaded two-core
 * machine landing took longer than the 30 s this allowed until 2026-12-03.
 */
export async function waitLanded(hub: Hub, deadlineMs = 180_000): Promise<void> {
  const until = Date.now() + deadlineMs;
  while ((await hub.stats()).waiting > 0) {
    if (Date.now() > until) throw new Error(`the hub did not land what was queued within ${deadlineMs / 1000} s`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

/** Posts events with the producer key, expects them accepted, and waits until they have landed. */
export async function postLanded(hub: Hub, events: unknown[]): Promise<void> {
  const res = await postEvents(hub.url, PRODUCER_KEY, events);
  if (res.status !== 202) throw new Error(`expected 202, got ${res.status}: ${await res.text()}`);
  await res.arrayBuffer();
  await waitLanded(hub);
}

export function getJson(url: string, key?: string): Promise<Response> {
  return fetch(url, key ? { headers: { authorization: `Bearer ${key}` } } : {});
}

/** SQL totals per currency from the `totals_by_box` view (puddles/queries/totals_by_box.sql). */
export async function sqlTotals(hub: Hub, where = 'true'): Promise<Row[]> {
  return hub.runtime.query.query(
    `SELECT currency, CAST(sum(pledges) AS BIGINT) AS count, CAST(sum(amount_minor) AS BIGINT) AS amount_minor
     FROM totals_by_box WHERE ${where} GROUP BY currency ORDER BY currency`,
  );
}
