import type { StreamContext } from '../../core/engine/define.js';
import type { SalesforceClient } from './client.js';

// What a stream checks of the org before it reads (streams.ts: the fields it can see, that the org is the one its
// bookmark was read in, that no field it has been reading is gone) costs calls against the org's daily limit
// (describe, `SELECT Id FROM Organization`) and state reads. Until 2026-12-03 they ran before every page: a long
// backfill described its object and queried the Organization again every four minutes (the client's cache), and
// read its saved org id and field list on every page. Now once per run of a stream (its StreamContext), and again
// after a re-login that may have reached another org (a sandbox refreshed during the run): one whose token names the
// org already checked is not a new session (SalesforceClient.session).

interface Checked {
  /** The client's session the checks ended under (SalesforceClient.session). */
  session: number;
  fields: string[];
}

/** A run's checks, shared by the pages it fetches at once (the engine fetches one ahead); `checked` once done. */
interface Entry {
  promise: Promise<Checked>;
  checked?: Checked;
}

const done = new WeakMap<StreamContext<SalesforceClient>, Entry>();

/**
 * The fields this run of a stream reads, from `check` (which throws to stop the stream), run once per run and
 * session. What a call answers after a re-login is the new session's, so the checks count as the session they
 * ended under (a run's first call logs in: that is not a second session to check).
 */
export function checkedOnce(ctx: StreamContext<SalesforceClient>, check: () => Promise<string[]>): Promise<Checked> {
  const hit = done.get(ctx);
  if (hit && (!hit.checked || hit.checked.session === ctx.client.session)) return hit.promise;
  const entry: Entry = {
    promise: check().then(
      (fields) => (entry.checked = { session: ctx.client.session, fields }),
      (err: unknown) => {
        done.delete(ctx);
        throw err;
      },
    ),
  };
  done.set(ctx, entry);
  return entry.promise;
}
