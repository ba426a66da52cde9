// /tv as a broadcaster's graphics engineer put it on air (user test of 2026-12-06), in a real browser (Debian's
// chromium, headless, driven by playwright-core) on a real hub: a screen whose key already holds every live stream it
// may still shows the figure (read every 2 s) and takes a stream once one frees; a refused key's page is black, not
// a white frame on air; `?title=` names the campaign as the programme does.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { launchChromium, textIs } from './browser.js';
import type { Hub } from '../../infra/local/hub.js';
import { postLanded, startLiveHub, TV_KEY } from './live-hub.js';

const SHOWS_MS = 30_000;

const donation = (id: string, amount: number) => ({
  contract: 'donation',
  version: 1,
  payload: { donation_id: id, occurred_at: '2026-11-27T20:05:00Z', channel: 'sms', amount_minor: amount, currency: 'GBP', campaign: 'appeal-night-2026', cta: 'tv-sms' },
});

describe('/tv on air', { timeout: 180_000 }, () => {
  const home = mkdtempSync(join(tmpdir(), 'puddle-tv-on-air-'));
  let hub: Hub;
  let browser: Browser;

  const post = (events: unknown[]) => postLanded(hub, events);
  const shows = (page: Page, selector: string, text: string) => textIs(page, selector, text, SHOWS_MS);
  const link = (page: Page, state: string) => page.waitForFunction((s) => document.body.dataset.link === s, state, { timeout: SHOWS_MS });

  beforeAll(async () => {
    // One stream a key, so that a second screen on the TV key is over its share.
    hub = await startLiveHub(home, { maxStreams: 4, maxStreamsPerKey: 1 });
    await post([donation('air-1', 2500)]);
    browser = await launchChromium();
  });
  afterAll(async () => {
    await browser?.close();
    await hub?.stop();
    rmSync(home, { recursive: true, force: true });
  });

  it('a screen whose key holds all its streams shows the figure, read every 2 s, says so, and goes live once a stream frees', async () => {
    const context = await browser.newContext({ viewport: { width: 1280, height: 720 } });
    const first = await context.newPage();
    await first.goto(`${hub.url}/tv?key=${TV_KEY}`);
    await shows(first, '#total', '£25.00');
    await link(first, 'live');
    // A screen reader hears the total with what it counts, once, not the bare figure at every update.
    await shows(first, '#spoken', 'All campaigns · all time: £25.00, 1 donation');
    expect(await first.getAttribute('#spoken', 'role')).toBe('status');
    expect(await first.getAttribute('#total', 'aria-live')).toBeNull();

    const second = await context.newPage();
    await second.goto(`${hub.url}/tv`);
    // Until 2026-12-06 this page stayed blank under "reconnecting" for as long as the first held the key's stream.
    await shows(second, '#total', '£25.00');
    await link(second, 'polling');
    // The tab's title and the dot's shape say it too, not the dot's colour alone.
    expect(await second.title()).toBe('Polling · Live total');
    expect(await second.$eval('.dot', (e) => getComputedStyle(e).borderRadius)).toBe('0px');
    await shows(second, '#spoken', "Not live: read every 2 s (this page's key holds all the live streams it may): close other pages on it, or give this screen a key of its own");
    expect(await second.textContent('#state')).toBe(
      "read every 2 s (this page's key holds all the live streams it may): close other pages on it, or give this screen a key of its own",
    );
    // The figure still follows the night.
    await post([donation('air-2', 1000)]);
    await shows(second, '#total', '£35.00');
    await shows(second, '#count', '2 donations');
    expect(await second.evaluate(() => document.body.dataset.link)).toBe('polling');

    // The first screen goes: the second takes the place and is live again, as is the figure.
    await first.close();
    await link(second, 'live');
    await shows(second, '#spoken', 'Live again');
    expect(await second.title()).toBe('Live total');
    expect(await second.$eval('.dot', (e) => getComputedStyle(e).borderRadius)).toBe('50%');
    await post([donation('air-3', 500)]);
    await shows(second, '#total', '£40.00');
    await context.close();
  });

  it("a refused key's /tv is white on black, as the page on air is, and drops the key from the address", async () => {
    const page = await browser.newPage({ viewport: { width: 1280, height: 720 } });
    const res = await page.goto(`${hub.url}/tv?key=not-a-key-of-this-hub-01&campaign=appeal-night-2026`);
    expect(res!.status()).toBe(401);
    expect(await page.textContent('h1')).toBe('Not a known key');
    const colours = await page.evaluate(() => {
      const s = getComputedStyle(document.body);
      return [s.backgroundColor, s.color];
    });
    expect(colours).toEqual(['rgb(0, 0, 0)', 'rgb(255, 255, 255)']);
    // The whole frame, not a white margin round a black body.
    const corner = await page.screenshot({ clip: { x: 0, y: 0, width: 4, height: 4 } });
    const png = await page.evaluate(async (b64) => {
      const img = new Image();
      img.src = `data:image/png;base64,${b64}`;
      await img.decode();
      const c = document.createElement('canvas');
      c.width = img.width;
      c.height = img.height;
      const g = c.getContext('2d')!;
      g.drawImage(img, 0, 0);
      return [...g.getImageData(0, 0, 1, 1).data];
    }, corner.toString('base64'));
    expect(png.slice(0, 3)).toEqual([0, 0, 0]);
    expect(new URL(page.url()).search).toBe('?campaign=appeal-night-2026');
    // Laid out for a phone too, its words in a main landmark (an accessibility review).
    expect(await page.getAttribute('meta[name=viewport]', 'content')).toBe('width=device-width, initial-scale=1');
    expect(await page.textContent('main h1')).toBe('Not a known key');
    // The operations page's refusal stays as its page is, dark text on white.
    const ops = await browser.newPage();
    await ops.goto(`${hub.url}/?key=not-a-key-of-this-hub-01`);
    expect(await ops.evaluate(() => getComputedStyle(document.body).backgroundColor)).toBe('rgba(0, 0, 0, 0)');
    await page.close();
    await ops.close();
  });

  it('keeps its words readable on a small screen, and its label a heading', async () => {
    const page = await browser.newPage({ viewport: { width: 320, height: 640 } });
    await page.goto(`${hub.url}/tv?key=${TV_KEY}`);
    await link(page, 'live');
    // Until 2026-12-06 every size was in vw: the status line was 4.5 px here, and browser zoom could not enlarge it.
    const px = (selector: string) => page.$eval(selector, (e) => parseFloat(getComputedStyle(e).fontSize));
    expect(await px('.status')).toBeGreaterThanOrEqual(14);
    expect(await px('#campaign')).toBeGreaterThanOrEqual(20);
    expect(await page.$eval('#campaign', (e) => e.tagName)).toBe('H1');
    await page.close();
  });

  it('?title= names the campaign on air; the window stays beside it, and the stream still counts the campaign asked', async () => {
    const page = await browser.newPage({ viewport: { width: 1280, height: 720 } });
    await page.goto(`${hub.url}/tv?key=${TV_KEY}&campaign=appeal-night-2026&title=${encodeURIComponent('  Appeal Night 2026 ')}`);
    await shows(page, '#campaign', 'Appeal Night 2026 · all time');
    // One stream a key: the page polls or streams, either way it counts the campaign, not the title.
    await shows(page, '#total', '£40.00');
    // A title of spaces alone names nothing: the campaign shows.
    await page.goto(`${hub.url}/tv?campaign=appeal-night-2026&title=%20%20`);
    await shows(page, '#campaign', 'appeal-night-2026 · all time');
    await page.close();
  });
});
