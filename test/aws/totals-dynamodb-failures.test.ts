import { ScanCommand, type AttributeValue } from '@aws-sdk/client-dynamodb';
import { describe, expect, it } from 'vitest';

import { RetriableError } from '../../core/errors.js';
import { DynamoDbTotals } from '../../infra/aws/dynamodb-totals.js';
import { PRUNE_AT } from '../../infra/aws/dynamodb-totals-counters.js';
import { cellId, LiveTotals, type TotalsCell } from '../../puddles/live-totals.js';
import type { Cell } from '../../puddles/parquet-writer.js';
import { totalsTablesOnDynalite, type Call, type Fault } from '../support/dynamo-faults.js';
import { donationRow as row, T } from '../support/totals-rows.js';

// The DynamoDB counters when calls fail part way: a real SDK client against dynalite that fails chosen calls,
// either before the request is sent (a throttled call: nothing lands) or after DynamoDB answered (a lost answer:
// the write landed, the caller sees a failure): test/support/dynamo-faults.ts. A failed batch is applied again,
// as SQS delivers it again. The counters must end as the embedded aggregate (LiveTotals, the same definition as
// totals_by_box) counts the same rows.
const { client, freshTable } = totalsTablesOnDynalite('totals-faults');

const NOW = Date.parse('2026-12-31T00:00:00Z');
const sorted = (cells: TotalsCell[]) => cells.map((c) => [cellId(c), c.amount_minor, c.count] as const).sort();
const sum = (cells: TotalsCell[]) => cells.reduce((a, c) => ({ amount_minor: a.amount_minor + c.amount_minor, count: a.count + c.count }), { amount_minor: 0, count: 0 });
const expected = (batches: Record<string, Cell>[][]) => {
  const live = new LiveTotals();
  for (const b of batches) live.applyRows(b);
  return sorted(live.cells(NOW));
};
const counted = async (totals: DynamoDbTotals) => sorted(await totals.cells({}, { consistent: true, now: NOW }));

async function items(table: string, prefix: string): Promise<Record<string, AttributeValue>[]> {
  const out = await client().send(new ScanCommand({ TableName: table, ConsistentRead: true }));
  return (out.Items ?? []).filter((i) => i.pk!.S!.startsWith(prefix));
}

/** Apply a batch until one delivery of it succeeds, as SQS offers a failed batch again. */
async function deliver(totals: DynamoDbTotals, rows: Record<string, Cell>[], tries = 10): Promise<number> {
  for (let i = 1; i <= tries; i++) {
    try {
      await totals.applyRows(rows);
      return i;
    } catch (err) {
      expect(err).toBeInstanceOf(RetriableError);
    }
  }
  throw new Error(`the batch failed ${tries} deliveries in a row`);
}

/** Two deliveries: new donations, then a correction moving box and channel, a cancellation and a tie. */
const SCENARIO: Record<string, Cell>[][] = [
  [row('d1', 500), row('d2', 700), row('d5', 500, { envelope: 'e-d5-a', received: 0 })],
  [
    row('d1', 800, { changed: 40, occurred: 40, channel: 'online' }),
    row('d2', 700, { changed: 41, status: 'cancelled' }),
    // A correction with the same _changed_at and no updated_at: the later first arrival wins the tie.
    row('d5', 1500, { envelope: 'e-d5-b', received: 2 }),
  ],
];
const writes = new Set(['UpdateItemCommand', 'PutItemCommand']);
/** One counter shard: the tests of pruning need many donations in one counter item (the sharded ones spread them). */
const ONE_SHARD = { shards: 1 };

