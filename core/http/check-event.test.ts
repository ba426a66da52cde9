import { describe, expect, it } from 'vitest';
import { checkEvent } from './producer-routes.js';

const payload = { donation_id: 'd-1', occurred_at: '2026-11-27T20:15:03Z', channel: 'sms', amount_minor: 500, currency: 'GBP' };
const versionErrors = (ev: Record<string, unknown>) => {
  const r = checkEvent({ contract: 'donation', payload, ...ev });
  return 'errors' in r ? r.errors.filter((e) => e.path === 'version').map((e) => e.message) : [];
};

describe('checkEvent: the contract version', () => {
  it('says a missing version is required', () => {
    expect(versionErrors({})).toEqual(['is required: an integer contract version']);
    expect(versionErrors({ version: null })).toEqual(['is required: an integer contract version']);
  });

  it('says a version sent as a string or a fraction must be an integer, not that it is missing', () => {
    for (const version of ['1', 1.5, true]) expect(versionErrors({ version }), String(version)).toEqual(['must be an integer contract version, e.g. 1']);
  });

  it('still takes an integer version', () => {
    expect(checkEvent({ contract: 'donation', version: 1, payload })).not.toHaveProperty('errors');
  });
});
