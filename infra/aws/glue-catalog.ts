// Catalog in the AWS shape. Three stores, each for what it does well:
// - DynamoDB holds the live file list: one item per table partition (`dt`), its files in a map and a version number.
//   Every change is a single-item conditional write on that version, so replaceFiles with ifAllPresent is exact
//   (compaction touches one partition) and nothing needs TransactWriteItems (100-item cap; not in dynalite).
//   Removing by key finds the partition through a per-key hint item; hints may be stale, the partition decides.
// - S3 holds one symlink manifest per partition (`manifests/<table>/dt=<dt>/manifest`), rewritten after each change:
//   Athena reads the files a manifest names, never a folder listing, so files the catalog retired (compaction
//   inputs, replayed files) and orphans of a crashed landing are invisible to it at once. See NOTES-aws2.md.
// - Glue holds the table definitions (columns, partition projection on `dt`, the manifest location), created
//   when first needed from infra/aws/shape.ts, the same data the CDK app deploys.
// A change spanning several partitions (replay) is applied partition by partition, each atomic: a crash in the
// middle leaves some partitions replayed and the rest not, and running the replay again finishes it.
import {
  BatchGetItemCommand,
  type BatchGetItemCommandOutput,
  BatchWriteItemCommand,
  ConditionalCheckFailedException,
  DeleteItemCommand,
  GetItemCommand,
  PutItemCommand,
  QueryCommand,
  type AttributeValue,
  type DynamoDBClient,
  type QueryCommandInput,
} from '@aws-sdk/client-dynamodb';
import { CreateTableCommand, EntityNotFoundException, GetTableCommand, type GlueClient } from '@aws-sdk/client-glue';

import { FatalError } from '../../core/errors.js';
import type { Catalog, CatalogFile, ObjectStore, TableRef } from '../../core/ports.js';
import { BUCKET_PREFIXES, GLUE_DATABASE, glueTableInput, glueTableName } from './shape.js';

type Item = Record<string, AttributeValue>;

interface Partition {
  table: TableRef;
  dt: string;
  /** key -> the file; the table and dt are the partition's. */
  files: Map<string, CatalogFile>;
  /** 0 when the item does not exist yet. */
  ver: number;
}

export interface GlueCatalogOptions {
  dynamo: DynamoDBClient;
  /** The DynamoDB table (shape.ts CATALOG_TABLE: `kind` partition key, `id` sort key). */
  tableName: string;
  glue: GlueClient;
  glueDatabase?: string;
  /** Where manifests go (the lake's ObjectStore, keys relative to the bucket root) and the bucket Athena reads. */
  manifests: { store: ObjectStore; bucket: string };
  now?: () => number;
}

/** Conditional-write attempts per partition before giving up (each lost race means another writer progressed). */
const MAX_RACES = 20;

export class GlueCatalog implements Catalog {
  readonly #db: DynamoDBClient;
  readonly #table: string;
  readonly #glue: GlueClient;
  readonly #database: string;
  readonly #manifests: GlueCatalogOptions['manifests'];
  readonly #now: () => number;
  readonly #glueTables = new Map<string, Promise<void>>();

  constructor(opts: GlueCatalogOptions) {
    this.#db = opts.dynamo;
    this.#table = opts.tableName;
    this.#glue = opts.glue;
    this.#database = opts.glueDatabase ?? GLUE_DATABASE;
    this.#manifests = opts.manifests;
    this.#now = opts.now ?? Date.now;
  }

  async addFiles(files: readonly CatalogFile[]): Promise<void> {
    await this.replaceFiles([], files);
  }

