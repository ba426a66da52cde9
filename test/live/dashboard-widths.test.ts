// The operations dashboard's tables at the widths of common laptops, a tablet and phones, in a real browser (Debian's
// chromium, headless, driven by playwright-core) on a real hub. A user test of 2026-12-06: at 1280, 1366 and 1440 px
// Open breaks by type (a break's type on one line: RECURRING_PAID_AFTER_CLOSED) was 440 to 466 px wide in a card of
// 377 to 431, and scrolled within it with no sign that it did: its amounts read `£43.2` for £43.21, `£10.5` for £10.55,
// `JP¥5,00` for JP¥5,000, its heading `at stak`. A figure that looks precise and is wrong. Every table is checked: each
// numeric cell (amounts, counts) is whole in its cell and within its card, or its table visibly scrolls (a shadow at
// the edge with more beyond) and scrolling shows the cell whole.
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { launchChromium } from './browser.js';
import type { Hub } from '../../infra/local/hub.js';
import { postLanded, READ_KEY, startLiveHub } from './live-hub.js';

/** Screenshots for a person to look at; test-output/ is not committed. */
const SHOTS = resolve(import.meta.dirname, '..', '..', 'test-output', 'dashboard-widths');
const SHOWS_MS = 45_000;
/**
 * The breaks panel reads the whole lake, and the hub reuses such an answer (puddles/http/ops-routes.ts): how long it
 * may take to show the breaks on a loaded machine, as test/live/dashboard.test.ts allows, not how fast it should.
 */
const BREAKS_SHOW_MS = 300_000;
/** Laptops (1280 to 1440: where the amounts were cut), a tablet, 200% zoom on a laptop, and a phone. */
const WIDTHS = [1280, 1366, 1440, 1024, 640, 320];
/** The four-column tables: they fit their card from 320 px up, no scrolling. */
const FOUR_COLUMNS = ['by-channel', 'by-campaign', 'by-cta', 'breaks-by-type'];

const day = (daysAgo: number) => new Date(Date.now() - daysAgo * 86_400_000).toISOString().slice(0, 10);
/** Past every grace (DONATION_NOT_PAID's 2 days, GIFT_MISSING's 7, PAID_NOT_PAID_OUT's 10). */
const OLD = day(12);
const CAMPAIGN = 'appeal-night-2026-laptop-widths';
const donation = (id: string, amount: number, currency = 'GBP', channel = 'online') => ({
  contract: 'donation',
  version: 1,
  payload: { donation_id: id, occurred_at: `${OLD}T10:00:00Z`, channel, amount_minor: amount, currency, campaign: CAMPAIGN, cta: 'tv-qr' },
});
const payment = (id: string, donationId: string | undefined, amount: number) => ({
  contract: 'payment',
  version: 2,
  payload: { payment_id: id, ...(donationId ? { donation_id: donationId } : {}), occurred_at: `${OLD}T10:00:05Z`, provider: 'stripe', status: 'succeeded', amount_minor: amount, currency: 'GBP' },
});
/** A regular gift the CRM closed 30 days ago, and an instalment of it taken 12 days ago, recorded twice with one charge. */
const closedRegularGift = [
  ...['Active', 'Closed'].map((status, i) => ({
    contract: 'recurring_donation',
    version: 1,
    payload: { recurring_donation_id: 'rd-widths', occurred_at: `${day(60)}T10:00:00Z`, updated_at: `${day(i ? 30 : 60)}T10:00:00Z`, supporter_id: 'sup-widths', amount_minor: 1234, currency: 'GBP', installment_period: 'Monthly', status },
  })),
  { contract: 'gift', version: 2, payload: { gift_id: 'g-widths', occurred_at: `${OLD}T06:00:00Z`, supporter_id: 'sup-widths', amount_minor: 1234, currency: 'GBP', stage: 'Closed Won', is_won: true, close_date: OLD, recurring_donation_id: 'rd-widths' } },
  ...['gp-widths-1', 'gp-widths-2'].map((id, i) => ({
    contract: 'gift_payment',
    version: 1,
    payload: { gift_payment_id: id, occurred_at: `${OLD}T0${6 + i}:00:00Z`, gift_id: 'g-widths', amount_minor: 1234, currency: 'GBP', paid: true, payment_date: OLD, payment_ref: 'ch_widths_rd' },
  })),
  payment('ch_widths_rd', undefined, 1234),
];

