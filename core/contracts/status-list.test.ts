import { describe, expect, it } from 'vitest';

import { DONATION_STATUS_SPELLINGS, DONATION_STATUS_VALUES, DONATION_STATUSES, isPledged } from './donation-status.js';
import { DISPUTE_STATUS_VALUES, PAYMENT_STATUS_SPELLINGS, PAYMENT_STATUS_VALUES, PAYMENT_STATUSES } from './money-status.js';
import { statusSpellings, statusValues } from './status-list.js';

describe('status lists', () => {
  it('lists the values in order, then each other spelling once, meaning what its status means', () => {
    const rows = [{ status: 'a', n: 1 }, { status: 'b', n: 2 }];
    expect(statusValues(rows)).toEqual(['a', 'b']);
    expect(statusSpellings(rows, { bee: 'b', ay: 'a' })).toEqual([...rows, { status: 'bee', n: 2 }, { status: 'ay', n: 1 }]);
  });

  it('refuses a spelling of a status the list does not have, naming both', () => {
    expect(() => statusSpellings([{ status: 'a' }], { canceled: 'cancelled' })).toThrow('status spelling canceled stands for cancelled, which is not in the list');
  });

  it('gives the payment, dispute and donation lists their values, and canceled the meaning of cancelled', () => {
    expect(PAYMENT_STATUS_VALUES).toEqual(PAYMENT_STATUSES.map((s) => s.status));
    expect(DISPUTE_STATUS_VALUES).toContain('warning_needs_response');
    expect(DONATION_STATUS_VALUES).toEqual(['pledged', 'pending', 'paid', 'started', 'abandoned', 'failed', 'cancelled']);
    expect(PAYMENT_STATUS_SPELLINGS.slice(PAYMENT_STATUSES.length)).toEqual([{ status: 'canceled', outcome: 'failed', doc: expect.any(String) }]);
    expect(DONATION_STATUS_SPELLINGS.slice(DONATION_STATUSES.length)).toEqual([{ status: 'canceled', pledged: false, stage: 'cancelled', doc: expect.any(String) }]);
    expect(isPledged('canceled')).toBe(false);
    expect(isPledged('paid')).toBe(true);
  });
});
