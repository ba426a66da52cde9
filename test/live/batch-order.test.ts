// The order of events within one producer request: an IVR or call-centre upload sends a pledge and its
// correction (same donation, no updated_at) in one request, and the later one must win everywhere a version is
// picked (the live total, the `donation` view and so `puddle query`, after a fold, after a restart's rebuild).
// Every event of a request has the request's received_at; its position in the request (received_seq) decides.
// And across requests, received times never go back within a home, even when the machine's clock does.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { movableClock } from '../../connectors/sandbox-kit/movable-clock.js';
import type { Hub } from '../../infra/local/hub.js';
import { compactAll } from '../../puddles/compact.js';
import type { TotalsDocument } from '../../puddles/live-totals.js';
import { postEvents } from '../support/hub-process.js';
import { runPuddle } from '../support/run-cli.js';
import { getJson, PRODUCER_KEY, READ_KEY, startLiveHub, waitLanded } from './live-hub.js';

const CAMPAIGN = 'ivr-upload';
const DONATIONS = ['t1', 't2', 't3', 't4', 't5', 't6', 't7', 't8'];

const pledge = (id: string, amount: number) => ({
  contract: 'donation',
  version: 1,
  payload: { donation_id: id, occurred_at: '2026-11-27T20:10:00Z', channel: 'ivr', amount_minor: amount, currency: 'GBP', campaign: CAMPAIGN, cta: 'tv-ivr' },
});

/** The upload: for every donation, the pledge of 10.00, then its correction to 20.00. */
const UPLOAD = DONATIONS.flatMap((id) => [pledge(id, 1000), pledge(id, 2000)]);

async function post(hub: Hub, events: unknown[]): Promise<void> {
  const res = await postEvents(hub.url, PRODUCER_KEY, events);
  expect(res.status).toBe(202);
  await res.arrayBuffer();
  await waitLanded(hub);
}

async function liveTotal(hub: Hub): Promise<TotalsDocument['total']> {
  const res = await getJson(`${hub.url}/v1/totals?campaign=${CAMPAIGN}`, READ_KEY);
  expect(res.status).toBe(200);
  return ((await res.json()) as TotalsDocument).total;
}

const sqlAmounts = (hub: Hub) =>
  hub.runtime.query.query(`SELECT donation_id, amount_minor FROM donation WHERE campaign = '${CAMPAIGN}' ORDER BY donation_id`);

const corrected = DONATIONS.map((donation_id) => ({ donation_id, amount_minor: 2000 }));

