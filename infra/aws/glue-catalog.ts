// Catalog in the AWS shape. Three stores, each for what it does well:
// - DynamoDB holds the live file list: one item per table partition (`dt`), its files in a map and a version number.
//   Every change is a single-item conditional write on that version, so replaceFiles with ifAllPresent is exact
//   (compaction touches one partition) and nothing needs TransactWriteItems (100-item cap; not in dynalite).
//   Compaction keeps those items small. Raw is never compacted and grows by thousands of files a day, so its files
//   are one item each instead, only ever added (raw-file-items.ts); removing or folding one is refused.
//   Removing by key finds the partition through a per-key hint item; hints may be stale, the partition decides.
//   A hint goes when garbage collection hands its file out (#dropHint).
// - S3 holds one symlink manifest per partition (`manifests/<table>/dt=<dt>/manifest`; raw one per shard,
//   `manifest-<shard>`), rewritten after each change:
//   Athena reads the files a manifest names, never a folder listing, so files the catalog retired (compaction
//   inputs, replayed files) and orphans of a crashed landing are invisible to it at once. See docs/aws.md, "How Athena
//   never sees retired files".
//   A process can die between a partition's DynamoDB write and its manifest PUT, leaving the manifest behind the
//   item; each manifest's written version is kept in a sidecar item so that a sweep finds and repairs those, and
//   garbage collection checks the manifests of the partitions it is about to empty (see repairManifests).
// - Glue holds the table definitions (columns, partition projection on `dt`, the manifest location), created
//   when first needed from infra/aws/shape.ts, the same data the CDK app deploys.
// A change spanning several partitions (replay) is applied partition by partition, each atomic: a crash in the
// middle leaves some partitions replayed and the rest not, and running the replay again finishes it.
import {
  BatchGetItemCommand,
  type BatchGetItemCommandOutput,
  ConditionalCheckFailedException,
  DeleteItemCommand,
  GetItemCommand,
  PutItemCommand,
  type AttributeValue,
  type DynamoDBClient,
  type QueryCommandInput,
  type WriteRequest,
} from '@aws-sdk/client-dynamodb';
import { CreateTableCommand, EntityNotFoundException, GetTableCommand, type GlueClient } from '@aws-sdk/client-glue';

import { FatalError } from '../../core/errors.js';
import type { Catalog, CatalogFile, ObjectStore, TableRef } from '../../core/ports.js';
import { parsePartitionId, partitionId, tableKey, tableOfItem, tablesWithItems } from './catalog-keys.js';
import { batchWriteAll, n, queryAll, s, untilProcessed, type Item } from './dynamo-items.js';
import { isItemPerFile, parseRawShardId, RawFileItems, rawShardOf, type RawShard } from './raw-file-items.js';
import { BUCKET_PREFIXES, GLUE_DATABASE, glueTableInput, glueTableName, glueTablesOf, type GlueTableKind, type GlueTableSpec } from './shape.js';

/** One partition's share of a change. */
interface Change {
  table: TableRef;
  dt: string;
  remove: string[];
  add: CatalogFile[];
  fold: string[];
}

interface Partition {
  table: TableRef;
  dt: string;
  /** key -> the file; the table and dt are the partition's. */
  files: Map<string, CatalogFile>;
  /** 0 when the item does not exist yet. */
  ver: number;
}

/** Where a registered key is: its partition, and for a raw file (one item each) its shard. */
interface Hint {
  part: string;
  shard?: string;
}

