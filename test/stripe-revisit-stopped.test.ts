import type Stripe from 'stripe';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadBookmark } from '../core/engine/bookmark.js';
import { stopRuns } from '../core/engine/run-stream.js';
import { syncConnector } from '../core/engine/sync.js';
import { stripeConnector } from '../connectors/stripe/connector.js';
import { stripeHarness, type StripeHarness } from './support/stripe-harness.js';

const DAY = 86_400_000;

describe('Stripe charges: a run stopped part-way keeps the unsettled charges it read for the next runs', () => {
  let h: StripeHarness;
  beforeAll(async () => {
    h = await stripeHarness();
  });
  afterAll(() => h.close());

  it('reads a charge still pending in a stopped run again once it settles, after another run finished the window', async () => {
    // Everything synced and settled: no revisit point left.
    h.clock.advance(10 * DAY);
    expect((await h.sync()).every((r) => r.outcome === 'succeeded')).toBe(true);
    expect((await loadBookmark(h.rt.state, 'stripe', 'charges')).revisitFrom).toBeNull();

    // One window, two pages: 150 charges settled by the next run (older, listed last), then 50 still pending
    // (newest, listed first).
    h.clock.advance(60 * 60_000);
    h.sandbox.addCharges(150);
    h.clock.advance(3 * DAY);
    const pending = h.sandbox.addCharges(50).filter((c) => c.status === 'succeeded');
    expect(pending.length).toBeGreaterThan(0);
    h.clock.advance(5 * 60_000);

    // The first page (the pending charges among it) is read, then the run is stopped (Ctrl-C) as it asks for the
    // next: it ends checkpointed at that page.
    const inst = stripeConnector(h.config());
    const deadline = new Date(h.clock.now().getTime() + DAY);
    const list = inst.client.charges.list.bind(inst.client.charges);
    inst.client.charges.list = ((params: Stripe.ChargeListParams) => {
      if (params.starting_after) stopRuns(deadline);
      return list(params);
    }) as never;
    const [stoppedRun] = await syncConnector(inst, h.engineRuntime, { streams: ['charges'], deadline });
    expect(stoppedRun!.outcome).toBe('partial');
    expect(stoppedRun!.records).toBe(100);

    // Another run continues the window from that page: only settled charges are left in it.
    const [continued] = await h.sync({ streams: ['charges'] });
    expect(continued!.outcome).toBe('succeeded');
    expect(continued!.records).toBe(100);
    const oldestPending = Math.min(...pending.map((c) => c.created)) * 1000;
    expect(Date.parse((await loadBookmark(h.rt.state, 'stripe', 'charges')).revisitFrom ?? 'none')).toBe(oldestPending);

    // The pending charges settle; the next run reads them again (nothing else is new), settled this time.
    h.clock.advance(3 * DAY);
    const [reread] = await h.sync({ streams: ['charges'] });
    expect(reread!.outcome).toBe('succeeded');
    expect(reread!.records).toBe(50);
    expect(pending.every((c) => h.sandbox.data.balanceTransactions.find((b) => b.id === c.balance_transaction)!.status === 'available')).toBe(true);
    // Read again and settled: nothing is left to revisit.
    expect((await loadBookmark(h.rt.state, 'stripe', 'charges')).revisitFrom).toBeNull();
  });
});