  async replaceFiles(remove: readonly string[], add: readonly CatalogFile[], opts: { ifAllPresent?: boolean } = {}): Promise<boolean> {
    if (!remove.length && !add.length) return true;
    const adding = new Map(add.map((f) => [f.key, f]));
    const hints = await this.#hints(remove);
    if (opts.ifAllPresent && remove.some((k) => !hints.has(k))) return false;

    // Group the change by partition.
    const changes = new Map<string, { table: TableRef; dt: string; remove: string[]; add: CatalogFile[] }>();
    const changeFor = (id: string, table: TableRef, dt: string) => {
      let c = changes.get(id);
      if (!c) changes.set(id, (c = { table, dt, remove: [], add: [] }));
      return c;
    };
    for (const f of adding.values()) changeFor(partitionId(f, f.dt), tableOf(f), f.dt).add.push(f);
    for (const key of remove) {
      const id = hints.get(key);
      if (id === undefined || adding.has(key)) continue; // never registered, or kept live by this very change
      const { table, dt } = parsePartitionId(id);
      changeFor(id, table, dt).remove.push(key);
    }

    await Promise.all([...new Set([...adding.values()].map((f) => tableOf(f)))].map((t) => this.#ensureGlueTable(t)));
    // Hints first: a file is never in a partition whose hint is missing.
    await this.#writeHints(add);

    if (opts.ifAllPresent) {
      // Checked on every partition before any is written; then each write re-checks on its own version.
      for (const [id, c] of changes) {
        const part = await this.#readPartition(id, c.table, c.dt);
        if (c.remove.some((k) => !part.files.has(k))) return false;
      }
    }
    const removed: string[] = [];
    for (const [id, c] of changes) {
      const r = await this.#applyToPartition(id, c.table, c.dt, c.remove, c.add, opts.ifAllPresent === true);
      if (r === null) return false;
      removed.push(...r);
    }
    const now = this.#now();
    await this.#batchWrite(removed.map((key) => ({ PutRequest: { Item: { kind: s('garbage'), id: s(key), removed_at: n(now) } } })));
    // A key landed again after a compaction retired it is live again: it must never be handed out as garbage.
    await this.#batchWrite([...adding.keys()].map((key) => ({ DeleteRequest: { Key: { kind: s('garbage'), id: s(key) } } })));
    await Promise.all([...changes.entries()].map(([id, c]) => this.#writeManifest(id, c.table, c.dt)));
    return true;
  }

  async listFiles(filter: Partial<TableRef> & { dt?: string } = {}): Promise<CatalogFile[]> {
    const out: CatalogFile[] = [];
    for (const part of await this.#partitions(filter)) {
      if (filter.dt !== undefined && part.dt !== filter.dt) continue;
      out.push(...part.files.values());
    }
    return out.sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0));
  }

  async tables(): Promise<TableRef[]> {
    const seen = new Map<string, TableRef>();
    for (const part of await this.#partitions({})) {
      if (part.files.size) seen.set(tableKey(part.table), part.table);
    }
    return [...seen.values()].sort(
      (a, b) => a.puddle.localeCompare(b.puddle) || a.contract.localeCompare(b.contract) || a.version - b.version,
    );
  }

  async takeGarbage(olderThanMs: number): Promise<string[]> {
    const cutoff = this.#now() - olderThanMs;
    const marks = (await this.#query({ KeyConditionExpression: 'kind = :k', ExpressionAttributeValues: { ':k': s('garbage') } }))
      .filter((it) => Number(it.removed_at?.N) <= cutoff)
      .map((it) => ({ key: it.id!.S!, removedAt: it.removed_at!.N! }));
    const hints = await this.#hints(marks.map((m) => m.key));
    const taken: string[] = [];
    for (const m of marks) {
      // Live again (re-added after its removal, and the unmarking has not run yet): drop the mark, keep the file.
      const id = hints.get(m.key);
      const live = id !== undefined && (await this.#readPartition(id, parsePartitionId(id).table, parsePartitionId(id).dt)).files.has(m.key);
      try {
        await this.#db.send(
          new DeleteItemCommand({
            TableName: this.#table,
            Key: { kind: s('garbage'), id: s(m.key) },
            // Another taker, or a newer removal of the same key, wins the mark.
            ConditionExpression: 'removed_at = :r',
            ExpressionAttributeValues: { ':r': { N: m.removedAt } },
          }),
        );
      } catch (err) {
        if (err instanceof ConditionalCheckFailedException) continue;
        throw err;
      }
      if (!live) taken.push(m.key);
    }
    return taken.sort();
  }

  // ---------------------------------------------------------------- partitions

  /** Apply one partition's share of a change with a version check; the removed keys, or null if ifAllPresent failed. */
  async #applyToPartition(id: string, table: TableRef, dt: string, remove: string[], add: CatalogFile[], ifAllPresent: boolean): Promise<string[] | null> {
    for (let race = 0; race < MAX_RACES; race++) {
      const part = await this.#readPartition(id, table, dt);
      if (ifAllPresent && remove.some((k) => !part.files.has(k))) return null;
      const removed = remove.filter((k) => part.files.delete(k));
      for (const f of add) part.files.set(f.key, f);
      try {
        await this.#db.send(
          new PutItemCommand({
            TableName: this.#table,
            Item: partitionItem(id, part, part.ver + 1),
            ...(part.ver === 0
              ? { ConditionExpression: 'attribute_not_exists(id)' }
              : { ConditionExpression: 'ver = :v', ExpressionAttributeValues: { ':v': n(part.ver) } }),
          }),
        );
        return removed;
      } catch (err) {
        if (err instanceof ConditionalCheckFailedException) continue;
        if (err instanceof Error && /size has exceeded|Item size/i.test(err.message)) {
          throw new FatalError(`catalog partition ${id} holds too many files for one DynamoDB item (${part.files.size}): run compaction`, { cause: err });
        }
        throw err;
      }
    }
    throw new FatalError(`catalog partition ${id}: lost ${MAX_RACES} write races in a row`);
  }

  async #readPartition(id: string, table: TableRef, dt: string): Promise<Partition> {
    const got = await this.#db.send(new GetItemCommand({ TableName: this.#table, Key: { kind: s('part'), id: s(id) }, ConsistentRead: true }));
    return got.Item ? fromPartitionItem(got.Item) : { table, dt, files: new Map(), ver: 0 };
  }

