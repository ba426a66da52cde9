// A lake file the catalog lists, cut short (a full disk mid-copy, a bad restore): the read API said `500
// internal error`, and the CLI DuckDB's "No magic bytes found at end of file '/srv/...'" with a fragment of the
// SQL. Through the real hub: a 503 that names the file by its lake key and says what to do.
import { mkdtempSync, rmSync, truncateSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';

import type { Hub } from '../../infra/local/hub.js';
import { replay } from '../../puddles/replay.js';
import { postEvents } from '../support/hub-process.js';
import { getJson, PRODUCER_KEY, READ_KEY, startLiveHub, waitLanded } from './live-hub.js';

const AT = '2026-11-29T20:15:00Z';

/** A hub log line, as an operator's log reader sees it. */
interface LogLine {
  level: string;
  msg: string;
  file?: string;
}

describe('GET /v1/ops/breaks over a damaged lake file', () => {
  const home = mkdtempSync(join(tmpdir(), 'puddle-damaged-'));
  let hub: Hub;
  // The hub's log lines from its start: the first report of a damaged file is the one that must not be lost.
  const lines: LogLine[] = [];
  const write = process.stderr.write.bind(process.stderr);
  beforeAll(async () => {
    process.stderr.write = ((chunk: string | Uint8Array, ...rest: never[]) => {
      for (const text of String(chunk).split('\n')) if (text.startsWith('{')) lines.push(JSON.parse(text) as LogLine);
      return write(chunk, ...rest);
    }) as typeof process.stderr.write;
    hub = await startLiveHub(home);
    const res = await postEvents(hub.url, PRODUCER_KEY, [
      { contract: 'donation', version: 1, payload: { donation_id: 'dmg-1', occurred_at: AT, channel: 'online', amount_minor: 1000, currency: 'GBP' } },
      { contract: 'payment', version: 2, payload: { payment_id: 'ch_dmg-1', donation_id: 'dmg-1', occurred_at: AT, provider: 'stripe', status: 'succeeded', amount_minor: 3500, currency: 'GBP' } },
    ]);
    expect(res.status).toBe(202);
    await res.arrayBuffer();
    await waitLanded(hub);
  }, 60_000);
  afterAll(async () => {
    await hub?.stop();
    process.stderr.write = write;
    rmSync(home, { recursive: true, force: true });
  });

  it('answers 503 naming the file by its lake key and what to do, with no SQL and no machine path', async () => {
    // Every payment file, history and current state alike (the hub's maintenance may have folded them).
    const files = await hub.runtime.catalog.listFiles({ contract: 'payment' });
    expect(files.length).toBeGreaterThan(0);
    for (const f of files) truncateSync(join(home, f.key), 100);

    const res = await getJson(`${hub.url}/v1/ops/breaks`, READ_KEY);
    expect(res.status).toBe(503);
    const body = (await res.json()) as { error: { code: string; message: string } };
    expect(body.error.code).toBe('lake_file_unavailable');
    expect(body.error.message).toMatch(
      /^lake file lake\/transactions\/payment\/v\d+\/\S+\.parquet is listed in the catalog but is missing or damaged: re-derive it from raw with puddle replay --contract payment, which replaces it \(or restore it from a backup\)$/,
    );
    expect(files.map((f) => f.key)).toContain(body.error.message.split(' ')[2]);
    expect(body.error.message).not.toContain(home);
    expect(body.error.message).not.toMatch(/SELECT|magic/i);
  });

  // Until 2026-12-03 every failed read logged it: each open dashboard added two lines every 3 s until the replay.
  it('logs each damaged file once however often the dashboard asks, and once more, at warn, when the replay mends it', async () => {
    const damaged = () => lines.filter((l) => l.msg === 'a lake file is missing or damaged');
    const mended = () => lines.filter((l) => l.msg === 'a lake file is mended: the reads that failed on it answer again');
    // A dashboard's polls: the breaks and the journey read the damaged payment files, and fail each time.
    for (let poll = 0; poll < 4; poll++) {
      for (const path of ['/v1/ops/breaks', '/v1/ops/journey', '/v1/ops/status']) {
        const res = await getJson(`${hub.url}${path}`, READ_KEY);
        expect(res.status).toBe(path === '/v1/ops/status' ? 200 : 503);
        await res.arrayBuffer();
      }
    }
    const files = damaged().map((l) => l.file);
    expect(files.length).toBeGreaterThan(0);
    expect(files).toEqual([...new Set(files)]);
    expect(damaged().every((l) => l.level === 'error')).toBe(true);
    expect(mended()).toEqual([]);

    await replay({ store: hub.runtime.store, catalog: hub.runtime.catalog, contract: 'payment' });
    await vi.waitFor(
      async () => {
        for (const path of ['/v1/ops/breaks', '/v1/ops/journey']) {
          const res = await getJson(`${hub.url}${path}`, READ_KEY);
          await res.arrayBuffer();
          expect(res.status).toBe(200);
        }
      },
      { timeout: 60_000, interval: 200 },
    );
    // Once each, naming the file, at warn (a log read at warn sees both ends); no new report meanwhile.
    expect(mended().map((l) => l.file).sort()).toEqual([...files].sort());
    expect(mended().every((l) => l.level === 'warn')).toBe(true);
    expect(damaged().map((l) => l.file)).toEqual(files);
  }, 90_000);
});

describe('a read that comes in while the hub stops', () => {
  const home = mkdtempSync(join(tmpdir(), 'puddle-stopping-'));
  let hub: Hub;
  beforeAll(async () => {
    hub = await startLiveHub(home);
  }, 60_000);
  afterAll(async () => {
    await hub?.stop();
    rmSync(home, { recursive: true, force: true });
  });

  it('is told 503 with Retry-After to come back, not a 500 logged as a fault', async () => {
    // What a dashboard's poll meets once the hub's stop has closed its query engine but not yet its server.
    await hub.runtime.query.close();
    const res = await getJson(`${hub.url}/v1/ops/breaks`, READ_KEY);
    expect(res.status).toBe(503);
    expect(res.headers.get('retry-after')).toBe('5');
    expect(((await res.json()) as { error: { code: string } }).error.code).toBe('stopping');
  });
});

describe('the live totals over a donation file damaged while the hub was stopped', () => {
  const home = mkdtempSync(join(tmpdir(), 'puddle-damaged-totals-'));
  let hub: Hub | undefined;
  afterAll(async () => {
    await hub?.stop();
    rmSync(home, { recursive: true, force: true });
  });

  it('say which file and what to do, then come back by themselves once replay has re-derived it', async () => {
    hub = await startLiveHub(home);
    const res = await postEvents(hub.url, PRODUCER_KEY, [
      { contract: 'donation', version: 1, payload: { donation_id: 'dmg-t1', occurred_at: AT, channel: 'online', amount_minor: 1000, currency: 'GBP' } },
      { contract: 'donation', version: 1, payload: { donation_id: 'dmg-t2', occurred_at: AT, channel: 'sms', amount_minor: 500, currency: 'GBP' } },
    ]);
    expect(res.status).toBe(202);
    await res.arrayBuffer();
    await waitLanded(hub);
    const files = await hub.runtime.catalog.listFiles({ contract: 'donation' });
    expect(files.length).toBeGreaterThan(0);
    await hub.stop();
    // A bad disk while the hub was down: every donation file cut short; raw, which replay reads, is intact.
    for (const f of files) truncateSync(join(home, f.key), 100);

    // The hub's own log lines, as an operator filtering at warn reads them.
    const lines: { level: string; msg: string }[] = [];
    const spy = vi.spyOn(process.stderr, 'write').mockImplementation((chunk) => {
      for (const l of String(chunk).split('\n')) if (l.startsWith('{')) lines.push(JSON.parse(l) as { level: string; msg: string });
      return true;
    });
    try {
      await damagedThenRecovered(files.map((f) => f.key));
    } finally {
      spy.mockRestore();
    }
    const atWarn = lines.filter((l) => l.level === 'warn' || l.level === 'error').map((l) => l.msg);
    expect(atWarn).toContain('live totals could not be rebuilt from the lake; /v1/totals answers 503; trying again every 0.1 s');
    expect(atWarn).toContain('live totals rebuilt from the lake after failing');
  }, 90_000);

  async function damagedThenRecovered(keys: string[]): Promise<void> {
    hub = await startLiveHub(home, { totalsRetryMs: 100 });
    // Health keeps `ok` and its 200 (events are accepted and land meanwhile) and says the totals are not rebuilt.
    const healthRes = await fetch(`${hub.url}/healthz`);
    expect(healthRes.status).toBe(200);
    const health = (await healthRes.json()) as { ok: boolean; totals: { ready: boolean; failing_since?: string } };
    expect(health.ok).toBe(true);
    expect(health.totals.ready).toBe(false);
    expect(Date.parse(health.totals.failing_since ?? '')).not.toBeNaN();
    const refused = await getJson(`${hub.url}/v1/totals`, READ_KEY);
    expect(refused.status).toBe(503);
    const body = (await refused.json()) as { error: { code: string; message: string } };
    expect(body.error.code).toBe('lake_file_unavailable');
    expect(keys).toContain(body.error.message.split(' ')[2]);
    expect(body.error.message).toContain('puddle replay --contract donation');
    expect(body.error.message).not.toContain(home);

    // The recovery docs/query-views.md gives ("A missing or damaged lake file"), while the hub runs: no restart needed for the TV to get its total back.
    await replay({ store: hub.runtime.store, catalog: hub.runtime.catalog, contract: 'donation' });
    const live = hub;
    await vi.waitFor(
      async () => {
        const ok = await getJson(`${live.url}/v1/totals`, READ_KEY);
        expect(ok.status).toBe(200);
        expect(((await ok.json()) as { total: unknown }).total).toEqual({ amount_minor: 1500, count: 2 });
      },
      { timeout: 20_000, interval: 100 },
    );
    expect(await (await fetch(`${live.url}/healthz`)).json()).toMatchObject({ ok: true, totals: { ready: true } });
    expect(((await (await fetch(`${live.url}/healthz`)).json()) as { totals: object }).totals).not.toHaveProperty('failing_since');
  }
});
