// The operations dashboard's polled panels when their polls fail, in a real browser (Debian's chromium, headless,
// driven by playwright-core) on a real hub: a donation file damaged under the running hub (the journey and breaks
// answer 503 while the totals stream stays live), then the hub gone. Until 2026-12-03 each panel kept its last
// figures without a word (only the stream's dot showed trouble, and here it stays green), and a failed journey
// poll read "the journey view (recon_journey) is not on this lake yet".
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
const SHOWS_MS = 90_000;
const AT = '2026-11-29T20:15:00Z';
const donation = (id: string, amount: number) => ({ contract: 'donation', version: 1, payload: { donation_id: id, occurred_at: AT, channel: 'online', amount_minor: amount, currency: 'GBP' } });

describe('dashboard: a panel whose poll fails says its figures are not current', { timeout: 300_000 }, () => {
  const home = mkdtempSync(join(tmpdir(), 'puddle-dash-stale-'));
  let hub: Hub | undefined;
  let browser: Browser | undefined;
  afterAll(async () => {
    await browser?.close();
    await hub?.stop();
    rmSync(home, { recursive: true, force: true });
  });

  const note = (page: Page, id: string) => page.textContent(`[data-testid="poll-${id}"]`);
  const noteSays = (page: Page, id: string, match: string) =>
    page.waitForFunction(([i, m]) => document.querySelector(`[data-testid="poll-${i}"]`)?.textContent?.includes(m!) ?? false, [id, match], { timeout: SHOWS_MS });
  const noteGone = (page: Page, id: string) =>
    page.waitForFunction((i) => document.querySelector(`[data-testid="poll-${i}"]`)?.textContent === '', id, { timeout: SHOWS_MS });

  it('names the failure and the time of its figures, marks their card, and clears once the hub answers again', async () => {
    // Raw lands at once (no linger), so the replay below has every donation to re-derive.
    hub = await startLiveHub(home, { rawLingerMs: 0 });
    const res = await postEvents(hub.url, PRODUCER_KEY, [donation('st-1', 1000), donation('st-2', 2500)]);
    expect(res.status).toBe(202);
    await res.arrayBuffer();
    await waitLanded(hub);

    browser = await launchChromium();
    const page = await browser.newPage({ viewport: { width: 1400, height: 1200 } });
    await page.goto(`${hub.url}/?key=${READ_KEY}`);
    await page.waitForFunction(() => document.querySelectorAll('#funnel .row').length > 0, undefined, { timeout: SHOWS_MS });
    await page.waitForFunction(() => (document.querySelector('[data-testid="breaks-by-type"]')?.textContent ?? '').includes('DONATION_NOT_PAID'), undefined, { timeout: SHOWS_MS });
    expect(await note(page, 'funnel')).toBe('');
    expect(await note(page, 'breaks')).toBe('');

    // A bad disk under the running hub: every donation file cut short. The totals stream is in memory and stays live.
    const files = await hub.runtime.catalog.listFiles({ contract: 'donation' });
    expect(files.length).toBeGreaterThan(0);
    for (const f of files) truncateSync(join(home, f.key), 100);

    await noteSays(page, 'funnel', 'puddle replay --contract donation');
    const said = (await note(page, 'funnel'))!;
    expect(said).toMatch(/^NOT CURRENT: figures from \d\d:\d\d:\d\d UTC, \d+ s ago; the hub answered 503: lake file lake\/\S+ is listed in the catalog but is missing or damaged/);
    expect(said).not.toContain(home);
    await noteSays(page, 'breaks-by-type', 'the hub answered 503');
    await noteSays(page, 'breaks', 'the hub answered 503');
    // The figures stay (their card marked), not a claim that the view is missing.
    expect(await page.locator('#funnel .row').count()).toBe(5);
    expect(await page.textContent('#funnel')).not.toContain('not on this lake yet');
    expect(await page.getAttribute('#funnel', 'class')).toBe('funnel');
    expect(await page.evaluate(() => document.querySelector('#funnel')!.closest('.card')!.classList.contains('not-current'))).toBe(true);
    // What still answers says nothing: the status (queue, quarantine) reads no donation file, and the stream is live.
    expect(await note(page, 'queue')).toBe('');
    expect(await page.evaluate(() => document.body.dataset.link)).toBe('live');

    // The recovery docs/query-views.md gives ("A missing or damaged lake file"), beside the running hub: the notes go once the journey and breaks answer again.
    await replay({ store: hub.runtime.store, catalog: hub.runtime.catalog, contract: 'donation' });
    await noteGone(page, 'funnel');
    await noteGone(page, 'breaks');
    await page.waitForFunction(() => (document.querySelector('#funnel .row:nth-child(2)')?.textContent ?? '').endsWith('2'), undefined, { timeout: SHOWS_MS });
    expect(await page.evaluate(() => document.querySelector('#funnel')!.closest('.card')!.classList.contains('not-current'))).toBe(false);

    // The hub gone: every polled panel says so under its last figures. A poll that came in while the hub drained
    // was answered 503 ("the hub is stopping"), and its panel says that until its next poll finds no hub.
    await hub.stop();
    hub = undefined;
    for (const id of ['queue', 'quarantine', 'drift', 'sources', 'by-campaign', 'funnel', 'breaks']) {
      await noteSays(page, id, 'the hub did not answer');
      expect(await note(page, id)).toMatch(/^NOT CURRENT: figures from \d\d:\d\d:\d\d UTC, [^;]+ ago; the hub did not answer/);
    }
    await page.screenshot({ path: 'test-output/dashboard/not-current.png', fullPage: true });
    await page.close();
  });
});
