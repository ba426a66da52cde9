// What a tester saw on /tv and / on the appeal night, in a real browser (Debian's chromium, headless, driven by
// playwright-core): foreign currencies to their own exponent, a label saying what the total counts and a time
// window, a landing age that ticks, call-to-action lanes per campaign, and a chart that a mistyped year cannot
// stretch over two thousand years.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { launchChromium, textIs } from './browser.js';
import type { Hub } from '../../infra/local/hub.js';
import { getJson, postLanded, READ_KEY, startLiveHub, TV_KEY } from './live-hub.js';

const HOUR = 3_600_000;
// Tonight: two hours ago, in whole 15-minute boxes, so the boxes and windows below are exact; an hour earlier
// if that is after 23:00 UTC, so tonight's 45 minutes never cross midnight.
const TWO_HOURS_AGO = Math.floor((Date.now() - 2 * HOUR) / 900_000) * 900_000;
const TONIGHT = new Date(TWO_HOURS_AGO).getUTCHours() === 23 ? TWO_HOURS_AGO - HOUR : TWO_HOURS_AGO;
const NBSP = '\u00a0';
const iso = (ms: number) => new Date(ms).toISOString();

const donation = (id: string, over: Record<string, unknown>) => ({
  contract: 'donation',
  version: 1,
  payload: { donation_id: id, occurred_at: iso(TONIGHT), channel: 'online', amount_minor: 1000, currency: 'GBP', campaign: 'appeal-night', cta: 'tv-qr', ...over },
});

