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

    // One window, two pages: 150 card charges (older, listed last), then 50 Bacs Direct Debits, pending for
    // three days (newest, listed first).
    h.clock.advance(60 * 60_000);
    h.sandbox.addCharges(150);
    h.clock.advance(60 * 60_000);
    const pending = h.sandbox.addBankDebits(50);
    expect(pending.every((c) => c.status === 'pending')).toBe(true);
    // Past the lookback (5 minutes), so that only their revisit brings them back.
    h.clock.advance(10 * 60_000);

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
    const kept = await loadBookmark(h.rt.state, 'stripe', 'charges');
    expect(Date.parse(kept.revisitFrom ?? 'none')).toBe(oldestPending);
    expect(new Set(kept.revisitIds)).toEqual(new Set(pending.map((c) => c.id)));

    // A day on, still pending: read again by id, and nothing listed from before the bookmark's lookback.
    h.clock.advance(DAY);
    const retrieved = () => h.sandbox.requests.entries.filter((r) => /^\/v1\/charges\/py_/.test(r.path)).length;
    h.sandbox.requests.reset();
    const [stillPending] = await h.sync({ streams: ['charges'] });
    expect(stillPending!.records).toBe(50);
    expect(retrieved()).toBe(50);

    // They clear; the next run reads them again by id (nothing else is new), succeeded with fee and net this time.
    h.clock.advance(3 * DAY);
    h.sandbox.requests.reset();
    const [reread] = await h.sync({ streams: ['charges'] });
    expect(reread!.outcome).toBe('succeeded');
    expect(reread!.records).toBe(50);
    expect(retrieved()).toBe(50);
    expect(pending.every((c) => c.status === 'succeeded')).toBe(true);
    await h.land();
    const ids = pending.map((c) => `'${c.id}'`).join(',');
    expect(await h.q(`SELECT count(*) AS n, count(fee_minor) AS with_fee FROM payment WHERE payment_id IN (${ids}) AND status = 'succeeded'`)).toEqual([{ n: 50, with_fee: 50 }]);
    // Read again and settled: nothing is left to revisit.
    expect(await loadBookmark(h.rt.state, 'stripe', 'charges')).toMatchObject({ revisitFrom: null, revisitIds: null });
  });
});