/** What each open break by type must read in full: amounts whose last digit matters. */
const AT_STAKE: [type: string, currency: string, amount: string][] = [
  ['DONATION_NOT_PAID', 'GBP', '£43.21'],
  ['DONATION_NOT_PAID', 'JPY', 'JP¥5,000'],
  ['DONATION_NOT_PAID', 'EUR', '€1,234.56'],
  ['AMOUNT_MISMATCH', 'GBP', '£10.55'],
  ['PAYMENT_WITHOUT_DONATION', 'GBP', '£19.99'],
  ['RECURRING_PAID_AFTER_CLOSED', 'GBP', '£12.34'],
  ['GATEWAY_ID_REUSED', 'GBP', '£12.34'],
];

interface Measured {
  id: string;
  /** The wrapper scrolls: its table is wider than what it shows. */
  scrolls: boolean;
  overflowX: string;
  tableRight: number;
  /** The right edge of what the wrapper shows (its padding box, less any scrollbar). */
  shownRight: number;
  cells: { text: string; clipped: boolean; right: number }[];
}

/** Every table on the page: its numeric cells (amounts, counts, their headings) against what its wrapper shows. */
const measure = (page: Page): Promise<Measured[]> =>
  page.evaluate(() =>
    [...document.querySelectorAll<HTMLElement>('.table-scroll')].map((w) => {
      const t = w.querySelector('table')!;
      const shownRight = w.getBoundingClientRect().left + w.clientLeft + w.clientWidth;
      const cells = [...t.querySelectorAll<HTMLElement>('th.num, td.num')].map((c) => ({
        text: c.textContent ?? '',
        clipped: c.scrollWidth > c.clientWidth,
        right: c.getBoundingClientRect().right,
      }));
      return { id: t.id, scrolls: w.scrollWidth > w.clientWidth, overflowX: getComputedStyle(w).overflowX, tableRight: t.getBoundingClientRect().right, shownRight, cells };
    }),
  );

