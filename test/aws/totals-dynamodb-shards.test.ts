import { GetItemCommand, PutItemCommand, ScanCommand, UpdateItemCommand, type AttributeValue } from '@aws-sdk/client-dynamodb';
import { describe, expect, it } from 'vitest';

import { RetriableError } from '../../core/errors.js';
import { DynamoDbTotals } from '../../infra/aws/dynamodb-totals.js';
import { CAMPAIGNS_PK, cellPk, cellSk, shardOf, TOTALS_SHARDS, type CounterMove } from '../../infra/aws/dynamodb-totals-counters.js';
import type { TotalsCell } from '../../puddles/live-totals.js';
import { totalsTablesOnDynalite } from '../support/dynamo-faults.js';
import { knockOffCounter } from '../support/totals-counters.js';
import { donationRow as row } from '../support/totals-rows.js';

// The counters' write sharding (dynamodb-totals-counters.ts): a cell's counter is spread over TOTALS_SHARDS items
// in partitions of their own, a donation's moves all in the shard of its key; readers sum the shards and the
// unsharded items a table kept from before sharding. A real SDK client against dynalite.
const { client, freshTable } = totalsTablesOnDynalite('totals-shards');

const NOW = Date.parse('2026-12-31T00:00:00Z');
const sum = (cells: TotalsCell[]) => cells.reduce((a, c) => ({ amount_minor: a.amount_minor + c.amount_minor, count: a.count + c.count }), { amount_minor: 0, count: 0 });
const read = (totals: DynamoDbTotals, campaign?: string) => totals.cells(campaign === undefined ? {} : { campaign }, { consistent: true, now: NOW });

async function items(table: string, prefix: string): Promise<Record<string, AttributeValue>[]> {
  const out = await client().send(new ScanCommand({ TableName: table, ConsistentRead: true }));
  return (out.Items ?? []).filter((i) => i.pk!.S!.startsWith(prefix));
}

