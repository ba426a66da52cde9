import type braintree from 'braintree';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestReceiver, type TestReceiver } from '../../sandbox-kit/test-receiver.js';
import { startBraintreeSandbox } from './start-braintree-sandbox.js';
import { collect, movableClock, sandboxGateway, type LooseSearch } from './test-gateway.js';
import type { BraintreeSandbox } from './types.js';

type Subscription = braintree.Subscription & { statusHistory: { status: string; subscriptionSource: string; timestamp: string }[] };
const DAY = 86_400_000;

// Subscriptions through the real SDK: search (both steps), find, cancel, and the notifications their changes send.
describe('braintree sandbox: subscriptions', () => {
  const clock = movableClock(new Date('2026-11-29T12:00:00Z'));
  let receiver: TestReceiver<{ bt_signature: string; bt_payload: string }>;
  let sandbox: BraintreeSandbox;
  let gateway: braintree.BraintreeGateway;
  const kinds = async () =>
    (await Promise.all(receiver.received.map((r) => gateway.webhookNotification.parse(r.bt_signature, r.bt_payload))))
      .filter((n) => n.kind.startsWith('subscription_'))
      .map((n) => [n.kind, (n as unknown as { subscription: { status: string } }).subscription.status]);

  beforeAll(async () => {
    receiver = await startTestReceiver({ path: '/webhooks/braintree', read: (body) => Object.fromEntries(new URLSearchParams(body)) as { bt_signature: string; bt_payload: string } });
    sandbox = await startBraintreeSandbox({ scenario: { seed: 8, donations: 40 }, subscriptions: 3, now: clock.now, webhook: { url: receiver.url } });
    gateway = sandboxGateway(sandbox);
  });
  afterAll(async () => {
    await sandbox.close();
    await receiver.close();
  });

  it('seeds the same monthly gifts for the same options: active, cancelled, expired, their instalments charged monthly', async () => {
    const again = await startBraintreeSandbox({ scenario: { seed: 8, donations: 40 }, subscriptions: 3, now: clock.now });
    expect(again.data.subscriptions).toEqual(sandbox.data.subscriptions);
    await again.close();
    const [active, canceled, expired] = sandbox.data.subscriptions;
    expect([active!.status, canceled!.status, expired!.status]).toEqual(['Active', 'Canceled', 'Expired']);
    expect(active!.transaction_ids).toHaveLength(4);
    expect([canceled!.transaction_ids.length, expired!.transaction_ids.length]).toEqual([2, 3]);
    for (const s of sandbox.data.subscriptions) {
      expect(s.transaction_ids.map((id) => sandbox.data.transaction(id)!.subscription_id)).toEqual(s.transaction_ids.map(() => s.id));
    }
    // Seeded history is not delivered.
    await sandbox.webhooksIdle();
    expect(receiver.received).toEqual([]);
  });

  it('answers the SDK\'s search by status and created_at, and its find, with status history and instalments newest first', async () => {
    const [active, canceled, expired] = sandbox.data.subscriptions;
    const ended = await collect<braintree.Subscription>(gateway.subscription.search((s: LooseSearch) => s.status().in(['Canceled', 'Expired'])));
    expect(ended.map((s) => s.id).sort()).toEqual([canceled!.id, expired!.id].sort());
    const recent = await collect<braintree.Subscription>(gateway.subscription.search((s: LooseSearch) => s.createdAt().min(new Date(Date.parse(active!.created_at) - 1000))));
    expect(recent.map((s) => s.id)).toEqual([active!.id]);
    const found = (await gateway.subscription.find(canceled!.id)) as Subscription;
    expect(found).toMatchObject({ id: canceled!.id, status: 'Canceled', price: canceled!.price, merchantAccountId: 'puddle_gbp', planId: 'monthly_gift' });
    expect(found.statusHistory.map((e) => [e.status, e.subscriptionSource])).toEqual([['Canceled', 'control_panel'], ['Active', 'api']]);
    expect(found.transactions!.map((t) => t.id)).toEqual([...canceled!.transaction_ids].reverse());
    await expect(gateway.subscription.find('nope')).rejects.toMatchObject({ type: 'notFoundError' });
  });

  it('cancels through the SDK once (then 81905), and notifies each status change', async () => {
    const [active] = sandbox.data.subscriptions;
    clock.advance(DAY);
    const declined = sandbox.chargeSubscription(active!.id, { declined: true });
    expect(declined.status).toBe('processor_declined');
    clock.advance(DAY);
    sandbox.chargeSubscription(active!.id);
    const result = await gateway.subscription.cancel(active!.id);
    expect(result).toMatchObject({ success: true, subscription: { status: 'Canceled' } });
    const again = await gateway.subscription.cancel(active!.id);
    expect(again.success).toBe(false);
    expect(again.errors.deepErrors().map((e) => e.code)).toEqual(['81905']);
    expect(() => sandbox.chargeSubscription(active!.id)).toThrow(/takes no more charges/);
    await sandbox.webhooksIdle();
    expect(await kinds()).toEqual([
      ['subscription_charged_unsuccessfully', 'Active'],
      ['subscription_went_past_due', 'Past Due'],
      ['subscription_charged_successfully', 'Past Due'],
      ['subscription_went_active', 'Active'],
      ['subscription_canceled', 'Canceled'],
    ]);
  });
});
