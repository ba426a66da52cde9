// The time window a page was opened with (`?from=` and `?to=`, passed on to /v1/totals), read by the hub's own
// reading (core/time-window.ts): a date is a UTC day, a time without a zone is UTC, a date as `to` means the whole
// of that day, and an impossible date or time ('2026-11-31', '2026-02-30T10:00') is refused with the hub's message
// rather than rolled over into a window nobody asked for (until 2026-12-02 the page read it with Date.parse).
import { parseTimeWindow, type TimeWindow } from '../../core/time-window.js';

export type PageWindow = TimeWindow;

/** The page's window, or why the hub will refuse it (an empty parameter is no bound, as the page never sends it). */
export function pageWindow(params: URLSearchParams): PageWindow | { error: string } {
  const given = (k: 'from' | 'to') => params.get(k) || undefined;
  return parseTimeWindow({ from: given('from'), to: given('to') });
}

/** "27 Nov 19:00 UTC" (the year too when it is not this year's). */
export function utcLabel(ms: number): string {
  const d = new Date(ms);
  const day = d.toLocaleDateString('en-GB', { timeZone: 'UTC', day: 'numeric', month: 'short' });
  const year = d.getUTCFullYear() === new Date().getUTCFullYear() ? '' : ` ${d.getUTCFullYear()}`;
  const time = d.toISOString().slice(11, 16);
  return `${day}${year} ${time} UTC`;
}

/**
 * What a total covers in time: "all time", "since 27 Nov 19:00 UTC", "27 Nov 19:00 UTC to 28 Nov 00:00 UTC"; for a
 * window the hub will refuse, that it is refused and why, from the first paint (refusedLabel).
 */
export function windowLabel(w: PageWindow | { error: string }): string {
  if ('error' in w) return refusedLabel(w.error);
  if (w.from !== undefined && w.to !== undefined) return `${utcLabel(w.from)} to ${utcLabel(w.to)}`;
  if (w.from !== undefined) return `since ${utcLabel(w.from)}`;
  if (w.to !== undefined) return `before ${utcLabel(w.to)}`;
  return 'all time';
}

/**
 * What a total covers when the hub refused the page's query (a 400): no time at all, so the label says so and why
 * (the hub's message) instead of the window the browser read, or "all time" (until 2026-12-02). The hub names the
 * parameter first: `from must be ...`, `to must be after from ...`.
 */
export function refusedLabel(why: string): string {
  return /^(from|to) /.test(why) ? `window refused: ${why}` : `refused: ${why}`;
}
