// The pages' window (web/src/page-window.ts), read by the hub's own reading (core/time-window.ts): an impossible
// date or time is refused with the hub's message, never rolled over (Date.parse read ?from=2026-11-31 as 1 Dec,
// and /tv labelled a window nobody asked for).
import { describe, expect, it } from 'vitest';
import { parseTotalsFilter } from '../puddles/http/totals-routes.js';
import { pageWindow, windowLabel } from '../web/src/page-window.js';

const read = (q: string) => pageWindow(new URLSearchParams(q));
const ms = (iso: string) => new Date(iso).getTime();
const CALENDAR = (k: string) => ({ error: `${k} must be an ISO timestamp or a date YYYY-MM-DD, on the calendar` });

describe('the page window', () => {
  it('refuses dates and times that are not on the calendar, saying which bound is wrong', () => {
    expect(read('from=2026-11-31')).toEqual(CALENDAR('from'));
    expect(read('from=2026-11-01&to=2026-02-30')).toEqual(CALENDAR('to'));
    expect(read('from=2025-02-29T10:00')).toEqual(CALENDAR('from'));
    expect(read('from=2026-11-27T24:00Z')).toEqual(CALENDAR('from'));
    expect(read('to=2026-11-27T19:60:00Z')).toEqual(CALENDAR('to'));
    expect(read('from=2026-13-01')).toEqual(CALENDAR('from'));
    expect(windowLabel(read('from=2026-11-31'))).toBe('window refused: from must be an ISO timestamp or a date YYYY-MM-DD, on the calendar');
  });

  it('refuses a bound inside a 15-minute box, naming the quarter hours either side, on the page and the API alike', () => {
    // Until 2026-12-06 /tv?from=...13:36 showed nothing until 13:45, then counted from 13:45 under a label saying 13:36.
    const refused = { error: 'from must be on a quarter hour (:00, :15, :30 or :45 UTC): the live totals count 15-minute boxes; give from=2026-12-06T13:30Z or from=2026-12-06T13:45Z' };
    expect(read('from=2026-12-06T13:36')).toEqual(refused);
    expect(parseTotalsFilter({ from: '2026-12-06T13:36' })).toEqual(refused);
    expect(read('to=2026-12-06T21:59:30Z')).toEqual({ error: 'to must be on a quarter hour (:00, :15, :30 or :45 UTC): the live totals count 15-minute boxes; give to=2026-12-06T21:45Z or to=2026-12-06T22:00Z' });
    expect(windowLabel(read('from=2026-12-06T13:36'))).toBe(`window refused: ${refused.error}`);
    // A zone a quarter or half an hour off UTC (Nepal, India) still meets the boxes' edges.
    expect(read('from=2026-12-06T19:00%2B05:45')).toEqual({ from: ms('2026-12-06T13:15:00Z') });
    expect(read('from=2026-12-06T19:00%2B05:30')).toEqual({ from: ms('2026-12-06T13:30:00Z') });
  });

  it('still reads real dates and times as the hub does: UTC without a zone, a date as to is its whole day', () => {
    expect(read('from=2024-02-29&to=2024-02-29')).toEqual({ from: ms('2024-02-29T00:00:00Z'), to: ms('2024-03-01T00:00:00Z') });
    expect(read('from=2026-11-27T19:00')).toEqual({ from: ms('2026-11-27T19:00:00Z') });
    expect(read('from=2026-11-27T19:00%2B01:00')).toEqual({ from: ms('2026-11-27T18:00:00Z') });
    expect(read('from=&to=')).toEqual({});
    expect(windowLabel(read('from=2026-11-30T23:00Z&to=2026-11-30'))).toMatch(/^30 Nov( 2026)? 23:00 UTC to 1 Dec( 2026)? 00:00 UTC$/);
  });

  it('refuses exactly what the hub refuses, with the same message', () => {
    for (const q of ['from=2026-11-31', 'from=2026-11-28&to=2026-11-27', 'from=2026-11-27T19:00+01:00', 'to=yesterday', 'from=2026-11-27T19:00Z&to=2026-11-28']) {
      const p = Object.fromEntries(new URLSearchParams(q));
      expect(read(q), q).toEqual(parseTotalsFilter(p));
    }
  });
});
