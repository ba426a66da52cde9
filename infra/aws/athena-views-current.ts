// Athena's views kept as this deploy's code defines them, with no operator step. Athena fixes a view at creation,
// so a deploy that brings a contract version or changes a query under puddles/queries/ left the old views in place
// until someone ran create-athena-views.ts, and nothing said to; worse, the next fold moved the state into the new
// version's table, and the old view then read an empty one (`payment` nearly empty, every donation unpaid in recon).
// So the compaction function, the one that folds, calls this first: a hash of the views the code would create
// (names and SQL over the stack's Glue tables) is compared with the one stored in the state table when they were
// last created, and every view is created again when the two differ. A failure leaves the stored hash as it was
// (the next run tries again) and fails the caller, so no fold runs behind stale views.
import { createHash } from 'node:crypto';

import { FatalError } from '../../core/errors.js';
import type { StateStore } from '../../core/ports.js';
import type { ViewDef } from '../../puddles/views.js';
import type { AthenaQueryEngine } from './athena-query-engine.js';
import { awsSetupProblem } from './aws-errors.js';
import type { ViewsCreated } from './runtime.js';

/** The state-store key holding the hash of the views last created. */
export const VIEWS_STATE_KEY = 'athena:views';

interface StoredViews {
  hash: string;
  views: number;
  created_at: string;
}

/** The hash of a view set: every view's name and SQL, in creation order. */
export function viewsHash(views: readonly ViewDef[]): string {
  return createHash('sha256')
    .update(JSON.stringify(views.map((v) => [v.name, v.sql])))
    .digest('hex');
}

/** The views created this time, in order (none when the stored hash matched), and the hash now stored. */
export interface ViewsCurrentResult extends ViewsCreated {
  hash: string;
}

/** Views could not be brought current: the message says what failed and what to check. */
export class ViewsNotCurrentError extends FatalError {}

/**
 * Create every view again when the code's view set differs from the one last created (or none is recorded, or
 * `force`), then record its hash. Nothing is called on Athena when the hashes match.
 */
export async function ensureViewsCurrent(opts: { engine: AthenaQueryEngine; state: StateStore; force?: boolean; now?: () => Date }): Promise<ViewsCurrentResult> {
  const views = opts.engine.views();
  const hash = viewsHash(views);
  const stored = opts.force ? null : await opts.state.get<StoredViews>(VIEWS_STATE_KEY);
  if (stored?.hash === hash) return { created: [], hash };
  let created: readonly string[];
  try {
    created = await opts.engine.createViews(views);
  } catch (err) {
    const why = awsSetupProblem(err) ?? (err as Error).message;
    throw new ViewsNotCurrentError(
      `the Athena views could not be created (${views.length} to create): ${why}. Check that the caller may run Athena queries in ` +
        'the workgroup (athena:StartQueryExecution, GetQueryExecution, GetQueryResults), create and replace views in the Glue ' +
        'database (glue:GetTable, CreateTable, UpdateTable, DeleteTable) and write Athena results (s3:PutObject on the results folder)',
      { cause: err },
    );
  }
  const record: StoredViews = { hash, views: created.length, created_at: (opts.now?.() ?? new Date()).toISOString() };
  await opts.state.set(VIEWS_STATE_KEY, record);
  return { created, hash };
}