describe('/tv and / as the tester saw them', () => {
  const home = mkdtempSync(join(tmpdir(), 'puddle-tv-pages-'));
  let hub: Hub;
  let browser: Browser;

  const post = (events: unknown[]) => postLanded(hub, events);
  const open = async (path: string, key = READ_KEY): Promise<Page> => {
    const page = await browser.newPage({ viewport: { width: 1600, height: 1000 } });
    await page.goto(`${hub.url}${path}${path.includes('?') ? '&' : '?'}key=${key}`);
    return page;
  };

  beforeAll(async () => {
    hub = await startLiveHub(home);
    await post([
      // A campaign in Uganda: shillings have no minor unit, CFA francs neither, Iraqi dinars three decimals.
      donation('ug-1', { campaign: 'uganda', currency: 'UGX', amount_minor: 50_000 }),
      donation('ug-2', { campaign: 'uganda', currency: 'XOF', amount_minor: 1000 }),
      donation('ug-3', { campaign: 'uganda', currency: 'IQD', amount_minor: 1234 }),
      // The appeal: October's pledges (the demo's world), and tonight's in two lanes, tv-sms crossing midnight
      // of no day, social reaching back to a pledge in October.
      donation('oct-1', { occurred_at: '2026-10-10T19:05:00Z', amount_minor: 5000, cta: 'social' }),
      donation('tonight-1', { occurred_at: iso(TONIGHT), amount_minor: 2500, cta: 'tv-sms' }),
      donation('tonight-2', { occurred_at: iso(TONIGHT + 20 * 60_000), amount_minor: 1500, cta: 'tv-sms' }),
      donation('tonight-3', { occurred_at: iso(TONIGHT + 40 * 60_000), amount_minor: 700, cta: 'social' }),
      // A date mistyped a century early (a year before 1900 is refused: core/contracts/time-bounds.ts).
      donation('typo-1', { occurred_at: '1926-11-29T19:00:00Z', amount_minor: 100, cta: 'tv-qr' }),
    ]);
    browser = await launchChromium();
  });
  afterAll(async () => {
    await browser?.close();
    await hub?.stop();
    rmSync(home, { recursive: true, force: true });
  });

  it('/tv shows shillings, CFA francs and dinars to their own ISO 4217 exponent', async () => {
    const page = await open('/tv?campaign=uganda', TV_KEY);
    // Three currencies, one pledge each: the main one is the first code alphabetically (IQD).
    await textIs(page, '#total', `IQD${NBSP}1.234`);
    // The browser's own spacing (no-break spaces) between sign and digits, read here as plain spaces.
    const others = await page.$$eval('#others li', (lis) => lis.map((li) => li.textContent!.replace(/\s/g, ' ')));
    expect(others).toEqual(['+ UGX 50,000', '+ F CFA 1,000']);
    await page.close();
  });

  it('/tv says which campaign and which time the total counts, and takes ?from= so it can show just tonight', async () => {
    const all = await open('/tv', TV_KEY);
    await textIs(all, '#campaign', 'All campaigns · all time');
    // Every campaign, ever: the appeal's GBP, October's and the typo's included.
    await textIs(all, '#total', '£98.00');
    await all.close();

    const from = iso(TONIGHT - HOUR).slice(0, 16);
    const tonight = await open(`/tv?campaign=appeal-night&from=${from}`, TV_KEY);
    const label = await tonight.textContent('#campaign');
    expect(label).toMatch(/^appeal-night · since \d{1,2} \w{3} \d{2}:\d{2} UTC$/);
    expect(label).toContain(`${from.slice(11, 16)} UTC`);
    await textIs(tonight, '#total', '£47.00');
    await textIs(tonight, '#count', '3 donations');
    await tonight.close();
  });

  it('/tv before the first donation shows a neutral 0, or the currency it was told, never a pound sign', async () => {
    // Nothing yet in the window (it opens at the end of today): no main currency.
    const tomorrow = new Date(Date.now() + 86_400_000).toISOString().slice(0, 10);
    const page = await open(`/tv?campaign=uganda&from=${tomorrow}`, TV_KEY);
    // Filtered on a campaign, it names the campaign it waits for: a typo (capitals count) reads as such.
    await textIs(page, '#count', 'no donation names the campaign “uganda” yet');
    expect(await page.textContent('#total')).toBe('0');
    await page.close();
    const told = await open(`/tv?campaign=uganda&from=${tomorrow}&currency=ugx`, TV_KEY);
    await textIs(told, '#total', `UGX${NBSP}0`);
    await told.close();
  });

  it('/tv with a mistyped window says what is wrong instead of reconnecting for ever', async () => {
    const page = await open('/tv?from=2026-11-31', TV_KEY);
    await page.waitForFunction(() => document.body.dataset.link === 'refused', null, { timeout: 10_000 });
    expect(await page.textContent('#state')).toBe('from must be an ISO timestamp or a date YYYY-MM-DD, on the calendar');
    // The label under the total says no time is counted, and why: it read "all time" (or the rolled-over 1 Dec).
    expect(await page.textContent('#campaign')).toBe('All campaigns · window refused: from must be an ISO timestamp or a date YYYY-MM-DD, on the calendar');
    await page.close();
  });

  it('/tv refuses an impossible date from its own reading, before the hub answers, instead of rolling it over', async () => {
    const page = await browser.newPage({ viewport: { width: 1600, height: 1000 } });
    // The hub's answer never comes: what the label says is the page's own reading of ?to=.
    await page.route('**/v1/totals**', () => undefined);
    await page.goto(`${hub.url}/tv?campaign=appeal-night&from=2026-11-01&to=2026-02-30&key=${TV_KEY}`);
    // Date.parse read 2026-02-30 as 2 March, and the label showed "1 Nov 00:00 UTC to 3 Mar 00:00 UTC".
    await textIs(page, '#campaign', 'appeal-night · window refused: to must be an ISO timestamp or a date YYYY-MM-DD, on the calendar');
    await page.close();
  });

  it('/tv with a window the browser reads but the hub refuses (to before from) says it is refused, not the window', async () => {
    const page = await open('/tv?campaign=appeal-night&from=2026-11-28&to=2026-11-27', TV_KEY);
    await page.waitForFunction(() => document.body.dataset.link === 'refused', null, { timeout: 10_000 });
    expect(await page.textContent('#campaign')).toBe('appeal-night · window refused: to must be after from (boxes whose start is in [from, to) are counted)');
    await page.close();
  });

  it('/ with a window the hub refuses says so beside the campaign, not a window it does not count', async () => {
    const page = await open('/?campaign=appeal-night&from=2026-11-31');
    await page.waitForFunction(() => document.body.dataset.link === 'refused', null, { timeout: 10_000 });
    expect(await page.textContent('#scope')).toBe('appeal-night, window refused: from must be an ISO timestamp or a date YYYY-MM-DD, on the calendar');
    await page.close();
  });

  it('/ ticks the newest landing\'s age between documents, and a quiet hub past two minutes is not orange', async () => {
    const page = await open('/');
    await page.waitForFunction(() => /^newest landed \d+ s ago$/.test(document.getElementById('asof')?.textContent ?? ''));
    const first = await page.textContent('#asof');
    // Nothing lands meanwhile, so no document comes: the age still moves on.
    await page.waitForFunction((t) => document.getElementById('asof')?.textContent !== t, first, { timeout: 5000 });
    expect(await page.getAttribute('#asof', 'class')).toBe('');
    // Three minutes on (the page's clock only; timers keep running), with nothing waiting to land: a quiet hub, not
    // a stalled one, so not orange (test/live/dashboard-a11y.test.ts turns it orange with deliveries waiting).
    await page.waitForFunction(() => document.getElementById('queue')?.textContent === '0', null, { timeout: 45_000 });
    await page.clock.setFixedTime(Date.now() + 3 * 60_000);
    // The age was up to a minute before the jump (a loaded machine is slow to get here): 3 or 4 minutes.
    await page.waitForFunction(() => /^newest landed [34] min ago$/.test(document.getElementById('asof')?.textContent ?? ''), null, { timeout: 5000 });
    expect(await page.getAttribute('#asof', 'class')).toBe('');
    await page.close();
  });

  it('GET /v1/ops/ctas honours ?campaign= and the window, and refuses a bad one with a 400', async () => {
    const ctas = async (query: string) => {
      const res = await getJson(`${hub.url}/v1/ops/ctas${query}`, READ_KEY);
      expect(res.status).toBe(200);
      return ((await res.json()) as { ctas: { cta: string; from: string; to: string; count: number }[] }).ctas;
    };
    // All campaigns: uganda's tv-qr lane sits tonight beside the appeal's typo in 1926.
    expect((await ctas('')).find((w) => w.cta === 'tv-qr')).toMatchObject({ from: '1926-11-29T19:00:00.000Z', to: iso(TONIGHT + 15 * 60_000), count: 4 });
    expect(await ctas('?campaign=uganda')).toEqual([{ cta: 'tv-qr', from: iso(TONIGHT), to: iso(TONIGHT + 15 * 60_000), count: 3 }]);
    expect(await ctas(`?campaign=appeal-night&from=${iso(TONIGHT - HOUR)}`)).toEqual([
      { cta: 'tv-sms', from: iso(TONIGHT), to: iso(TONIGHT + 30 * 60_000), count: 2 },
      { cta: 'social', from: iso(TONIGHT + 30 * 60_000), to: iso(TONIGHT + 45 * 60_000), count: 1 },
    ]);
    expect(await ctas('?campaign=nobody')).toEqual([]);
    for (const [query, message] of [
      ['?campaign=a&campaign=b', 'campaign is given 2 times: give it once'],
      ['?from=2026-11-31', 'from must be an ISO timestamp or a date YYYY-MM-DD, on the calendar'],
      ['?by=cta', 'by is not a parameter (campaign, from, to)'],
    ]) {
      const res = await getJson(`${hub.url}/v1/ops/ctas${query}`, READ_KEY);
      expect(res.status).toBe(400);
      expect(await res.json()).toEqual({ error: { code: 'invalid_query', message } });
    }
  });

  it('/ labels call-to-action windows that cross a day with their dates, and keeps to the page\'s campaign', async () => {
    // From October: social's lane runs from the 10th to tonight; tv-sms stays within tonight; uganda's tv-qr
    // (another campaign) and the appeal's year-1 typo (before the window) have no lane.
    const page = await open('/?campaign=appeal-night&from=2026-10-01');
    await page.waitForFunction(() => document.querySelectorAll('#ctas span').length > 0);
    const labels = await page.$$eval('#ctas span', (spans) => spans.map((s) => s.textContent));
    const hm = (ms: number) => iso(ms).slice(11, 16);
    const day = new Date(TONIGHT).toLocaleDateString('en-GB', { timeZone: 'UTC', day: 'numeric', month: 'short' });
    expect(labels).toEqual([`social 10 Oct 19:00–${day} ${hm(TONIGHT + 45 * 60_000)}`, `tv-sms ${hm(TONIGHT)}–${hm(TONIGHT + 30 * 60_000)}`]);
    // The chart spans the page's window, and the stream sent only what is in it: nothing left out.
    await textIs(page, '#chart-window', `since 1 Oct 00:00 UTC`);
    expect(await page.textContent('#chart-outside')).toBe('');
    await page.close();
  });

  it('/ draws the last 24 hours, not the span from 1926, and says what it left out', async () => {
    const page = await open('/?campaign=appeal-night');
    await page.waitForSelector('#chart canvas');
    await textIs(page, '#chart-outside', 'not drawn: 2 pledges outside this span');
    expect(await page.textContent('#chart-window')).toMatch(/^last 24 hours, to \d{1,2} \w{3} \d{2}:\d{2} UTC$/);
    // Tonight's three pledges are three boxes 20 minutes apart: three bars, not one squeezed column.
    await expect.poll(() => page.evaluate(countBars), { timeout: 10_000 }).toBe(3);
    await page.close();
  });
});

/** Runs of bar-coloured pixels along one row just above the chart's x axis: the number of bars drawn. */
function countBars(): number {
  const canvas = document.querySelector('#chart canvas') as HTMLCanvasElement;
  const ctx = canvas.getContext('2d')!;
  const over = document.querySelector('#chart .u-over') as HTMLElement;
  const scale = canvas.width / canvas.getBoundingClientRect().width;
  const y = Math.round((over.offsetTop + over.offsetHeight - 3) * scale);
  const row = ctx.getImageData(0, y, canvas.width, 1).data;
  let runs = 0;
  let inBar = false;
  for (let x = 0; x < canvas.width; x++) {
    const [r, b, a] = [row[4 * x]!, row[4 * x + 2]!, row[4 * x + 3]!];
    const bar = a > 0 && b > 150 && r < 200 && b - r > 40;
    if (bar && !inBar) runs++;
    inBar = bar;
  }
  return runs;
}
