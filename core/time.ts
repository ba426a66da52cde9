// ISO-8601 times without a Date per call. Every record crosses two or three of these (a provider's unix
// time written as ISO, a producer's time read and normalised), and `new Date(ms).toISOString()` cost
// ~0.5 µs each: a tenth of the producer's work per event. Exactly Date's results (see time.test.ts).

const DAY_MS = 86_400_000;
/** 10000-01-01T00:00:00Z: past it, toISOString writes six-digit years; Date does those. */
const YEAR_10000 = 253_402_300_800_000;
const DAYS_IN_MONTH = [31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31];

const isLeap = (y: number) => y % 4 === 0 && (y % 100 !== 0 || y % 400 === 0);
export const daysInMonth = (year: number, month: number): number => (month === 2 && isLeap(year) ? 29 : DAYS_IN_MONTH[month - 1]!);

const p2 = (n: number) => (n < 10 ? `0${n}` : `${n}`);
const p3 = (n: number) => (n < 10 ? `00${n}` : n < 100 ? `0${n}` : `${n}`);

/** `new Date(ms).toISOString()`. */
export function isoFromMs(ms: number): string {
  if (!(ms >= 0 && ms < YEAR_10000) || !Number.isInteger(ms)) return new Date(ms).toISOString();
  const days = Math.floor(ms / DAY_MS);
  let rest = ms - days * DAY_MS;
  // Civil date from days since 1970-01-01 (H. Hinnant's algorithm, March-based years).
  const z = days + 719_468;
  const era = Math.floor(z / 146_097);
  const doe = z - era * 146_097;
  const yoe = Math.floor((doe - Math.floor(doe / 1460) + Math.floor(doe / 36_524) - Math.floor(doe / 146_096)) / 365);
  const doy = doe - (365 * yoe + Math.floor(yoe / 4) - Math.floor(yoe / 100));
  const mp = Math.floor((5 * doy + 2) / 153);
  const day = doy - Math.floor((153 * mp + 2) / 5) + 1;
  const month = mp < 10 ? mp + 3 : mp - 9;
  const year = yoe + era * 400 + (month <= 2 ? 1 : 0);
  const hour = Math.floor(rest / 3_600_000);
  rest -= hour * 3_600_000;
  const minute = Math.floor(rest / 60_000);
  rest -= minute * 60_000;
  const second = Math.floor(rest / 1000);
  return `${year}-${p2(month)}-${p2(day)}T${p2(hour)}:${p2(minute)}:${p2(second)}.${p3(rest - second * 1000)}Z`;
}

/** The number of two ASCII digits at i. */
function digits2(v: string, i: number): number {
  return (v.charCodeAt(i) - 48) * 10 + (v.charCodeAt(i + 1) - 48);
}

/** Days from 1970-01-01 to a proleptic Gregorian date (month 1-12). */
function daysFromCivil(year: number, month: number, day: number): number {
  const y = month <= 2 ? year - 1 : year;
  const era = Math.floor(y / 400);
  const yoe = y - era * 400;
  const doy = Math.floor((153 * (month > 2 ? month - 3 : month + 9) + 2) / 5) + day - 1;
  const doe = yoe * 365 + Math.floor(yoe / 4) - Math.floor(yoe / 100) + doy;
  return era * 146_097 + doe - 719_468;
}

/** `YYYY-MM-DD`: the one date format contracts, the read API and the CLI take. */
export const ISO_DATE = /^\d{4}-\d{2}-\d{2}$/;

/** The calendar date after `date` (YYYY-MM-DD, UTC): the exclusive end of a day as a range. */
export function dayAfter(date: string): string {
  return isoFromMs(Date.parse(`${date}T00:00:00Z`) + DAY_MS).slice(0, 10);
}

/**
 * A real calendar date `YYYY-MM-DD`. '2026-02-30' is not one, though Date.parse rolls it over to 2 March:
 * a check by Date.parse would let it through to shift a range or fail later in DuckDB.
 */
export function isCalendarDate(v: unknown): boolean {
  if (typeof v !== 'string' || !ISO_DATE.test(v)) return false;
  const year = digits2(v, 0) * 100 + digits2(v, 2);
  const month = digits2(v, 5);
  const day = digits2(v, 8);
  return month >= 1 && month <= 12 && day >= 1 && day <= daysInMonth(year, month);
}

