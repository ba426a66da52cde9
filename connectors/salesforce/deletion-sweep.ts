import type { Bookmark } from '../../core/engine/bookmark.js';
import type { StreamContext, Window } from '../../core/engine/define.js';
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
// versions of the sweep are kept as pending until the bookmark shows the page confirmed, and a run that
// resumes the window before that (the last one died) lands them again, identical, so they land once.

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

interface SweepState {
  at: string;
  /** The deleted versions of the last sweep, until the bookmark shows them published. */
  pending?: { records: SfRecord[]; windowFrom: string; windowTo: string };
}

export interface SweepSpec {
  object: string;
  /** Fields a deleted version needs to map (the stream's required fields, CurrencyIsoCode). */
  keep: string[];
}

/** Remember the records of one page as read (after the sweep, before they are published). */
export async function remember(ctx: StreamContext<SalesforceClient>, spec: SweepSpec, records: SfRecord[]): Promise<void> {
  if (!records.length) return;
  const header = (await ctx.state.get<Header>(headerKey(spec.object))) ?? { chunks: 0 };
  const entries: Entry[] = records.map((r) => [String(r.Id), String(r.SystemModstamp), r.IsDeleted === true ? 1 : 0, String(r.CreatedDate), ...spec.keep.map((f) => (r[f] ?? null) as Entry[number])]);
  for (let i = 0; i < entries.length; i += CHUNK) {
    await ctx.state.set(chunkKey(spec.object, header.chunks), entries.slice(i, i + CHUNK));
    header.chunks++;
  }
  await ctx.state.set(headerKey(spec.object), header);
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
  if (now - windowFrom.getTime() < SWEEP_AFTER_MS) return false;
  const last = await ctx.state.get<SweepState>(sweepKey(object));
  if (last && now - Date.parse(last.at) < SWEEP_AFTER_MS) return false;
  // Nothing read yet (a first sync from the start date): nothing can have gone missing.
  if (!(await ctx.state.get<Header>(headerKey(object)))) {
    await ctx.state.set(sweepKey(object), { at: new Date(now).toISOString() });
    return false;
  }
  return true;
}

/**
 * Before a window's first page or a sweep page: the last sweep's deleted versions, if the bookmark does not show
 * them published (the window they were read in was resumed from before them); null when nothing is pending.
 */
export async function unconfirmedSweep(ctx: StreamContext<SalesforceClient>, object: string, bookmark: () => Promise<Bookmark>): Promise<SfRecord[] | null> {
  const last = await ctx.state.get<SweepState>(sweepKey(object));
  if (!last?.pending) return null;
  const bm = await bookmark();
  const w = bm.window;
  const past =
    (bm.cursor !== null && Date.parse(bm.cursor) >= Date.parse(last.pending.windowTo)) ||
    (w !== null && w.from === last.pending.windowFrom && w.token !== null && !w.token.startsWith('sweep|')) ||
    (w !== null && Date.parse(w.from) > Date.parse(last.pending.windowFrom));
  if (past) {
    await ctx.state.set(sweepKey(object), { at: last.at });
    return null;
  }
  return last.pending.records;
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
 */
export async function sweepPage(
  ctx: StreamContext<SalesforceClient>,
  spec: SweepSpec,
  window: Window,
  after: string | null,
  limit: number,
): Promise<{ tombstones: SfRecord[]; last: string | null }> {
  let c = caches.get(spec.object);
  if (!c || after === null) {
    const k = await known(ctx, spec.object);
    c = { known: k, sorted: [...k.keys()].sort(), at: ctx.clock.now().toISOString(), found: [] };
    caches.set(spec.object, c);
  }
  const page = await ctx.call(`sweep ${spec.object}`, () => ctx.client.query(sweepSoql(spec.object, after, limit), true));
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
    const pending = c.found.length ? { records: c.found, windowFrom: window.from.toISOString(), windowTo: window.to.toISOString() } : undefined;
    await ctx.state.set(sweepKey(spec.object), { at: c.at, pending } satisfies SweepState);
    caches.delete(spec.object);
  }
  return { tombstones, last: end };
}
