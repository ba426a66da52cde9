import { describe, expect, it } from 'vitest';
import { dateParse, isCalendarDate, isoFromMs, isoInstantMs, parseIsoInstant, utcInstantMs } from './time.js';

// A seeded generator, so a failure names an input that fails again.
function rng(seed: number) {
  let s = seed >>> 0;
  return () => {
    s = (Math.imul(s, 1_664_525) + 1_013_904_223) >>> 0;
    return s / 2 ** 32;
  };
}

const pad = (n: number, w: number) => String(n).padStart(w, '0');

describe('ISO times without Date', () => {
  it('writes exactly what toISOString writes', () => {
    const r = rng(7);
    const samples = [0, 1, 999, 86_399_999, 951_782_400_000, 1_709_164_800_000, 4_107_542_399_999, 253_402_300_799_999];
    for (let i = 0; i < 20_000; i++) samples.push(Math.floor(r() * 253_402_300_800_000));
    for (const ms of samples) expect(isoFromMs(ms), String(ms)).toBe(new Date(ms).toISOString());
    // Outside the fast range, Date's own answer: six-digit years, before 1970, fractions of a millisecond.
    for (const ms of [-1, -62_167_219_200_000, 253_402_300_800_000, 1.5]) expect(isoFromMs(ms)).toBe(new Date(ms).toISOString());
  });

  it('dateParse is Date.parse, canonical or not', () => {
    const r = rng(5);
    const samples = ['2026-02-30T10:00:00.000Z', '2026-11-29T24:00:00.000Z', '2026-11-29T20:15:00Z', '2026-11-29', 'x', '', '2026-11-29T20:15:00.000+01:00', '0000-01-01T00:00:00.000Z'];
    for (let i = 0; i < 20_000; i++) samples.push(new Date(Math.floor(r() * 253_402_300_800_000)).toISOString());
    for (const v of samples) expect(dateParse(v), v).toBe(Date.parse(v));
  });

  it("reads the value Date.parse reads, for every real time in every accepted shape", () => {
    const r = rng(11);
    for (let i = 0; i < 20_000; i++) {
      const year = 1 + Math.floor(r() * 9998);
      const month = 1 + Math.floor(r() * 12);
      const day = 1 + Math.floor(r() * 28);
      let v = `${pad(year, 4)}-${pad(month, 2)}-${pad(day, 2)}T${pad(Math.floor(r() * 24), 2)}:${pad(Math.floor(r() * 60), 2)}`;
      if (r() < 0.8) v += `:${pad(Math.floor(r() * 60), 2)}`;
      if (v.length === 19 && r() < 0.6) v += `.${String(Math.floor(r() * 1e9)).slice(0, 1 + Math.floor(r() * 9))}`;
      const z = r();
      if (z < 0.4) v += 'Z';
      else {
        const sign = z < 0.7 ? '+' : '-';
        v += `${sign}${pad(Math.floor(r() * 24), 2)}${r() < 0.5 ? ':' : ''}${pad(Math.floor(r() * 60), 2)}`;
      }
      expect(parseIsoInstant(v), v).toBe(Date.parse(v));
    }
  });

  it('reads a comma for the point and any number of fraction digits, as ISO 8601 allows, keeping milliseconds as Date.parse does', () => {
    // Until 2026-12-03 both were refused as "not an ISO-8601 time with a zone" (.NET writes seven digits, some systems a comma).
    const ms = Date.parse('2026-11-29T19:15:03.250Z');
    for (const v of ['2026-11-29T19:15:03,250Z', '2026-11-29T19:15:03,25Z', '2026-11-29T20:15:03.2501234+01:00', '2026-11-29T19:15:03.25012345678901Z']) {
      expect(isoInstantMs(v), v).toBe(ms);
    }
    expect(isoInstantMs('2026-11-29T19:15:03,Z')).toBeNaN();
    expect(isoInstantMs('2026-11-29T19:15:03.Z')).toBeNaN();
  });

  it('refuses what Date.parse would roll over or refuse', () => {
    for (const v of ['2026-02-29T10:00:00Z', '2026-02-30T10:00Z', '2026-04-31T00:00:00+01:00', '2026-01-01T24:00:00Z', '2026-01-01T23:60:00Z',
      '2026-01-01T23:59:60Z', '2026-00-10T10:00:00Z', '2026-13-10T10:00:00Z', '2026-01-00T10:00:00Z', '2026-01-01T10:00:00+24:00', '2026-01-01T10:00:00+0160']) {
      expect(parseIsoInstant(v), v).toBeNaN();
    }
    expect(parseIsoInstant('2024-02-29T10:00:00Z')).toBe(Date.parse('2024-02-29T10:00:00Z'));
    expect(parseIsoInstant('2000-02-29T23:59:59.999-23:59')).toBe(Date.parse('2000-02-29T23:59:59.999-23:59'));
  });
});

describe('isCalendarDate', () => {
  it('takes only YYYY-MM-DD days that are on the calendar', () => {
    for (const v of ['2026-11-30', '2024-02-29', '2000-02-29', '2026-12-31', '0001-01-01']) expect(isCalendarDate(v), v).toBe(true);
    // Each of these Date.parse reads as some day (rolled over), or is not the shape.
    for (const v of ['2026-11-31', '2026-02-30', '2027-02-29', '1900-02-29', '2026-13-01', '2026-00-10', '2026-01-00', '2026-1-01', '2026-01-01T00:00Z', ' 2026-01-01', 20260101, null]) {
      expect(isCalendarDate(v), String(v)).toBe(false);
    }
  });
});

describe('utcInstantMs', () => {
  it('reads a date as its midnight UTC, a time without a zone as UTC, and a time with a zone at its zone', () => {
    expect(utcInstantMs('2026-11-30')).toBe(Date.UTC(2026, 10, 30));
    expect(utcInstantMs('2026-11-30T18:00')).toBe(Date.UTC(2026, 10, 30, 18));
    expect(utcInstantMs('2026-11-30t18:00:05.25')).toBe(Date.UTC(2026, 10, 30, 18, 0, 5, 250));
    expect(utcInstantMs('2026-11-30T18:00:00Z')).toBe(Date.UTC(2026, 10, 30, 18));
    expect(utcInstantMs('2026-11-30T18:00:00z')).toBe(Date.UTC(2026, 10, 30, 18));
    expect(utcInstantMs('2026-11-30T18:00:00+01:00')).toBe(Date.UTC(2026, 10, 30, 17));
    expect(utcInstantMs('2026-11-30T18:00-0500')).toBe(Date.UTC(2026, 10, 30, 23));
  });

  it('refuses what names no real time', () => {
    for (const v of ['2026-02-29', '2026-11-31T10:00', '2026-11-30T24:00', '2026-11-30T18:00+25:00', '2026-11-30 18:00', '2026-11-30T18', '30/11/2026', '', 'now']) {
      expect(utcInstantMs(v), v).toBeNaN();
    }
  });
});
