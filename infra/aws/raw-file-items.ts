// The raw trail's file list in the catalog table: one small DynamoDB item per file, in 16 shards per day.
// Every other table keeps a partition's files in one item (glue-catalog.ts), which compaction keeps small. Raw is
// never compacted (it is the immutable replay source and audit trail, puddles/compact.ts), so its day grows all
// day by one file per consumer batch: ~2,700 sync runs and ~4,300 trickle batches a day. In one item it
// overflowed DynamoDB's 400 KB at about 2,500 files (every later batch then failed and was dead-lettered), and
// each batch rewrote up to 400 KB. Raw files are only ever added, so nothing here needs that item's swap.
//
// Items (`kind` partition key, `id` sort key):
// - a file: kind `file:<partition>`, id `<shard>/<key>`, with rows, bytes and added_at. Adding one is one small
//   PutItem; listing a partition, or one shard of it, is a Query.
// - a shard head: kind `files`, id `<partition>#<shard>`, with the table, the dt and `ver`, ADDed after each
//   file put in the shard. The manifest sweep compares it with the manifest's record, as for a partition's item.
// The shard is the first hex digit of a hash of the key, so a redelivered batch's file stays in its shard. Each
// shard has its own Athena manifest (`manifest-<shard>`, beside the others in the partition's manifest folder,
// all of which Athena reads), so a landing rewrites a sixteenth of the day's list, not all of it.
import { createHash } from 'node:crypto';

import { GetItemCommand, UpdateItemCommand, type DynamoDBClient } from '@aws-sdk/client-dynamodb';

import type { CatalogFile, TableRef } from '../../core/ports.js';
import { isRawTable } from '../../puddles/layout.js';
import { parsePartitionId, partitionId, tableKey, tablesWithItems } from './catalog-keys.js';
import { batchWriteAll, n, queryAll, s, type Item } from './dynamo-items.js';

/** One shard of a raw partition: its files, its head item and its manifest. */
export interface RawShard {
  /** `<partition>#<shard>`: the head's id, and the id its manifest's record is kept under. */
  id: string;
  table: TableRef;
  dt: string;
  /** One hex digit. */
  shard: string;
}

const HEAD = 'files';

/** Whether a table's files are kept one item each: raw's, which are only ever added. */
export function isItemPerFile(t: TableRef): boolean {
  return isRawTable(t);
}

export function rawShardOf(f: TableRef & { key: string; dt: string }): RawShard {
  const table = { puddle: f.puddle, contract: f.contract, version: f.version };
  const shard = createHash('sha256').update(f.key).digest('hex').slice(0, 1);
  return { id: `${partitionId(table, f.dt)}#${shard}`, table, dt: f.dt, shard };
}

/** The shard a head's id names, or null for any other id (a partition's). */
export function parseRawShardId(id: string): RawShard | null {
  const at = id.lastIndexOf('#');
  if (at < 0) return null;
  return { id, ...parsePartitionId(id.slice(0, at)), shard: id.slice(at + 1) };
}

export class RawFileItems {
  readonly #db: DynamoDBClient;
  readonly #table: string;

  constructor(db: DynamoDBClient, tableName: string) {
    this.#db = db;
    this.#table = tableName;
  }

  /**
   * Register raw files (idempotent by key: a redelivered batch writes its item again). Gives the shards touched,
   * whose manifests the caller rewrites. A shard's version moves only after its files are in, so a manifest
   * writer that reads a version lists every file that version counts.
   */
  async add(files: readonly CatalogFile[]): Promise<RawShard[]> {
    await batchWriteAll(this.#db, this.#table, files.map((f) => ({ PutRequest: { Item: fileItem(f) } })));
    const shards = new Map(files.map((f) => rawShardOf(f)).map((sh) => [sh.id, sh]));
    for (const sh of shards.values()) {
      await this.#db.send(
        new UpdateItemCommand({
          TableName: this.#table,
          Key: { kind: s(HEAD), id: s(sh.id) },
          // ADD needs no read and never loses a race: concurrent landings each count.
          UpdateExpression: 'ADD #ver :one SET #puddle = :p, #contract = :c, #version = :v, #dt = :d',
          ExpressionAttributeNames: { '#ver': 'ver', '#puddle': 'puddle', '#contract': 'contract', '#version': 'version', '#dt': 'dt' },
          ExpressionAttributeValues: { ':one': n(1), ':p': s(sh.table.puddle), ':c': s(sh.table.contract), ':v': n(sh.table.version), ':d': s(sh.dt) },
        }),
      );
    }
    return [...shards.values()];
  }

