// The broadcaster's /tv when the link to the hub goes wrong, in a real browser (Debian's chromium, headless, driven by
// playwright-core) on a real `puddle start`: a hub that hangs (SIGSTOP: the socket stays open and says nothing, as a
// frozen VM or a link dropping packets does), and a hub restarted without the TV's key. The total on screen must
// never pass for live when it may be stale, never turn wrong or zero, and the page must come back by itself.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { launchChromium } from './browser.js';
import { formatMoney } from '../../web/src/money.js';
import { postEvents, startHubProcess, type HubProcess } from '../support/hub-process.js';

const PRODUCER = 'producer-key-link-trouble-01';
const READ = 'read-key-link-trouble-000002';
const TV = 'tv-key-link-trouble-00000003';
const OTHER_TV = 'tv-key-link-trouble-00000004';
/**
 * How long the page may take to notice and to show: the hub's heartbeat is 15 s, and a page calls a link dead after
 * two missed beats and some slack (web/src/live.ts); generous beyond that for a loaded two-core machine.
 */
const SHOWS_MS = 120_000;
const TEST_MS = 600_000;

const donation = (id: string, amount: number) => ({
  contract: 'donation',
  version: 1,
  payload: { donation_id: id, occurred_at: '2026-11-27T20:05:00Z', channel: 'sms', amount_minor: amount, currency: 'GBP', campaign: 'appeal-night-2026', cta: 'tv-sms' },
});

describe('/tv when the link to the hub goes wrong', { timeout: TEST_MS }, () => {
  const home = mkdtempSync(join(tmpdir(), 'puddle-tv-link-'));
  let hub: HubProcess | undefined;
  let port = '0';
  let browser: Browser;

  const start = async (tvKeys: string) => {
    hub = await startHubProcess({ PUDDLE_HOME: home, PORT: port, PUDDLE_API_KEYS: PRODUCER, PUDDLE_READ_KEYS: READ, PUDDLE_TV_KEYS: tvKeys });
    port = new URL(hub.url).port;
  };
  const stop = async () => {
    if (!hub) return;
    hub.child.kill('SIGCONT');
    hub.child.kill('SIGINT');
    await hub.exited;
    hub = undefined;
  };
  const post = async (events: unknown[]) => {
    const res = await postEvents(hub!.url, PRODUCER, events);
    expect(res.status).toBe(202);
    await res.arrayBuffer();
  };
  const shows = (page: Page, selector: string, text: string) =>
    page.waitForFunction(([s, t]) => document.querySelector(s!)?.textContent === t, [selector, text], { timeout: SHOWS_MS });
  const link = (page: Page, state: string) => page.waitForFunction((s) => document.body.dataset.link === s, state, { timeout: SHOWS_MS });

  beforeAll(async () => {
    await start(TV);
    await post([donation('link-1', 2500), donation('link-2', 1000)]);
    browser = await launchChromium();
  }, TEST_MS);
  afterAll(async () => {
    await browser?.close();
    await stop();
    rmSync(home, { recursive: true, force: true });
  });

  it('a hub that hangs: the page stops reading "live" under the frozen total, keeps the figure, and comes back when the hub does', async () => {
    const page = await browser.newPage({ viewport: { width: 1280, height: 720 } });
    await page.goto(`${hub!.url}/tv?key=${TV}`);
    await shows(page, '#total', '£35.00');
    await link(page, 'live');

    hub!.child.kill('SIGSTOP');
    try {
      // Until 2026-12-03 the socket stayed open and silent, and the page read "live" for as long as it did.
      await link(page, 'reconnecting');
      expect(await page.textContent('#state')).toMatch(/^no word from the hub since \d\d:\d\d:\d\d UTC: reconnecting$/);
      // The last figure stays, labelled, never a zero or a blank.
      expect(await page.textContent('#total')).toBe('£35.00');
    } finally {
      hub!.child.kill('SIGCONT');
    }
    await post([donation('link-3', 700)]);
    await shows(page, '#total', '£42.00');
    await link(page, 'live');
    await page.close();
  });

  it('a hub restarted without the TV\'s key: the page says its key is refused (not "reconnecting" for ever), and follows again once the key is back', async () => {
    // What the hub counts now (the test before adds to it), as the page shows it.
    const counted = async () => ((await (await fetch(`${hub!.url}/v1/totals`, { headers: { authorization: `Bearer ${READ}` } })).json()) as { total: { amount_minor: number } }).total.amount_minor;
    const before = await counted();
    const page = await browser.newPage({ viewport: { width: 1280, height: 720 } });
    await page.goto(`${hub!.url}/tv?key=${TV}`);
    await shows(page, '#total', formatMoney(before, 'GBP'));
    await stop();
    await start(OTHER_TV);
    // Until 2026-12-03 the page asked again every 2 s, read "reconnecting" for good, and its unknown key counted as a
    // guess each time: within a minute the hub refused the TV's address (429) for 5 minutes.
    await link(page, 'refused');
    expect(await page.textContent('#state')).toBe('the hub does not know this page\'s key: open /tv?key=<key> again (asking again every 30 s)');
    // Said beside the dot only: the label above the total is on air (until 2026-12-06 it took the reason too).
    expect(await page.textContent('#campaign')).toBe('All campaigns · all time');

    await stop();
    await start(TV);
    await post([donation('link-4', 300)]);
    await shows(page, '#total', formatMoney(before + 300, 'GBP'));
    await link(page, 'live');
    expect(await page.textContent('#campaign')).toBe('All campaigns · all time');
    await page.close();
  });
});
