// Stripe payout_items keeps its own position, so a `--full` or `--from` reaches it as a request the stream
// itself applies. Two runs of the stream never overlap (the lease): these tests race a scheduled run and a
// `--full` for it against the sandbox. Each run is held at its first publish (its queue waits on a promise)
// so that the interleaving is the same every time.
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { loadBookmark } from '../core/engine/bookmark.js';
import type { EngineRuntime } from '../core/engine/define.js';
import { syncConnector, type SyncOptions } from '../core/engine/sync.js';
import { stripeConnector } from '../connectors/stripe/connector.js';
import { gate, holdFirstPublish } from './support/held-run.js';
import { stripeHarness, type StripeHarness } from './support/stripe-harness.js';

describe('Stripe payout_items: a --full that meets a run of the stream holding its lease', () => {
  let h: StripeHarness;
  beforeEach(async () => {
    // Bare charges over the last 14 days: a payout a day, none read yet.
    h = await stripeHarness({ charges: 300 });
  });
  afterEach(() => h.close());

  const run = (rt: EngineRuntime, o: SyncOptions) => syncConnector(stripeConnector(h.config()), rt, o);
  const start = () => h.config().startDate.getTime() / 1000;
  /** Members (the payout's own row included) of every payout since the start date. */
  const allMembers = () =>
    h.sandbox.data.payouts.filter((p) => p.created >= start()).reduce((n, p) => n + h.sandbox.data.payoutMembers(p.id).length, 0);
  const position = async () => (await loadBookmark(h.rt.state, 'stripe', 'payout_items')).extra ?? null;

  it('applies the --full under the lease: asked while a scheduled run holds it, it is honoured once its own turn comes', async () => {
    // The scheduled run starts, and stops at its first page with the lease held and its position loaded.
    const scheduledMayGoOn = gate();
    const scheduledHeld = gate();
    const scheduled = run({ ...h.engineRuntime, queue: holdFirstPublish(h.engineRuntime.queue, scheduledMayGoOn.opened, scheduledHeld.open) }, { streams: ['payout_items'] });
    await scheduledHeld.opened;
    // The --full sync starts now (payouts first, then payout_items): its payouts wait for the scheduled run to end,
    // so payout_items' turn comes once the lease is free.
    const full = run({ ...h.engineRuntime, queue: holdFirstPublish(h.engineRuntime.queue, scheduled, scheduledMayGoOn.open) }, { streams: ['payouts', 'payout_items'], full: true });
    const [s] = await scheduled;
    expect(s).toMatchObject({ outcome: 'succeeded', records: allMembers() });
    const [, items] = await full;
    // Until 2026-12-02 the request was written when the sync started, outside the lease, and the scheduled
    // run's next save put back the position it had loaded: this run read nothing and said it succeeded.
    expect(items).toMatchObject({ stream: 'payout_items', outcome: 'succeeded', records: allMembers() });
    expect((await position())?.rescan).toBeNull();
  });

  it('refuses a --full whose turn comes while the lease is held, says so, and keeps nothing of it; run again, it reads every payout', async () => {
    const scheduledMayGoOn = gate();
    const scheduledHeld = gate();
    const scheduled = run({ ...h.engineRuntime, queue: holdFirstPublish(h.engineRuntime.queue, scheduledMayGoOn.opened, scheduledHeld.open) }, { streams: ['payout_items'] });
    await scheduledHeld.opened;
    const before = await position();
    const [refused] = await run(h.engineRuntime, { streams: ['payout_items'], full: true });
    expect(refused).toMatchObject({ outcome: 'refused', records: 0 });
    expect(refused!.error).toMatch(/another run of stripe\/payout_items holds the lease: nothing was read or kept.*run it again/);
    // Nothing of the request is kept, as for every other stream: the user was told to run it again.
    expect(await position()).toEqual(before);
    scheduledMayGoOn.open();
    expect((await scheduled)[0]).toMatchObject({ outcome: 'succeeded', records: allMembers() });
    expect((await run(h.engineRuntime, { streams: ['payout_items'] }))[0]).toMatchObject({ outcome: 'succeeded', records: 0 });
    expect((await run(h.engineRuntime, { streams: ['payout_items'], full: true }))[0]).toMatchObject({ outcome: 'succeeded', records: allMembers() });
  });

  it('lets a --full that holds the lease finish whole while a scheduled run is refused', async () => {
    await run(h.engineRuntime, { streams: ['payout_items'] });
    const fullMayGoOn = gate();
    const fullHeld = gate();
    const full = run({ ...h.engineRuntime, queue: holdFirstPublish(h.engineRuntime.queue, fullMayGoOn.opened, fullHeld.open) }, { streams: ['payout_items'], full: true });
    await fullHeld.opened;
    const [scheduled] = await run(h.engineRuntime, { streams: ['payout_items'] });
    expect(scheduled).toMatchObject({ outcome: 'refused', records: 0 });
    fullMayGoOn.open();
    expect((await full)[0]).toMatchObject({ outcome: 'succeeded', records: allMembers() });
    expect((await position())?.rescan).toBeNull();
  });
});
