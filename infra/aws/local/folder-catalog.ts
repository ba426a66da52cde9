// `puddle aws local`'s stand-in for the Glue catalog: the embedded SQLite catalog in PUDDLE_HOME, which also
// copies every file it registers from the (emulated, in-memory) S3 lake into PUDDLE_HOME/lake. DuckDB,
// standing in for Athena, reads that folder, so `puddle query` and `puddle report` run as separate commands
// over what this shape landed, with the same SQL.
import type { Catalog, CatalogFile, ObjectStore, TableRef } from '../../../core/ports.js';
import type { SqliteCatalog } from '../../local/sqlite-catalog.js';

export class FolderCopyCatalog implements Catalog {
  readonly #inner: SqliteCatalog;
  readonly #lake: ObjectStore;
  readonly #folder: ObjectStore;

  constructor(opts: { inner: SqliteCatalog; lake: ObjectStore; folder: ObjectStore }) {
    this.#inner = opts.inner;
    this.#lake = opts.lake;
    this.#folder = opts.folder;
  }

  async addFiles(files: readonly CatalogFile[]): Promise<void> {
    await this.#copy(files);
    await this.#inner.addFiles(files);
  }

  async replaceFiles(remove: readonly string[], add: readonly CatalogFile[], opts?: { ifAllPresent?: boolean; fold?: readonly string[] }): Promise<boolean> {
    await this.#copy(add);
    return this.#inner.replaceFiles(remove, add, opts);
  }

  listFiles(filter?: Partial<TableRef> & { dt?: string }): Promise<CatalogFile[]> {
    return this.#inner.listFiles(filter);
  }

  tables(): Promise<TableRef[]> {
    return this.#inner.tables();
  }

  async takeGarbage(olderThanMs: number): Promise<string[]> {
    const keys = await this.#inner.takeGarbage(olderThanMs);
    for (const key of keys) await this.#folder.delete(key);
    return keys;
  }

  /** Lets the DuckDB engine rebuild its views only when something changed. */
  generation(): number {
    return this.#inner.generation();
  }

  async #copy(files: readonly CatalogFile[]): Promise<void> {
    for (const f of files) {
      const bytes = await this.#lake.get(f.key);
      // Registered files are written first (landing, compaction); a missing one is a bug worth stopping on.
      if (bytes === null) throw new Error(`cannot register ${f.key}: not in the lake bucket`);
      await this.#folder.put(f.key, bytes);
    }
  }
}
