// Supplier feeds, as data: what a supplier may fetch, in the order it landed. A feed takes the rows of one
// contract as consumers land them (every version once, by its envelope id), keeps the listed columns of
// those that pass its filter, and gives each a position in a durable log; a cursor is a position, so a page
// never changes and a row landed later always comes after every cursor already handed out.
import { latestVersion } from '../core/contracts/index.js';
import { ConfigError } from '../core/errors.js';
import type { FeedKey } from '../core/http/auth.js';
import type { QueryEngine } from '../core/ports.js';
import { sqlIdent } from './sql-text.js';
import type { LandedRows } from './landed.js';
import type { Cell } from './parquet-writer.js';

export type FeedFilter =
  | { column: string; op: '=' | '!=' | '>' | '>=' | '<' | '<='; value: string | number | boolean }
  | { column: string; op: 'not_null' };

export interface FeedDef {
  name: string;
  /** The contract whose landed rows feed it. */
  contract: string;
  /** Columns the supplier gets, in this order. */
  columns: readonly string[];
  /** The record's key (one of `columns`): the versions of one record share it. */
  key: string;
  /**
   * Which records the feed holds: a record enters with its first version for which every condition holds, and from
   * then on every version of it is served, whether it passes or not (a correction that cancels it, too), each at a
   * position after the one that brought it in (FeedLog.append). A record none of whose versions passes is never served.
   */
  filter: readonly FeedFilter[];
  /**
   * The order rows take when the log is caught up from the lake (after a crash between landing and the log):
   * landing order, which `_received_at` then `_id` follows. Live rows take the order they land in.
   */
  orderKey: readonly string[];
  doc: string;
}

export const FEEDS: readonly FeedDef[] = [
  {
    name: 'giro_requests',
    contract: 'school_giro_request',
    columns: ['school_giro_request_id', 'school_name', 'school_urn', 'address_line1', 'address_line2', 'town', 'postcode', 'country', 'pack_size', 'requested_at', 'campaign'],
    key: 'school_giro_request_id',
    // A request of no packs is not one to fulfil; a request corrected to 0 packs is a cancellation, and is served.
    filter: [{ column: 'pack_size', op: '>', value: 0 }],
    orderKey: ['_received_at', '_id'],
    doc: 'Giro form packs for a print house to send to schools',
  },
];

export function feedNamed(name: string): FeedDef | undefined {
  return FEEDS.find((f) => f.name === name);
}

/**
 * The start-up check of PUDDLE_FEED_KEYS: a key naming a feed that does not exist would be refused (403) on
 * every fetch, and the supplier would find out, not the operator. The entry is named by position, never by
 * what it says: a key and a feed written the wrong way round would put the key in the message.
 */
export function checkFeedKeys(keys: readonly FeedKey[]): void {
  keys.forEach((k, i) => {
    const bad = k.feeds.findIndex((f) => !feedNamed(f));
    if (bad < 0) return;
    const which = k.feeds.length > 1 ? `its feed ${bad + 1}` : 'its feed';
    throw new ConfigError(`PUDDLE_FEED_KEYS entry ${i + 1}: ${which} does not exist (the feeds are ${FEEDS.map((f) => f.name).join(', ')})`);
  });
}

/** One row bound for a feed: its version's envelope id (so it is logged once) and the supplier's columns. */
export interface FeedEntry {
  recordId: string;
  /** The record's key (FeedDef.key): the versions of one record share it. */
  key: string;
  /** Whether this version passes the feed's filter. */
  passes: boolean;
  row: Record<string, Cell>;
}

/** The durable, ordered log behind the feeds (SQLite here: infra/local/sqlite-feed-log.ts). */
export interface FeedLog {
  /**
   * Append rows not already in the feed's log, in the order given. A row that does not pass is served only once its
   * record has a row that did (FeedDef.filter): until then it is kept out of sight, and a passing row appends the
   * record's rows kept so far after itself, in the order they came.
   */
  append(feed: string, entries: readonly FeedEntry[]): void;
  /** Up to `limit` rows after position `after` (0: the start), with their positions. */
  read(feed: string, after: number, limit: number): { position: number; row: Record<string, Cell> }[];
  /** The feed's last position (0 when it is empty): a cursor past it was never handed out by this log. */
  last(feed: string): number;
  close(): void;
}