  async #partitions(filter: Partial<TableRef>): Promise<Partition[]> {
    const input: Omit<QueryCommandInput, 'TableName'> = { KeyConditionExpression: 'kind = :k', ExpressionAttributeValues: { ':k': s('part') }, ConsistentRead: true };
    // Partition ids start `puddle/contract/vN/`: narrow the query when the filter names a whole prefix.
    if (filter.puddle !== undefined && filter.contract !== undefined) {
      const prefix = filter.version !== undefined ? `${filter.puddle}/${filter.contract}/v${filter.version}/` : `${filter.puddle}/${filter.contract}/v`;
      input.KeyConditionExpression = 'kind = :k AND begins_with(id, :p)';
      input.ExpressionAttributeValues = { ':k': s('part'), ':p': s(prefix) };
    }
    return (await this.#query(input))
      .map(fromPartitionItem)
      .filter(
        (p) =>
          (filter.puddle === undefined || p.table.puddle === filter.puddle) &&
          (filter.contract === undefined || p.table.contract === filter.contract) &&
          (filter.version === undefined || p.table.version === filter.version),
      );
  }

  async #query(input: Omit<QueryCommandInput, 'TableName'>): Promise<Item[]> {
    const items: Item[] = [];
    let start: Item | undefined;
    do {
      const page = await this.#db.send(new QueryCommand({ ...input, TableName: this.#table, ExclusiveStartKey: start }));
      items.push(...(page.Items ?? []));
      start = page.LastEvaluatedKey;
    } while (start);
    return items;
  }

  // ---------------------------------------------------------------- key hints

  async #hints(keys: readonly string[]): Promise<Map<string, string>> {
    const out = new Map<string, string>();
    const unique = [...new Set(keys)];
    // BatchGetItem takes at most 100 keys, and may hand some back unprocessed under load.
    for (let i = 0; i < unique.length; i += 100) {
      let request: Item[] | undefined = unique.slice(i, i + 100).map((key) => ({ kind: s('key'), id: s(key) }));
      for (let round = 0; request?.length; round++) {
        if (round > 0) await sleep(Math.min(1000, 25 * 2 ** round));
        const got: BatchGetItemCommandOutput = await this.#db.send(new BatchGetItemCommand({ RequestItems: { [this.#table]: { Keys: request, ConsistentRead: true } } }));
        for (const it of got.Responses?.[this.#table] ?? []) out.set(it.id!.S!, it.part!.S!);
        request = got.UnprocessedKeys?.[this.#table]?.Keys;
      }
    }
    return out;
  }

  #writeHints(files: readonly CatalogFile[]): Promise<void> {
    return this.#batchWrite(files.map((f) => ({ PutRequest: { Item: { kind: s('key'), id: s(f.key), part: s(partitionId(f, f.dt)) } } })));
  }

  async #batchWrite(requests: NonNullable<ConstructorParameters<typeof BatchWriteItemCommand>[0]['RequestItems']>[string]): Promise<void> {
    // 25 writes per BatchWriteItem; unprocessed ones are sent again with a growing pause.
    for (let i = 0; i < requests.length; i += 25) {
      let batch = requests.slice(i, i + 25);
      for (let round = 0; batch.length; round++) {
        if (round > 0) await sleep(Math.min(1000, 25 * 2 ** round));
        const r = await this.#db.send(new BatchWriteItemCommand({ RequestItems: { [this.#table]: batch } }));
        batch = r.UnprocessedItems?.[this.#table] ?? [];
      }
    }
  }

  // ---------------------------------------------------------------- manifests and Glue

  /** The manifest Athena reads for one partition (bucket-relative key). */
  manifestKey(table: TableRef, dt: string): string {
    return `${BUCKET_PREFIXES.manifests}${glueTableName(table)}/dt=${dt}/manifest`;
  }

  /**
   * Rewrite a partition's manifest from its current state. Two writers may finish out of order, so after writing
   * it reads the version again and writes once more if it moved: the last writer always writes the newest list.
   */
  async #writeManifest(id: string, table: TableRef, dt: string): Promise<void> {
    for (let round = 0; round < MAX_RACES; round++) {
      const part = await this.#readPartition(id, table, dt);
      const lines = [...part.files.keys()].sort().map((key) => `s3://${this.#manifests.bucket}/${key}\n`);
      await this.#manifests.store.put(this.manifestKey(table, dt), lines.join(''));
      const after = await this.#readPartition(id, table, dt);
      if (after.ver === part.ver) return;
    }
  }

  #ensureGlueTable(table: TableRef): Promise<void> {
    const name = glueTableName(table);
    let pending = this.#glueTables.get(name);
    if (!pending) {
      pending = this.#createGlueTableIfMissing(table).catch((err: unknown) => {
        this.#glueTables.delete(name); // let the next call try again
        throw err;
      });
      this.#glueTables.set(name, pending);
    }
    return pending;
  }

  async #createGlueTableIfMissing(table: TableRef): Promise<void> {
    const name = glueTableName(table);
    try {
      await this.#glue.send(new GetTableCommand({ DatabaseName: this.#database, Name: name }));
      return;
    } catch (err) {
      if (!(err instanceof EntityNotFoundException)) throw err;
    }
    // Normally the CDK app created it; a contract version newer than the deployed stack is created here, alike.
    await this.#glue.send(new CreateTableCommand({ DatabaseName: this.#database, TableInput: glueTableInput(table, this.#manifests.bucket) }));
  }
}

