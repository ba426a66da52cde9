// The operations dashboard while the live totals cannot be rebuilt from the lake (a donation file damaged while
// the hub was stopped): /healthz says `totals: {ready: false, failing_since}`, and until 2026-12-02 the dashboard
// did not read it, so its "Totals check" said "not checked yet" as if all were well. In a real browser: Debian's
// chromium, headless, driven by playwright-core.
import { mkdtempSync, rmSync, truncateSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { afterAll, describe, expect, it } from 'vitest';
import { launchChromium } from './browser.js';
import type { Hub } from '../../infra/local/hub.js';
import { replay } from '../../puddles/replay.js';
import { postEvents } from '../support/hub-process.js';
import { PRODUCER_KEY, READ_KEY, startLiveHub, waitLanded } from './live-hub.js';

/** Generous: the tests wait for the page to show it, not for how fast (a loaded machine is shared). */
const SHOWS_MS = 45_000;

describe('dashboard: live totals not rebuilt', { timeout: 180_000 }, () => {
  const home = mkdtempSync(join(tmpdir(), 'puddle-dash-totals-'));
  let hub: Hub | undefined;
  let browser: Browser | undefined;
  afterAll(async () => {
    await browser?.close();
    await hub?.stop();
    rmSync(home, { recursive: true, force: true });
  });

  const shows = (page: Page, id: string, match: string) =>
    page.waitForFunction(([i, m]) => document.querySelector(`[data-testid="${i}"]`)?.textContent?.includes(m!) ?? false, [id, match], { timeout: SHOWS_MS });

  it('says so in red with since when, and goes back to the totals check once they are rebuilt', async () => {
    hub = await startLiveHub(home);
    const res = await postEvents(hub.url, PRODUCER_KEY, [
      { contract: 'donation', version: 1, payload: { donation_id: 'dh-1', occurred_at: '2026-11-29T20:15:00Z', channel: 'online', amount_minor: 1000, currency: 'GBP' } },
    ]);
    expect(res.status).toBe(202);
    await res.arrayBuffer();
    await waitLanded(hub);
    const files = await hub.runtime.catalog.listFiles({ contract: 'donation' });
    await hub.stop();
    hub = undefined;
    for (const f of files) truncateSync(join(home, f.key), 100);

    // Raw lands at once: the second test re-derives a file from it.
    hub = await startLiveHub(home, { totalsRetryMs: 200, rawLingerMs: 0 });
    const health = (await (await fetch(`${hub.url}/healthz`)).json()) as { totals: { ready: boolean; failing_since?: string } };
    expect(health.totals.ready).toBe(false);
    const since = health.totals.failing_since!;

    browser = await launchChromium();
    const page = await browser.newPage();
    await page.goto(`${hub.url}/?key=${READ_KEY}`);
    await shows(page, 'drift', 'not rebuilt');
    await shows(page, 'drift-detail', `live totals NOT REBUILT from the lake, failing since ${since.slice(11, 19)}Z`);
    expect(await page.getAttribute('[data-testid="drift"]', 'class')).toContain('bad');
    expect(await page.getAttribute('[data-testid="drift-detail"]', 'class')).toContain('bad');
    // The status's other parts answer: the quarantine count reads no donation file. Until 2026-12-03 a view's
    // comment naming recon_breaks made it create donation's view too, and the whole status failed (503).
    await shows(page, 'quarantine', '0');
    expect(await page.textContent('[data-testid="quarantine-detail"]')).toBe('records held with reasons');
    // The lake counts (the quarantine, the sources' sync runs) are reused answers: each says how old, as the
    // journey and breaks do. Until 2026-12-03 nothing said so.
    expect(await page.textContent('[data-testid="quarantine-age"]')).toMatch(/^as of \d\d:\d\d:\d\d UTC, \d+ s ago$/);
    await page.waitForFunction(() => /^sync runs as of \d\d:\d\d:\d\d UTC, \d+ s ago$/.test(document.querySelector('[data-testid="sources-age"]')?.textContent ?? ''), undefined, { timeout: SHOWS_MS });

    // The recovery docs/query-views.md gives ("A missing or damaged lake file"), beside the running hub: the line goes once the totals are rebuilt.
    await replay({ store: hub.runtime.store, catalog: hub.runtime.catalog, contract: 'donation' });
    await page.waitForFunction(() => !(document.querySelector('[data-testid="drift"]')?.textContent ?? '').includes('not rebuilt'), undefined, { timeout: SHOWS_MS });
    expect(await page.textContent('[data-testid="drift-detail"]')).toContain('live vs SQL');
    expect(await page.getAttribute('[data-testid="drift-detail"]', 'class')).not.toContain('bad');
  });

  it('says the totals check fails, in red, with the damaged file and what to do, not the last good check\'s "agrees"', async () => {
    // Until 2026-12-06 a check that failed was a log line only: the card went on saying "agrees", /healthz and
    // /v1/ops/status said all was well, and the damage showed at the next restart as a TV with no total (user test).
    const res = await postEvents(hub!.url, PRODUCER_KEY, [
      { contract: 'donation', version: 1, payload: { donation_id: 'dh-2', occurred_at: '2026-11-29T20:20:00Z', channel: 'online', amount_minor: 500, currency: 'GBP' } },
    ]);
    expect(res.status).toBe(202);
    await res.arrayBuffer();
    await waitLanded(hub!);
    expect((await hub!.totals.checkDrift())?.ok).toBe(true);
    const files = await hub!.runtime.catalog.listFiles({ contract: 'donation' });
    for (const f of files) truncateSync(join(home, f.key), 100);
    await hub!.totals.checkDrift();
    const status = (await (await fetch(`${hub!.url}/v1/ops/status`, { headers: { authorization: `Bearer ${READ_KEY}` } })).json()) as {
      totals: { drift: { ok: boolean }; check_failing: { since: string; failures: number; reason: string; message: string } | null };
    };
    expect(status.totals.drift.ok).toBe(true);
    expect(status.totals.check_failing).toMatchObject({ failures: 1 });
    expect(status.totals.check_failing!.message).toMatch(/^lake file lake\/transactions\/donation\/.* is listed in the catalog but is missing or damaged: re-derive it/);
    const health = (await (await fetch(`${hub!.url}/healthz`)).json()) as { totals: { check_failing_since?: string } };
    expect(health.totals.check_failing_since).toBe(status.totals.check_failing!.since);

    const page = await browser!.newPage();
    await page.goto(`${hub!.url}/?key=${READ_KEY}`);
    await shows(page, 'drift', 'check failing');
    await shows(page, 'drift-detail', `the check against SQL fails since ${status.totals.check_failing!.since.slice(11, 19)}Z`);
    expect(await page.textContent('[data-testid="drift-detail"]')).toMatch(/ ago \(1 try\): lake file lake\/transactions\/donation\/.* missing or damaged: re-derive it from raw with puddle replay --contract donation/);
    expect(await page.textContent('[data-testid="drift-detail"]')).toContain('; the last check that ran agreed');
    expect(await page.getAttribute('[data-testid="drift"]', 'class')).toContain('bad');

    // Re-derived beside the running hub, the next check runs: the card says "agrees" again.
    await replay({ store: hub!.runtime.store, catalog: hub!.runtime.catalog, contract: 'donation' });
    expect((await hub!.totals.checkDrift())?.ok).toBe(true);
    expect(hub!.totals.driftFailing()).toBeNull();
    await shows(page, 'drift', 'agrees');
    expect(await page.getAttribute('[data-testid="drift"]', 'class')).toContain('good');
  });
});
