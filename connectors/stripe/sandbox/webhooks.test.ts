import Stripe from 'stripe';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestReceiver, type TestReceiver } from '../../sandbox-kit/test-receiver.js';
import { startStripeSandbox } from './start-stripe-sandbox.js';
import type { StripeSandbox } from './types.js';

const SECRET = 'whsec_sandbox_test';

/** The raw body is kept as sent: the signature is over its bytes. */
interface Received {
  body: string;
  signature: string;
}

describe('stripe sandbox: webhooks', () => {
  let receiver: TestReceiver<Received>;
  let sandbox: StripeSandbox;
  const stripe = new Stripe('sk_test_unused');

  beforeAll(async () => {
    receiver = await startTestReceiver<Received>({
      path: '/webhooks/stripe',
      read: (body, headers) => ({ body, signature: String(headers['stripe-signature']) }),
      okBody: '{}',
    });
    sandbox = await startStripeSandbox({ scenario: { seed: 4, donations: 100 }, webhook: { url: receiver.url, secret: SECRET } });
  });
  afterAll(async () => {
    await sandbox.close();
    await receiver.close();
  });

  it('does not deliver the seeded history', async () => {
    await sandbox.webhooksIdle();
    expect(sandbox.data.events.length).toBeGreaterThan(0);
    expect(receiver.received).toEqual([]);
  });

  it('delivers signed events for a mutation, verifiable with constructEvent', async () => {
    const charge = sandbox.data.charges.find((c) => c.status === 'succeeded' && !c.refunded && !c.disputed)!;
    const refund = sandbox.refundCharge(charge.id);
    await sandbox.webhooksIdle();
    const events = receiver.received.map((r) => stripe.webhooks.constructEvent(r.body, r.signature, SECRET));
    expect(events.map((e) => e.type)).toEqual(['charge.refunded', 'refund.created']);
    expect((events[1]!.data.object as Stripe.Refund).id).toBe(refund.id);
    expect(events[0]!.pending_webhooks).toBe(1);
    expect(() => stripe.webhooks.constructEvent(receiver.received[0]!.body, receiver.received[0]!.signature, 'whsec_other')).toThrow(
      Stripe.errors.StripeSignatureVerificationError,
    );
  });

  it('retries a failed delivery', async () => {
    receiver.received.length = 0;
    receiver.failNext.n = 1;
    const [charge] = sandbox.addCharges(1);
    await sandbox.webhooksIdle();
    const types = receiver.received.map((r) => stripe.webhooks.constructEvent(r.body, r.signature, SECRET).type);
    expect(types).toContain(charge!.status === 'succeeded' ? 'charge.succeeded' : 'charge.failed');
    const retried = sandbox.webhookDeliveries.filter((d) => d.attempts > 1);
    expect(retried.length).toBe(1);
    expect(sandbox.webhookDeliveries.every((d) => d.ok)).toBe(true);
  });
});
