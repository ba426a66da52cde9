// GET /v1/totals' as_of across a restart of a real hub on one home: it must never go back for the same data.
// It is the newest first arrival of a donation version the totals took in; until 2026-12-02 a re-sent event
// moved it forward while the hub ran, and the rebuild after a restart (from the lake, where donation_history
// keeps each version's first arrival) showed it earlier again.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import type { Hub } from '../../infra/local/hub.js';
import type { TotalsDocument } from '../../puddles/live-totals.js';
import { postEvents } from '../support/hub-process.js';
import { getJson, PRODUCER_KEY, READ_KEY, startLiveHub, waitLanded } from './live-hub.js';
import { openSse } from './sse-client.js';

const donation = (id: string, over: Record<string, unknown> = {}) => ({
  contract: 'donation',
  version: 1,
  payload: { donation_id: id, occurred_at: '2026-11-27T20:07:00Z', channel: 'online', amount_minor: 500, currency: 'GBP', campaign: 'as-of', ...over },
});

async function asOf(hub: Hub): Promise<string | null> {
  const res = await getJson(`${hub.url}/v1/totals`, READ_KEY);
  expect(res.status).toBe(200);
  return ((await res.json()) as TotalsDocument).as_of;
}

async function send(hub: Hub, events: unknown[]): Promise<void> {
  expect((await postEvents(hub.url, PRODUCER_KEY, events)).status).toBe(202);
  await waitLanded(hub);
  // Arrivals a few ms apart, so a re-send's arrival is later than the first.
  await new Promise((r) => setTimeout(r, 20));
}

describe('as_of across a restart on one home', () => {
  const home = mkdtempSync(join(tmpdir(), 'puddle-as-of-'));
  let hub: Hub | null = null;
  afterAll(async () => {
    await hub?.stop();
    rmSync(home, { recursive: true, force: true });
  });

  it('is the same after `puddle start` is restarted, a re-sent event and a newer version included', async () => {
    hub = await startLiveHub(home);
    await send(hub, [donation('a-1')]);
    await send(hub, [donation('a-2')]);
    const beforeResend = await asOf(hub);
    // A producer's retry of a-1: the same version, which history keeps at its first arrival.
    await send(hub, [donation('a-1')]);
    expect(await asOf(hub)).toBe(beforeResend);
    // A newer version of a-2 moves it.
    await send(hub, [donation('a-2', { amount_minor: 700, updated_at: '2026-11-27T20:30:00Z' })]);
    const before = await asOf(hub);
    expect(before).not.toBeNull();
    expect(before! > beforeResend!).toBe(true);
    // Again, a retry of the older a-1 after it: still no move.
    await send(hub, [donation('a-1')]);
    expect(await asOf(hub)).toBe(before);
    await hub.stop();
    hub = null;

    hub = await startLiveHub(home);
    expect(await asOf(hub)).toBe(before);
    await hub.stop();
    hub = null;
    // And once more, with nothing new: the same.
    hub = await startLiveHub(home);
    expect(await asOf(hub)).toBe(before);
  }, 120_000);
});

// A donation dated in the future (a mistyped year) is held out of the total until its day; until 2026-12-02 it
// still moved as_of (to its arrival) and pushed a document on the stream whose total had not changed, so a
// broadcaster watching as_of saw new data that never showed. Now it enters as_of when it enters the total.
describe('as_of and a donation dated in the future', () => {
  const home = mkdtempSync(join(tmpdir(), 'puddle-as-of-ahead-'));
  let hub: Hub | null = null;
  afterAll(async () => {
    await hub?.stop();
    rmSync(home, { recursive: true, force: true });
  });

  it('is not moved by it, no stream event is pushed for it, and a restart agrees', async () => {
    // Tomorrow's midnight (UTC): after today, and within the day ahead the producer takes (core/contracts/time-bounds.ts;
    // a year typed 2126 is now a 400).
    const tomorrow = new Date(Math.floor(Date.now() / 86_400_000 + 1) * 86_400_000).toISOString();
    hub = await startLiveHub(home);
    await send(hub, [donation('t-1')]);
    const before = await asOf(hub);
    const stream = await openSse(`${hub.url}/v1/totals/stream`, { authorization: `Bearer ${READ_KEY}` });
    try {
      await stream.next((m) => m.event === 'totals');
      await send(hub, [donation('t-typo', { occurred_at: tomorrow, amount_minor: 1_000_000 })]);
      // Longer than the stream's 250 ms between pushes: any push for it would be here by now.
      await new Promise((r) => setTimeout(r, 600));
      expect(stream.messages.filter((m) => m.event === 'totals')).toHaveLength(1);
      const doc = (await (await getJson(`${hub.url}/v1/totals`, READ_KEY)).json()) as TotalsDocument;
      expect(doc).toMatchObject({ as_of: before, total: { amount_minor: 500, count: 1 } });
      // A donation dated today still moves it, and the stream pushes that.
      const seen = stream.messages.length;
      await send(hub, [donation('t-2')]);
      const pushed = await stream.next((m) => m.event === 'totals', seen);
      const after = (JSON.parse(pushed.data!) as TotalsDocument).as_of;
      expect(after! > before!).toBe(true);
      expect(after! <= new Date().toISOString()).toBe(true);
    } finally {
      stream.close();
    }
    const after = await asOf(hub);
    // Another, the newest arrival when the hub stops: the rebuild reads it from donation_history, and holds it too.
    await send(hub, [donation('t-typo-2', { occurred_at: tomorrow })]);
    expect(await asOf(hub)).toBe(after);
    await hub.stop();
    hub = null;
    hub = await startLiveHub(home);
    expect(await asOf(hub)).toBe(after);
  }, 120_000);
});
