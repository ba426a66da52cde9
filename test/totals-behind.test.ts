// Donations accepted and not yet counted, said where a screen reads the totals: GET /v1/totals's `behind` and every
// heartbeat of the stream, once the oldest has waited past COUNTING_BEHIND_MS. Until 2026-12-06 a lake that could not
// be written left the TV's frozen total under a green "live" while producers went on getting 202s (a user test).
import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createKeyRing } from '../core/http/auth.js';
import { buildServer, closeServer } from '../core/http/server.js';
import { SqliteQueue } from '../infra/local/sqlite-queue.js';
import type { CountingBehind } from '../puddles/http/totals-routes.js';
import { totalsRoutes } from '../puddles/http/totals-routes.js';
import { LiveTotals } from '../puddles/live-totals.js';
import { behindWhy } from '../web/src/live.js';
import { openSse } from './live/sse-client.js';

const TV = 'tv_0123456789abcdef_behind';

describe('totals that are behind what was accepted', () => {
  const queue = new SqliteQueue(':memory:');
  let app: FastifyInstance;
  let base: string;
  let behind: CountingBehind | null = null;

  beforeAll(async () => {
    const keys = createKeyRing({ tv: [TV] });
    const totals = new LiveTotals();
    app = buildServer({ queue, apiKeys: [], keys, plugins: [(a) => totalsRoutes(a, { keys, totals, heartbeatMs: 100, behind: () => behind })] });
    base = await app.listen({ port: 0, host: '127.0.0.1' });
  });
  afterAll(async () => {
    await closeServer(app, 100);
    await queue.close();
  });

  const get = async () => (await fetch(`${base}/v1/totals`, { headers: { authorization: `Bearer ${TV}` } })).json() as Promise<Record<string, unknown>>;

  it('says nothing while everything accepted is counted, and how many wait and since when once it is not', async () => {
    expect(await get()).not.toHaveProperty('behind');
    const stream = await openSse(`${base}/v1/totals/stream`, { authorization: `Bearer ${TV}` });
    try {
      const quiet = await stream.next((m) => m.event === 'heartbeat');
      expect(JSON.parse(quiet.data!)).not.toHaveProperty('behind');
      behind = { waiting: 752, oldest_waiting_s: 95, landing_failing_since: '2026-12-06T14:01:02.000Z' };
      expect((await get()).behind).toEqual(behind);
      const said = await stream.next((m) => m.event === 'heartbeat' && (m.data ?? '').includes('behind'));
      expect(JSON.parse(said.data!).behind).toEqual(behind);
      behind = null;
      const again = await stream.next((m) => m.event === 'heartbeat' && !(m.data ?? '').includes('behind'), stream.messages.indexOf(said) + 1);
      expect(JSON.parse(again.data!)).not.toHaveProperty('behind');
    } finally {
      stream.close();
    }
  });

  it('reads on the pages as a figure behind, with how many and why', () => {
    expect(behindWhy({ waiting: 752, oldest_waiting_s: 95, landing_failing_since: '2026-12-06T14:01:02.000Z' })).toBe(
      'BEHIND: 752 donations accepted, not counted yet (the oldest for 95 s): landing has failed since 14:01:02 UTC',
    );
    expect(behindWhy({ waiting: 1, oldest_waiting_s: 31 })).toBe('BEHIND: 1 donation accepted, not counted yet (the oldest for 31 s): landing is behind');
  });
});