describe('DynamoDB live totals: sharded counters', () => {
  it('puts a donation, its correction and its cancellation in the one shard its key names', async () => {
    const table = await freshTable();
    const totals = new DynamoDbTotals({ client: client(), table });
    await totals.applyRows([row('d1', 500)]);
    const [counter, ...others] = await items(table, 'c:');
    expect(others).toEqual([]);
    expect(counter!.pk!.S).toBe(cellPk('appeal', shardOf('d1', TOTALS_SHARDS)));
    expect(counter!.count!.N).toBe('1');
    expect((await items(table, CAMPAIGNS_PK)).map((i) => i.sk!.S)).toEqual([`6:appeal#${shardOf('d1', TOTALS_SHARDS)}`]);
    // The correction and the cancellation take it out of the shard it went into: no shard goes below zero.
    await totals.applyRows([row('d1', 800, { changed: 20 })]);
    expect(sum(await read(totals))).toEqual({ amount_minor: 800, count: 1 });
    await totals.applyRows([row('d1', 800, { changed: 30, status: 'cancelled' })]);
    expect((await items(table, 'c:')).map((i) => [i.pk!.S, i.amount_minor!.N, i.count!.N])).toEqual([[counter!.pk!.S, '0', '0']]);
    expect(await read(totals)).toEqual([]);
  });

  it('sums a cell over its shards, for one campaign and for all, and keeps campaigns with look-alike names apart', async () => {
    const table = await freshTable();
    const totals = new DynamoDbTotals({ client: client(), table });
    const appeal = Array.from({ length: 40 }, (_, i) => row(`a${i}`, 100 + i));
    // `appeal#1` is not shard 1 of `appeal`, nor is `appeal2` (the campaign part carries the name's length).
    const lookAlikes = [row('x1', 7, { campaign: 'appeal#1' }), row('x2', 9, { campaign: 'appeal2' })];
    await totals.applyRows([...appeal, ...lookAlikes]);
    const shards = new Set((await items(table, cellPk('appeal'))).filter((i) => i.campaign!.S === 'appeal').map((i) => i.pk!.S));
    expect(shards.size).toBeGreaterThan(5);
    const want = { amount_minor: appeal.reduce((a, r) => a + Number(r.amount_minor), 0), count: 40 };
    const one = await read(totals, 'appeal');
    expect(one).toHaveLength(1);
    expect(sum(one)).toEqual(want);
    const all = await read(totals);
    expect(Object.fromEntries(all.map((c) => [c.campaign, [c.amount_minor, c.count]]))).toEqual({
      appeal: [want.amount_minor, 40],
      'appeal#1': [7, 1],
      appeal2: [9, 1],
    });
    expect(all).toHaveLength(3);
    // Every counter partition is registered once, when its first counter was made.
    const registered = (await items(table, CAMPAIGNS_PK)).length;
    expect(registered).toBe(new Set((await items(table, 'c:')).map((i) => i.pk!.S)).size);
  });

  it('counts a move once when its counter write landed but the answer was lost, and the batch comes again', async () => {
    let armed = true;
    const table = await freshTable();
    // The write that creates the counter lands; its Lambda sees a timeout.
    const lossy = client(({ command, pk, condition }) =>
      armed && command === 'UpdateItemCommand' && pk.startsWith('c:') && condition === 'attribute_not_exists(box)' ? ((armed = false), 'after') : undefined,
    );
    const totals = new DynamoDbTotals({ client: lossy, table });
    const batch = [row('d1', 500), row('d2', 700)];
    await expect(totals.applyRows(batch)).rejects.toBeInstanceOf(RetriableError);
    for (let i = 0; i < 3; i++) await totals.applyRows(batch);
    expect(sum(await read(totals))).toEqual({ amount_minor: 1200, count: 2 });
    for (const c of await items(table, 'c:')) expect(c.count!.N).toBe('1');
  });

  it('repair rebuilds the sharded counters after one shard drifted', async () => {
    const table = await freshTable();
    const totals = new DynamoDbTotals({ client: client(), table });
    await totals.applyRows(Array.from({ length: 30 }, (_, i) => row(`r${i}`, 10 + i, { channel: i % 3 ? 'sms' : 'online' })));
    const want = await read(totals);
    await knockOffCounter(client(), table, want[0]!, 10);
    expect(await read(totals)).not.toEqual(want);
    expect(await totals.repair()).toEqual({ donations: 30, cells: 2 });
    expect(await read(totals)).toEqual(want);
    // Each donation counts in its own shard again: a correction after the repair takes it out there.
    await totals.applyRows([row('r0', 10, { changed: 20, status: 'failed' })]);
    for (const c of await items(table, 'c:')) expect(Number(c.count!.N)).toBeGreaterThanOrEqual(0);
    expect(sum(await read(totals))).toEqual({ amount_minor: sum(want).amount_minor - 10, count: 29 });
  });

  it('reads a table written before sharding, and finishes a move recorded then on its unsharded counter, once', async () => {
    const table = await freshTable();
    // Before sharding, d-old was won and its move applied to the unsharded counter, then the Lambda died before
    // clearing the move from the donation's item: build that state from a sharded write made to fail...
    let armed = true;
    const throttled = client(({ command, pk }) => (armed && command === 'UpdateItemCommand' && pk.startsWith('c:') ? ((armed = false), 'before') : undefined));
    const totals = new DynamoDbTotals({ client: throttled, table });
    await expect(totals.applyRows([row('d-old', 500)])).rejects.toBeInstanceOf(RetriableError);
    const key = { pk: { S: 'd:d-old' }, sk: { S: 'd' } };
    const donation = (await client().send(new GetItemCommand({ TableName: table, Key: key, ConsistentRead: true }))).Item!;
    const [move] = JSON.parse(donation.moves!.S!) as CounterMove[];
    // ...the move as it was recorded then (no shard), and the counter and campaign items the old layout wrote.
    const { shard: _shard, ...unsharded } = move!;
    await client().send(
      new UpdateItemCommand({ TableName: table, Key: key, UpdateExpression: 'SET moves = :m', ExpressionAttributeValues: { ':m': { S: JSON.stringify([unsharded]) } } }),
    );
    const c = move!.cell;
    await client().send(
      new PutItemCommand({
        TableName: table,
        Item: {
          pk: { S: cellPk('appeal') },
          sk: { S: cellSk(c) },
          channel: { S: c.channel! },
          campaign: { S: 'appeal' },
          cta: { S: c.cta! },
          currency: { S: c.currency },
          box: { N: String(c.box) },
          amount_minor: { N: '500' },
          count: { N: '1' },
          applied: { SS: [move!.t] },
        },
      }),
    );
    await client().send(new PutItemCommand({ TableName: table, Item: { pk: { S: CAMPAIGNS_PK }, sk: { S: '6:appeal' }, campaign: { S: 'appeal' } } }));
    expect(await read(totals, 'appeal')).toEqual([{ ...c, amount_minor: 500, count: 1 }]);
    // The batch comes again: the move goes to the unsharded counter, finds its token there and lands no more.
    await totals.applyRows([row('d-old', 500)]);
    expect((await client().send(new GetItemCommand({ TableName: table, Key: key, ConsistentRead: true }))).Item!.moves).toBeUndefined();
    expect(await items(table, cellPk('appeal') + '#')).toEqual([]);
    // New donations go to shards and add up with the old counter; a correction of the old one too.
    await totals.applyRows([row('d-new', 700), row('d-old', 900, { changed: 20 })]);
    const both = await read(totals, 'appeal');
    expect(both.map((x) => [x.amount_minor, x.count])).toEqual([[1600, 2]]);
    expect(await read(totals)).toEqual(both);
    // repair() moves everything into shards and leaves the unsharded counter at zero.
    await totals.repair();
    expect(await read(totals)).toEqual(both);
    const unshardedAfter = (await items(table, 'c:')).filter((i) => i.pk!.S === cellPk('appeal'));
    expect(unshardedAfter.map((i) => [i.amount_minor!.N, i.count!.N])).toEqual([['0', '0']]);
  });
});
