import { describe, expect, it } from 'vitest';
import { emailSha256, scrubPersonalData } from './pii.js';

describe('personal data', () => {
  it('hashes emails the same way whatever their case and spaces', () => {
    expect(emailSha256(' Jo@Example.org ')).toBe(emailSha256('jo@example.org'));
    expect(emailSha256('')).toBeNull();
  });

  it('scrubs names, emails and card details at any depth, keeping the shape and the money', () => {
    const charge = {
      id: 'ch_1', amount: 500, billing_details: { name: 'Jo Bloggs', email: 'jo@example.org' },
      payment_method_details: { card: { brand: 'visa', last4: '4242', exp_month: 12, fingerprint: 'abc' } },
      refunds: { data: [{ id: 're_1', receipt_email: 'jo@example.org' }] }, description: null,
    };
    const s = scrubPersonalData(charge) as typeof charge;
    const text = JSON.stringify(s);
    expect(text).not.toMatch(/Jo Bloggs|jo@example|4242|abc/);
    expect(s.amount).toBe(500);
    expect(s.payment_method_details.card.brand).toBe('visa');
    expect(s.billing_details).toBe('[redacted]');
    expect(charge.billing_details.name).toBe('Jo Bloggs'); // the input is untouched
  });
});
