import { describe, expect, it } from 'vitest';
import { puddleFor } from '../../puddles/definitions.js';
import { getContract, latestVersion } from './index.js';

describe('CRM contracts', () => {
  it('gift v2 adds optional fields, so a v1 payload still validates as v2', () => {
    const v1 = { gift_id: '006A', occurred_at: '2026-11-29T10:00:00Z', amount_minor: 2500, currency: 'GBP' };
    expect(getContract('gift', 2)!.validate(v1).errors).toBeNull();
    const v2 = getContract('gift', 2)!.validate({ ...v1, is_won: true, record_type: 'Donation', account_id: '001A', recurring_donation_id: 'a09A', donation_id: 'don_1' });
    expect(v2.value).toMatchObject({ is_won: true, recurring_donation_id: 'a09A' });
    expect(latestVersion('gift')!.version).toBe(2);
  });

  it('gift_payment takes negative amounts (refunds) and names a bad field', () => {
    const c = getContract('gift_payment', 1)!;
    expect(c.validate({ gift_payment_id: 'a01', occurred_at: '2026-11-29T10:00:00Z', amount_minor: -500, currency: 'gbp' }).value?.currency).toBe('GBP');
    const bad = c.validate({ gift_payment_id: 'a01', occurred_at: '2026-11-29T10:00:00Z', amount_minor: 1.5, currency: 'GBP' });
    expect(bad.errors?.map((e) => e.path)).toEqual(['payload.amount_minor']);
  });

  it('allocations need no amount (percent-based), and every CRM contract lands in the supporters puddle', () => {
    expect(getContract('gift_allocation', 1)!.validate({ gift_allocation_id: 'a0A', occurred_at: '2026-11-29T10:00:00Z', percent: '50.00' }).errors).toBeNull();
    for (const name of ['gift', 'gift_payment', 'recurring_donation', 'gift_allocation', 'crm_account', 'gift_contact_role', 'campaign_member']) expect(puddleFor(name)?.name).toBe('supporters');
  });
});
