// A finance lead's year-end question, through the real CLI over a real home: how did this gift's money travel, as
// it stood at the end of a past date? `puddle export recon_trail --as-of D` leaves out a refund made after D and
// the deliveries of versions changed after D, and `puddle export <contract>_history --as-of D` holds the versions
// changed by then (puddles/views.ts, historyAsOf). Until 2026-12-03 both showed every later version and record.
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { makeEnvelope } from '../../core/envelope.js';
import { createLocalRuntime } from '../../infra/local/runtime.js';
import { donation } from '../puddles/lake-fixture.js';
import { landInHome } from '../support/land-home.js';
import { runPuddle } from '../support/run-cli.js';

const home = mkdtempSync(join(tmpdir(), 'puddle-trail-as-of-'));
const outDir = mkdtempSync(join(tmpdir(), 'puddle-trail-as-of-out-')); // an --out inside the home is refused
const puddle = (args: string[]) => runPuddle(args, { PUDDLE_HOME: home });
const TEST_MS = 120_000;
const RECEIVED = '2026-12-03T00:00:00.000Z';
const provider = (contract: string, payload: Record<string, unknown>, delivery: string) =>
  makeEnvelope({ contract, version: 1, source: 'stripe', stream: contract, payload, received_at: RECEIVED, delivery_id: delivery });

const envelopes = [
  // A gift of 29 November, paid that day, refunded on 2 December (the donation's status changed with it).
  donation('d-refunded', 2_500, { occurred_at: '2026-11-29T10:00:00Z', status: 'paid', received_at: RECEIVED, delivery: 'r1' }),
  donation('d-refunded', 2_500, { occurred_at: '2026-11-29T10:00:00Z', updated_at: '2026-12-02T09:00:00Z', status: 'cancelled', received_at: RECEIVED, delivery: 'r2' }),
  provider('payment', { payment_id: 'ch_1', occurred_at: '2026-11-29T10:00:05Z', provider: 'stripe', status: 'succeeded', amount_minor: 2_500, currency: 'GBP', donation_id: 'd-refunded' }, 'r3'),
  provider('refund', { refund_id: 're_1', occurred_at: '2026-12-02T09:00:00Z', provider: 'stripe', payment_id: 'ch_1', status: 'succeeded', amount_minor: 2_500, currency: 'GBP' }, 'r4'),
  // A gift whose payment the lake knows only by a version changed after the date (a sync that began later): the
  // trail keeps that version, the nearest the lake knows, as the reports do.
  donation('d-synced-later', 1_000, { occurred_at: '2026-11-29T11:00:00Z', status: 'paid', received_at: RECEIVED, delivery: 'r5' }),
  provider('payment', { payment_id: 'ch_2', occurred_at: '2026-11-29T11:00:05Z', updated_at: '2026-12-01T08:00:00Z', provider: 'stripe', status: 'succeeded', amount_minor: 1_000, currency: 'GBP', donation_id: 'd-synced-later' }, 'r6'),
];

beforeAll(() => landInHome(home, envelopes), TEST_MS);

afterAll(() => {
  for (const dir of [home, outDir]) rmSync(dir, { recursive: true, force: true });
});

/** The CSV `puddle export` writes, as objects keyed by its header. */
async function exported(args: string[]): Promise<Record<string, string>[]> {
  const out = join(outDir, `${args[0]}-${args.join('-').length}.csv`);
  const r = await puddle(['export', ...args, '--format', 'csv', '--out', out]);
  expect(r.stderr).toMatch(/^puddle export: wrote \d+ rows/);
  expect(r.code).toBe(0);
  const [header, ...lines] = readFileSync(out, 'utf8').trim().split('\n');
  const names = header!.split(',');
  return lines.map((l) => Object.fromEntries(l.split(',').map((v, i) => [names[i], v])));
}

describe('the trail and the history as of a past date', { timeout: TEST_MS }, () => {
  const steps = (rows: Record<string, string>[], donationId: string) =>
    rows
      .filter((r) => r.donation_id === donationId)
      .map((r) => `${r.object_kind} ${r.object_id} ${(r.changed_at ?? "").slice(0, 10)} ${r.fate}`)
      .sort();

  it('shows the trail as it stood: no refund made after the date, only the versions changed by then', async () => {
    const trail = await exported(['recon_trail', '--as-of', '2026-11-30']);
    expect(steps(trail, 'd-refunded')).toEqual(['donation d-refunded 2026-11-29 current', 'payment ch_1 2026-11-29 current']);
    expect(steps(trail, 'd-synced-later')).toEqual(['donation d-synced-later 2026-11-29 current', 'payment ch_2 2026-12-01 current']);
    // Today's trail: the refund, and the cancelled version standing over the one it superseded.
    expect(steps(await exported(['recon_trail']), 'd-refunded')).toEqual([
      'donation d-refunded 2026-11-29 superseded',
      'donation d-refunded 2026-12-02 current',
      'payment ch_1 2026-11-29 current',
      'refund re_1 2026-12-02 current',
    ]);
  });

  it('exports a history as of a date with the versions changed by then', async () => {
    const history = await exported(['donation_history', '--as-of', '2026-11-30']);
    expect(history.map((r) => `${r.donation_id} ${r.status}`).sort()).toEqual(['d-refunded paid', 'd-synced-later paid']);
    expect(await exported(['donation_history'])).toHaveLength(3);
    // The nearest version the lake knows of a record changed only later is kept, as its current view keeps it.
    expect((await exported(['payment_history', '--as-of', '2026-11-30'])).map((r) => r.payment_id).sort()).toEqual(['ch_1', 'ch_2']);
  });

  it('counts a version changed after the date as landed, not unaccounted, in a report as of the date', async () => {
    const rt = await createLocalRuntime({ home, materializeCurrent: true, asOf: '2026-11-30' });
    try {
      expect(await rt.query.query(`SELECT key, fate FROM raw_fate WHERE key = 'd-refunded' ORDER BY occurred_at`)).toEqual([
        { key: 'd-refunded', fate: 'current' },
        { key: 'd-refunded', fate: 'superseded' },
      ]);
    } finally {
      await rt.close();
    }
  });
});
