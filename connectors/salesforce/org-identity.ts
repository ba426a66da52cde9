import { EMPTY_BOOKMARK, loadBookmark } from '../../core/engine/bookmark.js';
import type { StreamContext } from '../../core/engine/define.js';
import { ConfigError } from '../../core/errors.js';
import type { SalesforceClient } from './client.js';
import { forgiveSweep, oweSweep } from './deletion-sweep.js';

// A stream's bookmark is a SystemModstamp in one org. Pointed at another org (a refreshed sandbox: same URL, often
// the same record ids, a new org id; or another org altogether), reading on from it skips every record of the new
// org changed before it, without a word. So each stream keeps the id of the org its position was read in, checks
// it once per run and session (run-checks.ts), and stops with a configuration error (its bookmark untouched) when the org is another one.
// The Bulk backfill of the stream's object checks the same id before it starts or resumes a job (bulk-backfill.ts).
// `--full` reads the new org from the start date and takes its id. A stream with no id saved takes the org's:
// its first sync, or a home from before 2026-12-03, which cannot tell which org it read.
//
// When `--full` takes the new org: with the stream's first checkpoint in it, not before. Until 2026-12-03 the new
// id was saved as the `--full` began, so one that failed before its first checkpoint (a hidden field, a 5xx, Ctrl-C)
// left the old org's bookmark under the new org's id, and the next plain run read the new org from it, skipping
// everything changed before it. Now the new id is saved beside the position it starts from (`taking`), and becomes
// the stream's once that position has moved: a checkpoint of the stream, or a Bulk job of its object started.
//
// A first sync takes its org the same way (until 2026-12-04 it saved the id as it began: one that failed before its
// first checkpoint, pointed at the wrong org, left that org's id on a stream that had read nothing, and every run at
// the right org then refused, asking for a --full). And a `--full` that never took the new org owes no sweep: the
// next run back at the stream's own org drops the taking and the sweep it owed (until 2026-12-04 that run swept
// the whole object for nothing; the id-only sweep reads every id of it).

const key = (stream: string) => `salesforce:org:${stream}`;
const bulkKey = (object: string) => `salesforce:bulk:${object}`;

interface SavedOrg {
  /** None yet: the stream had read nothing when its first sync began, and takes the org with its first checkpoint. */
  id?: string;
  /**
   * A `--full` taking another org: its id, the stream's position as it was when that began, and when (a sweep
   * since then was read in the other org). A first sync's has no `at`: it owes no sweep.
   */
  taking?: { id: string; from: string; at?: string };
}

/** The stream's position, as far as a run of it moves it: the bookmark's and its object's Bulk job. */
async function positionOf(ctx: StreamContext<SalesforceClient>, stream: string, object: string): Promise<string> {
  const bm = await loadBookmark(ctx.state, 'salesforce', stream);
  const job = await ctx.state.get<{ jobId: string }>(bulkKey(object));
  return position(bm.cursor, bm.window, bm.fullFrom ?? null, job?.jobId ?? null);
}
const position = (...parts: unknown[]) => JSON.stringify(parts);
/** A stream that has read nothing: no bookmark, no Bulk job. */
const NOTHING_READ = position(EMPTY_BOOKMARK.cursor, EMPTY_BOOKMARK.window, null, null);

/** The org the stream's position was read in: a `--full` taking another one has it once the position moved. */
async function savedOrg(ctx: StreamContext<SalesforceClient>, stream: string, object: string): Promise<SavedOrg | null> {
  const saved = await ctx.state.get<SavedOrg>(key(stream));
  if (!saved?.taking || saved.taking.from === (await positionOf(ctx, stream, object))) return saved ?? null;
  const taken = { id: saved.taking.id };
  await ctx.state.set(key(stream), taken);
  return taken;
}

/**
 * Stops the stream (ConfigError) when the org is not the one its position was read in, unless the run is a `--full`,
 * which takes the new org. 'taking': this run is the `--full` that takes it (a saved Bulk job is the old org's).
 */
export async function checkSameOrg(ctx: StreamContext<SalesforceClient>, stream: string, object: string): Promise<'same' | 'taking'> {
  const id = await ctx.call('query Organization', () => ctx.client.organizationId(ctx.clock.now().getTime()));
  const saved = await savedOrg(ctx, stream, object);
  if (saved?.id === id) {
    if (saved.taking) {
      // A --full that set out to take another org and never moved the position: the stream is still this org's,
      // and what its sweep found gone there is not gone here.
      await forgiveSweep(ctx, object, saved.taking.at);
      await ctx.state.set(key(stream), { id } satisfies SavedOrg);
    }
    return 'same';
  }
  if (saved?.id !== undefined && !ctx.range.full) {
    throw new ConfigError(
      `salesforce: ${stream}'s bookmark was read in org ${saved.id}, but SALESFORCE_INSTANCE_URL now reaches org ${id} (a refreshed sandbox is a new org): `
      + `reading on from it would skip every record changed before it. Run puddle sync salesforce --full to read this org from SALESFORCE_START_DATE `
      + `(what only the other org had then lands as deleted), or point SALESFORCE_INSTANCE_URL back at the other org, or give this org its own PUDDLE_HOME`,
    );
  }
  if (saved?.id === undefined) {
    // A stream that has read nothing takes the org with its first checkpoint, as a --full takes another one; a home
    // from before 2026-12-03 (a position, no id) cannot tell which org it read, and takes this one now.
    const from = await positionOf(ctx, stream, object);
    await ctx.state.set(key(stream), (from === NOTHING_READ ? { taking: { id, from } } : { id }) satisfies SavedOrg);
    return 'same';
  }
  ctx.log('salesforce: --full reads another org from the start date; what only the other org had lands as deleted', { stream, was: saved.id, now: id });
  // Records of an org that is no longer the stream's are not current: the window starts with an id sweep, and
  // what the connector read there that this org does not have lands as deleted (deletion-sweep.ts). Kept in raw
  // and in C_history. A record both orgs hold (a refreshed sandbox keeps ids) is the new org's once read again.
  await oweSweep(ctx, object);
  await ctx.state.set(key(stream), { id: saved.id, taking: { id, from: await positionOf(ctx, stream, object), at: ctx.clock.now().toISOString() } } satisfies SavedOrg);
  return 'taking';
}