function passes(filter: readonly FeedFilter[], row: Record<string, Cell>): boolean {
  return filter.every((f) => {
    const v = row[f.column];
    if (f.op === 'not_null') return v !== null && v !== undefined;
    if (v === null || v === undefined) return false;
    if (f.op === '=') return v === f.value;
    if (f.op === '!=') return v !== f.value;
    if (typeof v !== typeof f.value) return false;
    const c = v < f.value ? -1 : v > f.value ? 1 : 0;
    return f.op === '>' ? c > 0 : f.op === '>=' ? c >= 0 : f.op === '<' ? c < 0 : c <= 0;
  });
}

/**
 * The column every feed row ends with: when this version of the record changed (its `updated_at`, else its
 * `occurred_at`: the lake's `_changed_at`, which the views order versions by). A corrected record is a second
 * row with the same id, and without it a supplier could not tell which of the two is the correction (a delayed
 * older version can land, and so be served, after a newer one).
 */
export const CHANGED_AT = 'changed_at';

/** The columns of a landed row that feedEntries reads for a feed: its id, its filter's, its own and _changed_at. */
export function feedColumns(feed: FeedDef): string[] {
  return [...new Set(['_id', feed.key, ...feed.filter.map((f) => f.column), ...feed.columns, '_changed_at'])];
}

/** A time as one spelling (`...T20:00:00.000Z`), whether it came from landing or from the lake. */
function isoTime(v: Cell | undefined): Cell {
  return typeof v === 'string' && !Number.isNaN(Date.parse(v)) ? new Date(Date.parse(v)).toISOString() : (v ?? null);
}

/** Timestamps as one spelling (`...T20:00:00.000Z`), whether a row came from landing or from the lake. */
function timestampColumns(contract: string): Set<string> {
  const c = latestVersion(contract);
  return new Set(c ? c.columns.filter((x) => x.duckdbType === 'TIMESTAMP').map((x) => x.name) : []);
}

/** The feed entries a landed message holds. */
export function feedEntries(feed: FeedDef, rows: readonly Record<string, Cell>[]): FeedEntry[] {
  const out: FeedEntry[] = [];
  const times = timestampColumns(feed.contract);
  for (const r of rows) {
    if (typeof r._id !== 'string') continue;
    const row: Record<string, Cell> = {};
    for (const c of feed.columns) row[c] = times.has(c) ? isoTime(r[c]) : (r[c] ?? null);
    row[CHANGED_AT] = isoTime(r._changed_at);
    out.push({ recordId: r._id, key: String(r[feed.key]), passes: passes(feed.filter, r), row });
  }
  return out;
}

/** Feeds the log from landed rows, and catches it up from the lake on start. */
export class FeedWriter {
  readonly #log: FeedLog;
  readonly #feeds: readonly FeedDef[];

  constructor(log: FeedLog, feeds: readonly FeedDef[] = FEEDS) {
    this.#log = log;
    this.#feeds = feeds;
  }

  readonly onLanded = (landed: LandedRows): void => {
    for (const f of this.#feeds) if (f.contract === landed.contract) this.#log.append(f.name, feedEntries(f, landed.rows));
  };

  /** Rows in the lake the log has not seen (landed while no hub listened), appended in the feed's order key. */
  async catchUp(query: QueryEngine): Promise<void> {
    for (const f of this.#feeds) {
      const rows = await query.query(`SELECT * FROM ${sqlIdent(`${f.contract}_history`)} ORDER BY ${f.orderKey.map(sqlIdent).join(', ')}`);
      this.#log.append(f.name, feedEntries(f, rows as Record<string, Cell>[]));
    }
  }
}
