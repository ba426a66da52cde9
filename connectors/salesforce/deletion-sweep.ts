import { backfillPositionIn, backfillRangeOf, loadBookmark, type BackfillRange, type ReadPosition } from '../../core/engine/bookmark.js';
import type { StreamContext } from '../../core/engine/define.js';
import { FatalError } from '../../core/errors.js';
import type { SalesforceClient } from './client.js';
import type { SfRecord } from './mappings.js';

// Deletions after a long gap. queryAll shows a deleted row only while it sits in the Recycle Bin (15 days, less
// when the bin is emptied or the org purges it): a stream that has not run for longer never hears of a row
// deleted early in the gap. So each object keeps, in state, what the connector has read of it (id, stamp,
// deleted or not, and the few fields a deleted version needs to map), one chunk per page read. After a gap
// longer than the horizon the first window begins with an id-only sweep, `SELECT Id ... ORDER BY Id` in
// keyset pages through queryAll: a known, live id that is no longer there in the page's id range was purged,
// and lands as a deleted version (its SystemModstamp the sweep's time, so it supersedes what landed before).
// The memory forgets those rows when the sweep ends, before its last page is on the queue; so the deleted
// versions of the sweep are kept as pending until the checkpoints show the page confirmed, and a run that
// resumes the window before that (the last one died) lands them again, identical, so they land once.
//
// Whose checkpoints: the position of the run that handed them to the queue. A `--from` backfill checkpoints
// to its own position (Bookmark.backfill), not the stream's: until 2026-12-02 a backfill's pending versions
// were judged by the stream's own cursor, already past the backfill's window, so a backfill that died with
// them unconfirmed lost them for good (the memory had forgotten those rows). A run whose position has not
// confirmed them, because it is another (the scheduled run after a backfill, or the reverse) or because it
// died, hands them over again and owns them from then on; the other position is never touched.

/** The Recycle Bin: deleted rows stay visible to queryAll this long after their deletion, at most. */
export const RECYCLE_BIN_MS = 15 * 86_400_000;
/** Margin under the horizon: a bin emptied early, clocks apart. */
const SWEEP_AFTER_MS = RECYCLE_BIN_MS - 86_400_000;
const CHUNK = 2000;
/** Sorts below every Salesforce id (key prefixes start 0-9 or a letter). */
const LOWEST_ID = '000000000000000';

/** What is kept of a record: [Id, SystemModstamp, 1 if deleted, CreatedDate, ...kept fields in `keep` order]. */
type Entry = (string | number | boolean | null)[];

const headerKey = (object: string) => `salesforce:known:${object}`;
const chunkKey = (object: string, n: number) => `salesforce:known:${object}:${n}`;
const sweepKey = (object: string) => `salesforce:sweep:${object}`;

interface Header {
  chunks: number;
}

/** Whose checkpoints confirm pending versions: a backfill's (by its range), or the stream's own (null). */
type Owner = BackfillRange | null;

interface SweepState {
  at: string;
  /**
   * The stream took another org (`--full` after an org switch: org-identity.ts): its next window starts with a
   * sweep whatever the gap, so what only the old org had lands as deleted instead of staying current beside the
   * new org's records.
   */
  owed?: boolean;
  /**
   * The deleted versions of the last sweep, until the checkpoints of `owner` show them published: moved on
   * from `before`, that position as saved when they were handed over. (Pending versions saved before
   * 2026-12-02 have no `before`: they are handed over once more.)
   */
  pending?: { records: SfRecord[]; owner?: Owner; before?: ReadPosition };
}

export interface SweepSpec {
  /** The stream that reads the object: its bookmark holds the positions that confirm a sweep. */
  stream: string;
  object: string;
  /** Fields a deleted version needs to map (the stream's required fields, CurrencyIsoCode). */
  keep: string[];
}

/** Remember the records of one page as read (after the sweep, before they are published). */
export async function remember(ctx: StreamContext<SalesforceClient>, spec: SweepSpec, records: SfRecord[]): Promise<void> {
  if (!records.length) return;
  const entries: Entry[] = records.map((r) => [String(r.Id), String(r.SystemModstamp), r.IsDeleted === true ? 1 : 0, String(r.CreatedDate), ...spec.keep.map((f) => (r[f] ?? null) as Entry[number])]);
  await rememberEntries(ctx, spec.object, entries);
}

async function rememberEntries(ctx: StreamContext<SalesforceClient>, object: string, entries: Entry[]): Promise<void> {
  const header = (await ctx.state.get<Header>(headerKey(object))) ?? { chunks: 0 };
  for (let i = 0; i < entries.length; i += CHUNK) {
    await ctx.state.set(chunkKey(object, header.chunks), entries.slice(i, i + CHUNK));
    header.chunks++;
  }
  await ctx.state.set(headerKey(object), header);
}