  /** A shard's version and files: the version read first, so the files include at least those it counts. */
  async read(sh: RawShard): Promise<{ ver: number; files: CatalogFile[] }> {
    const ver = await this.version(sh);
    const items = await queryAll(this.#db, this.#table, {
      KeyConditionExpression: 'kind = :k AND begins_with(id, :s)',
      ExpressionAttributeValues: { ':k': s(fileKind(sh.table, sh.dt)), ':s': s(`${sh.shard}/`) },
      ConsistentRead: true,
    });
    return { ver, files: items.map((it) => fileOf(sh.table, sh.dt, it)) };
  }

  /** 0 when the shard has no head yet. */
  async version(sh: RawShard): Promise<number> {
    const got = await this.#db.send(new GetItemCommand({ TableName: this.#table, Key: { kind: s(HEAD), id: s(sh.id) }, ConsistentRead: true }));
    return got.Item ? Number(got.Item.ver!.N) : 0;
  }

  /** The files matching `filter` of every table kept here; none when the filter names another puddle. */
  async list(filter: Partial<TableRef> & { dt?: string }): Promise<CatalogFile[]> {
    if (filter.puddle !== undefined && !isItemPerFile({ puddle: filter.puddle, contract: '', version: 0 })) return [];
    const out: CatalogFile[] = [];
    for (const t of await this.tables()) {
      if ((filter.contract !== undefined && t.contract !== filter.contract) || (filter.version !== undefined && t.version !== filter.version)) continue;
      for (const dt of filter.dt !== undefined ? [filter.dt] : await this.#days(t)) {
        const items = await queryAll(this.#db, this.#table, { KeyConditionExpression: 'kind = :k', ExpressionAttributeValues: { ':k': s(fileKind(t, dt)) }, ConsistentRead: true });
        out.push(...items.map((it) => fileOf(t, dt, it)));
      }
    }
    return out;
  }

  /** The tables with files here (a head exists only once a file was put in its shard). */
  tables(): Promise<TableRef[]> {
    return tablesWithItems(this.#db, this.#table, HEAD);
  }

  /** Every shard head's id and version, for the manifest sweep (small items: 16 a day). */
  async heads(): Promise<{ id: string; ver: number }[]> {
    const items = await queryAll(this.#db, this.#table, {
      KeyConditionExpression: 'kind = :k',
      ExpressionAttributeValues: { ':k': s(HEAD) },
      ProjectionExpression: 'id, ver',
      ConsistentRead: true,
    });
    return items.map((it) => ({ id: it.id!.S!, ver: Number(it.ver!.N) }));
  }

  /** The days of `t` that have files, from its shard heads. */
  async #days(t: TableRef): Promise<string[]> {
    const items = await queryAll(this.#db, this.#table, {
      KeyConditionExpression: 'kind = :k AND begins_with(id, :p)',
      ExpressionAttributeValues: { ':k': s(HEAD), ':p': s(`${tableKey(t)}/`) },
      ProjectionExpression: 'id',
      ConsistentRead: true,
    });
    return [...new Set(items.map((it) => parseRawShardId(it.id!.S!)!.dt))];
  }
}

function fileKind(t: TableRef, dt: string): string {
  return `file:${partitionId(t, dt)}`;
}

function fileItem(f: CatalogFile): Item {
  return {
    kind: s(fileKind(f, f.dt)),
    id: s(`${rawShardOf(f).shard}/${f.key}`),
    rows: n(f.rows),
    bytes: n(f.bytes),
    added_at: s(f.added_at),
  };
}

function fileOf(table: TableRef, dt: string, it: Item): CatalogFile {
  const id = it.id!.S!;
  return { ...table, key: id.slice(id.indexOf('/') + 1), dt, rows: Number(it.rows!.N), bytes: Number(it.bytes!.N), added_at: it.added_at!.S! };
}
