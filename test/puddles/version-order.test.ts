// Which version wins (puddles/version-order.ts) over a lake that holds files from before _received_seq existed:
// those still read (the column is NULL there), their ties fall exactly as they did (greatest envelope id), and a
// position orders the events of one request, in the views, through compaction and folds, and in the live totals.
import { rename } from 'node:fs/promises';
import path from 'node:path';

import { describe, expect, it } from 'vitest';

import { latestVersion } from '../../core/contracts/index.js';
import { makeEnvelope, type Envelope } from '../../core/envelope.js';
import { compactAll } from '../../puddles/compact.js';
import { foldCurrentState } from '../../puddles/current-state.js';
import { sqlString } from '../../puddles/sql-text.js';
import { landEnvelopes } from '../../puddles/land.js';
import { LiveTotals } from '../../puddles/live-totals.js';
import { checkDrift, rebuildTotals } from '../../puddles/totals-sql.js';
import { currentView } from '../../puddles/views.js';
import { useLake } from './lake-fixture.js';

const lake = useLake();

/** A donation event of one request: every event of a request has its received_at, its position tells them apart. */
function event(id: string, amount: number, received_at: string, delivery: string, seq?: number): Envelope {
  return makeEnvelope({
    contract: 'donation',
    version: 1,
    source: 'producer',
    stream: 'ivr',
    payload: { donation_id: id, occurred_at: '2026-11-29T20:15:00Z', channel: 'ivr', amount_minor: amount, currency: 'GBP', campaign: 'c' },
    received_at,
    delivery_id: delivery,
    ...(seq === undefined ? {} : { received_seq: seq }),
  });
}

async function land(envelopes: Envelope[]): Promise<void> {
  await landEnvelopes({ puddle: lake.puddle('transactions'), store: lake.store, catalog: lake.catalog, envelopes });
}

/** Rewrite files as a writer from before 2026-12-02 wrote them: without the _received_seq column. */
async function withoutPositions(keys: readonly string[]): Promise<void> {
  for (const key of keys) {
    const file = path.join(lake.dir, key);
    await lake.engine.query(`COPY (SELECT * EXCLUDE (_received_seq) FROM read_parquet(${sqlString(file)})) TO ${sqlString(`${file}.tmp`)} (FORMAT parquet)`);
    await rename(`${file}.tmp`, file);
  }
  await lake.engine.refresh();
}

const donationFiles = async () => (await lake.catalog.listFiles({ contract: 'donation' })).map((f) => f.key);

/** The current rows as served, after checking they are the whole-history de-duplication's. */
async function current(): Promise<[string, number][]> {
  const served = await lake.engine.query('SELECT * FROM donation ORDER BY donation_id, _id');
  const reference = await lake.engine.query(`SELECT * FROM (${currentView(latestVersion('donation')!).sql}) AS r ORDER BY donation_id, _id`);
  expect(served).toEqual(reference);
  return served.map((r) => [String(r.donation_id), Number(r.amount_minor)]);
}

/** The live totals rebuilt from the lake, checked against totals_by_box. */
async function liveAmount(): Promise<number> {
  const totals = new LiveTotals();
  await rebuildTotals(totals, lake.engine);
  expect(await checkDrift(totals, lake.engine)).toMatchObject({ ok: true, differences: [] });
  return totals.cells().reduce((n, c) => n + c.amount_minor, 0);
}

