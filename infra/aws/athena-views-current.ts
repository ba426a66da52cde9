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
import { configuredReconParams, reconParamsSql, type ReconParamValues } from '../../puddles/recon-params.js';
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
  /** The reconciliation's parameters `recon_params` was made with (PUDDLE_RECON_* where the views were created). */
  recon_params?: ReconParamValues;
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
export async function ensureViewsCurrent(opts: {
  engine: AthenaQueryEngine;
  state: StateStore;
  force?: boolean;
  /**
   * The reconciliation's parameters for `recon_params`: create-athena-views.ts gives its environment's PUDDLE_RECON_*.
   * Left out (the compaction function, which has none of them), the ones the views were last made with are kept: a
   * first version re-created them with the defaults, undoing the operator's grace days within 15 minutes (a review).
   */
  reconParams?: ReconParamValues;
  now?: () => Date;
}): Promise<ViewsCurrentResult> {
  const stored = await opts.state.get<StoredViews>(VIEWS_STATE_KEY);
  const params = opts.reconParams ?? stored?.recon_params ?? configuredReconParams();
  const views = opts.engine.views().map((v) => (v.name === 'recon_params' ? { ...v, sql: reconParamsSql({}, params) } : v));
  const hash = viewsHash(views);
  if (!opts.force && stored?.hash === hash) return { created: [], hash };
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
  const record: StoredViews = { hash, views: created.length, created_at: (opts.now?.() ?? new Date()).toISOString(), recon_params: params };
  await opts.state.set(VIEWS_STATE_KEY, record);
  return { created, hash };
}