/** What one set of manifests is written from: a partition's item, or one shard of a raw partition. */
type ManifestSource = { kind: 'partition'; id: string; table: TableRef; dt: string } | ({ kind: 'raw' } & RawShard);

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
  readonly #raw: RawFileItems;

  constructor(opts: GlueCatalogOptions) {
    this.#db = opts.dynamo;
    this.#table = opts.tableName;
    this.#raw = new RawFileItems(opts.dynamo, opts.tableName);
    this.#glue = opts.glue;
    this.#database = opts.glueDatabase ?? GLUE_DATABASE;
    this.#manifests = opts.manifests;
    this.#now = opts.now ?? Date.now;
  }

  async addFiles(files: readonly CatalogFile[]): Promise<void> {
    await this.replaceFiles([], files);
  }

  /**
   * Without transactions across items, a change spanning partitions is written partition by partition, in an
   * order where every state in between reads the same as the one before it or the one after (the views read
   * current state plus the history files not folded into it, puddles/views.ts):
   * 1. If the change leaves a contract's current-state partition losing files and gaining none (a replay
   *    dropping the state, a fold moving it to a newer contract version), that contract's folded marks are
   *    cleared first: a folded file whose rows are in a state that still exists is read twice, which the views
   *    absorb (same _id), never missed.
   * 2. Current-state partitions next, those only losing files before those gaining some, so two states are
   *    never live at once. This write is the commit point: with ifAllPresent it is conditional on the
   *    partition's version, so the old state is exactly as checked.
   * 3. History partitions last, with the folded marks. A crash before them leaves the new state registered and
   *    its inputs unmarked: they read as recent rows the state already holds, which the views de-duplicate, and
   *    the next fold takes them again (its state's key is a hash of its inputs, so a new file) and marks them.
   *    A fold key that vanished meanwhile (a compaction merged it into an unfolded file) is skipped: its rows
   *    are read from the merged file as recent ones.
   * Each partition's manifests are rewritten right after its write, so Athena sees the changes in the same order.
   * What stays open, as on the embedded catalog: a replay that listed the old state before a fold swapped it
   * does not remove the new one.
   */
  async replaceFiles(
    remove: readonly string[],
    add: readonly CatalogFile[],
    opts: { ifAllPresent?: boolean; fold?: readonly string[] } = {},
  ): Promise<boolean> {
    const fold = opts.fold ?? [];
    if (!remove.length && !add.length && !fold.length) return true;
    const ifAllPresent = opts.ifAllPresent === true;
    const adding = new Map(add.map((f) => [f.key, f]));
    const rawAdds = [...adding.values()].filter((f) => isItemPerFile(f));
    // The raw files' hints too: one written before raw files were kept one item each points at the old item.
    const hints = await this.#hints([...remove, ...fold, ...rawAdds.map((f) => f.key)]);
    if (ifAllPresent && [...remove, ...fold].some((k) => !hints.has(k))) return false;
    // Raw is the immutable trail (replay reads it, Object Lock may guard it): nothing removes or folds its files.
    // Refused before anything is written; a key kept live by this very change is not removed.
    const rawTouched = [...remove.filter((k) => !adding.has(k)), ...fold].filter((k) => {
      const hint = hints.get(k);
      return hint !== undefined && isItemPerFile(parsePartitionId(hint.part).table);
    });
    if (rawTouched.length) {
      throw new FatalError(`catalog: raw files are never removed or folded (raw is the immutable trail); this change would touch ${rawTouched.length}`);
    }

    // Group the change by partition.
    const changes = new Map<string, Change>();
    const changeFor = (id: string) => {
      let c = changes.get(id);
      if (!c) changes.set(id, (c = { ...parsePartitionId(id), remove: [], add: [], fold: [] }));
      return c;
    };
    for (const f of adding.values()) if (!isItemPerFile(f)) changeFor(partitionId(f, f.dt)).add.push(f);
    for (const key of remove) {
      const hint = hints.get(key);
      if (hint === undefined || adding.has(key)) continue; // never registered, or kept live by this very change
      changeFor(hint.part).remove.push(key);
    }
    for (const key of fold) {
      const hint = hints.get(key);
      if (hint !== undefined) changeFor(hint.part).fold.push(key);
    }
    const listedBefore = await this.#inOldRawItems(rawAdds, hints);
    const rawNew = rawAdds.filter((f) => !listedBefore.has(f.key));

    const specs = new Map([...adding.values()].flatMap((f) => glueTablesOf(tableOf(f), f.current === true)).map((t) => [t.name, t]));
    await Promise.all([...specs.values()].map((t) => this.#ensureGlueTable(t)));
    // Hints first: a file is never in a partition whose hint is missing.
    await this.#writeHints([...adding.values()].filter((f) => !listedBefore.has(f.key)));

    if (ifAllPresent) {
      // Checked on every partition before any is written; then the first write re-checks on its own version.
      for (const [id, c] of changes) {
        const part = await this.#readPartition(id, c.table, c.dt);
        if ([...c.remove, ...c.fold].some((k) => !part.files.has(k))) return false;
      }
    }

    const ordered = [...changes.entries()].sort(([, a], [, b]) => writeRank(a) - writeRank(b));
    // Step 1: contracts whose state a current partition loses without this change giving it another there.
    const stateless = new Set(ordered.filter(([, c]) => c.dt === '' && c.remove.length && !c.add.length).map(([, c]) => c.table.contract));
    for (const contract of stateless) await this.#unfoldContract(contract);

    let committed = false;
    for (const [id, c] of ordered) {
      // Until something is written, ifAllPresent can still say no; after that, the rest is finished.
      const strict = ifAllPresent && !committed;
      const r = await this.#updatePartition(id, c.table, c.dt, (part) => {
        if (strict && [...c.remove, ...c.fold].some((k) => !part.files.has(k))) return null;
        const gone = c.remove.filter((k) => part.files.delete(k));
        for (const f of c.add) {
          // A key registered again (a redelivered batch) holds the same rows: it keeps its marks.
          const had = part.files.get(f.key);
          part.files.set(f.key, had ? withMarks(f, had) : f);
        }
        for (const k of c.fold) {
          const f = part.files.get(k);
          if (f) part.files.set(k, { ...f, folded: true });
        }
        return gone;
      });
      if (r === null) return false;
      committed = true;
      // Marked at once, so a crash in a later partition does not leave this one's removed objects to no one.
      const now = this.#now();
      await this.#batchWrite(r.map((key) => ({ PutRequest: { Item: { kind: s('garbage'), id: s(key), removed_at: n(now) } } })));
      await this.#writeManifest({ kind: 'partition', id, table: c.table, dt: c.dt });
    }
    // Raw files last, so that a change ifAllPresent refuses has written none. They are never garbage.
    for (const shard of await this.#raw.add(rawNew)) await this.#writeManifest({ kind: 'raw', ...shard });
    // A key landed again after a compaction retired it is live again: it must never be handed out as garbage.
    const partKeys = [...adding.values()].filter((f) => !isItemPerFile(f)).map((f) => f.key);
    await this.#batchWrite(partKeys.map((key) => ({ DeleteRequest: { Key: { kind: s('garbage'), id: s(key) } } })));
    return true;
  }

  async listFiles(filter: Partial<TableRef> & { dt?: string } = {}): Promise<CatalogFile[]> {
    const out = new Map<string, CatalogFile>();
    for (const part of await this.#partitions(filter)) {
      if (filter.dt !== undefined && part.dt !== filter.dt) continue;
      for (const f of part.files.values()) out.set(f.key, f);
    }
    // Raw files kept one item each; a raw partition from before that may still list some in its item.
    for (const f of await this.#raw.list(filter)) if (!out.has(f.key)) out.set(f.key, f);
    return [...out.values()].sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0));
  }

  /** Read table by table (one small query each), so that compaction, which asks every run, never reads raw's files. */
  async tables(): Promise<TableRef[]> {
    const seen = new Map<string, TableRef>();
    const withFiles = (it: Item) => Object.keys(it.files?.M ?? {}).length > 0;
    for (const t of await tablesWithItems(this.#db, this.#table, 'part', withFiles)) seen.set(tableKey(t), t);
    for (const t of await this.#raw.tables()) seen.set(tableKey(t), t);
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
    // No file is handed out for deletion while a manifest of its partition may still name it (a process died
    // between the item's write and the manifest's PUT): those manifests are brought up to date first.
    const owners = new Set(marks.flatMap((m) => hints.get(m.key)?.part ?? []));
    await this.#settleManifests(owners);
    const taken: string[] = [];
    for (const m of marks) {
      // Live again (re-added after its removal, and the unmarking has not run yet): drop the mark, keep the file.
      const id = hints.get(m.key)?.part;
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
      if (live) continue;
      taken.push(m.key);
      await this.#dropHint(m.key, m.removedAt);
    }
    return taken.sort();
  }

  // ---------------------------------------------------------------- partitions

  /**
   * Apply `change` to a partition with a version check, reading it again after each lost race. `change` edits
   * the files in place and gives the removed keys, or null to give up (nothing written).
   */
  async #updatePartition(id: string, table: TableRef, dt: string, change: (part: Partition) => string[] | null): Promise<string[] | null> {
    for (let race = 0; race < MAX_RACES; race++) {
      const part = await this.#readPartition(id, table, dt);
      const removed = change(part);
      if (removed === null) return null;
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

  /** Clear the folded marks of every history partition of `contract` (its current state is going away). */
  async #unfoldContract(contract: string): Promise<void> {
    for (const part of await this.#partitions({ contract })) {
      if (part.dt === '' || ![...part.files.values()].some((f) => f.folded)) continue;
      const id = partitionId(part.table, part.dt);
      await this.#updatePartition(id, part.table, part.dt, (p) => {
        for (const [k, f] of p.files) if (f.folded) p.files.set(k, withMarks(f, {}));
        return [];
      });
      await this.#writeManifest({ kind: 'partition', id, table: part.table, dt: part.dt });
    }
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

  #query(input: Omit<QueryCommandInput, 'TableName'>): Promise<Item[]> {
    return queryAll(this.#db, this.#table, input);
  }

  /**
   * The keys of `files` (raw files) that a raw partition's item from before raw files were kept one item each
   * already lists: a redelivered batch of that day registers its file again, which must not list it twice. Only
   * keys whose hint is of that kind are looked up (a hint without a shard); a batch whose registration failed
   * then (its hint written, its item not) is not in the item, and is registered now.
   */
  async #inOldRawItems(files: readonly CatalogFile[], hints: ReadonlyMap<string, Hint>): Promise<Set<string>> {
    const listed = new Set<string>();
    const byPart = new Map<string, string[]>();
    for (const f of files) {
      const hint = hints.get(f.key);
      if (hint && hint.shard === undefined) byPart.set(hint.part, [...(byPart.get(hint.part) ?? []), f.key]);
    }
    for (const [id, keys] of byPart) {
      const { table, dt } = parsePartitionId(id);
      const part = await this.#readPartition(id, table, dt);
      for (const key of keys) if (part.files.has(key)) listed.add(key);
    }
    return listed;
  }

  // ---------------------------------------------------------------- key hints

  async #hints(keys: readonly string[]): Promise<Map<string, Hint>> {
    const out = new Map<string, Hint>();
    const unique = [...new Set(keys)];
    // BatchGetItem takes at most 100 keys, and may hand some back unprocessed under load.
    for (let i = 0; i < unique.length; i += 100) {
      const keysOf = unique.slice(i, i + 100).map((key): Item => ({ kind: s('key'), id: s(key) }));
      await untilProcessed('BatchGetItem', keysOf, async (request) => {
        const got: BatchGetItemCommandOutput = await this.#db.send(new BatchGetItemCommand({ RequestItems: { [this.#table]: { Keys: request, ConsistentRead: true } } }));
        for (const it of got.Responses?.[this.#table] ?? []) out.set(it.id!.S!, { part: it.part!.S!, ...(it.shard?.S ? { shard: it.shard.S } : {}) });
        return got.UnprocessedKeys?.[this.#table]?.Keys;
      });
    }
    return out;
  }

  #writeHints(files: readonly CatalogFile[]): Promise<void> {
    const now = n(this.#now());
    const hint = (f: CatalogFile): Item => ({
      kind: s('key'),
      id: s(f.key),
      part: s(partitionId(f, f.dt)),
      written_at: now,
      // A raw file's hint says it is kept one item each, in which shard.
      ...(isItemPerFile(f) ? { shard: s(rawShardOf(f).shard) } : {}),
    });
    return this.#batchWrite(files.map((f) => ({ PutRequest: { Item: hint(f) } })));
  }

  /**
   * Deletes the hint of a file handed out as garbage: without this, every file the lake ever registered
   * (each landed batch, compaction input and replayed file) left an item behind for good. Only a hint
   * written before the file's removal goes: a key registered again since (a redelivered batch after a
   * compaction retired it) wrote a newer one, which stays. Hints from before written_at existed go too.
   */
  async #dropHint(key: string, removedAt: string): Promise<void> {
    try {
      await this.#db.send(
        new DeleteItemCommand({
          TableName: this.#table,
          Key: { kind: s('key'), id: s(key) },
          ConditionExpression: 'attribute_not_exists(written_at) OR written_at < :r',
          ExpressionAttributeValues: { ':r': { N: removedAt } },
        }),
      );
    } catch {
      // Newer (kept on purpose), or the delete failed: a hint left behind costs an item, nothing else, and
      // must not lose the files already taken from their marks.
    }
  }

  #batchWrite(requests: readonly WriteRequest[]): Promise<void> {
    return batchWriteAll(this.#db, this.#table, requests);
  }

  // ---------------------------------------------------------------- manifests and Glue

  /**
   * The manifest Athena reads for one partition of a Glue table (bucket-relative key): `files` and `recent` have
   * one per `dt`, `current` one for the whole table.
   */
  manifestKey(table: TableRef, dt: string, kind: GlueTableKind = 'files'): string {
    const prefix = `${BUCKET_PREFIXES.manifests}${glueTableName(table, kind)}/`;
    return kind === 'current' ? `${prefix}manifest` : `${prefix}dt=${dt}/manifest`;
  }

  /**
   * One shard's manifest of a raw partition, beside the partition's others: Athena reads every object in a
   * partition's manifest folder (`manifest`, left by raw partitions from before the shards, and `manifest-<shard>`).
   */
  rawManifestKey(shard: RawShard): string {
    return `${BUCKET_PREFIXES.manifests}${glueTableName(shard.table)}/dt=${shard.dt}/manifest-${shard.shard}`;
  }

  /**
   * Rewrite a partition's manifests from its current state: a current-state partition's one, or a history
   * partition's full list and its unfolded files (raw has only the first, one per shard). Two writers may finish
   * out of order, so after writing it reads the version again and writes once more if it moved: the last writer
   * always writes the newest list.
   */
  async #writeManifest(source: ManifestSource): Promise<void> {
    for (let round = 0; round < MAX_RACES; round++) {
      const { ver, texts } = await this.#manifestsOf(source);
      for (const [key, text] of texts) await this.#manifests.store.put(key, text);
      if ((await this.#versionOf(source)) === ver) {
        await this.#recordManifest(source.id, ver);
        return;
      }
    }
    // Still racing after MAX_RACES rounds: nothing recorded, so the next sweep rewrites it.
  }

  /** The manifests `source` should have now (key and text), and the version they are written from. */
  async #manifestsOf(source: ManifestSource): Promise<{ ver: number; texts: [string, string][] }> {
    if (source.kind === 'raw') {
      const { ver, files } = await this.#raw.read(source);
      return { ver, texts: [[this.rawManifestKey(source), this.#listText(files)]] };
    }
    const { id, table, dt } = source;
    const part = await this.#readPartition(id, table, dt);
    const kinds = glueTablesOf(table, dt === '').map((t) => t.kind);
    return { ver: part.ver, texts: kinds.map((kind) => [this.manifestKey(table, dt, kind), this.#manifestText(part, kind)]) };
  }

  async #versionOf(source: ManifestSource): Promise<number> {
    return source.kind === 'raw' ? this.#raw.version(source) : (await this.#readPartition(source.id, source.table, source.dt)).ver;
  }

  /**
   * The sidecar `kind=manifest, id=<partition>` item: the partition version its manifests were last written
   * from, set only after the PUTs and only upwards (a slower writer of an older version never lowers it). It lives
   * in DynamoDB, not in S3 object metadata, so one query lists every recorded version (no HEAD per manifest) and
   * the ObjectStore port needs no metadata. Written after the PUTs: a crash in between leaves the record behind
   * the item, which is the stale case the sweep looks for; never ahead of what was written.
   */
  async #recordManifest(id: string, ver: number): Promise<void> {
    try {
      await this.#db.send(
        new PutItemCommand({
          TableName: this.#table,
          Item: { kind: s('manifest'), id: s(id), ver: n(ver) },
          ConditionExpression: 'attribute_not_exists(id) OR ver < :v',
          ExpressionAttributeValues: { ':v': n(ver) },
        }),
      );
    } catch (err) {
      if (!(err instanceof ConditionalCheckFailedException)) throw err;
    }
  }

  /** The text a partition's manifest of `kind` should hold now. */
  #manifestText(part: Partition, kind: GlueTableKind): string {
    const files = [...part.files.values()];
    return this.#listText(kind === 'recent' ? files.filter((f) => !f.folded) : files);
  }

  /** A manifest's text: one `s3://` path a line, in key order. */
  #listText(files: readonly CatalogFile[]): string {
    const keys = files.map((f) => f.key).sort();
    return keys.map((key) => `s3://${this.#manifests.bucket}/${key}\n`).join('');
  }

  /**
   * Rewrite every partition's manifests whose recorded version is behind its item (a process died between the
   * DynamoDB write and the PUT, or never recorded). One query of the items' ids and versions (not their file
   * lists) and one of the records, then a rewrite per stale partition only. Returns how many it rewrote. The
   * scheduled compaction runs it first, so a stale manifest lasts at most one schedule period, even for a `dt`
   * nothing will change again. A catalog from before the records existed has none: its first sweep rewrites
   * every manifest once.
   */
  async repairManifests(): Promise<number> {
    const projection = { ProjectionExpression: 'id, ver' };
    const parts = await this.#query({ KeyConditionExpression: 'kind = :k', ExpressionAttributeValues: { ':k': s('part') }, ConsistentRead: true, ...projection });
    const records = await this.#query({ KeyConditionExpression: 'kind = :k', ExpressionAttributeValues: { ':k': s('manifest') }, ConsistentRead: true, ...projection });
    const written = new Map(records.map((it) => [it.id!.S!, Number(it.ver!.N)]));
    // Raw's shards are recorded under their head's id, as partitions are under theirs.
    const versions = [...parts.map((it) => ({ id: it.id!.S!, ver: Number(it.ver!.N) })), ...(await this.#raw.heads())];
    let repaired = 0;
    for (const { id, ver } of versions) {
      if ((written.get(id) ?? 0) >= ver) continue;
      const shard = parseRawShardId(id);
      await this.#writeManifest(shard ? { kind: 'raw', ...shard } : { kind: 'partition', id, ...parsePartitionId(id) });
      repaired++;
    }
    return repaired;
  }

  /**
   * Before garbage collection hands out keys of these partitions: make sure no manifest of theirs still names a
   * file the item no longer holds. This compares the manifests' text, not the recorded version: a PUT of an old
   * list that landed late (after a newer writer recorded its version) and whose writer then died would pass a
   * version check, and a deleted file named by a manifest is exactly what must never happen. The cost is one GET
   * per manifest of the few partitions holding garbage. Throws if a rewrite fails: then nothing is taken.
   */
  async #settleManifests(ids: Iterable<string>): Promise<void> {
    for (const id of ids) {
      const { table, dt } = parsePartitionId(id);
      const part = await this.#readPartition(id, table, dt);
      for (const kind of glueTablesOf(table, dt === '').map((t) => t.kind)) {
        const got = await this.#manifests.store.get(this.manifestKey(table, dt, kind));
        if (got !== null && new TextDecoder().decode(got) === this.#manifestText(part, kind)) continue;
        await this.#writeManifest({ kind: 'partition', id, table, dt });
        break;
      }
    }
  }

  #ensureGlueTable(spec: GlueTableSpec): Promise<void> {
    let pending = this.#glueTables.get(spec.name);
    if (!pending) {
      pending = this.#createGlueTableIfMissing(spec).catch((err: unknown) => {
        this.#glueTables.delete(spec.name); // let the next call try again
        throw err;
      });
      this.#glueTables.set(spec.name, pending);
    }
    return pending;
  }

  async #createGlueTableIfMissing(spec: GlueTableSpec): Promise<void> {
    try {
      await this.#glue.send(new GetTableCommand({ DatabaseName: this.#database, Name: spec.name }));
      return;
    } catch (err) {
      if (!(err instanceof EntityNotFoundException)) throw err;
    }
    // Normally the CDK app created it; a contract version newer than the deployed stack is created here, alike.
    await this.#glue.send(new CreateTableCommand({ DatabaseName: this.#database, TableInput: glueTableInput(spec, this.#manifests.bucket) }));
  }
}

