// The files compaction and folding work on: every table's but raw's.
import type { Catalog, CatalogFile } from '../core/ports.js';
import { isRawTable } from './layout.js';

/**
 * Listed table by table, so that raw's list is never read: raw is never compacted or folded, and it grows by
 * thousands of files a day (on AWS each one a DynamoDB item a full listing would read, every schedule period).
 */
export async function maintainedFiles(catalog: Catalog): Promise<CatalogFile[]> {
  const out: CatalogFile[] = [];
  for (const table of await catalog.tables()) if (!isRawTable(table)) out.push(...(await catalog.listFiles(table)));
  return out;
}
