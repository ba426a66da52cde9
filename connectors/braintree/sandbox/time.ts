export const HOUR = 3_600_000;
export const DAY = 24 * HOUR;

/** The gateway's datetime form: UTC, whole seconds ("2013-11-20T23:05:38Z"). */
export function isoSeconds(ms: number): string {
  return new Date(Math.floor(ms / 1000) * 1000).toISOString().replace('.000Z', 'Z');
}

export function dayOf(ms: number): string {
  return new Date(ms).toISOString().slice(0, 10);
}

export function startOfDay(ms: number): number {
  return Math.floor(ms / DAY) * DAY;
}

export function addDays(day: string, n: number): string {
  return dayOf(Date.parse(`${day}T00:00:00Z`) + n * DAY);
}

const NAIVE_ISO = /^(\d{4}-\d{2}-\d{2})[ T](\d{2}:\d{2}(?::\d{2}(?:\.\d+)?)?)$/;
const US_DATE = /^(\d{1,2})\/(\d{1,2})\/(\d{4})(?:\s+(\d{1,2}):(\d{2})(?::(\d{2}))?)?$/;

/**
 * A search value as the SDKs send it: ISO-8601 (what JSON makes of a Date), `Date#toString()` (what the
 * node SDK's `is` makes of one), "MM/DD/YYYY HH:MM" (the docs' examples) or a bare date. Values without
 * a zone are read as UTC: the sandbox merchant's time zone is UTC. NaN when it is none of those.
 */
export function parseSearchTime(value: string): number {
  const naive = NAIVE_ISO.exec(value);
  if (naive) return Date.parse(`${naive[1]}T${naive[2]}Z`);
  const us = US_DATE.exec(value);
  if (us) {
    const [, month, day, year, h = '0', m = '0', s = '0'] = us;
    return Date.UTC(Number(year), Number(month) - 1, Number(day), Number(h), Number(m), Number(s));
  }
  return Date.parse(value);
}