describe('events of one producer request', () => {
  const home = mkdtempSync(join(tmpdir(), 'puddle-batch-order-'));
  let hub: Hub;

  beforeAll(async () => {
    hub = await startLiveHub(home);
  });
  afterAll(async () => {
    await hub?.stop();
    rmSync(home, { recursive: true, force: true });
  });

  it('are ordered as sent: a correction after its original wins in the live total and in SQL alike', async () => {
    await post(hub, UPLOAD);
    expect(await liveTotal(hub)).toEqual({ count: 8, amount_minor: 16_000 });
    expect(await sqlAmounts(hub)).toEqual(corrected);
    expect(await hub.totals.checkDrift()).toMatchObject({ ok: true, differences: [] });
  });

  it('count once when the request is sent again (a retry), and keep the same envelopes', async () => {
    const first = await postEvents(hub.url, PRODUCER_KEY, UPLOAD);
    const again = (await first.json()) as { accepted: { id: string }[] };
    await waitLanded(hub);
    const history = await hub.runtime.query.query(
      `SELECT _id, _received_seq FROM donation_history WHERE campaign = '${CAMPAIGN}' ORDER BY _received_seq`,
    );
    // One row per event of the upload: the retry's envelopes are the first request's (same ids), not new versions.
    expect(history).toHaveLength(UPLOAD.length);
    expect(history.map((r) => r._id)).toEqual(again.accepted.map((a) => a.id));
    expect(history.map((r) => r._received_seq)).toEqual(UPLOAD.map((_, i) => i));
    expect(await liveTotal(hub)).toEqual({ count: 8, amount_minor: 16_000 });
    expect(await sqlAmounts(hub)).toEqual(corrected);
  });

  it('keep their order through a fold into current state, `puddle query` and a restart', async () => {
    await compactAll({ store: hub.runtime.store, catalog: hub.runtime.catalog, foldMinRows: 0 });
    expect(await sqlAmounts(hub)).toEqual(corrected);
    await hub.stop();
    const cli = await runPuddle(
      ['query', '--format', 'json', `SELECT donation_id, amount_minor FROM donation WHERE campaign = '${CAMPAIGN}' ORDER BY donation_id`],
      { PUDDLE_HOME: home },
    );
    expect(cli.code, cli.stderr).toBe(0);
    expect(JSON.parse(cli.stdout)).toEqual(corrected);
    // Rebuilt from the lake on start: the state's current rows, then the versions tying with them.
    hub = await startLiveHub(home);
    expect(await liveTotal(hub)).toEqual({ count: 8, amount_minor: 16_000 });
    // The pledges sent again after the restart: their first arrival was before their corrections', so they lose.
    await post(hub, DONATIONS.map((id) => pledge(id, 1000)));
    expect(await liveTotal(hub)).toEqual({ count: 8, amount_minor: 16_000 });
    expect(await sqlAmounts(hub)).toEqual(corrected);
    expect(await hub.totals.checkDrift()).toMatchObject({ ok: true, differences: [] });
  });
});

describe('received times', () => {
  const home = mkdtempSync(join(tmpdir(), 'puddle-clock-step-'));
  let hub: Hub | undefined;
  afterAll(async () => {
    await hub?.stop();
    rmSync(home, { recursive: true, force: true });
  });

  const call = (amount: number) => ({
    contract: 'donation',
    version: 1,
    payload: { donation_id: 'cj-1', occurred_at: '2026-11-27T20:10:00Z', channel: 'call_centre', amount_minor: amount, currency: 'GBP', campaign: 'clock-step' },
  });

  it('never go back within a home, across a restart under a clock that stepped back: the later correction wins', async () => {
    const clock = movableClock(new Date('2026-12-02T10:00:00.000Z'));
    hub = await startLiveHub(home, { clock });
    await post(hub, [call(1000)]);
    await hub.stop();
    // The machine's clock steps two hours back while the hub is down.
    clock.set(new Date('2026-12-02T08:00:00.000Z'));
    hub = await startLiveHub(home, { clock });
    await post(hub, [call(2500)]);
    const history = await hub.runtime.query.query(`SELECT amount_minor, _received_at FROM donation_history WHERE donation_id = 'cj-1' ORDER BY amount_minor`);
    expect(history.map((r) => r.amount_minor)).toEqual([1000, 2500]);
    const [first, second] = history.map((r) => Date.parse(String(r._received_at)));
    expect(first).toBe(Date.parse('2026-12-02T10:00:00.000Z'));
    // A millisecond on from the last received time the home issued, not the clock's two hours earlier.
    expect(second! - first!).toBeGreaterThan(0);
    expect(second! - first!).toBeLessThan(1000);
    expect(await hub.runtime.query.query(`SELECT amount_minor FROM donation WHERE donation_id = 'cj-1'`)).toEqual([{ amount_minor: 2500 }]);
    const res = await getJson(`${hub.url}/v1/totals?campaign=clock-step`, READ_KEY);
    expect(((await res.json()) as TotalsDocument).total).toEqual({ count: 1, amount_minor: 2500 });
    // Once the clock is past the last received time again, received times are its own.
    clock.set(new Date('2026-12-02T10:00:05.000Z'));
    await post(hub, [call(3000)]);
    const [latest] = await hub.runtime.query.query(`SELECT _received_at FROM donation_history WHERE amount_minor = 3000`);
    expect(latest!._received_at).toBe('2026-12-02T10:00:05.000Z');
  });
});