describe('DynamoDB live totals when a call fails part way', () => {
  it('counts both donations after a throttled counter write, once the batch comes again (the tester\'s case)', async () => {
    let throttled = 0;
    const c = client(({ command, pk }) => (command === 'UpdateItemCommand' && pk.startsWith('c:') && throttled++ === 0 ? 'before' : undefined));
    const totals = new DynamoDbTotals({ client: c, table: await freshTable() });
    const batch = [row('d1', 500), row('d2', 700)];
    await expect(totals.applyRows(batch)).rejects.toBeInstanceOf(RetriableError);
    // SQS delivers the batch again: the donation item d1 won is there, and the counter move it owed is made.
    await totals.applyRows(batch);
    expect(sum(await totals.cells({}, { consistent: true, now: NOW }))).toEqual({ amount_minor: 1200, count: 2 });
    for (let i = 0; i < 5; i++) await totals.applyRows(batch);
    expect(sum(await totals.cells({}, { consistent: true, now: NOW }))).toEqual({ amount_minor: 1200, count: 2 });
  });

  it('applies a move that waited for its redelivery while other Lambdas pruned its counter', async () => {
    let armed = false;
    const table = await freshTable();
    const throttleOnce = ({ command, pk }: Call): Fault => (armed && command === 'UpdateItemCommand' && pk.startsWith('c:') ? ((armed = false), 'before') : undefined);
    const waiting = new DynamoDbTotals({ client: client(throttleOnce), table, ...ONE_SHARD });
    await waiting.applyRows([row('first', 100)]);
    armed = true;
    await expect(waiting.applyRows([row('owed', 5000)])).rejects.toBeInstanceOf(RetriableError);
    // Meanwhile other Lambdas count more into the same counter, pruning it past the owed move's token.
    const others = new DynamoDbTotals({ client: client(), table, ...ONE_SHARD });
    for (let i = 0; i < PRUNE_AT + 4; i++) await others.applyRows([row(`other-${i}`, 1)]);
    const [counter] = await items(table, 'c:');
    expect(Number(counter!.gen?.N ?? 0)).toBeGreaterThan(0);
    await waiting.applyRows([row('owed', 5000)]);
    expect(sum(await others.cells({}, { consistent: true, now: NOW }))).toEqual({ amount_minor: 5100 + PRUNE_AT + 4, count: PRUNE_AT + 6 });
    await waiting.applyRows([row('owed', 5000)]);
    expect(sum(await others.cells({}, { consistent: true, now: NOW }))).toEqual({ amount_minor: 5100 + PRUNE_AT + 4, count: PRUNE_AT + 6 });
  });

  it('does not count an owed move twice when two Lambdas finish it late and the counter is pruned in between', async () => {
    let armed = false;
    const table = await freshTable();
    const throttleOnce = ({ command, pk }: Call): Fault => (armed && command === 'UpdateItemCommand' && pk.startsWith('c:') ? ((armed = false), 'before') : undefined);
    const first = new DynamoDbTotals({ client: client(throttleOnce), table, ...ONE_SHARD });
    await first.applyRows([row('first', 100)]);
    armed = true;
    await expect(first.applyRows([row('owed', 5000)])).rejects.toBeInstanceOf(RetriableError);
    const others = new DynamoDbTotals({ client: client(), table, ...ONE_SHARD });
    const more = (from: number) => Array.from({ length: PRUNE_AT + 4 }, (_, i) => row(`other-${from + i}`, 1));
    for (const r of more(0)) await others.applyRows([r]);
    // The batch comes again to a Lambda whose apply (under the generation it read) is held for long...
    let reached!: () => void;
    const atCounter = new Promise<void>((resolve) => (reached = resolve));
    let release!: () => void;
    const held = new Promise<void>((resolve) => (release = resolve));
    const slow = new DynamoDbTotals({
      client: client(async ({ command, pk, condition }) => {
        if (command === 'UpdateItemCommand' && pk.startsWith('c:') && /\bgen\b/.test(condition)) {
          reached();
          await held;
        }
        return undefined;
      }),
      table,
      ...ONE_SHARD,
    }).applyRows([row('owed', 5000)]);
    await atCounter;
    // ...while another delivery finishes the move, and the counter is pruned past it.
    await others.applyRows([row('owed', 5000)]);
    for (const r of more(100)) await others.applyRows([r]);
    release();
    await slow;
    const want = { amount_minor: 5100 + 2 * (PRUNE_AT + 4), count: 2 + 2 * (PRUNE_AT + 4) };
    expect(sum(await others.cells({}, { consistent: true, now: NOW }))).toEqual(want);
  });

  it('ends right whichever write fails, before it is sent or after it landed, and when the batches come again', { timeout: 240_000 }, async () => {
    const want = expected(SCENARIO);
    // How many writes a run without failures makes: each of them fails in turn below (a failed read leaves nothing).
    let calls = 0;
    const plain = new DynamoDbTotals({ client: client(({ command }) => void (writes.has(command) && calls++)), table: await freshTable() });
    for (const b of SCENARIO) await deliver(plain, b, 1);
    expect(await counted(plain)).toEqual(want);
    expect(calls).toBeGreaterThan(15);
    for (const when of ['before', 'after'] as const) {
      for (let k = 1; k <= calls; k++) {
        let call = 0;
        const table = await freshTable();
        const totals = new DynamoDbTotals({ client: client(({ command }) => (writes.has(command) && ++call === k ? when : undefined)), table });
        for (const b of SCENARIO) await deliver(totals, b);
        expect(await counted(totals), `write ${k} failing ${when}`).toEqual(want);
        // Every batch delivered again: nothing moves, and no donation item still owes a move.
        for (const b of SCENARIO) await deliver(totals, b, 1);
        expect(await counted(totals), `write ${k} failing ${when}, delivered again`).toEqual(want);
        expect((await items(table, 'd:')).filter((i) => i.moves), `write ${k} failing ${when}`).toEqual([]);
      }
    }
  });

  it('stays right with Lambdas applying the same batches at once, calls failing at random, and redeliveries', { timeout: 240_000 }, async () => {
    // 20 donations in a few cells (so counters are pruned), each with one to three versions: corrections, box
    // and channel moves, cancellations, ties; every batch delivered by three Lambdas at once until one succeeds.
    const rows: Record<string, Cell>[] = [];
    for (let d = 0; d < 20; d++) {
      rows.push(row(`r${d}`, 100 + d, { campaign: d % 4 === 0 ? 'spring' : 'appeal', received: d }));
      if (d % 2 === 0) rows.push(row(`r${d}`, 300 + d, { changed: 20, occurred: d % 3 === 0 ? 40 : 15, channel: d % 5 === 0 ? 'online' : 'sms', received: 40 + d }));
      if (d % 3 === 0) rows.push(row(`r${d}`, 900, { changed: 20, envelope: `tie-${d}`, received: 80 + d, ...(d % 9 === 0 ? { status: 'cancelled' } : {}) }));
    }
    const batches = [0, 1, 2].map((b) => rows.filter((_, i) => i % 3 === b));
    // mulberry32: the same faults on every run, as far as the Lambdas' interleaving allows.
    let seed = 7;
    const random = () => {
      seed = (seed + 0x6d2b79f5) | 0;
      let t = Math.imul(seed ^ (seed >>> 15), 1 | seed);
      t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
      return ((t ^ (t >>> 14)) >>> 0) / 2 ** 32;
    };
    let faults = true;
    const faulty = client(({ command }) => (faults && writes.has(command) && random() < 0.12 ? (random() < 0.5 ? 'before' : 'after') : undefined));
    const table = await freshTable();
    const lambdas = Array.from({ length: 3 }, () => new DynamoDbTotals({ client: faulty, table, ...ONE_SHARD }));
    for (const b of batches) {
      let ok = false;
      for (let round = 0; !ok && round < 30; round++) {
        const tries = await Promise.allSettled(lambdas.map((l) => l.applyRows(b)));
        ok = tries.some((t) => t.status === 'fulfilled');
      }
      expect(ok).toBe(true);
    }
    // Everything delivered again, all at once, still failing now and then; then once more with no failures.
    await Promise.allSettled(batches.map((b, i) => lambdas[i]!.applyRows(b)));
    faults = false;
    for (const b of batches) await deliver(lambdas[0]!, b, 1);
    const want = expected(batches);
    expect(await counted(lambdas[0]!)).toEqual(want);
    expect((await items(table, 'd:')).filter((i) => i.moves)).toEqual([]);
    expect((await items(table, 'c:')).some((c) => Number(c.gen?.N ?? 0) > 0)).toBe(true);
    // The counters are what the donation items say: repair recomputes the same.
    await lambdas[0]!.repair();
    expect(await counted(lambdas[0]!)).toEqual(want);
    // Tokens left behind by failed calls go at the next prunes: the busiest counter's set ends short.
    const extra = Array.from({ length: 2 * PRUNE_AT }, (_, i) => row(`x${i}`, 1, { received: 200 + i }));
    for (const r of extra) await lambdas[1]!.applyRows([r]);
    const busiest = (await items(table, 'c:')).find((c) => c.sk!.S!.includes('6:appeal') && c.sk!.S!.includes('3:sms') && c.sk!.S!.startsWith(String(Date.parse(T(15))).padStart(15, '0')));
    expect(busiest?.applied?.SS?.length).toBeLessThan(PRUNE_AT);
    expect(await counted(lambdas[0]!)).toEqual(expected([...batches, extra]));
  });

  it('does not count a move again when a slow Lambda applies it after another finished it and the counter was pruned', async () => {
    const table = await freshTable();
    const fast = new DynamoDbTotals({ client: client(), table, ...ONE_SHARD });
    await fast.applyRows([row('seed', 100)]);
    // The slow Lambda's counter write for `late` is held until the rest has happened (a call retried for long).
    let reached!: () => void;
    const atCounter = new Promise<void>((resolve) => (reached = resolve));
    let release!: () => void;
    const held = new Promise<void>((resolve) => (release = resolve));
    let holding = true;
    const slowClient = client(async ({ command, pk }) => {
      if (holding && command === 'UpdateItemCommand' && pk.startsWith('c:')) {
        holding = false;
        reached();
        await held;
      }
      return undefined;
    });
    const slow = new DynamoDbTotals({ client: slowClient, table, ...ONE_SHARD }).applyRows([row('late', 5000)]);
    await atCounter;
    // The batch comes again to another Lambda, which finishes `late`; then enough donations to prune its token.
    await fast.applyRows([row('late', 5000)]);
    for (let i = 0; i < PRUNE_AT; i++) await fast.applyRows([row(`more-${i}`, 1)]);
    const [counter] = await items(table, 'c:');
    expect(Number(counter!.gen?.N ?? 0)).toBeGreaterThan(0);
    expect(counter!.applied?.SS ?? []).not.toContainEqual(expect.stringMatching(/:late$/));
    release();
    await slow;
    expect(sum(await fast.cells({}, { consistent: true, now: NOW }))).toEqual({ amount_minor: 100 + 5000 + PRUNE_AT, count: 2 + PRUNE_AT });
  });

  it('registers a campaign when its first counter is made, not with every donation', async () => {
    const registered: string[] = [];
    const c = client(({ command, pk }) => {
      if (command === 'PutItemCommand' && pk === 'campaigns') registered.push(pk);
      return undefined;
    });
    const totals = new DynamoDbTotals({ client: c, table: await freshTable(), ...ONE_SHARD });
    // 20 donations in three counters (two campaigns, one of them two boxes), applied one after another.
    for (let i = 0; i < 20; i++) await totals.applyRows([row(`g${i}`, 10, { campaign: i % 2 ? 'appeal' : 'spring', occurred: i % 4 === 0 ? 15 : 35 })]);
    expect(registered).toHaveLength(3);
    const cells = await totals.cells({}, { consistent: true, now: NOW });
    expect(new Set(cells.map((x) => x.campaign))).toEqual(new Set(['appeal', 'spring']));
    expect(sum(cells)).toEqual({ amount_minor: 200, count: 20 });
  });

  it('fails a batch only once every donation being applied has stopped', async () => {
    let inFlight = 0;
    let calls = 0;
    const c = client(async ({ command, pk }) => {
      calls++;
      if (command === 'UpdateItemCommand' && pk === 'd:bad') return 'before';
      // Every other call is slow, so the failure comes while the other workers are mid-call.
      inFlight++;
      await new Promise((resolve) => setTimeout(resolve, 20));
      inFlight--;
      return undefined;
    });
    const totals = new DynamoDbTotals({ client: c, table: await freshTable() });
    const batch = [row('bad', 1), ...Array.from({ length: 30 }, (_, i) => row(`ok${i}`, 1))];
    await expect(totals.applyRows(batch)).rejects.toBeInstanceOf(RetriableError);
    expect(inFlight).toBe(0);
    const at = calls;
    await new Promise((resolve) => setTimeout(resolve, 200));
    expect(calls).toBe(at);
  });
});