// ---------------------------------------------------------------- item shapes

function s(v: string): AttributeValue {
  return { S: v };
}

function n(v: number): AttributeValue {
  return { N: String(v) };
}

function tableOf(t: TableRef): TableRef {
  return { puddle: t.puddle, contract: t.contract, version: t.version };
}

function tableKey(t: TableRef): string {
  return `${t.puddle}/${t.contract}/v${t.version}`;
}

function partitionId(t: TableRef, dt: string): string {
  return `${tableKey(t)}/${dt}`;
}

function parsePartitionId(id: string): { table: TableRef; dt: string } {
  const m = /^(.+)\/(.+)\/v(\d+)\/([^/]+)$/.exec(id);
  if (!m) throw new FatalError(`catalog: malformed partition id ${JSON.stringify(id)}`);
  return { table: { puddle: m[1]!, contract: m[2]!, version: Number(m[3]) }, dt: m[4]! };
}

function partitionItem(id: string, part: Partition, ver: number): Item {
  const files: Record<string, AttributeValue> = {};
  for (const f of part.files.values()) files[f.key] = { M: { rows: n(f.rows), bytes: n(f.bytes), added_at: s(f.added_at) } };
  return {
    kind: s('part'),
    id: s(id),
    puddle: s(part.table.puddle),
    contract: s(part.table.contract),
    version: n(part.table.version),
    dt: s(part.dt),
    files: { M: files },
    ver: n(ver),
  };
}

function fromPartitionItem(it: Item): Partition {
  const table = { puddle: it.puddle!.S!, contract: it.contract!.S!, version: Number(it.version!.N) };
  const dt = it.dt!.S!;
  const files = new Map<string, CatalogFile>();
  for (const [key, v] of Object.entries(it.files?.M ?? {})) {
    const m = v.M!;
    files.set(key, { ...table, key, dt, rows: Number(m.rows!.N), bytes: Number(m.bytes!.N), added_at: m.added_at!.S! });
  }
  return { table, dt, files, ver: Number(it.ver!.N) };
}

function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}