// ---------------------------------------------------------------- item shapes

function tableOf(t: TableRef): TableRef {
  return { puddle: t.puddle, contract: t.contract, version: t.version };
}


/** Lowest first: current-state partitions that only lose files, those that gain some, then history. */
function writeRank(c: Change): number {
  if (c.dt !== '') return 2;
  return c.add.length ? 1 : 0;
}

/** `f` with `from`'s marks (present only when set, so a history file reads back exactly as registered). */
function withMarks(f: CatalogFile, from: { current?: boolean; folded?: boolean }): CatalogFile {
  const { current: _current, folded: _folded, ...rest } = f;
  return { ...rest, ...(from.current ? { current: true } : {}), ...(from.folded ? { folded: true } : {}) };
}

function partitionItem(id: string, part: Partition, ver: number): Item {
  const files: Record<string, AttributeValue> = {};
  for (const f of part.files.values()) {
    files[f.key] = {
      M: {
        rows: n(f.rows),
        bytes: n(f.bytes),
        added_at: s(f.added_at),
        ...(f.current ? { current: { BOOL: true } } : {}),
        ...(f.folded ? { folded: { BOOL: true } } : {}),
      },
    };
  }
  return {
    kind: s('part'),
    id: s(id),
    puddle: s(part.table.puddle),
    contract: s(part.table.contract),
    version: n(part.table.version),
    // The current-state partition has no dt; its id says so (no empty string stored).
    ...(part.dt ? { dt: s(part.dt) } : {}),
    files: { M: files },
    ver: n(ver),
  };
}

function fromPartitionItem(it: Item): Partition {
  const table = tableOfItem(it);
  const dt = it.dt?.S ?? '';
  const files = new Map<string, CatalogFile>();
  for (const [key, v] of Object.entries(it.files?.M ?? {})) {
    const m = v.M!;
    const file: CatalogFile = { ...table, key, dt, rows: Number(m.rows!.N), bytes: Number(m.bytes!.N), added_at: m.added_at!.S! };
    files.set(key, withMarks(file, { current: m.current?.BOOL === true, folded: m.folded?.BOOL === true }));
  }
  return { table, dt, files, ver: Number(it.ver!.N) };
}
