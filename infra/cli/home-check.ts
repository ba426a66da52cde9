import { join } from 'node:path';

import type { IntegrityResult } from '../../puddles/lake-integrity.js';
import { catalogOpenError } from '../local/catalog-file.js';
import { sqliteFileProblem } from '../local/sqlite-file.js';

/**
 * The home's databases, in the order they are copied. Each copy is SQLite's online backup (a consistent snapshot,
 * with what is only in the WAL, safe beside a running hub); copying a `.db` file alone misses its WAL. The order
 * makes each copy older than the next, so a restored home never lacks what a later one assumes: the bookmarks
 * (state) before the queue (a bookmark is saved after its records are queued: a newer one could skip records the
 * older queue lacks), the queue before the catalog (a delivery acked after the queue's copy is then still in the
 * copied queue, and lands again, idempotently), the catalog before the lake (every file it lists is then on disk,
 * see copyLake in commands/backup.ts).
 * Checked by `puddle catalog verify` and `puddle restore`, where only catalog.db must be there: a home that never
 * synced has no state.db, and the hub makes a new queue.db and feeds.db.
 */
export const HOME_DATABASES = ['state.db', 'feeds.db', 'queue.db', 'catalog.db'] as const;

export interface HomeCheck {
  /** What the lake check found (puddles/lake-integrity.ts), each file named. */
  lake: IntegrityResult;
  /** A database that is damaged, empty or (where that matters) missing. */
  databases: { file: string; problem: string }[];
}

/**
 * A home's databases read whole by SQLite (its quick check, read-only) and its lake files as the catalog lists them:
 * read only, safe beside a running hub. A damaged catalog is not read for its files (its problem is said instead).
 */
export async function checkHome(home: string): Promise<HomeCheck> {
  const databases: HomeCheck['databases'] = [];
  for (const file of HOME_DATABASES) {
    let problem;
    try {
      problem = sqliteFileProblem(join(home, file));
    } catch (err) {
      // No permission, busy past SQLite's wait, a folder in its place: one line naming the file and the code.
      throw catalogOpenError(join(home, file), err);
    }
    // An empty queue.db, state.db or feeds.db is an empty database to SQLite; only the catalog must hold something.
    if ((problem === 'missing' || problem === 'empty') && file === 'catalog.db') {
      databases.push({ file, problem: `${problem}: it is the only record of which lake files are live (see "A missing or damaged lake file" in docs/query-views.md)` });
    } else if (problem === 'damaged') databases.push({ file, problem: 'damaged: SQLite cannot read it whole; restore it from a backup' });
  }
  if (databases.some((d) => d.file === 'catalog.db')) return { lake: { files: 0, rawFiles: 0, rawRows: 0, problems: [] }, databases };
  const [{ SqliteCatalog }, { FsObjectStore }, { verifyLake }] = await Promise.all([
    import('../local/sqlite-catalog.js'),
    import('../local/fs-object-store.js'),
    import('../../puddles/lake-integrity.js'),
  ]);
  const catalog = new SqliteCatalog(join(home, 'catalog.db'));
  try {
    return { lake: await verifyLake(new FsObjectStore(home), catalog), databases };
  } finally {
    catalog.close();
  }
}

/** Each problem a line on stderr, after the command's name. */
export function writeHomeProblems(command: string, check: HomeCheck): void {
  for (const d of check.databases) process.stderr.write(`puddle ${command}: ${d.file} ${d.problem}\n`);
  for (const p of check.lake.problems) process.stderr.write(`puddle ${command}: lake file ${p.key} ${p.problem}\n`);
}
