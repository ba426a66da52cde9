import { describe, expect, it } from 'vitest';
import { futureAsOfNote } from './options.js';

describe('futureAsOfNote', () => {
  const now = new Date('2026-12-07T23:30:00Z');

  it('says when --as-of is after today (UTC), naming both dates', () => {
    expect(futureAsOfNote('report', '2027-01-20', now)).toBe(
      'puddle report: --as-of 2027-01-20 is after today (2026-12-07): ages and grace periods are counted as they would stand then if nothing more arrived\n',
    );
    expect(futureAsOfNote('query', '2026-12-08', now)).toMatch(/^puddle query: --as-of 2026-12-08 is after today/);
  });

  it('says nothing for today, a past date or no --as-of', () => {
    expect(futureAsOfNote('report', '2026-12-07', now)).toBeNull();
    expect(futureAsOfNote('report', '2026-11-30', now)).toBeNull();
    expect(futureAsOfNote('report', undefined, now)).toBeNull();
  });
});
