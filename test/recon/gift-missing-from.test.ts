// A charity that began keying gifts into Salesforce NPSP on 1 July has no CRM gift for any payment before then:
// GIFT_MISSING on each of them buried the breaks that matter (a July gift nobody keyed). The recon parameter
// gift_missing_from, set as PUDDLE_RECON_GIFT_MISSING_FROM, is the day GIFT_MISSING applies from; it goes through
// the one recon_params mechanism, so `puddle report` (with --as-of on top), `export` and `query` all take it.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { makeEnvelope } from '../../core/envelope.js';
import { createLocalRuntime } from '../../infra/local/runtime.js';
import { PuddleConsumer } from '../../puddles/consumer.js';
import { PUDDLES } from '../../puddles/definitions.js';
import { runPuddle } from '../support/run-cli.js';

const home = mkdtempSync(join(tmpdir(), 'puddle-gift-from-'));
const env = (contract: string, version: number, payload: Record<string, unknown>) =>
  makeEnvelope({ contract, version, source: 'test', stream: contract, payload, received_at: '2026-08-01T00:00:00.000Z', delivery_id: 'gift-from-test' });
const pay = (id: string, at: string) => env('payment', 2, { payment_id: id, occurred_at: at, provider: 'stripe', status: 'succeeded', amount_minor: 2500, currency: 'GBP' });
const keyed = (id: string, at: string, ref: string) => [
  env('gift', 2, { gift_id: `g_${id}`, occurred_at: at, amount_minor: 2500, currency: 'GBP', stage: 'Closed Won', is_won: true, close_date: at.slice(0, 10) }),
  env('gift_payment', 1, { gift_payment_id: `gp_${id}`, occurred_at: at, gift_id: `g_${id}`, amount_minor: 2500, currency: 'GBP', paid: true, written_off: false, payment_date: at.slice(0, 10), payment_ref: ref }),
];

beforeAll(async () => {
  const rt = await createLocalRuntime({ home });
  try {
    for (const p of PUDDLES) await rt.queue.subscribe(p);
    await rt.queue.publish([
      // Before the CRM: no gift for these.
      pay('ch_may', '2026-05-20T10:00:00.000Z'),
      pay('ch_june', '2026-06-30T23:30:00.000Z'),
      // From 1 July every gift is keyed, except one nobody keyed.
      pay('ch_july1', '2026-07-01T08:00:00.000Z'),
      ...keyed('july1', '2026-07-01T09:00:00.000Z', 'ch_july1'),
      pay('ch_july_unkeyed', '2026-07-15T10:00:00.000Z'),
    ]);
    for (const puddle of PUDDLES) await new PuddleConsumer({ puddle, queue: rt.queue, store: rt.store, catalog: rt.catalog }).drain();
  } finally {
    await rt.close();
  }
}, 120_000);

afterAll(() => rmSync(home, { recursive: true, force: true }));

describe('GIFT_MISSING from the day the CRM began', { timeout: 240_000 }, () => {
  const giftMissing = async (settings: Record<string, string>) => {
    const r = await runPuddle(['report', 'breaks', '--as-of', '2026-08-31', '--format', 'json'], { PUDDLE_HOME: home, ...settings });
    expect(r.code, r.stderr).toBe(0);
    return (JSON.parse(r.stdout) as { break_type: string; object_id: string }[]).filter((b) => b.break_type === 'GIFT_MISSING').map((b) => b.object_id).sort();
  };

  it('opens GIFT_MISSING on every payment without the setting, and only on payments from that day with it', async () => {
    const [all, fromJuly] = await Promise.all([giftMissing({}), giftMissing({ PUDDLE_RECON_GIFT_MISSING_FROM: '2026-07-01' })]);
    expect(all).toEqual(['ch_july_unkeyed', 'ch_june', 'ch_may']);
    // 23:30 UTC on 30 June is a June payment; the July one nobody keyed stays a break.
    expect(fromJuly).toEqual(['ch_july_unkeyed']);
  });

  it('shows the setting in recon_params, and refuses a value that is no date with exit 2, naming it', async () => {
    const q = await runPuddle(['query', '--format', 'json', 'SELECT gift_missing_from FROM recon_params'], { PUDDLE_HOME: home, PUDDLE_RECON_GIFT_MISSING_FROM: '2026-07-01' });
    expect(q.code, q.stderr).toBe(0);
    expect(JSON.parse(q.stdout)).toEqual([{ gift_missing_from: '2026-07-01' }]);
    const unset = await runPuddle(['query', '--format', 'json', 'SELECT gift_missing_from FROM recon_params'], { PUDDLE_HOME: home });
    expect(JSON.parse(unset.stdout)).toEqual([{ gift_missing_from: null }]);
    const bad = await runPuddle(['report', 'breaks'], { PUDDLE_HOME: home, PUDDLE_RECON_GIFT_MISSING_FROM: '01/07/2026' });
    expect(bad.code).toBe(2);
    expect(bad.stderr).toContain('PUDDLE_RECON_GIFT_MISSING_FROM must be a date YYYY-MM-DD on the calendar (got "01/07/2026")');
  });
});
