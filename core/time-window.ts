// A window of time as the read API and the pages take it (`from` and `to`, as typed into an address): one reading
// for the hub (GET /v1/totals, /v1/ops/ctas) and the pages (/tv, /), so a page never shows a window the hub
// would refuse or read otherwise. Date.parse would roll '2026-11-31' over to 1 December; this refuses it.
import { isCalendarDate, utcInstantMs } from './time.js';

/** The live totals' box: 15 minutes, on the quarter hours of UTC. */
export const BOX_MS = 15 * 60 * 1000;

/** Boxes whose start is in [from, to), in ms; either end may be open. */
export interface TimeWindow {
  from?: number;
  to?: number;
}

/** A time whose zone's `+` became a space on the way through a query string. */
const PLUS_AS_SPACE = /^\d{4}-\d{2}-\d{2}T[\d:.]+ \d{2}:?\d{2}$/i;

function bound(k: 'from' | 'to', v: string | undefined): number | undefined | { error: string } {
  if (v === undefined) return undefined;
  // A time without a zone is UTC, like the boxes (and `puddle sync --from`). The strict parse refuses
  // '2026-11-31' and '2026-02-30T10:00Z', which Date.parse would roll over into the next month.
  const t = utcInstantMs(v);
  if (Number.isNaN(t)) {
    // A zone typed into an address bar (`/tv?from=2026-11-27T19:00+01:00`) arrives with a space for its `+`,
    // as every query string decodes it: say so, rather than that the time is not one.
    if (PLUS_AS_SPACE.test(v)) return { error: `${k} has a space before its zone: a + in an address reads as a space, so write it as %2B (${k}=2026-11-27T19:00%2B01:00)` };
    return { error: `${k} must be an ISO timestamp or a date YYYY-MM-DD, on the calendar` };
  }
  // The live totals count 15-minute boxes, whose start must be in [from, to): a bound inside a box moved the window
  // to the next box without a word (`/tv?from=...13:36` showed nothing until 13:45, then counted from 13:45 under a
  // label saying 13:36; until 2026-12-06, a user test). Refused, naming the two bounds that are on a box's edge.
  if (t % BOX_MS !== 0) {
    const iso = (ms: number) => `${new Date(ms).toISOString().slice(0, 16)}Z`;
    const before = t - (t % BOX_MS);
    return { error: `${k} must be on a quarter hour (:00, :15, :30 or :45 UTC): the live totals count 15-minute boxes; give ${k}=${iso(before)} or ${k}=${iso(before + BOX_MS)}` };
  }
  // A date as `to` means the whole of that day.
  return k === 'to' && isCalendarDate(v) ? t + 86_400_000 : t;
}

/** `from` and `to` read as the hub reads them, or the first one that is wrong and why (the hub's 400 message). */
export function parseTimeWindow(p: { from?: string | undefined; to?: string | undefined }): TimeWindow | { error: string } {
  const from = bound('from', p.from);
  const to = bound('to', p.to);
  if (typeof from === 'object') return from;
  if (typeof to === 'object') return to;
  // [from, to) holds nothing when to is not after from: answering zeros would read as a night without donations.
  if (from !== undefined && to !== undefined && to <= from) return { error: 'to must be after from (boxes whose start is in [from, to) are counted)' };
  return { ...(from !== undefined ? { from } : {}), ...(to !== undefined ? { to } : {}) };
}
