// Debian's chromium, headless, driven by playwright-core (no browser download): the browser every page test uses.
import { chromium, type Browser, type Page } from 'playwright-core';

const CHROMIUM = process.env.PUDDLE_CHROMIUM ?? '/usr/bin/chromium';

export function launchChromium(): Promise<Browser> {
  return chromium.launch({ executablePath: CHROMIUM, args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking'] });
}

/** Waits until the element's text is exactly `text`. */
export function textIs(page: Page, selector: string, text: string, timeoutMs = 10_000): Promise<unknown> {
  return page.waitForFunction(([s, t]) => document.querySelector(s!)?.textContent === t, [selector, text], { timeout: timeoutMs });
}
