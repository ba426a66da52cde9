// The time window a page was opened with (`?from=` and `?to=`, passed on to /v1/totals), read as the hub reads
// them: a date is a UTC day, a time without a zone is UTC, a date as `to` means the whole of that day.
const DATE = /^\d{4}-\d{2}-\d{2}$/;
const ZONED = /(Z|[+-]\d{2}:?\d{2})$/i;
const DAY_MS = 86_400_000;

export interface PageWindow {
  from?: number;
  to?: number;
}

function instant(v: string | null, end: boolean): number | undefined {
  if (!v) return undefined;
  const t = DATE.test(v) ? Date.parse(`${v}T00:00:00Z`) + (end ? DAY_MS : 0) : Date.parse(ZONED.test(v) ? v : `${v}Z`);
  // A value the browser cannot read is left to the hub, which answers with a 400 that the page shows (refusedLabel).
  return Number.isNaN(t) ? undefined : t;
}

export function pageWindow(params: URLSearchParams): PageWindow {
  const from = instant(params.get('from'), false);
  const to = instant(params.get('to'), true);
  return { ...(from !== undefined ? { from } : {}), ...(to !== undefined ? { to } : {}) };
}

/** "27 Nov 19:00 UTC" (the year too when it is not this year's). */
export function utcLabel(ms: number): string {
  const d = new Date(ms);
  const day = d.toLocaleDateString('en-GB', { timeZone: 'UTC', day: 'numeric', month: 'short' });
  const year = d.getUTCFullYear() === new Date().getUTCFullYear() ? '' : ` ${d.getUTCFullYear()}`;
  const time = d.toISOString().slice(11, 16);
  return `${day}${year} ${time} UTC`;
}

/** What a total covers in time: "all time", "since 27 Nov 19:00 UTC", "27 Nov 19:00 UTC to 28 Nov 00:00 UTC". */
export function windowLabel(w: PageWindow): string {
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
