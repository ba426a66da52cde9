import { describe, expect, it } from 'vitest';
import { scrubPersonalData as scrub } from './pii.js';

describe('scrubPersonalData (camelCase)', () => {
  it('redacts camelCased personal and card fields (as the Braintree SDK names them), keeping the shape', () => {
    const tx = {
      id: 'tx1',
      amount: '10.00',
      status: 'settled',
      customer: { id: 'c1', firstName: 'Ada', lastName: 'Lovelace', email: 'ada@example.org', phone: '0123', company: 'Engines Ltd' },
      billing: { streetAddress: '1 Street', postalCode: 'N1 1AA' },
      creditCard: { bin: '411111', last4: '1111', cardholderName: 'Ada L', maskedNumber: '411111******1111', expirationDate: '05/2030', cardType: 'Visa' },
      usBankAccount: { routingNumber: '123456789', last4: '1234', accountHolderName: 'Dan Schulman', accountType: 'checking' },
      transactionReview: { reviewerEmail: 'hey@girl.com', decision: 'ok' },
      riskData: { customerIp: '10.0.0.1', id: 'r1' },
      statusHistory: [{ status: 'settled', timestamp: new Date('2024-01-02T03:04:05Z'), user: 'jo.smith.charity' }],
      orderId: null,
    };
    const out = scrub(tx) as unknown as typeof tx;
    expect(out.id).toBe('tx1');
    expect(out.customer).toEqual({ id: 'c1', firstName: '[redacted]', lastName: '[redacted]', email: '[redacted]', phone: '[redacted]', company: '[redacted]' });
    expect(out.billing).toBe('[redacted]');
    // The last four and the brand are what a receipt shows (payment v4 holds them); the rest of the card goes.
    expect(out.creditCard).toEqual({ bin: '[redacted]', last4: '1111', cardholderName: '[redacted]', maskedNumber: '[redacted]', expirationDate: '[redacted]', cardType: 'Visa' });
    expect(out.usBankAccount).toEqual({ routingNumber: '[redacted]', last4: '1234', accountHolderName: '[redacted]', accountType: 'checking' });
    expect(out.transactionReview).toEqual({ reviewerEmail: '[redacted]', decision: 'ok' });
    expect(out.riskData).toEqual({ customerIp: '[redacted]', id: 'r1' });
    // Who made the change (a member of staff's login) goes too.
    expect(out.statusHistory).toEqual([{ status: 'settled', timestamp: '2024-01-02T03:04:05.000Z', user: '[redacted]' }]);
    expect(out.orderId).toBeNull();
    const text = JSON.stringify(out);
    for (const s of ['Ada', 'Lovelace', 'example.org', '411111', '123456789', 'Schulman', 'hey@girl', '10.0.0.1', 'N1 1AA']) expect(text).not.toContain(s);
    // The input is untouched.
    expect(tx.customer.firstName).toBe('Ada');
  });
});
