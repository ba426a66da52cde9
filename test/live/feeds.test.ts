import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Hub } from '../../infra/local/hub.js';
import { FEED_KEY, getJson, OTHER_FEED_KEY, postLanded, PRODUCER_KEY, READ_KEY, startLiveHub, waitLanded } from './live-hub.js';

let n = 0;
const giro = (over: Record<string, unknown> = {}) => {
  n++;
  return {
    contract: 'school_giro_request',
    version: 1,
    payload: {
      school_giro_request_id: `sgr-${n}`,
      occurred_at: '2026-11-20T09:00:00Z',
      school_name: `St Example Primary ${n}`,
      school_urn: String(100000 + n),
      address_line1: `${n} School Lane`,
      town: 'Exampleton',
      postcode: 'EX1 2MP',
      country: 'GB',
      pack_size: 30,
      requested_at: '2026-11-20T09:00:00Z',
      campaign: 'appeal-night-2026',
      ...over,
    },
  };
};

interface Page {
  rows: Record<string, unknown>[];
  next: string | null;
}

describe('supplier feeds: GET /v1/feeds/giro_requests', () => {
  const home = mkdtempSync(join(tmpdir(), 'puddle-feeds-'));
  let hub: Hub;
  const post = (events: unknown[]) => postLanded(hub, events);
  const fetchPage = async (after: string | null, limit = 7): Promise<Page> => {
    const q = new URLSearchParams({ limit: String(limit), ...(after ? { after } : {}) });
    const res = await getJson(`${hub.url}/v1/feeds/giro_requests?${q}`, FEED_KEY);
    expect(res.status).toBe(200);
    return (await res.json()) as Page;
  };

  let firstEvent: ReturnType<typeof giro>;
  beforeAll(async () => {
    hub = await startLiveHub(home);
    const first = Array.from({ length: 10 }, () => giro());
    firstEvent = first[0]!;
    await post(first);
    // Not a request to fulfil: the feed's filter leaves a request of 0 packs out.
    await post([giro({ pack_size: 0 })]);
  });
  afterAll(async () => {
    await hub.stop();
    rmSync(home, { recursive: true, force: true });
  });

  it('serves only feed keys that name the feed: 401 without or with an unknown key, 403 for any other key, 404 for no feed', async () => {
    const url = `${hub.url}/v1/feeds/giro_requests`;
    expect((await getJson(url)).status).toBe(401);
    expect((await getJson(url, 'unknown')).status).toBe(401);
    expect((await getJson(url, READ_KEY)).status).toBe(403);
    expect((await getJson(url, PRODUCER_KEY)).status).toBe(403);
    expect((await getJson(url, OTHER_FEED_KEY)).status).toBe(403);
    expect((await getJson(`${hub.url}/v1/feeds/some_other_feed`, OTHER_FEED_KEY)).status).toBe(404);
    // A feed key asking for a name that is no feed: 404, not 403 as if the feed existed (until 2026-12-02).
    const unknown = await getJson(`${hub.url}/v1/feeds/other`, FEED_KEY);
    expect(unknown.status).toBe(404);
    expect(await unknown.json()).toEqual({ error: { code: 'not_found', message: 'no such feed' } });
    // Keys of other scopes learn nothing of which feeds exist: 403 whatever the name.
    expect((await getJson(`${hub.url}/v1/feeds/other`, READ_KEY)).status).toBe(403);
    expect((await getJson(`${hub.url}/v1/feeds/other`)).status).toBe(401);
    expect((await getJson(`${hub.url}/v1/totals`, FEED_KEY)).status).toBe(403);
    expect((await getJson(url, FEED_KEY)).status).toBe(200);
    // `1e2` and `0x10` are refused as other number parameters refuse them (until 2026-12-02 `1e2` read as 100).
    // A cursor only as the hub hands one out: `007` was read as 7 and echoed back as next (until 2026-12-02).
    for (const q of ['?after=abc', '?after=007', '?after=00', '?after=+7', '?limit=0', '?limit=5000', '?limit=1e2', '?limit=0x10', '?sql=1']) expect((await getJson(`${url}${q}`, FEED_KEY)).status).toBe(400);
  });

  it('hands out every record exactly once in landing order, with stable cursors, while more land', async () => {
    const seen: string[] = [];
    const pages: { after: string | null; page: Page }[] = [];
    let after: string | null = null;
    let landed = 0;
    for (;;) {
      const page = await fetchPage(after);
      pages.push({ after, page });
      if (!page.rows.length) {
        // An empty page keeps the cursor, so the supplier asks again from the same place.
        expect(page.next).toBe(after);
        if (landed >= 3) break;
      } else {
        expect(page.next).not.toBeNull();
        seen.push(...page.rows.map((r) => String(r.school_giro_request_id)));
      }
      after = page.next;
      if (landed < 3) {
        // Between pages: new requests, one dated before everything served so far, and a re-send of a served one.
        landed++;
        await post([giro({ requested_at: '2026-01-01T00:00:00Z', occurred_at: '2026-01-01T00:00:00Z' }), giro(), firstEvent]);
      }
    }
    const expected = [...Array.from({ length: 10 }, (_, i) => `sgr-${i + 1}`), ...Array.from({ length: 3 }, (_, k) => [`sgr-${12 + k * 2}`, `sgr-${13 + k * 2}`]).flat()];
    expect(seen).toEqual(expected);
    expect(new Set(seen).size).toBe(seen.length);
    // A cursor gives the same rows back; a page that was short then has only gained rows landed since, at its end.
    for (const { after: a, page } of pages.filter((p) => p.page.rows.length)) {
      expect((await fetchPage(a)).rows.slice(0, page.rows.length)).toEqual(page.rows);
    }
    const first = pages[0]!.page.rows[0]!;
    expect(first).toEqual({
      school_giro_request_id: 'sgr-1', school_name: 'St Example Primary 1', school_urn: '100001', address_line1: '1 School Lane', address_line2: null,
      town: 'Exampleton', postcode: 'EX1 2MP', country: 'GB', pack_size: 30, requested_at: '2026-11-20T09:00:00.000Z', campaign: 'appeal-night-2026',
      changed_at: '2026-11-20T09:00:00.000Z',
    });
  });

  it('refuses a cursor past the end of the feed (409): a stale cursor must not skip the rows up to it', async () => {
    const whole = await fetchPage(null, 1000);
    const last = Number(whole.next);
    // Caught up: the last cursor handed out gives an empty page and keeps the cursor.
    expect(await fetchPage(String(last))).toEqual({ rows: [], next: String(last) });
    for (const after of [String(last + 1), '999']) {
      const res = await getJson(`${hub.url}/v1/feeds/giro_requests?after=${after}`, FEED_KEY);
      expect(res.status).toBe(409);
      const body = (await res.json()) as { error: { code: string; message: string } };
      expect(body.error.code).toBe('cursor_past_end');
      expect(body.error.message).toContain(`its last position is ${last}`);
      expect(body.error.message).toContain('start again without after');
    }
  });

  it('records each fetch for audit with the key label, never the key', async () => {
    const before = await fetchPage(null, 2);
    await waitLanded(hub);
    const rows = await hub.runtime.query.query(
      `SELECT feed, key_label, "after", "next", "rows" FROM feed_fetch WHERE "after" IS NULL AND "rows" = 2`,
    );
    expect(rows).toEqual([{ feed: 'giro_requests', key_label: 'feed#1', after: null, next: before.next, rows: 2 }]);
    const all = await hub.runtime.query.query('SELECT * FROM feed_fetch');
    expect(all.length).toBeGreaterThan(5);
    expect(JSON.stringify(all)).not.toContain(FEED_KEY);
  });

  it('answers no HEAD (405, Allow: GET), so nothing is recorded as served that was not', async () => {
    const res = await fetch(`${hub.url}/v1/feeds/giro_requests?after=1&limit=3`, { method: 'HEAD', headers: { authorization: `Bearer ${FEED_KEY}` } });
    expect([res.status, res.headers.get('allow')]).toEqual([405, 'GET']);
    await waitLanded(hub);
    const recorded = await hub.runtime.query.query(`SELECT count(*)::INTEGER AS n FROM feed_fetch WHERE "after" = '1' AND "rows" = 3`);
    expect(recorded).toEqual([{ n: 0 }]);
  });

  it('keeps positions across a restart, and rebuilds a lost log from the lake in landing order', async () => {
    const before = await fetchPage(null, 1000);
    await hub.stop();
    hub = await startLiveHub(home);
    expect(await fetchPage(null, 1000)).toEqual(before);
    // The start's catch-up took no position: a row landed now is the next one (until 2026-12-02 it came the
    // lake's size later, each start's catch-up using up a number per row already logged).
    await post([giro()]);
    expect(await fetchPage(before.next, 1000)).toEqual({ rows: [expect.objectContaining({ school_giro_request_id: `sgr-${n}` })], next: String(Number(before.next) + 1) });
    const whole = await fetchPage(null, 1000);
    await hub.stop();
    for (const f of ['feeds.db', 'feeds.db-wal', 'feeds.db-shm']) rmSync(join(home, f), { force: true });
    hub = await startLiveHub(home);
    // Rebuilt from the lake: the same rows, in arrival order (rows of one batch arrived together: by id).
    const rebuilt = await fetchPage(null, 1000);
    const ids = (p: Page) => p.rows.map((r) => String(r.school_giro_request_id));
    expect(ids(rebuilt).sort()).toEqual(ids(whole).sort());
    expect(new Set(ids(rebuilt).slice(0, 10))).toEqual(new Set(ids(whole).slice(0, 10)));
  });

  it("fills in changed_at, from the lake, for the rows an older hub's feeds.db holds without it, at their positions", async () => {
    const whole = await fetchPage(null, 1000);
    expect(whole.rows.every((r) => typeof r.changed_at === 'string')).toBe(true);
    await hub.stop();
    // The log as a hub before 2026-12-02 wrote it: the same table, its rows without changed_at.
    const db = new Database(join(home, 'feeds.db'));
    db.prepare("UPDATE feed_row SET row = json_remove(row, '$.changed_at')").run();
    expect(db.prepare("SELECT count(*) AS n FROM feed_row WHERE json_type(row, '$.changed_at') IS NOT NULL").get()).toEqual({ n: 0 });
    db.close();
    hub = await startLiveHub(home);
    // Until 2026-12-02 these rows were served without it (null to a supplier) for good.
    expect(await fetchPage(null, 1000)).toEqual(whole);
  });

  it('gives each version a changed_at, so a supplier keeps a correction even when an older version lands after it', async () => {
    const whole = await fetchPage(null, 1000);
    const id = 'sgr-corrected';
    const version = (pack: number, updatedAt?: string) => giro({ school_giro_request_id: id, pack_size: pack, ...(updatedAt ? { updated_at: updatedAt } : {}) });
    await post([version(30)]);
    // The school asked for more; then the first correction, delayed, lands after it.
    await post([version(60, '2026-11-21T10:00:00Z')]);
    await post([version(45, '2026-11-20T15:00:00Z')]);
    const rows = (await fetchPage(whole.next, 1000)).rows.filter((r) => r.school_giro_request_id === id);
    expect(rows.map((r) => [r.pack_size, r.changed_at])).toEqual([
      [30, '2026-11-20T09:00:00.000Z'],
      [60, '2026-11-21T10:00:00.000Z'],
      [45, '2026-11-20T15:00:00.000Z'],
    ]);
    // What docs/supplier-feeds.md tells suppliers: per id, the row with the latest changed_at (the later one on a tie).
    const latest = rows.reduce((a, b) => (String(b.changed_at) >= String(a.changed_at) ? b : a));
    expect(latest.pack_size).toBe(60);
  });

  it('serves a request corrected to 0 packs (a cancellation), so the print house stops', async () => {
    const whole = await fetchPage(null, 1000);
    const id = 'sgr-cancelled';
    await post([giro({ school_giro_request_id: id, pack_size: 60 })]);
    await post([giro({ school_giro_request_id: id, pack_size: 0, updated_at: '2026-11-23T09:00:00Z' })]);
    const rows = (await fetchPage(whole.next, 1000)).rows.filter((r) => r.school_giro_request_id === id);
    // Until 2026-12-06 the second was left out, and the supplier's latest version of the request stayed at 60.
    expect(rows.map((r) => [r.pack_size, r.changed_at])).toEqual([
      [60, '2026-11-20T09:00:00.000Z'],
      [0, '2026-11-23T09:00:00.000Z'],
    ]);
  });
});
