// A backfill over a quiet year: Stripe's windows grow while each fits in one page (core/engine/window-plan.ts).
// Until 2026-12-02 every window was its fixed size: a --full of a year was 53 list calls a stream and 368 for
// events (one a day, 335 of them older than the 30 days Stripe keeps events), 740 in all for 82 charges.
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { loadBookmark } from '../core/engine/bookmark.js';
import { stopRuns } from '../core/engine/run-stream.js';
import { syncConnector } from '../core/engine/sync.js';
import { stripeConnector } from '../connectors/stripe/connector.js';
import { NOW, stripeHarness, type StripeHarness } from './support/stripe-harness.js';

const DAY = 86_400_000;
const YEAR_AGO = new Date(NOW.getTime() - 365 * DAY);

describe('Stripe backfill of a quiet year', () => {
  let h: StripeHarness;
  beforeEach(async () => {
    h = await stripeHarness({ scenario: { seed: 5, donations: 150 } }, { startDate: YEAR_AGO });
  });
  afterEach(() => h.close());

  it('--full reads a year in windows that grow while empty: 9 list calls an empty stream, not 53', async () => {
    h.sandbox.requests.reset();
    const results = await h.sync({ full: true });
    expect(results.every((r) => r.outcome === 'succeeded')).toBe(true);
    const calls = Object.fromEntries(results.map((r) => [r.stream, r.requests]));
    // 7, 14, 28, 56 days, then 64-day windows (Stripe's cap) to now: 9 windows over 365 days.
    for (const empty of ['refunds', 'disputes', 'payouts']) expect(calls[empty]).toBe(9);
    // Only the 29 days Stripe still keeps (its 30 less a day's margin): see the next test.
    expect(calls.events).toBeLessThan(20);
    expect(h.sandbox.requests.total).toBeLessThan(100);
    // Nothing missed, and every bookmark where fixed windows left it: now less the stream's lag.
    expect(results.find((r) => r.stream === 'charges')!.records).toBe(h.sandbox.data.charges.length);
    expect((await loadBookmark(h.rt.state, 'stripe', 'charges')).cursor).toBe(new Date(NOW.getTime() - 5_000).toISOString());
    expect((await loadBookmark(h.rt.state, 'stripe', 'events')).cursor).toBe(new Date(NOW.getTime() - 60_000).toISOString());
    await h.land();
    expect(await h.q('SELECT count(*) AS n FROM payment')).toEqual([{ n: h.sandbox.data.charges.length }]);
  });

  it('--full asks for no window of events older than the 30 days Stripe keeps them, and reads every event it keeps', async () => {
    const inst = stripeConnector(h.config());
    const asked: { gte: number; lt: number }[] = [];
    const real = inst.client.events.list.bind(inst.client.events);
    inst.client.events.list = ((params: { created: { gte: number; lt: number } }) => (asked.push(params.created), real(params as never))) as never;
    const [events] = await syncConnector(inst, h.engineRuntime, { streams: ['events'], full: true });
    expect(events).toMatchObject({ outcome: 'succeeded' });
    expect(asked.length).toBeGreaterThan(0);
    const oldest = Math.min(...asked.map((c) => c.gte)) * 1000;
    // Where a first read starts: 30 days less a day's margin, not the start date a year ago.
    expect(oldest).toBe(NOW.getTime() - 29 * DAY);
    // Everything the sandbox holds from there on was read.
    const kept = h.sandbox.data.events.filter((e) => e.created * 1000 >= oldest && e.created * 1000 < NOW.getTime() - 60_000);
    expect(kept.length).toBeGreaterThan(0);
    expect(events!.records).toBe(kept.length);
    expect((await loadBookmark(h.rt.state, 'stripe', 'events')).cursor).toBe(new Date(NOW.getTime() - 60_000).toISOString());
  });

  it('--full of events under a clock that moves as it reads: the cursor follows the read to now, not left at the horizon', async () => {
    // A real clock moves between reading the horizon for the cursor and for the first window: the first window
    // then started a moment after the cursor, so no window moved it and a --full left it 29 days back.
    const ticking = { now: () => (h.clock.advance(1), h.clock.now()) };
    const [events] = await syncConnector(stripeConnector(h.config()), { ...h.engineRuntime, clock: ticking }, { streams: ['events'], full: true });
    expect(events).toMatchObject({ outcome: 'succeeded' });
    const cursor = Date.parse((await loadBookmark(h.rt.state, 'stripe', 'events')).cursor!);
    expect(cursor).toBeGreaterThan(NOW.getTime() - 2 * 60_000);
  });

  it('a --full stopped part-way is continued by --full again, not started over; once it has ended, --full starts over', async () => {
    const full = async (stopAt?: number) => {
      const inst = stripeConnector(h.config());
      const deadline = new Date(NOW.getTime() + 365 * DAY);
      const from: number[] = [];
      const real = inst.client.charges.list.bind(inst.client.charges);
      inst.client.charges.list = ((params: { created: { gte: number } }) => {
        from.push(params.created.gte * 1000);
        if (from.length === stopAt) stopRuns(deadline); // Ctrl-C as this list goes out
        return real(params as never);
      }) as never;
      const [r] = await syncConnector(inst, h.engineRuntime, { streams: ['charges'], full: true, deadline });
      return { r: r!, from };
    };
    const stopped = await full(3);
    expect(stopped.r).toMatchObject({ outcome: 'partial' });
    expect(stopped.r.error).toBe('stopped; the next run, --full or not, continues from the checkpoint');
    // Three windows asked (7 + 14 days read, the third's page read as the stop came): the checkpoint is after them.
    expect(stopped.from[0]).toBe(YEAR_AGO.getTime());
    const checkpoint = Date.parse((await loadBookmark(h.rt.state, 'stripe', 'charges')).cursor!);
    expect(checkpoint).toBeGreaterThan(YEAR_AGO.getTime());

    const resumed = await full();
    expect(resumed.r).toMatchObject({ outcome: 'succeeded' });
    // On from the checkpoint (less the stream's 5-minute lookback), not from the start date again.
    expect(Math.min(...resumed.from)).toBeGreaterThanOrEqual(checkpoint - 5 * 60_000);
    await h.land();
    expect(await h.q('SELECT count(*) AS n, count(DISTINCT payment_id) AS ids FROM payment')).toEqual([
      { n: h.sandbox.data.charges.length, ids: h.sandbox.data.charges.length },
    ]);

    // That --full has ended: the next one reads everything again, from the start date.
    const again = await full();
    expect(again.r).toMatchObject({ outcome: 'succeeded', records: h.sandbox.data.charges.length });
    expect(again.from[0]).toBe(YEAR_AGO.getTime());
  });

  it('a --from older than the 30 days Stripe keeps events asks for no events window before them, and says so once', async () => {
    const from = new Date(NOW.getTime() - 200 * DAY);
    const events = () => h.sandbox.requests.entries.filter((e) => e.path === '/v1/events').length;
    // The same read from 30 days back is what the older --from should cost: nothing more.
    h.sandbox.requests.reset();
    const [within] = await h.sync({ streams: ['events'], from: new Date(NOW.getTime() - 30 * DAY) });
    expect(within).toMatchObject({ outcome: 'succeeded' });
    expect(within!.note).toBeUndefined();
    const withinCalls = events();
    expect(withinCalls).toBe(within!.requests);

    h.sandbox.requests.reset();
    const [older] = await h.sync({ streams: ['events'], from });
    expect(older).toMatchObject({ outcome: 'succeeded', records: within!.records });
    // Read from the --from, day windows doubling up to 64 days spent 4 calls on the 170 days before the 30 (12 in all).
    expect(events()).toBe(withinCalls);
    expect(older!.note).toBe(`--from ${from.toISOString()} is older than the 30 days stripe keeps events: read from ${new Date(NOW.getTime() - 30 * DAY).toISOString()}, where they begin`);

    // A range wholly older than that reads nothing, and says so.
    h.sandbox.requests.reset();
    const [gone] = await h.sync({ streams: ['events'], from, to: new Date(NOW.getTime() - 100 * DAY) });
    expect(gone).toMatchObject({ outcome: 'succeeded', records: 0, requests: 0 });
    expect(events()).toBe(0);
    expect(gone!.note).toBe('the range is older than the 30 days stripe keeps events: nothing of it is left to read');
  });

  it('a --from backfill stopped in a grown window resumes there and reads the rest with no gap', async () => {
    const inst = stripeConnector(h.config());
    const deadline = new Date(NOW.getTime() + 365 * DAY);
    let lists = 0;
    const real = inst.client.charges.list.bind(inst.client.charges);
    // Ctrl-C as the fifth window's list goes out: that page is read, and the run stops at the sixth, checkpointed.
    inst.client.charges.list = ((params: never) => {
      if (++lists === 5) stopRuns(deadline);
      return real(params);
    }) as never;
    const range = { streams: ['charges'], from: YEAR_AGO };
    const [stopped] = await syncConnector(inst, h.engineRuntime, { ...range, deadline });
    expect(stopped).toMatchObject({ outcome: 'partial', records: 0 });
    const kept = (await loadBookmark(h.rt.state, 'stripe', 'charges')).backfill!;
    // The window under way is a grown one (7 + 14 + 28 + 56 + 64 days in), kept whole.
    expect(kept.window).toEqual({ from: new Date(YEAR_AGO.getTime() + 169 * DAY).toISOString(), to: new Date(YEAR_AGO.getTime() + 233 * DAY).toISOString(), token: null });

    const [rest] = await h.sync(range);
    expect(rest).toMatchObject({ outcome: 'succeeded', records: h.sandbox.data.charges.length });
    expect((await loadBookmark(h.rt.state, 'stripe', 'charges')).backfill).toBeNull();
    await h.land();
    expect(await h.q('SELECT count(*) AS n FROM payment')).toEqual([{ n: h.sandbox.data.charges.length }]);
  });
});
