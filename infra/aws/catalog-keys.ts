// How the Glue catalog's DynamoDB items are named (infra/aws/shape.ts CATALOG_TABLE: `kind` partition key, `id`
// sort key), for glue-catalog.ts and raw-file-items.ts alike. Every partition's id starts with its table's
// (`puddle/contract/vN/`), so one table's items are a key range.
import { QueryCommand, type DynamoDBClient } from '@aws-sdk/client-dynamodb';

import { FatalError } from '../../core/errors.js';
import type { TableRef } from '../../core/ports.js';
import { s, type Item } from './dynamo-items.js';

/** `puddle/contract/vN`. */
export function tableKey(t: TableRef): string {
  return `${t.puddle}/${t.contract}/v${t.version}`;
}

const CURRENT_PARTITION = 'current';

/** `puddle/contract/vN/<dt>`; a contract's current-state files (no dt) are `puddle/contract/vN/current`. */
export function partitionId(t: TableRef, dt: string): string {
  return `${tableKey(t)}/${dt === '' ? CURRENT_PARTITION : dt}`;
}

export function parsePartitionId(id: string): { table: TableRef; dt: string } {
  const m = /^(.+)\/(.+)\/v(\d+)\/([^/#]+)$/.exec(id);
  if (!m) throw new FatalError(`catalog: malformed partition id ${JSON.stringify(id)}`);
  return { table: { puddle: m[1]!, contract: m[2]!, version: Number(m[3]) }, dt: m[4] === CURRENT_PARTITION ? '' : m[4]! };
}

/** The table an item of the catalog names in its `puddle`, `contract` and `version` attributes. */
export function tableOfItem(it: Item): TableRef {
  return { puddle: it.puddle!.S!, contract: it.contract!.S!, version: Number(it.version!.N) };
}

/**
 * The tables that have an item of `kind` for which `live` holds, found by skipping from table to table: one
 * one-item Query per table (and per item `live` rejects), never a read of every partition. Compaction asks for
 * the tables every run, and the raw trail adds thousands of items a day that it must not read.
 */
export async function tablesWithItems(db: DynamoDBClient, tableName: string, kind: string, live: (it: Item) => boolean = () => true): Promise<TableRef[]> {
  const out: TableRef[] = [];
  let after: string | undefined;
  for (;;) {
    const page = await db.send(
      new QueryCommand({
        TableName: tableName,
        // DynamoDB refuses an empty string as a key value, so the first step has no lower bound.
        KeyConditionExpression: after === undefined ? 'kind = :k' : 'kind = :k AND id > :a',
        ExpressionAttributeValues: { ':k': s(kind), ...(after === undefined ? {} : { ':a': s(after) }) },
        Limit: 1,
        ConsistentRead: true,
      }),
    );
    const it = page.Items?.[0];
    if (!it) return out;
    const table = tableOfItem(it);
    if (live(it)) {
      out.push(table);
      // Past every id of this table: they all start `<table>/` and go on in plain ASCII, which sorts below U+FFFF.
      after = `${tableKey(table)}/\uffff`;
    } else {
      after = it.id!.S!;
    }
  }
}
