import { describe, expect, it } from 'vitest';
import { getContract } from '../contracts/index.js';
import { appealNight, toRequests } from './appeal-night.js';

describe('appeal night scenario', () => {
  const s = appealNight({ seed: 7, donations: 400, invalidRate: 0.05, duplicateRate: 0.05 });

  it('is deterministic for a seed', () => {
    expect(appealNight({ seed: 7, donations: 400, invalidRate: 0.05, duplicateRate: 0.05 }).events).toEqual(s.events);
    expect(appealNight({ seed: 8, donations: 400 }).events).not.toEqual(s.events);
  });

  it('marks exactly the events a producer must reject', () => {
    expect(s.invalidIndexes.size).toBeGreaterThan(0);
    s.events.forEach((e, i) => {
      const c = getContract(e.contract, e.version);
      const ok = c !== undefined && c.validate(e.payload).errors === null;
      expect(ok, `event ${i}`).toBe(!s.invalidIndexes.has(i));
    });
  });

  it('totals the final state of each donation, across every channel', () => {
    const sum = s.donations.reduce((a, d) => a + d.amount_minor, 0);
    expect(s.expected.total).toEqual({ count: 400, amount_minor: sum });
    expect(Object.keys(s.expected.byChannel).sort()).toEqual(['call_centre', 'ivr', 'online', 'other', 'sms']);
    expect(s.duplicates).toBeGreaterThan(0);
    expect(s.corrections).toBeGreaterThan(0);
  });

  it('keeps each invalid event alone in its request', () => {
    const reqs = toRequests(s, 50);
    expect(reqs.filter((r) => r.invalid).every((r) => r.events.length === 1)).toBe(true);
    expect(reqs.reduce((a, r) => a + r.events.length, 0)).toBe(s.events.length);
  });
});
