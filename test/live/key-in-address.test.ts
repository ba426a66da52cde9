// `?key=` never stays in the browser's address bar or history, whether the page opened or refused the key: in a real
// browser (Debian's chromium, headless, driven by playwright-core), as the broadcaster's or an operator's would be.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { launchChromium } from './browser.js';
import type { Hub } from '../../infra/local/hub.js';
import { startLiveHub, TV_KEY } from './live-hub.js';


describe('?key= leaves the address bar, opened or refused', { timeout: 120_000 }, () => {
  const home = mkdtempSync(join(tmpdir(), 'puddle-key-address-'));
  let hub: Hub;
  let browser: Browser;

  beforeAll(async () => {
    hub = await startLiveHub(home);
    browser = await launchChromium();
  }, 120_000);
  afterAll(async () => {
    await browser?.close();
    await hub?.stop();
    rmSync(home, { recursive: true, force: true });
  });

  /** Opens `path`, and answers with the page's status, heading and address once the address has no key, or after 10 s. */
  const visit = async (path: string): Promise<{ status: number | undefined; address: string; page: Page }> => {
    const page = await browser.newPage();
    const res = await page.goto(`${hub.url}${path}`);
    await page.waitForFunction(() => !location.search.includes('key='), undefined, { timeout: 10_000 }).catch(() => {});
    return { status: res?.status(), address: page.url(), page };
  };

  it('a refused key (unknown, or a TV key on the operations page) is dropped from the address, the rest of the query kept', async () => {
    for (const [path, status, heading, kept] of [
      ['/tv?campaign=appeal&key=not-a-key-at-all-0000', 401, 'Not a known key', '/tv?campaign=appeal'],
      [`/?key=${TV_KEY}&from=2026-11-27`, 403, 'Not a key for this page', '/?from=2026-11-27'],
    ] as const) {
      const { status: got, address, page } = await visit(path);
      expect(got).toBe(status);
      expect(await page.textContent('h1')).toBe(heading);
      expect(address).toBe(`${hub.url}${kept}`);
      // The history entry was replaced, not added to: going back leaves the hub (for the new tab's blank page), and
      // never lands on the keyed address.
      await page.goBack();
      expect(page.url()).toBe('about:blank');
      await page.close();
    }
  });

  it('an accepted key is swapped for a cookie: the page opens at its address without the key', async () => {
    const { status, address, page } = await visit(`/tv?campaign=appeal&key=${TV_KEY}`);
    expect(status).toBe(200);
    expect(address).toBe(`${hub.url}/tv?campaign=appeal`);
    await page.close();
  });
});
