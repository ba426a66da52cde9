// Reaching into the AWS live totals' counter items from a test: what a crash between winning a donation's version
// and moving its box would leave, one of a cell's counter items off by a donation.
import { ScanCommand, UpdateItemCommand, type DynamoDBClient } from '@aws-sdk/client-dynamodb';

import { cellPk, cellSk } from '../../infra/aws/dynamodb-totals-counters.js';
import type { TotalsCell } from '../../puddles/live-totals.js';

/** Take `amount` and one donation out of one of the counter items (a shard, or the unsharded one) of `cell`. */
export async function knockOffCounter(client: DynamoDBClient, table: string, cell: TotalsCell, amount: number): Promise<void> {
  const scan = await client.send(
    new ScanCommand({
      TableName: table,
      FilterExpression: 'begins_with(pk, :pk) AND sk = :sk',
      ExpressionAttributeValues: { ':pk': { S: cellPk(cell.campaign) }, ':sk': { S: cellSk(cell) } },
      ConsistentRead: true,
    }),
  );
  const item = scan.Items?.find((i) => Number(i.count?.N ?? 0) > 0);
  if (!item) throw new Error(`no counter item counts cell ${cellSk(cell)}`);
  await client.send(
    new UpdateItemCommand({
      TableName: table,
      Key: { pk: item.pk!, sk: item.sk! },
      UpdateExpression: 'ADD amount_minor :a, #c :n',
      ExpressionAttributeNames: { '#c': 'count' },
      ExpressionAttributeValues: { ':a': { N: String(-amount) }, ':n': { N: '-1' } },
    }),
  );
}
