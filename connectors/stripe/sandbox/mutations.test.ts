import Stripe from 'stripe';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { SandboxStateError } from './late-changes.js';
import { startStripeSandbox } from './start-stripe-sandbox.js';
import { movableClock, sandboxClient } from './test-client.js';
import type { StripeSandbox } from './types.js';

describe('stripe sandbox: late changes', () => {
  const clock = movableClock(new Date('2026-11-28T09:00:00Z'));
  let sandbox: StripeSandbox;
  let stripe: Stripe;

  beforeAll(async () => {
    sandbox = await startStripeSandbox({ scenario: { seed: 8, donations: 200 }, now: clock.now, rateLimit: 0 });
    stripe = sandboxClient(sandbox);
  });
  afterAll(() => sandbox.close());

  const succeeded = () => sandbox.data.charges.filter((c) => c.status === 'succeeded' && !c.refunded && !c.disputed && c.amount_refunded === 0);

  it('refunds a charge: refund, refund balance transaction, charge.refunded and refund.created', async () => {
    clock.advance(60_000);
    const charge = succeeded()[0]!;
    const refund = sandbox.refundCharge(charge.id);
    expect(refund.amount).toBe(charge.amount);

    const listed = await stripe.refunds.list({ charge: charge.id, expand: ['data.balance_transaction'] });
    expect(listed.data.map((r) => r.id)).toEqual([refund.id]);
    const bt = listed.data[0]!.balance_transaction as Stripe.BalanceTransaction;
    expect(bt).toMatchObject({ type: 'refund', amount: -charge.amount, net: -charge.amount, source: refund.id });

    const after = await stripe.charges.retrieve(charge.id);
    expect(after).toMatchObject({ refunded: true, amount_refunded: charge.amount });

    const now = Math.floor(clock.now().getTime() / 1000);
    const events = await stripe.events.list({ created: { gte: now }, limit: 100 });
    expect(events.data.map((e) => e.type).sort()).toEqual(['charge.refunded', 'refund.created']);
    const refunded = events.data.find((e) => e.type === 'charge.refunded')!;
    expect((refunded.data.object as Stripe.Charge).amount_refunded).toBe(charge.amount);
    expect(refunded.data.previous_attributes).toEqual({ amount_refunded: 0, refunded: false });
  });

  it('keeps earlier event snapshots as they were', async () => {
    const charge = succeeded()[1]!;
    clock.advance(60_000);
    sandbox.refundCharge(charge.id, 100);
    const succeededEvent = sandbox.data.events.find((e) => e.type === 'charge.succeeded' && e.data.object.id === charge.id)!;
    expect(succeededEvent.data.object.amount_refunded).toBe(0);
    expect((await stripe.charges.retrieve(charge.id)).amount_refunded).toBe(100);
    expect(() => sandbox.refundCharge(charge.id, charge.amount)).toThrow(SandboxStateError);
  });

  it('opens a dispute: dispute, withdrawal with fee, charge.dispute.created', async () => {
    clock.advance(60_000);
    const charge = succeeded()[0]!;
    const dispute = sandbox.openDispute(charge.id);
    const got = await stripe.disputes.retrieve(dispute.id);
    expect(got).toMatchObject({ charge: charge.id, amount: charge.amount, status: 'needs_response' });
    expect(got.balance_transactions[0]).toMatchObject({ amount: -charge.amount, reporting_category: 'dispute' });
    expect((await stripe.charges.retrieve(charge.id)).disputed).toBe(true);
    const events = await stripe.events.list({ type: 'charge.dispute.created', limit: 1 });
    expect((events.data[0]!.data.object as Stripe.Dispute).id).toBe(dispute.id);
  });

  it('adds charges now, with their whole journey', async () => {
    clock.advance(60_000);
    const added = sandbox.addCharges(3);
    const page = await stripe.charges.list({ limit: 3 });
    expect(page.data.map((c) => c.id).sort()).toEqual(added.map((c) => c.id).sort());
    const now = Math.floor(clock.now().getTime() / 1000);
    expect(added.every((c) => c.created === now)).toBe(true);
    const events = await stripe.events.list({ created: { gte: now }, types: ['charge.succeeded', 'charge.failed'], limit: 10 });
    expect(events.data.length).toBe(3);
  });

  it('runs live, adding charges over time until stopped', async () => {
    const before = sandbox.data.charges.length;
    sandbox.startLive({ chargesPerSecond: 50 });
    await vi.waitFor(() => expect(sandbox.data.charges.length).toBeGreaterThan(before + 2), { timeout: 10_000, interval: 50 });
    sandbox.stopLive();
    const stopped = sandbox.data.charges.length;
    const page = await stripe.charges.list({ limit: 1 });
    expect(page.data.length).toBe(1);
    expect(sandbox.data.charges.length).toBe(stopped);
  });

  it('runs live with a share of Bacs Direct Debits, pending as Stripe lists them', async () => {
    const before = sandbox.data.charges.length;
    sandbox.startLive({ chargesPerSecond: 200, bankDebitShare: 0.5 });
    await vi.waitFor(() => expect(sandbox.data.charges.length).toBeGreaterThan(before + 40), { timeout: 10_000, interval: 50 });
    sandbox.stopLive();
    const added = sandbox.data.charges.slice(before);
    const debits = added.filter((c) => c.id.startsWith('py_'));
    // Half, give or take: neither none nor all.
    expect(debits.length).toBeGreaterThan(added.length / 5);
    expect(debits.length).toBeLessThan((added.length * 4) / 5);
    const listed = await stripe.charges.retrieve(debits[0]!.id);
    expect({ status: listed.status, method: listed.payment_method_details?.type }).toEqual({ status: 'pending', method: 'bacs_debit' });
  });

  it('deletes a customer: gone from lists, and a cursor naming it is refused as Stripe refuses it', async () => {
    clock.advance(60_000);
    const [newest, second, third] = (await stripe.customers.list({ limit: 3 })).data;
    sandbox.deleteCustomer(second!.id);
    expect((await stripe.customers.list({ limit: 2 })).data.map((c) => c.id)).toEqual([newest!.id, third!.id]);
    const cursor = await stripe.customers.list({ starting_after: second!.id }).catch((e: unknown) => e);
    expect(cursor).toMatchObject({ type: 'StripeInvalidRequestError', statusCode: 400, code: 'resource_missing', param: 'starting_after' });
    expect(await stripe.customers.retrieve(second!.id).catch((e: unknown) => e)).toMatchObject({ statusCode: 404 });
    expect((await stripe.events.list({ type: 'customer.deleted', limit: 1 })).data[0]!.data.object).toMatchObject({ id: second!.id });
    expect(() => sandbox.deleteCustomer(second!.id)).toThrow(SandboxStateError);
  });

  it('lists what changed since the last list: a refund, and a balance that became available', async () => {
    // Last in this file: it moves the clock days on. A charge whose balance is still pending.
    const charge = succeeded().find((c) => sandbox.data.balanceTransactions.find((b) => b.source === c.id)?.status === 'pending')!;
    const list = async () =>
      (await stripe.charges.list({ created: { gte: charge.created, lte: charge.created }, expand: ['data.balance_transaction'], limit: 100 })).data.find(
        (c) => c.id === charge.id,
      )!;
    const before = await list(); // serialised once here, and kept until something changes
    expect(before.amount_refunded).toBe(0);
    sandbox.refundCharge(charge.id, 100);
    expect((await list()).amount_refunded).toBe(100);
    const bt = () => sandbox.data.balanceTransactions.find((b) => b.source === charge.id && b.type === 'charge')!;
    expect((before.balance_transaction as Stripe.BalanceTransaction).status).toBe('pending');
    clock.set(new Date((bt().available_on + 1) * 1000));
    expect(((await list()).balance_transaction as Stripe.BalanceTransaction).status).toBe('available');
  });
});