describe('which version wins', () => {
  it('reads files without _received_seq, decides their ties as before, and orders the events of a request by position', async () => {
    const t1 = '2026-11-29T20:15:01.000Z';
    const t2 = '2026-11-29T20:16:00.000Z';
    // Before positions: two versions of o1 in one request tie on everything but the id; the greatest id won.
    const o1 = [event('o1', 100, t1, 'old'), event('o1', 200, t1, 'old')];
    const oldWinner = o1.reduce((a, b) => (b.id > a.id ? b : a)).payload.amount_minor as number;
    await land([...o1, event('o2', 300, t1, 'old')]);
    await withoutPositions(await donationFiles());
    expect(await lake.engine.query(`SELECT _received_seq FROM donation_history`)).toEqual(Array(3).fill({ _received_seq: null }));
    expect(await current()).toEqual([['o1', oldWinner], ['o2', 300]]);
    // A state folded before positions existed, and another old file landed since.
    await foldCurrentState({ store: lake.store, catalog: lake.catalog, contract: 'donation' });
    await withoutPositions((await lake.catalog.listFiles({ contract: 'donation' })).filter((f) => f.current).map((f) => f.key));
    const before = new Set(await donationFiles());
    await land([event('o3', 400, t1, 'old-too')]);
    await withoutPositions((await donationFiles()).filter((k) => !before.has(k)));

    // One request with positions: n1's correction comes after its pledge and wins although its id is the
    // smaller (amounts chosen so), and o2's correction arrives after the old row.
    let pledge = 1000;
    while (event('n1', pledge + 1000, t2, 'new', 1).id > event('n1', pledge, t2, 'new', 0).id) pledge++;
    await land([event('n1', pledge, t2, 'new', 0), event('n1', pledge + 1000, t2, 'new', 1), event('o2', 350, t2, 'new', 2)]);
    const expected: [string, number][] = [['n1', pledge + 1000], ['o1', oldWinner], ['o2', 350], ['o3', 400]];
    const amount = pledge + 1000 + oldWinner + 350 + 400;
    expect(await current()).toEqual(expected);
    expect(await liveAmount()).toBe(amount);

    // Compaction merges the old and the new file landed since the fold; the fold reads the old state.
    const maintained = await compactAll({ store: lake.store, catalog: lake.catalog, foldMinRows: 0 });
    expect(maintained.compacted.map((c) => c.inputs)).toContain(2);
    expect(maintained.folded.map((f) => f.folded)).toEqual([1]);
    expect(await current()).toEqual(expected);

    // The pledge sent again after its correction: its first arrival is still position 0, so it loses.
    await land([event('n1', pledge, '2026-11-29T20:17:00.000Z', 'retry', 0)]);
    expect(await current()).toEqual(expected);
    expect(await liveAmount()).toBe(amount);
  });

  it('keeps the first arrival of an envelope in one batch wherever it is (SQS hands messages out in no order)', async () => {
    const t1 = '2026-11-29T20:15:01.000Z';
    const t2 = '2026-11-29T20:15:09.000Z';
    let pledge = 700;
    while (event('r', pledge + 100, t1, 'first', 1).id > event('r', pledge, t1, 'first', 0).id) pledge++;
    // A request, and the same request sent again (its 202 was lost); one batch holds both, the retry's pledge first.
    const sent = (at: string, delivery: string) => [event('r', pledge, at, delivery, 0), event('r', pledge + 100, at, delivery, 1)];
    const [first, retry] = [sent(t1, 'first'), sent(t2, 'retry')];
    await land([retry[0]!, first[1]!, first[0]!, retry[1]!]);
    expect(await lake.engine.query(`SELECT amount_minor, _received_at, _received_seq FROM donation_history ORDER BY _received_seq`)).toEqual([
      { amount_minor: pledge, _received_at: t1, _received_seq: 0 },
      { amount_minor: pledge + 100, _received_at: t1, _received_seq: 1 },
    ]);
    expect(await current()).toEqual([['r', pledge + 100]]);
    expect(await liveAmount()).toBe(pledge + 100);
  });

  it('applies live in any order to the same answer as the view', async () => {
    const t = '2026-11-29T20:15:01.000Z';
    let pledge = 500;
    while (event('x', pledge + 1, t, 'r', 1).id > event('x', pledge, t, 'r', 0).id) pledge++;
    const request = [event('x', pledge, t, 'r', 0), event('x', pledge + 1, t, 'r', 1)];
    await land(request);
    expect(await current()).toEqual([['x', pledge + 1]]);
    for (const order of [request, [...request].reverse()]) {
      const totals = new LiveTotals();
      for (const e of order) {
        totals.applyRows([{ ...e.payload, _id: e.id, _changed_at: e.occurred_at, _received_at: e.received_at, _received_seq: e.received_seq ?? null } as never]);
      }
      expect(totals.cells().map((c) => c.amount_minor)).toEqual([pledge + 1]);
    }
  });
});
