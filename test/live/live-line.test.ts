// `puddle start`'s live line on the night: what this start accepted, and the running total the TV shows, which a
// restart does not reset. Until 2026-12-02 it read `accepted 0` after a restart and never showed a total, so an
// operator watching the terminal after a restart saw the night start again. A real hub, restarted on its home.
import { copyFileSync, mkdtempSync, rmSync, truncateSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { liveLine } from '../../infra/cli/live-line.js';
import type { Hub } from '../../infra/local/hub.js';
import { postEvents } from '../support/hub-process.js';
import { getJson, PRODUCER_KEY, READ_KEY, startLiveHub, waitLanded } from './live-hub.js';

const home = mkdtempSync(join(tmpdir(), 'puddle-live-line-'));
const damaged = mkdtempSync(join(tmpdir(), 'puddle-live-line-damaged-'));
let hub: Hub | undefined;
afterAll(async () => {
  await hub?.stop();
  rmSync(home, { recursive: true, force: true });
  rmSync(damaged, { recursive: true, force: true });
});

const donation = (id: string, amount_minor: number, currency: string) => ({
  contract: 'donation',
  version: 1,
  payload: { donation_id: id, occurred_at: new Date().toISOString(), channel: 'online', amount_minor, currency, campaign: 'appeal-night' },
});

/** The line once the landed donations are in the live totals (they are applied as the landing reports them). */
async function lineShowing(h: Hub, total: string): Promise<string> {
  let line = '';
  for (let i = 0; i < 200 && !line.includes(total); i++) {
    line = liveLine(await h.stats());
    if (!line.includes(total)) await new Promise((r) => setTimeout(r, 50));
  }
  return line;
}

describe('the live line', () => {
  it('shows the events accepted since this start and the live total, which survives a restart', async () => {
    hub = await startLiveHub(home);
    expect(liveLine(await hub.stats())).toMatch(/^accepted since start 0 \| live total 0 \(no donations yet\) \| waiting to land 0 \| lake files \d+$/);
    const res = await postEvents(hub.url, PRODUCER_KEY, [donation('d-1', 2500, 'GBP'), donation('d-2', 1550, 'GBP'), donation('d-3', 1000, 'EUR')]);
    expect(res.status).toBe(202);
    await res.arrayBuffer();
    await waitLanded(hub);
    // The main currency is the one with the most pledges; the others are named.
    expect(await lineShowing(hub, 'GBP')).toMatch(/^accepted since start 3 \| live total GBP 40\.50 \(2 donations, \+ EUR\) \| waiting to land 0 \| lake files \d+$/);

    await hub.stop();
    hub = await startLiveHub(home);
    // A new start has accepted nothing yet, but the night's total is rebuilt from the lake before it listens.
    expect(liveLine(await hub.stats())).toMatch(/^accepted since start 0 \| live total GBP 40\.50 \(2 donations, \+ EUR\) \| /);
  });

  it('says the total is being rebuilt rather than showing a 0 while the lake is read at start', async () => {
    const stats = await hub!.stats();
    expect(liveLine({ ...stats, liveTotal: null })).toMatch(/^accepted since start 0 \| live total rebuilding from the lake \| waiting to land 0/);
  });

  it('says the rebuild failed, not that it is rebuilding, while a damaged lake file stops it, and shows the total once the file is back', async () => {
    await hub?.stop();
    hub = await startLiveHub(damaged);
    const res = await postEvents(hub.url, PRODUCER_KEY, [donation('dm-1', 1200, 'GBP')]);
    expect(res.status).toBe(202);
    await res.arrayBuffer();
    await waitLanded(hub);
    await lineShowing(hub, 'GBP 12.00');
    const files = (await hub.runtime.catalog.listFiles({ contract: 'donation' })).map((f) => join(damaged, f.key));
    expect(files.length).toBeGreaterThan(0);
    await hub.stop();
    // A restore cut short: every donation file is listed but unreadable.
    for (const f of files) {
      copyFileSync(f, `${f}.good`);
      truncateSync(f, 100);
    }

    hub = await startLiveHub(damaged, { totalsInBackground: true, totalsRetryMs: 100 });
    const failed = await lineShowing(hub, 'NOT REBUILT');
    // It read 'live total rebuilding from the lake' for as long as the hub ran.
    expect(failed).toMatch(/^accepted since start 0 \| LIVE TOTAL NOT REBUILT from the lake \(failing since \d{2}:\d{2}:\d{2}Z\), retrying: the log says why; \/v1\/totals answers 503 and \/tv shows no total \| waiting to land 0/);
    expect(failed).not.toContain('rebuilding');
    expect(failed).not.toContain(damaged);
    // The TV's answer says the same, not `warming_up` for ever.
    const res503 = await getJson(`${hub.url}/v1/totals`, READ_KEY);
    expect(res503.status).toBe(503);
    // A damaged file is named, with what to do (other failures: totals_unavailable, the log says why).
    const refused = ((await res503.json()) as { error: { code: string; message: string } }).error;
    expect(refused.code).toBe('lake_file_unavailable');
    expect(refused.message).toContain('puddle replay --contract donation');

    // The file comes back (a `puddle replay` beside the hub would do the same): the retry picks it up, no restart.
    for (const f of files) copyFileSync(`${f}.good`, f);
    expect(await lineShowing(hub, 'GBP 12.00')).toMatch(/^accepted since start 0 \| live total GBP 12\.00 \(1 donation\) \| /);
  });
});