/** Every id read so far, latest entry per id. */
async function known(ctx: StreamContext<SalesforceClient>, object: string): Promise<Map<string, Entry>> {
  const header = (await ctx.state.get<Header>(headerKey(object))) ?? { chunks: 0 };
  const keys = Array.from({ length: header.chunks }, (_, n) => chunkKey(object, n));
  const chunks = await ctx.state.getMany<Entry[]>(keys);
  const out = new Map<string, Entry>();
  for (const k of keys) for (const e of chunks.get(k) ?? []) out.set(String(e[0]), e);
  return out;
}

/** Is a sweep due before this window? A gap longer than the horizon behind it, and no sweep since. */
export async function sweepDue(ctx: StreamContext<SalesforceClient>, object: string, windowFrom: Date): Promise<boolean> {
  const now = ctx.clock.now().getTime();
  const last = await ctx.state.get<SweepState>(sweepKey(object));
  if (!last?.owed) {
    if (now - windowFrom.getTime() < SWEEP_AFTER_MS) return false;
    if (last && now - Date.parse(last.at) < SWEEP_AFTER_MS) return false;
  }
  // Nothing read yet (a first sync from the start date): nothing can have gone missing.
  if (!(await ctx.state.get<Header>(headerKey(object)))) {
    await ctx.state.set(sweepKey(object), { at: new Date(now).toISOString() });
    return false;
  }
  return true;
}

/** A sweep at the start of the object's next window, whatever the gap (the stream took another org). */
export async function oweSweep(ctx: StreamContext<SalesforceClient>, object: string): Promise<void> {
  const last = await ctx.state.get<SweepState>(sweepKey(object));
  await ctx.state.set(sweepKey(object), { ...(last ?? { at: new Date(0).toISOString() }), owed: true } satisfies SweepState);
}

/**
 * No sweep owed after all: the `--full` that owed it, begun at `since`, never took the other org (org-identity.ts).
 * A sweep it read there since (its deleted versions never reached the queue) found gone what the other org lacks,
 * not this one: its pending versions are dropped (until 2026-12-04 the next run here landed them, and gifts this org
 * still has became deleted).
 */
export async function forgiveSweep(ctx: StreamContext<SalesforceClient>, object: string, since: string | undefined): Promise<void> {
  const last = await ctx.state.get<SweepState>(sweepKey(object));
  if (!last) return;
  const otherOrgs = since !== undefined && last.pending !== undefined && last.at >= since;
  if (!last.owed && !otherOrgs) return;
  if (otherOrgs) {
    // That sweep also took them out of the memory: known and live again here, so the --full that does take the
    // other org finds them gone. A deleted version is built as [Id, IsDeleted, SystemModstamp, CreatedDate, ...keep].
    const live = last.pending!.records.map((r): Entry => {
      const { Id, IsDeleted: _d, SystemModstamp, CreatedDate, ...kept } = r;
      return [String(Id), String(SystemModstamp), 0, String(CreatedDate), ...(Object.values(kept) as Entry)];
    });
    await rememberEntries(ctx, object, live);
  }
  await ctx.state.set(sweepKey(object), { at: last.at, ...(otherOrgs || !last.pending ? {} : { pending: last.pending }) } satisfies SweepState);
}

/** This run's owner: a run with `from` is a backfill, with its own position (see run-stream.ts). */
const ownerOf = (ctx: StreamContext<SalesforceClient>): Owner => backfillRangeOf(ctx.range);

/**
 * Where `owner`'s checkpoints stand now. A backfill that saved none yet, or has finished, is at its start (a
 * finished one's versions are then handed over once more: identical, they land once).
 */
async function savedPosition(ctx: StreamContext<SalesforceClient>, stream: string, owner: Owner): Promise<ReadPosition> {
  const bm = await loadBookmark(ctx.state, 'salesforce', stream);
  const at = owner ? backfillPositionIn(bm, owner) : bm;
  return { cursor: at.cursor, window: at.window };
}

/**
 * The position moved on since the hand-over, and not to a page of a sweep: the page that carried the versions
 * (its next token is `swept`) was checkpointed, and checkpoints follow page order. A position that reads on
 * without them (a --full from the start date, before its first checkpoint) has not moved, so it hands them over.
 */
function movedOn(now: ReadPosition, before: ReadPosition): boolean {
  if (now.window?.token?.startsWith('sweep|')) return false;
  const [a, b] = [now.window, before.window];
  const sameWindow = a === null || b === null ? a === b : a.from === b.from && a.to === b.to && a.token === b.token;
  return now.cursor !== before.cursor || !sameWindow;
}

/**
 * Before a window's first page or a sweep page: the last sweep's deleted versions, if their owner's checkpoints
 * do not show them published (its run died before the queue took them, or it is another run's position); this
 * run hands them over again and owns them from now on. Null when nothing is pending.
 */
