import { join } from 'node:path';

import type { IntegrityResult } from '../../puddles/lake-integrity.js';
import { sqliteFileProblem } from '../local/catalog-file.js';

/**
 * The home's databases, in the order `puddle backup` copies them (see backup.ts for why that order): checked by
 * `puddle catalog verify` and `puddle restore`. Only catalog.db must be there: a home that never synced has no
 * state.db, and the hub makes a new queue.db and feeds.db.
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
    const problem = sqliteFileProblem(join(home, file));
    if (problem === 'missing' && file === 'catalog.db') {
      databases.push({ file, problem: 'missing: it is the only record of which lake files are live (see "A missing or damaged lake file" in docs/query-views.md)' });
    } else if (problem === 'empty' || problem === 'damaged') databases.push({ file, problem: `${problem}: SQLite cannot read it whole; restore it from a backup` });
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
