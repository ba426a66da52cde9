import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';

import { makeEnvelope, type Envelope } from '../../core/envelope.js';
import { ensureDynamoTable } from '../../infra/aws/dynamo-tables.js';
import { DynamoDbTotals } from '../../infra/aws/dynamodb-totals.js';
import { makeTotalsHandler } from '../../infra/aws/handlers/totals.js';
import { makeTotalsDriftHandler } from '../../infra/aws/handlers/totals-drift.js';
import { totalsTable } from '../../infra/aws/handlers/totals-table.js';
import type { AwsRuntime } from '../../infra/aws/runtime.js';
import { TOTALS_TABLE } from '../../infra/aws/shape.js';
import { rebuildCounters } from '../../infra/aws/totals-rebuild.js';
import { cellId, countsUntil, type TotalsCell } from '../../puddles/live-totals.js';
import { sqlCells } from '../../puddles/totals-sql.js';
import { landThroughConsumer, startShapeWithEmbeddedCatalog, type TestShape } from '../support/aws-shape.js';
import { donationEnvelope } from '../support/donation-envelope.js';
import { httpApiEvent } from '../support/lambda-events.js';

// The two rules the DynamoDB counters share with the embedded aggregate and totals_by_box beyond "latest by
// _changed_at": which of two versions with the same _changed_at is current (the latest first arrival, so an envelope
// sent again never wins), and a donation dated after today counting only from its day on. Counters kept by the
// real consumer handler (fauxqs, dynalite), the view run by the embedded engine over the Parquet it wrote.
const READ_KEY = 'read-key-0123456789abcdef';
let shape: TestShape;
let rt: AwsRuntime;
let stop: () => Promise<void>;
let totals: DynamoDbTotals;

beforeAll(async () => {
  ({ shape, rt, stop } = await startShapeWithEmbeddedCatalog());
  vi.stubEnv('PUDDLE_READ_KEYS', READ_KEY);
  totals = totalsTable(rt);
});
afterAll(() => stop());

const DAY = 86_400_000;
const sum = (cells: TotalsCell[]) => cells.reduce((a, c) => ({ amount_minor: a.amount_minor + c.amount_minor, count: a.count + c.count }), { amount_minor: 0, count: 0 });
const sorted = (cells: TotalsCell[]) => cells.map((c) => [cellId(c), c.amount_minor, c.count] as const).sort();
const view = async (campaign: string) => sorted((await sqlCells(rt.query)).cells.filter((c) => c.campaign === campaign));

async function apiTotal(query: string): Promise<unknown> {
  const res = await makeTotalsHandler(async () => rt)(httpApiEvent({ method: 'GET', path: '/v1/totals', query, headers: { authorization: `Bearer ${READ_KEY}` } }));
  expect(res.statusCode).toBe(200);
  return (JSON.parse(res.body ?? 'null') as { total: unknown }).total;
}

async function freshTable(name: string): Promise<DynamoDbTotals> {
  const table = `${shape.env.PUDDLE_TOTALS_TABLE}-${name}`;
  await ensureDynamoTable(shape.clients.dynamodb, TOTALS_TABLE, table);
  return new DynamoDbTotals({ client: shape.clients.dynamodb, table });
}

/**
 * A producer's retry: A, then a correction B of the same donation with the same _changed_at (no updated_at),
 * then A sent again. Same payload, so the same envelope id; each a delivery of its own, received when given.
 */
function abaVersions(donation: string, campaign: string) {
  const version = (amount: number, received: string): Envelope => ({
    ...donationEnvelope(donation, amount, { campaign, occurred_at: '2026-11-27T20:15:03Z' }),
    received_at: received,
  });
  return { a: version(500, '2026-11-27T21:00:00.000Z'), b: version(1500, '2026-11-27T21:00:02.000Z'), again: version(500, '2026-11-27T21:00:04.000Z') };
}