export async function unconfirmedSweep(ctx: StreamContext<SalesforceClient>, spec: SweepSpec): Promise<SfRecord[] | null> {
  const last = await ctx.state.get<SweepState>(sweepKey(spec.object));
  const pending = last?.pending;
  if (!last || !pending) return null;
  if (pending.before && movedOn(await savedPosition(ctx, spec.stream, pending.owner ?? null), pending.before)) {
    await ctx.state.set(sweepKey(spec.object), { at: last.at } satisfies SweepState);
    return null;
  }
  const owner = ownerOf(ctx);
  const handedOver = { records: pending.records, owner, before: await savedPosition(ctx, spec.stream, owner) };
  await ctx.state.set(sweepKey(spec.object), { at: last.at, pending: handedOver } satisfies SweepState);
  return pending.records;
}

/** Id-only keyset page of the sweep, after `after` (null: the first). */
export function sweepSoql(object: string, after: string | null, limit: number): string {
  // The id comes back from the bookmark's page token: only an id goes into SOQL.
  if (after !== null && !/^[A-Za-z0-9]{15,18}$/.test(after)) throw new FatalError(`salesforce: bad sweep token in the bookmark: ${after.slice(0, 40)}`);
  return `SELECT Id FROM ${object} WHERE Id > '${after ?? LOWEST_ID}' ORDER BY Id LIMIT ${limit}`;
}

/** One sweep's view of what is known, from its first page to its last (rebuilt if a run resumes mid-sweep). */
const caches = new Map<string, { known: Map<string, Entry>; sorted: string[]; at: string; found: SfRecord[] }>();

/**
 * One page of the sweep: the ids present in (after, last of the page] (to the end on the last page); known
 * live ids in that range that are absent come back as deleted records to map. On the last page the object's
 * memory is rewritten as what is still there, and the sweep is recorded.
 *
 * Null, with nothing taken from what is known, when the page was answered under another session than `session`
 * (a re-login during the call: the org may be another one, refreshed). The caller checks the org again and asks
 * for the page again. Until 2026-12-03 the page's absent ids were taken out of the memory first: the page read again
 * failed the run (`Cannot read properties of undefined`), and the last page read under a refreshed org's session
 * rewrote the memory and left deleted versions pending from the other org's ids.
 */
export async function sweepPage(
  ctx: StreamContext<SalesforceClient>,
  spec: SweepSpec,
  after: string | null,
  limit: number,
  session: number,
): Promise<{ tombstones: SfRecord[]; last: string | null } | null> {
  let c = caches.get(spec.object);
  if (!c || after === null) {
    const k = await known(ctx, spec.object);
    c = { known: k, sorted: [...k.keys()].sort(), at: ctx.clock.now().toISOString(), found: [] };
    caches.set(spec.object, c);
  }
  const page = await ctx.call(`sweep ${spec.object}`, () => ctx.client.query(sweepSoql(spec.object, after, limit), true));
  if (ctx.client.session !== session) return null;
  const ids = page.records.map((r) => String(r.Id));
  const present = new Set(ids);
  const end = ids.length >= limit ? ids.at(-1)! : null;
  const lo = after ?? LOWEST_ID;
  const tombstones: SfRecord[] = [];
  for (const id of c.sorted) {
    if (id <= lo) continue;
    if (end !== null && id > end) break;
    const e = c.known.get(id)!;
    if (present.has(id) || e[2] === 1) continue;
    // Built in this order (forgiveSweep reads the kept fields back from it).
    const row: SfRecord = { Id: id, IsDeleted: true, SystemModstamp: c.at, CreatedDate: e[3] };
    spec.keep.forEach((f, i) => (row[f] = e[4 + i]));
    tombstones.push(row);
    c.found.push(row);
    c.known.delete(id);
  }
  if (end === null) {
    // Done: the memory becomes what is still there (gone ids dropped, so a later sweep does not repeat them).
    const entries = [...c.known.values()].filter((e) => e[2] !== 1);
    const header = { chunks: Math.ceil(entries.length / CHUNK) };
    const old = (await ctx.state.get<Header>(headerKey(spec.object))) ?? { chunks: 0 };
    for (let n = 0; n < header.chunks; n++) await ctx.state.set(chunkKey(spec.object, n), entries.slice(n * CHUNK, (n + 1) * CHUNK));
    for (let n = header.chunks; n < old.chunks; n++) await ctx.state.delete(chunkKey(spec.object, n));
    await ctx.state.set(headerKey(spec.object), header);
    // Every deleted version this sweep found since it (re)started: pages before the last may be unconfirmed too.
    // This run's position, as saved now, is before the last page: the page is not on the queue yet.
    const owner = ownerOf(ctx);
    const pending = c.found.length ? { records: c.found, owner, before: await savedPosition(ctx, spec.stream, owner) } : undefined;
    await ctx.state.set(sweepKey(spec.object), { at: c.at, pending } satisfies SweepState);
    caches.delete(spec.object);
  }
  return { tombstones, last: end };
}
