import Stripe from 'stripe';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { bank_line } from '../../../core/contracts/catalog.js';
import { startStripeSandbox } from './start-stripe-sandbox.js';
import { movableClock, sandboxClient } from './test-client.js';
import type { StripeSandbox } from './types.js';

const DAY = 86_400;

describe('stripe sandbox: payouts', () => {
  const clock = movableClock(new Date('2026-12-04T12:00:00Z'));
  let sandbox: StripeSandbox;
  let stripe: Stripe;

  beforeAll(async () => {
    sandbox = await startStripeSandbox({ scenario: { seed: 21, donations: 400 }, charges: 600, now: clock.now, rateLimit: 0 });
    stripe = sandboxClient(sandbox);
  });
  afterAll(() => sandbox.close());

  it('pays out each closed day once; the listed members sum to the payout', async () => {
    const payouts = await stripe.payouts.list({ limit: 100 }).autoPagingToArray({ limit: 1000 });
    expect(payouts.length).toBeGreaterThan(5);
    for (const payout of payouts) {
      expect(payout).toMatchObject({ automatic: true, currency: 'gbp', arrival_date: payout.created + DAY });
      expect(payout.statement_descriptor).toBe(`STRIPE PAYOUT ${payout.id.slice(-8).toUpperCase()}`);
      const rows = await stripe.balanceTransactions.list({ payout: payout.id, limit: 100 }).autoPagingToArray({ limit: 10_000 });
      const own = rows.filter((bt) => bt.type === 'payout');
      const members = rows.filter((bt) => bt.type !== 'payout');
      expect(own.map((bt) => bt.id)).toEqual([payout.balance_transaction]);
      expect(own[0]!.amount).toBe(-payout.amount);
      expect(members.reduce((s, bt) => s + bt.net, 0)).toBe(payout.amount);
      for (const bt of rows) {
        expect((bt as unknown as { payout: string }).payout).toBe(payout.id);
        expect(bt.available_on).toBeLessThanOrEqual(payout.created);
        expect(bt.status).toBe('available');
      }
    }
    // Every balance transaction is in at most one payout.
    const all = payouts.flatMap((p) => sandbox.data.payoutMembers(p.id).map((bt) => bt.id));
    expect(new Set(all).size).toBe(all.length);
  });

  it('does not put the payout id on balance transactions listed otherwise', async () => {
    const page = await stripe.balanceTransactions.list({ limit: 20, type: 'charge' });
    expect(page.data.length).toBe(20);
    expect(page.data.every((bt) => !('payout' in bt) && bt.type === 'charge')).toBe(true);
    const bySource = await stripe.balanceTransactions.list({ source: page.data[0]!.source as string });
    expect(bySource.data.map((bt) => bt.id)).toEqual([page.data[0]!.id]);
  });

  it('keeps balance transactions pending until available_on', async () => {
    const now = Math.floor(clock.now().getTime() / 1000);
    const page = await stripe.balanceTransactions.list({ limit: 100, type: 'charge' });
    for (const bt of page.data) expect(bt.status).toBe(bt.available_on <= now ? 'available' : 'pending');
    expect(page.data.some((bt) => bt.status === 'pending')).toBe(true);
  });

  it('filters payouts by arrival_date and status; one bank line per paid payout', async () => {
    const paid = await stripe.payouts.list({ status: 'paid', limit: 100 });
    const inTransit = await stripe.payouts.list({ status: 'in_transit', limit: 100 });
    expect(paid.data.length + inTransit.data.length).toBe(sandbox.data.payouts.length);
    expect(inTransit.data.length).toBeGreaterThan(0);
    const pivot = paid.data[2]!.arrival_date;
    const later = await stripe.payouts.list({ arrival_date: { gte: pivot }, limit: 100 });
    expect(later.data.every((p) => p.arrival_date >= pivot)).toBe(true);
    expect(later.data.length).toBe(sandbox.data.payouts.filter((p) => p.arrival_date >= pivot).length);

    const lines = sandbox.data.bankLines;
    expect(lines.length).toBe(paid.data.length);
    for (const line of lines) {
      expect(bank_line.validate(line).errors).toBeNull();
      const payout = paid.data.find((p) => p.statement_descriptor === line.reference)!;
      expect(line).toMatchObject({ account: 'charity-current', currency: 'GBP', amount_minor: payout.amount });
      expect(line.booking_date).toBe(new Date(payout.arrival_date * 1000).toISOString().slice(0, 10));
    }
  });

  it('runPayouts sweeps newly available days and arrives as the clock moves', async () => {
    const before = sandbox.data.payouts.length;
    clock.advance(5 * DAY * 1000);
    const created = sandbox.runPayouts(clock.now());
    expect(created.length).toBeGreaterThan(0);
    expect(sandbox.data.payouts.length).toBe(before + created.length);
    clock.advance(2 * DAY * 1000);
    const latest = await stripe.payouts.retrieve(created[created.length - 1]!.id);
    expect(latest.status).toBe('paid');
    const events = await stripe.events.list({ type: 'payout.paid', limit: 100 });
    expect(events.data.map((e) => (e.data.object as Stripe.Payout).id)).toContain(latest.id);
    expect(sandbox.data.bankLines.some((l) => l.reference === latest.statement_descriptor)).toBe(true);
  });
});