describe('DynamoDB live totals: versions tying on _changed_at', () => {
  it('keeps a re-sent envelope at its first arrival, so A, B, A again counts B, in every order of arrival', async () => {
    const orders = ['a b again', 'again b a', 'b again a', 'again a b', 'a again b', 'b a again'];
    for (const [i, order] of orders.entries()) {
      const v = abaVersions(`tie-${i}`, 'tie');
      // One SQS batch each: separate consumer invocations, as a producer's three requests would land.
      for (const name of order.split(' ')) await landThroughConsumer(shape, rt, [v[name as keyof typeof v]]);
      expect(sum(await totals.cells({ campaign: 'tie' })), order).toEqual({ amount_minor: 1500 * (i + 1), count: i + 1 });
    }
    expect(sorted(await totals.cells({ campaign: 'tie' }))).toEqual(await view('tie'));
    expect(await apiTotal('campaign=tie')).toEqual({ amount_minor: 1500 * orders.length, count: orders.length });

    // The first batch delivered again (SQS at-least-once), and A sent once more much later: nothing moves.
    const v = abaVersions('tie-0', 'tie');
    await landThroughConsumer(shape, rt, [{ ...v.again, received_at: '2026-11-28T09:00:00.000Z' }]);
    expect(sum(await totals.cells({ campaign: 'tie' }))).toEqual({ amount_minor: 1500 * orders.length, count: orders.length });
    expect(sorted(await totals.cells({ campaign: 'tie' }))).toEqual(await view('tie'));
  });

  it('lets the later event of one request win (its position), in either order of landing, and after a backfill', async () => {
    // One producer request: a pledge, then its correction (same received_at, positions 0 and 1). Amounts are chosen
    // so that the correction has the smaller envelope id, which alone decided the tie before positions.
    const request = (donation: string) => {
      const version = (amount: number, seq: number): Envelope =>
        makeEnvelope({
          ...donationEnvelope(donation, amount, { campaign: 'ivr', occurred_at: '2026-11-27T20:15:03Z' }),
          received_at: '2026-11-27T21:00:00.000Z',
          delivery_id: `upload-${donation}`,
          received_seq: seq,
        });
      let pledge = 1000;
      while (version(pledge + 1000, 1).id > version(pledge, 0).id) pledge++;
      return { pledge: version(pledge, 0), correction: version(pledge + 1000, 1) };
    };
    const sent = ['in order', 'correction first', 'one batch'].map((how, i) => {
      const r = request(`ivr-${i}`);
      return { how, ...r };
    });
    for (const { how, pledge, correction } of sent) {
      if (how === 'one batch') await landThroughConsumer(shape, rt, [pledge, correction]);
      else for (const e of how === 'in order' ? [pledge, correction] : [correction, pledge]) await landThroughConsumer(shape, rt, [e]);
    }
    const corrected = sent.reduce((n, r) => n + Number(r.correction.payload.amount_minor), 0);
    expect(sum(await totals.cells({ campaign: 'ivr' }))).toEqual({ amount_minor: corrected, count: sent.length });
    expect(sorted(await totals.cells({ campaign: 'ivr' }))).toEqual(await view('ivr'));
    const fresh = await freshTable('ivr');
    await rebuildCounters(fresh, rt.query);
    expect(sorted(await fresh.cells({ campaign: 'ivr' }))).toEqual(await view('ivr'));
    // The pledge sent again: its first arrival is position 0 of the upload, so it still loses, in both tables.
    for (const t of [totals, fresh]) {
      await landThroughConsumer(shape, rt, [{ ...sent[0]!.pledge, received_at: '2026-11-28T09:00:00.000Z', received_seq: 0 }], { totals: () => t });
      expect(sum(await t.cells({ campaign: 'ivr' }))).toEqual({ amount_minor: corrected, count: sent.length });
    }
  });

  it('backfilled from the lake, still lets B win when A is sent again afterwards', async () => {
    const fresh = await freshTable('rebuilt');
    await rebuildCounters(fresh, rt.query);
    expect(sorted(await fresh.cells({ campaign: 'tie' }))).toEqual(await view('tie'));
    // The rebuild gave each donation B (its current version) and A at its first arrival (from donation_history).
    const v = abaVersions('tie-0', 'tie');
    await landThroughConsumer(shape, rt, [{ ...v.again, received_at: '2026-11-28T10:00:00.000Z' }], { totals: () => fresh });
    expect(sum(await fresh.cells({ campaign: 'tie' }))).toEqual({ amount_minor: 1500 * 6, count: 6 });
  });

  it('stays right when Lambdas apply the versions at once, and when SQS delivers them again', async () => {
    const table = await freshTable('race');
    // Separate instances, as separate invocations would have; each version applied by several at the same time.
    const lambdas = Array.from({ length: 4 }, () => new DynamoDbTotals({ client: shape.clients.dynamodb, table: `${shape.env.PUDDLE_TOTALS_TABLE}-race` }));
    const row = (e: Envelope) => ({
      ...(e.payload as Record<string, string | number | null>),
      status: null,
      _id: e.id,
      _changed_at: '2026-11-27T20:15:03.000Z',
      _received_at: e.received_at,
    });
    const donations = 4;
    const versions = Array.from({ length: donations }, (_, d) => abaVersions(`race-${d}`, 'race'));
    const copies = (d: number, list: Envelope[]) => list.map((e, j) => lambdas[(d + j) % lambdas.length]!.applyRows([row(e)]));
    // A sent again lands first, then A's first delivery; then B several times at once (SQS redelivering while the
    // first copy is still being applied) with more copies of A: every copy of B reads the same item, one wins
    // and moves the counters, the others lose the race, read B there and change nothing.
    await Promise.all(versions.flatMap((v, d) => copies(d, [v.again])));
    await Promise.all(versions.flatMap((v, d) => copies(d, [v.a])));
    await Promise.all(versions.flatMap((v, d) => copies(d, [v.b, v.b, v.again, v.b, v.a, v.b])));
    expect(sum(await table.cells({ campaign: 'race' }, { consistent: true }))).toEqual({ amount_minor: 1500 * donations, count: donations });
    // The whole lot delivered again, all at once.
    await Promise.all(versions.flatMap((v, d) => copies(d, [v.again, v.b, v.a, v.again, v.b, v.a])));
    expect(sum(await table.cells({ campaign: 'race' }, { consistent: true }))).toEqual({ amount_minor: 1500 * donations, count: donations });
    // Every counter is what its donations' items say: no winner moved a counter twice, none lost its move.
    const before = sorted(await table.cells({}, { consistent: true }));
    await table.repair();
    expect(sorted(await table.cells({}, { consistent: true }))).toEqual(before);
  });
});