/**
 * `YYYY-MM-DDTHH:MM[:SS[.fraction]]` with a zone: the one time format contracts take. The fraction may have any
 * number of digits and a comma for its point (ISO 8601 allows both: .NET writes seven digits, some European
 * systems `20:15:03,250`); milliseconds are kept, finer digits dropped, as Date.parse does.
 */
export const ISO_INSTANT = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}([.,]\d+)?)?(Z|[+-]\d{2}:?\d{2})$/;

/** What toISOString writes (years 0000-9999): the form every time in a queued envelope and a landed row has. */
const CANONICAL_INSTANT = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$/;

/**
 * Date.parse(v), exactly, without Date's parser for the canonical `YYYY-MM-DDTHH:MM:SS.sssZ`: landing parses
 * every row's times two to four times, and Date.parse was about a twentieth of a landing thread's time.
 */
export function dateParse(v: string): number {
  if (v.length === 24 && CANONICAL_INSTANT.test(v)) {
    const ms = parseIsoInstant(v);
    // An impossible date ('2026-02-30'): Date.parse's own roll-over, as before.
    if (!Number.isNaN(ms)) return ms;
  }
  return Date.parse(v);
}

/** Milliseconds of an ISO_INSTANT string naming a real time; NaN for anything else. */
export function isoInstantMs(v: unknown): number {
  return typeof v === 'string' && ISO_INSTANT.test(v) ? parseIsoInstant(v) : NaN;
}

/** A zone at the end of a time: `Z`, `+01:00`, `-0500`. */
const ZONE_AT_END = /(Z|[+-]\d{2}:?\d{2})$/;

/**
 * Milliseconds of what a person types for a point in time: a date `YYYY-MM-DD` (its midnight) or an ISO_INSTANT
 * time with or without its zone (`t` and `z` in either case); NaN when it names no real time. No zone means UTC
 * (DESIGN.md rule 7), never the machine's zone: `new Date('2026-11-30T18:00')` is local time, so the same
 * command meant different hours on a laptop in London and a server in Virginia.
 */
export function utcInstantMs(v: string): number {
  const s = v.toUpperCase();
  if (isCalendarDate(s)) return isoInstantMs(`${s}T00:00Z`);
  return isoInstantMs(ZONE_AT_END.test(s) ? s : `${s}Z`);
}

/**
 * Milliseconds of a string that already matched `YYYY-MM-DDTHH:MM[:SS[.fraction]](Z|±HH[:]MM)`, or NaN
 * when it names no real time: Date.parse's value, except that where Date.parse rolls an impossible date
 * over ('2026-02-30' to 2 March, hour 24 to the next day) this refuses it.
 */
export function parseIsoInstant(v: string): number {
  // No closure over v here: tsx compiles with keepNames, which names every function made per call (~0.3 µs).
  const year = digits2(v, 0) * 100 + digits2(v, 2);
  const month = digits2(v, 5);
  const day = digits2(v, 8);
  const hour = digits2(v, 11);
  const minute = digits2(v, 14);
  let second = 0;
  let milli = 0;
  let i = 16;
  if (v.charCodeAt(i) === 58 /* : */) {
    second = digits2(v, 17);
    i = 19;
    const point = v.charCodeAt(i);
    if (point === 46 /* . */ || point === 44 /* , */) {
      i++;
      let digits = 0;
      // Date.parse keeps milliseconds and drops finer digits, without rounding.
      for (let c = v.charCodeAt(i); c >= 48 && c <= 57; c = v.charCodeAt(++i)) if (digits++ < 3) milli = milli * 10 + (c - 48);
      if (digits === 1) milli *= 100;
      else if (digits === 2) milli *= 10;
    }
  }
  let offset = 0;
  const zone = v.charCodeAt(i);
  if (zone !== 90 /* Z */) {
    const oh = digits2(v, i + 1);
    const om = v.charCodeAt(i + 3) === 58 ? digits2(v, i + 4) : digits2(v, i + 3);
    if (oh > 23 || om > 59) return NaN;
    offset = (zone === 43 /* + */ ? 1 : -1) * (oh * 60 + om) * 60_000;
  }
  if (month < 1 || month > 12 || day < 1 || day > daysInMonth(year, month) || hour > 23 || minute > 59 || second > 59) return NaN;
  return daysFromCivil(year, month, day) * DAY_MS + ((hour * 60 + minute) * 60 + second) * 1000 + milli - offset;
}
