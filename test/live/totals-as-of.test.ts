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