describe('dashboard: every amount whole at every width', { timeout: 600_000 }, () => {
  const home = mkdtempSync(join(tmpdir(), 'puddle-dash-widths-'));
  let hub: Hub | undefined;
  let browser: Browser;
  let page: Page;
  /** A blank page that reads a screenshot's pixels (the dashboard's own page is left alone). */
  let pixels: Page;

  /** The mean of R, G and B at each point (x, y) of a PNG. */
  const shades = (png: Buffer, points: [number, number][]) =>
    pixels.evaluate(async ({ b64, points }) => {
      const bytes = Uint8Array.from(atob(b64), (ch) => ch.charCodeAt(0));
      const bitmap = await createImageBitmap(new Blob([bytes], { type: 'image/png' }));
      const ctx = new OffscreenCanvas(bitmap.width, bitmap.height).getContext('2d')!;
      ctx.drawImage(bitmap, 0, 0);
      return points.map(([x, y]) => {
        const [r, g, b] = ctx.getImageData(x, y, 1, 1).data;
        return (r! + g! + b!) / 3;
      });
    }, { b64: png.toString('base64'), points });

  /**
   * How dark a table's wrapper is at its left edge, its middle and its right edge, in the first pixel rows of the
   * header (the cells' padding: no text, no border), with the wrapper scrolled to `to`.
   */
  const edges = async (id: string, to: 'start' | 'end') => {
    const wrapper = page.locator('.table-scroll', { has: page.locator(`#${id}`) });
    const at = await wrapper.evaluate((w, end) => {
      w.scrollLeft = end ? w.scrollWidth : 0;
      const th = w.querySelector('th')!;
      return { width: w.clientWidth, y: Math.ceil(th.getBoundingClientRect().top - w.getBoundingClientRect().top) + 1 };
    }, to === 'end');
    const png = await wrapper.screenshot();
    const [left, middle, right] = await shades(png, [[1, at.y], [Math.floor(at.width / 2), at.y], [at.width - 2, at.y]]);
    return { left: left!, middle: middle!, right: right! };
  };

  beforeAll(async () => {
    mkdirSync(SHOTS, { recursive: true });
    hub = await startLiveHub(home);
    await postLanded(hub, [
      // No payment: DONATION_NOT_PAID, in three currencies.
      donation('widths-unpaid-gbp', 4321),
      donation('widths-unpaid-jpy', 5000, 'JPY', 'call_centre'),
      donation('widths-unpaid-eur', 123456, 'EUR', 'call_centre'),
      // Paid 30.55 for 20.00: AMOUNT_MISMATCH of 10.55.
      donation('widths-mismatch', 2000),
      payment('ch_widths_mismatch', 'widths-mismatch', 3055),
      // A payment naming a donation nobody sent: PAYMENT_WITHOUT_DONATION.
      payment('ch_widths_orphan', 'widths-never-sent', 1999),
      // RECURRING_PAID_AFTER_CLOSED and GATEWAY_ID_REUSED (and, with CRM records, GIFT_MISSING for the other payments).
      ...closedRegularGift,
    ]);
    browser = await launchChromium();
    pixels = await browser.newPage();
    page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
    page.setDefaultTimeout(SHOWS_MS);
    await page.goto(`${hub.url}/?key=${READ_KEY}`);
    await page.waitForFunction(
      (want) => {
        const rows = [...document.querySelectorAll<HTMLTableRowElement>('#breaks-by-type tbody tr')].map((tr) => [...tr.cells].map((td) => td.textContent));
        return want.every(([type, currency, amount]) => rows.some((r) => r[0] === type && r[1] === currency && r[3] === amount));
      },
      AT_STAKE,
      { timeout: BREAKS_SHOW_MS },
    );
    await page.waitForFunction(() => document.querySelectorAll('#sources tbody tr').length > 0 && document.querySelectorAll('#by-campaign tbody tr td').length >= 4 && document.querySelectorAll('#by-cta tbody tr td').length >= 4);
  }, 600_000);
  afterAll(async () => {
    await browser?.close();
    await hub?.stop();
    rmSync(home, { recursive: true, force: true });
  });

  it('shows each open break\'s amount at stake, and every other figure, in full at 1280, 1366, 1440, 1024, 640 and 320 px', async () => {
    // The break types are whole words in the page's text (a narrow column wraps them after an underscore only).
    const types = await page.$$eval('#breaks-by-type tbody td:first-child', (tds) => tds.map((td) => td.textContent));
    expect(types).toEqual(expect.arrayContaining(['RECURRING_PAID_AFTER_CLOSED', 'PAYMENT_WITHOUT_DONATION', 'AMOUNT_MISMATCH']));

    /** The tables that had to scroll, by width: the checks of the shadow ran. */
    const scrolled: string[] = [];
    for (const width of WIDTHS) {
      await page.setViewportSize({ width, height: 900 });
      // Reflowed (the chart follows its card once the browser has laid it out): nothing wider than the window.
      await page.waitForFunction((w) => document.documentElement.scrollWidth <= w, width, { timeout: 5000 });
      await page.evaluate(() => document.querySelectorAll('.table-scroll').forEach((w) => (w.scrollLeft = 0)));
      await page.locator('.card', { has: page.locator('#breaks-by-type') }).screenshot({ path: join(SHOTS, `breaks-by-type-${width}.png`) });
      const tables = await measure(page);
      expect(tables.map((t) => t.id).sort()).toEqual(['breaks', 'breaks-by-type', 'by-campaign', 'by-channel', 'by-cta', 'sources']);

      for (const t of tables) {
        const at = `#${t.id} at ${width} px (table to ${Math.round(t.tableRight)}, shown to ${Math.round(t.shownRight)})`;
        expect(t.cells.length, at).toBeGreaterThan(0);
        // Each figure whole within its own cell.
        expect(t.cells.filter((c) => c.clipped).map((c) => c.text), at).toEqual([]);
        // The four-column tables fit their card: Open breaks by type was 440 to 466 px in 377 to 431 at a laptop's width.
        if (FOUR_COLUMNS.includes(t.id)) expect(t.scrolls, at).toBe(false);
        if (!t.scrolls) {
          expect(t.tableRight, at).toBeLessThanOrEqual(t.shownRight + 0.5);
          expect(t.cells.filter((c) => c.right > t.shownRight + 0.5).map((c) => c.text), at).toEqual([]);
          continue;
        }
        // A table that must scroll (the six columns of Newest breaks and Sources on a phone) says so: it scrolls within
        // its card, a shadow darkens the edge that has more beyond it, and scrolled to its end every figure is whole.
        scrolled.push(`${t.id} at ${width}`);
        expect(t.overflowX, at).toMatch(/^(auto|scroll)$/);
        const start = await edges(t.id, 'start');
        expect(start.right, `${at}: a shadow on the right edge`).toBeLessThan(start.middle - 12);
        expect(start.left, `${at}: none on the left`).toBeGreaterThan(start.middle - 3);
        const end = await edges(t.id, 'end');
        expect(end.left, `${at}, scrolled to its end: a shadow on the left edge`).toBeLessThan(end.middle - 12);
        expect(end.right, `${at}, scrolled to its end: none on the right`).toBeGreaterThan(end.middle - 3);
        const atEnd = (await measure(page)).find((m) => m.id === t.id)!;
        expect(atEnd.cells.filter((c) => c.clipped || c.right > atEnd.shownRight + 0.5).map((c) => c.text), `${at}, scrolled to its end`).toEqual([]);
        await page.evaluate((id) => (document.getElementById(id)!.parentElement!.scrollLeft = 0), t.id);
      }
    }

    // A phone scrolls the six columns of Newest breaks and Sources (34rem at least: no column crushed).
    expect(scrolled).toEqual(expect.arrayContaining(['breaks at 320', 'sources at 320']));

    // The figures themselves, whole in the page's text (the cells measured above), at the last width.
    const atStake = await page.$$eval('#breaks-by-type tbody tr', (trs) => (trs as HTMLTableRowElement[]).map((tr) => [...tr.cells].map((td) => td.textContent ?? '')));
    for (const [type, currency, amount] of AT_STAKE) expect(atStake).toContainEqual([type, currency, expect.any(String), amount]);
  });

  it('shows no edge shadow on a table that fits, and keeps the not-current card\'s tint under a table', async () => {
    await page.setViewportSize({ width: 1280, height: 900 });
    const fits = await edges('breaks-by-type', 'start');
    expect(Math.abs(fits.right - fits.middle)).toBeLessThanOrEqual(3);
    expect(Math.abs(fits.left - fits.middle)).toBeLessThanOrEqual(3);
    // The shadow's cover takes the card's colour: a card that is not current keeps its tint to the edge.
    const tint = await page.evaluate(() => {
      const card = document.getElementById('breaks-by-type')!.closest('.card')!;
      card.classList.add('not-current');
      const w = card.querySelector('.table-scroll')!;
      const bg = getComputedStyle(w).backgroundImage;
      card.classList.remove('not-current');
      return bg;
    });
    expect(tint).toContain('rgb(255, 244, 229)');
  });
});