describe('DynamoDB live totals: donations dated after today', () => {
  it('hold a future-dated donation back until its day, in the counters read, the API and the drift check', async () => {
    // A mistyped year: some 300 days ahead, whenever the test runs.
    const day = countsUntil(Date.now()) + 300 * DAY;
    const future = new Date(day + 20 * 3_600_000 + 15 * 60_000).toISOString();
    await landThroughConsumer(shape, rt, [
      donationEnvelope('typo-1', 4200, { campaign: 'typo', occurred_at: future }),
      donationEnvelope('ok-1', 100, { campaign: 'typo', occurred_at: '2026-11-27T20:15:03Z' }),
    ]);
    const today = { amount_minor: 100, count: 1 };
    expect(sum(await totals.cells({ campaign: 'typo' }))).toEqual(today);
    expect(sorted(await totals.cells({ campaign: 'typo' }))).toEqual(await view('typo'));
    expect(await apiTotal('campaign=typo')).toEqual(today);
    // Asking for its day by name does not bring it in either; a range the wrong way round is a 400 naming to, as on
    // the hub (it answered zeros, which read as a night without donations).
    expect(await apiTotal(`campaign=typo&from=${future.slice(0, 10)}&to=${future.slice(0, 10)}`)).toEqual({ amount_minor: 0, count: 0 });
    const backwards = await makeTotalsHandler(async () => rt)(httpApiEvent({ method: 'GET', path: '/v1/totals', query: 'campaign=typo&from=2026-11-28&to=2026-11-27', headers: { authorization: `Bearer ${READ_KEY}` } }));
    expect(backwards.statusCode).toBe(400);
    expect(JSON.parse(backwards.body ?? 'null')).toEqual({ error: { code: 'invalid_query', message: 'to must be after from (boxes whose start is in [from, to) are counted)' } });
    // The counters agree with totals_by_box, which leaves it out as well: no drift for a box after today.
    const drift = await makeTotalsDriftHandler(async () => rt)();
    expect(drift).toMatchObject({ ok: true, differing: 0 });
    // Kept all the while: from its own day on it counts, not the day before.
    expect(sum(await totals.cells({ campaign: 'typo' }, { now: day - 1 }))).toEqual(today);
    expect(sum(await totals.cells({ campaign: 'typo' }, { now: day }))).toEqual({ amount_minor: 4300, count: 2 });
  });
});
