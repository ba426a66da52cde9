// The dashboard's Journey funnel as a digital analyst read it (user test of 2026-12-07), in a real browser (Debian's
// chromium, headless, driven by playwright-core) on a real hub: "clicked 405" counted donations, not the 600 clicks
// landed, and "pledged 341" sat beside the Pledged card's 377, since a pledge whose card was declined (still pending)
// or that was refunded was in no bar. Now: the clicks, the pledges the live total counts, and of those the ones
// paid (refunded ones too: they were paid first), paid out and banked; what is not pledged is said beside.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Browser } from 'playwright-core';
import { afterAll, describe, expect, it } from 'vitest';
import { launchChromium } from './browser.js';
import type { Hub } from '../../infra/local/hub.js';
import { getJson, postLanded, READ_KEY, startLiveHub } from './live-hub.js';

const SHOWS_MS = 90_000;
const AT = '2026-12-06T19:15:00Z';
const later = (s: number) => new Date(Date.parse(AT) + s * 1000).toISOString();
const click = (id: string) => ({ contract: 'click', version: 1, payload: { click_id: id, occurred_at: AT, campaign: 'funnel', cta: 'QR-SEG1', channel: 'web' } });
const donation = (id: string, o: Record<string, unknown> = {}) => ({
  contract: 'donation', version: 1, payload: { donation_id: id, occurred_at: later(30), channel: 'online', amount_minor: 2500, currency: 'GBP', campaign: 'funnel', ...o },
});
const payment = (id: string, donationId: string, status: string) => ({
  contract: 'payment', version: 1, payload: { payment_id: id, occurred_at: later(40), provider: 'stripe', status, amount_minor: 2500, currency: 'GBP', donation_id: donationId },
});

describe('dashboard: the journey funnel and the pledges by call to action', { timeout: 240_000 }, () => {
  const home = mkdtempSync(join(tmpdir(), 'puddle-dash-funnel-'));
  let hub: Hub | undefined;
  let browser: Browser | undefined;
  afterAll(async () => {
    await browser?.close();
    await hub?.stop();
    rmSync(home, { recursive: true, force: true });
  });

  it('starts from the clicks, pledges what the live total counts, and says beside it what is not pledged', async () => {
    hub = await startLiveHub(home);
    await postLanded(hub, [
      // Six clicks: four became a form, two never did.
      ...['c1', 'c2', 'c3', 'c4', 'c5', 'c6'].map(click),
      donation('paid', { click_id: 'c1', status: 'pending', cta: 'QR-SEG1' }), payment('ch_paid', 'paid', 'succeeded'),
      // The same click's form sent twice (a double submit): two pledges from a click, one click that led to a pledge.
      donation('again', { click_id: 'c1', status: 'pledged', amount_minor: 1000 }),
      donation('refunded', { click_id: 'c2', status: 'pending' }), payment('ch_refunded', 'refunded', 'succeeded'),
      { contract: 'refund', version: 1, payload: { refund_id: 're_1', occurred_at: later(50), provider: 'stripe', payment_id: 'ch_refunded', status: 'succeeded', amount_minor: 2500, currency: 'GBP' } },
      // The card declined, the donation still pending: the live total counts it (it may be paid yet).
      donation('declined', { click_id: 'c3', status: 'pending' }), payment('ch_declined', 'declined', 'failed'),
      donation('abandoned', { click_id: 'c4', status: 'abandoned' }),
      // By phone, no click; and one withdrawn.
      donation('phone', { channel: 'ivr', status: 'pledged', cta: 'tv-phone', amount_minor: 10000 }),
      donation('withdrawn', { channel: 'call_centre', status: 'cancelled' }),
    ]);
    const totals = (await (await getJson(`${hub.url}/v1/totals`, READ_KEY)).json()) as { total: { count: number } };
    expect(totals.total.count).toBe(5);

    browser = await launchChromium();
    const page = await browser.newPage({ viewport: { width: 1400, height: 1200 } });
    await page.goto(`${hub.url}/?key=${READ_KEY}`);
    await page.waitForFunction(() => document.querySelectorAll('#funnel .row').length === 5, undefined, { timeout: SHOWS_MS });
    const rows = await page.$$eval('#funnel .row', (els) => els.map((r) => [...r.children].map((c) => c.textContent).filter(Boolean).join(' ')));
    expect(rows).toEqual(['clicks 6', 'pledged 5', 'paid 2', 'paid out 0', 'banked 0']);
    // The Pledged card and the funnel's pledges agree.
    expect(await page.textContent('#count')).toMatch(/^5 pledges/);
    expect(await page.textContent('#funnel p')).toBe(
      '4 of the pledges came from a click; 3 of the 6 clicks led to one (50%) · card refused, still pledged 1 · refunded 1 · forms abandoned 1 · cancelled 1',
    );
    // The pledges by call to action, as the live total counts them (no CTA of their own: "(none)", as the chart's lanes).
    await page.waitForFunction(() => document.querySelectorAll('#by-cta tbody tr').length === 3, undefined, { timeout: SHOWS_MS });
    const byCta = await page.$$eval('#by-cta tbody tr', (trs) => trs.map((tr) => [...tr.children].map((td) => td.textContent)));
    expect(byCta).toEqual([
      ['tv-phone', 'GBP', '1', '£100.00'],
      ['(none)', 'GBP', '3', '£60.00'],
      ['QR-SEG1', 'GBP', '1', '£25.00'],
    ]);
  });
});
