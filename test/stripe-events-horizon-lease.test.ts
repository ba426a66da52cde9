// Stripe keeps events for 30 days: an events bookmark older than that means changes were missed, so the object
// streams read every window since it again. Each stream's position is only written under its own lease: this test
// races a run of `charges` holding its lease against another sync whose events run finds the gap. The charges run
// is held at its first publish (its queue waits on a promise), so the interleaving is the same every time.
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { loadBookmark, saveBookmark } from '../core/engine/bookmark.js';
import type { EngineRuntime } from '../core/engine/define.js';
import { syncConnector, type SyncOptions } from '../core/engine/sync.js';
import { log } from '../core/log.js';
import { stripeConnector } from '../connectors/stripe/connector.js';
import { gate, holdFirstPublish } from './support/held-run.js';
import { stripeHarness, type StripeHarness } from './support/stripe-harness.js';

const DAY = 86_400_000;

describe('Stripe events horizon: a gap found while a run of charges holds its lease', () => {
  let h: StripeHarness;
  beforeEach(async () => {
    h = await stripeHarness({ scenario: { seed: 5, donations: 150 } });
  });
  afterEach(async () => {
    vi.restoreAllMocks();
    await h.close();
  });

  const run = (rt: EngineRuntime, o: SyncOptions = {}) => syncConnector(stripeConnector(h.config()), rt, o);
  const byStream = <T extends { stream: string }>(results: T[], name: string) => results.find((r) => r.stream === name);

  it('re-reads the gap in charges once that run has ended, instead of the run saving its own position over the rewind', async () => {
    await run(h.engineRuntime);
    const stale = (await loadBookmark(h.rt.state, 'stripe', 'events')).cursor!;
    h.clock.advance(10 * DAY);
    const missed = h.sandbox.addCharges(3); // changes whose events will have expired by the next events run
    h.clock.advance(20 * DAY - 10 * 60_000);
    // charges was synced alone in the meantime, past those three: only the horizon's re-read brings them back.
    const charges = await loadBookmark(h.rt.state, 'stripe', 'charges');
    await saveBookmark(h.rt.state, 'stripe', 'charges', { ...charges, cursor: h.clock.now().toISOString(), window: null, revisitFrom: null });
    h.sandbox.addCharges(2); // what the charges run under way reads
    h.clock.advance(60_000);

    // A run of charges alone starts while the events bookmark is still within the 30 days, and stops at its
    // first page with the lease held and its bookmark loaded.
    const chargesMayGoOn = gate();
    const chargesHeld = gate();
    const held = run({ ...h.engineRuntime, queue: holdFirstPublish(h.engineRuntime.queue, chargesMayGoOn.opened, chargesHeld.open) }, { streams: ['charges'] });
    await chargesHeld.opened;

    // Now the events bookmark is past the 30 days. The scheduled sync meets the held run: its charges is
    // refused, and its events run finds the gap.
    h.clock.advance(2 * 60 * 60_000);
    const warn = vi.spyOn(log, 'warn');
    const scheduled = await run(h.engineRuntime);
    expect(byStream(scheduled, 'charges')).toMatchObject({ outcome: 'refused', records: 0 });
    expect(byStream(scheduled, 'events')).toMatchObject({ outcome: 'succeeded' });
    const events = await loadBookmark(h.rt.state, 'stripe', 'events');
    expect(Date.parse(events.cursor!)).toBeGreaterThan(Date.parse(stale) + 30 * DAY);
    // One warning, naming the bookmark's time and no record of any stream.
    const gaps = warn.mock.calls.filter(([msg]) => /keeps/.test(msg));
    expect(gaps).toHaveLength(1);
    expect(JSON.stringify(gaps[0])).toContain(stale);
    expect(JSON.stringify(gaps[0])).not.toMatch(/ch_|cus_|pi_/);

    // The held run goes on and saves its own position, as runs do.
    chargesMayGoOn.open();
    expect((await held)[0]).toMatchObject({ stream: 'charges', outcome: 'succeeded', records: 2 });

    // Until 2026-12-02 the sync rewound charges' bookmark as it started, holding no lease, and the held run's
    // save put back the position it had loaded: the three charges were never read. Now the next sync reads them.
    const next = await run(h.engineRuntime);
    expect(next.every((r) => r.outcome === 'succeeded')).toBe(true);
    expect(byStream(next, 'charges')!.records).toBeGreaterThanOrEqual(3);
    await h.land();
    const ids = missed.map((c) => `'${c.id}'`).join(',');
    expect(await h.q(`SELECT count(*) AS n FROM payment WHERE payment_id IN (${ids})`)).toEqual([{ n: 3 }]);

    // Taken once: the sync after that reads only the newest window again.
    h.clock.advance(60_000);
    const after = await run(h.engineRuntime, { streams: ['charges'] });
    expect(after[0]).toMatchObject({ outcome: 'succeeded', requests: 1 });
  });
});
