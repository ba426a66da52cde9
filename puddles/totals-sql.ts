// The SQL side of the live totals: the rebuild on start, and the periodic drift check against the view
// `totals_by_box` (issue #9), the one definition finance reports use.
import { queryColumns, type ColumnarResult, type OpsEvent, type QueryEngine, type Row } from '../core/ports.js';
import { type LiveTotals, type TotalsCell } from './live-totals.js';

const rebuildSql = (time: (column: string) => string, from = 'donation', h = '') => `SELECT ${h}donation_id, ${h}channel, ${h}campaign, ${h}cta,
  ${h}currency, ${h}amount_minor, ${h}status, ${time(`${h}occurred_at`)} AS occurred_at, ${h}_id, ${time(`${h}_changed_at`)} AS _changed_at,
  ${time(`${h}_received_at`)} AS _received_at, ${h}_received_seq
  FROM ${from}`;

/**
 * The versions that tie with a current one on _changed_at without being it (`current`: the current rows, with
 * times as epoch ms), at their first arrival as donation_history keeps them. The aggregate needs them after a
 * restart: a loser sent again later must still lose, as in the views, and only its first arrival says so. It
 * reads the donation history once (a few columns), and returns only such versions, nearly always none.
 */
const tiesSql = (current: string) =>
  rebuildSql(
    (c) => `epoch_ms(${c})`,
    `donation_history AS h JOIN ${current} AS c ON h.donation_id = c.donation_id AND epoch_ms(h._changed_at) = c._changed_at AND h._id <> c._id`,
    'h.',
  );

/**
 * Current donations (the `donation` view: the folded current state plus what landed since, never a
 * de-duplication of the whole history once compaction has run) with what the aggregate needs to place each one and to order later versions. Times come
 * as epoch milliseconds: millions of rows are read on start, and numbers cost far less than ISO strings.
 */
export const REBUILD_SQL = rebuildSql((c) => `epoch_ms(${c})`);

/** REBUILD_SQL's columns with few distinct values, which the rebuild's pages carry as one number (rebuildTotals). */
const KEYED = ['channel', 'campaign', 'cta', 'currency', 'status'];
const UNKEYED = ['donation_id', 'amount_minor', 'occurred_at', '_id', '_changed_at', '_received_at', '_received_seq'];

/**
 * The same rows in the SQL both engines speak (Athena has no epoch_ms): times as the engine gives them, ISO text,
 * which readDonationRow reads as well. The AWS shape's counters are rebuilt from it (infra/aws/totals-rebuild.ts).
 */
export const PORTABLE_REBUILD_SQL = rebuildSql((c) => c);

/**
 * tiesSql's rows in the SQL both engines speak, joined with the `donation` view itself: the AWS shape's counters
 * take them after PORTABLE_REBUILD_SQL's, so a loser sent again after a backfill still loses there too.
 */
export const PORTABLE_TIES_SQL = rebuildSql(
  (c) => c,
  'donation_history AS h JOIN donation AS c ON h.donation_id = c.donation_id AND h._changed_at = c._changed_at AND h._id <> c._id',
  'h.',
);

/**
 * When donation versions entered the totals (LiveTotals entersAt), superseded ones included (donation_history keeps
 * each version's first arrival): one row with `ahead` null and the newest first arrival of the versions dated on
 * or before their arrival's day; and per day that versions were dated ahead of their arrival's day (a mistyped
 * year), that day (`ahead`, a DATE), from whose start they count. A rebuild puts as_of at the newest of these that
 * has come, and holds the others until their day, so as_of is never behind what the totals showed before it and
 * never moved by data the total does not show. In the SQL both engines speak; one scan of two columns.
 */
const AHEAD = 'CASE WHEN CAST(occurred_at AS DATE) > CAST(_received_at AS DATE) THEN CAST(occurred_at AS DATE) END';
export const ARRIVALS_SQL = `SELECT ${AHEAD} AS ahead, max(_received_at) AS received FROM donation_history GROUP BY ${AHEAD}`;

/** An ARRIVALS_SQL row's time (ms) as LiveTotals.arrivedAt takes it: the arrival, or the start of the day dated ahead. */
export function arrivalOf(row: Row): number {
  const time = (v: unknown) => (typeof v === 'number' || typeof v === 'bigint' ? Number(v) : typeof v === 'string' ? Date.parse(v.length === 10 ? `${v}T00:00:00Z` : v) : Number.NaN);
  return row.ahead === null || row.ahead === undefined ? time(row.received) : time(row.ahead);
}

const VIEW_SQL = 'SELECT box_start, channel, campaign, cta, currency, pledges, amount_minor FROM totals_by_box';

/** A column of a columnar result by name (empty when it has none: no rows from an engine without queryColumns). */
function column(result: ColumnarResult, name: string): unknown[] {
  return result.columns[result.names.indexOf(name)] ?? [];
}

export interface RebuildOptions {
  /** Rows read per page (200,000). */
  pageRows?: number;
  /**
   * Stops the rebuild (the hub stopping): the statement running is interrupted where the engine can (DuckDB),
   * none is started after, the temporary tables are dropped, and it rejects with the signal's reason.
   */
  signal?: AbortSignal;
}

/**
 * Load the lake's current donations into the aggregate (which may already hold newer rows), a page at a time:
 * the view is evaluated once into a temporary table, so millions of rows never sit in memory at once. Pages
 * are read column by column (QueryEngine.queryColumns: at 1,000,000 donations the rebuild took 13 s with a
 * JavaScript object per row, most of it making those objects). An engine without temporary tables gets one query.
 */
export async function rebuildTotals(totals: LiveTotals, query: QueryEngine, opts: RebuildOptions | number = {}): Promise<number> {
  const { pageRows = 200_000, signal } = typeof opts === 'number' ? { pageRows: opts } : opts;
  try {
    return await rebuild(totals, query, pageRows, signal);
  } catch (err) {
    // An interrupted statement's own error: the reason is the stop.
    signal?.throwIfAborted();
    throw err;
  }
}

async function rebuild(totals: LiveTotals, query: QueryEngine, pageRows: number, signal: AbortSignal | undefined): Promise<number> {
  const read = (sql: string) => queryColumns(query, sql, { signal });
  /** `sql`'s rows into the aggregate (no object per row); applying is order-free, so rows landed meanwhile are kept. */
  const apply = async (sql: string) => {
    const page = await read(sql);
    totals.applyColumns(page);
    return page.rowCount;
  };
  // as_of: when the newest version entered the totals, superseded ones included, as the hub before the restart
  // counted it (LiveTotals #arrived); the current rows alone would put it back to their own arrivals.
  const now = Date.now();
  const arrivals = await read(`SELECT epoch_ms(CAST(ahead AS TIMESTAMP)) AS ahead, epoch_ms(received) AS received FROM (${ARRIVALS_SQL})`);
  const ahead = column(arrivals, 'ahead');
  const received = column(arrivals, 'received');
  for (let r = 0; r < arrivals.rowCount; r++) {
    const t = arrivalOf({ ahead: ahead[r], received: received[r] });
    if (Number.isFinite(t)) totals.arrivedAt(t, now);
  }
  const table = '_puddle_totals_rebuild';
  try {
    await read(`CREATE OR REPLACE TEMP TABLE ${table} AS ${REBUILD_SQL}`);
  } catch {
    signal?.throwIfAborted();
    const n = await apply(REBUILD_SQL);
    await apply(tiesSql(`(${REBUILD_SQL})`));
    return n;
  }
  let n = 0;
  const keys = `${table}_keys`;
  try {
    // The few distinct (channel, campaign, cta, currency, status) of the rows, numbered: each page carries the
    // number, not five strings per row, and the strings are made once (text from DuckDB is the costly part).
    await read(`CREATE OR REPLACE TEMP TABLE ${keys} AS SELECT row_number() OVER () AS k, * FROM (SELECT DISTINCT ${KEYED.join(', ')} FROM ${table})`);
    const dict = await read(`SELECT * FROM ${keys}`);
    const at = new Map<number, number>();
    column(dict, 'k').forEach((k, i) => at.set(Number(k), i));
    const same = KEYED.map((c) => `t.${c} IS NOT DISTINCT FROM k.${c}`).join(' AND ');
    const end = Number(column(await read(`SELECT coalesce(max(rowid) + 1, 0) AS n FROM ${table}`), 'n')[0] ?? 0);
    for (let from = 0; from < end; from += pageRows) {
      // A range of row ids, not LIMIT/OFFSET: each page is a slice of the table, never a sort of all of it.
      const page = await read(
        `SELECT ${UNKEYED.map((c) => `t.${c}`).join(', ')}, k.k FROM ${table} AS t JOIN ${keys} AS k ON ${same} WHERE t.rowid >= ${from} AND t.rowid < ${from + pageRows}`,
      );
      const entry = column(page, 'k').map((k) => at.get(Number(k))!);
      totals.applyColumns({
        names: [...UNKEYED, ...KEYED],
        columns: [
          ...UNKEYED.map((c) => column(page, c)),
          ...KEYED.map((c) => {
            const values = column(dict, c);
            return entry.map((i) => values[i]);
          }),
        ],
        rowCount: page.rowCount,
      });
      n += page.rowCount;
    }
    // Every row has its entry (IS NOT DISTINCT FROM matches nulls too): a row lost here would be a wrong total.
    if (n !== end) throw new Error(`the live totals' rebuild read ${n} of ${end} rows`);
    await apply(tiesSql(table));
  } finally {
    // Without the signal: they run when stopping too.
    await query.query(`DROP TABLE IF EXISTS ${table}`);
    await query.query(`DROP TABLE IF EXISTS ${keys}`);
  }
  return n;
}

export interface DriftDifference {
  box_start: string;
  channel: string | null;
  campaign: string | null;
  cta: string | null;
  currency: string;
  live: { amount_minor: number; count: number };
  sql: { amount_minor: number; count: number };
}

export interface DriftReport {
  checked_at: string;
  /** The view compared with: `totals_by_box` (puddles/queries/totals_by_box.sql). */
  against: string;
  /** Live and SQL agree on every box the live side counts or the view has. */
  ok: boolean;
  /** Every box changed while the SQL ran, so nothing could be compared; the next check tries again. */
  inconclusive: boolean;
  differences: DriftDifference[];
  /** Boxes compared. */
  boxes: number;
  /** Boxes left out because they changed while the SQL ran. */
  skipped: number;
}

const cellKey = (c: { box: number; channel: string | null; campaign: string | null; cta: string | null; currency: string }) =>
  JSON.stringify([c.box, c.channel, c.campaign, c.cta, c.currency]);

/** The SQL totals per box as aggregate cells; `signal` interrupts the statement (the keeper stopping). */
export async function sqlCells(query: QueryEngine, signal?: AbortSignal): Promise<{ cells: TotalsCell[]; against: string }> {
  const against = 'totals_by_box';
  const view = await queryColumns(query, VIEW_SQL, { signal });
  const [box, channel, campaign, cta, currency, pledges, amount] = ['box_start', 'channel', 'campaign', 'cta', 'currency', 'pledges', 'amount_minor'].map((c) => column(view, c));
  const cells = Array.from({ length: view.rowCount }, (_, r) => ({
    box: Date.parse(String(box![r])),
    channel: (channel![r] as string | null) ?? null,
    campaign: (campaign![r] as string | null) ?? null,
    cta: (cta![r] as string | null) ?? null,
    currency: String(currency![r]),
    amount_minor: Number(amount![r]),
    count: Number(pledges![r]),
  }));
  return { cells, against };
}

/**
 * What the drift check compares with the SQL view: anything that can list its non-empty cells now, the embedded
 * aggregate (LiveTotals) or the AWS shape's DynamoDB counters (infra/aws/dynamodb-totals.ts).
 */
export interface LiveCells {
  cells(): TotalsCell[] | Promise<TotalsCell[]>;
  /** How the live side keeps a cell the view names, when not as written (the AWS counters bound a long campaign or cta). */
  sqlCell?(c: TotalsCell): TotalsCell;
}

/**
 * Compare the live cells with the SQL view, box by box: every cell the live side counts, with no cut of its own,
 * so a live total that counted a box the view leaves out (one dated after today) shows as a drift. The cells are
 * read before and after the SQL runs; a box whose cell differs between the two reads moved while the SQL ran,
 * and is left out of this check (`skipped`): the SQL may have read the lake before or after those rows, so
 * comparing them would raise false alarms. On a busy night most boxes are quiet (old boxes
 * stop changing), so the check still covers nearly everything.
 */
export async function checkDrift(totals: LiveCells, query: QueryEngine, now: Date = new Date(), signal?: AbortSignal): Promise<DriftReport> {
  // Copies: the embedded aggregate's cells are updated in place.
  const read = async () => new Map((await totals.cells()).map((c) => [cellKey(c), { ...c }] as const));
  const beforeCells = await read();
  const fromSql = await sqlCells(query, signal);
  const against = fromSql.against;
  const sql = totals.sqlCell ? fromSql.cells.map((c) => totals.sqlCell!(c)) : fromSql.cells;
  const live = await read();
  const checked_at = now.toISOString();
  const same = (a: TotalsCell | undefined, b: TotalsCell | undefined) => (a?.amount_minor ?? 0) === (b?.amount_minor ?? 0) && (a?.count ?? 0) === (b?.count ?? 0);
  const moved = (k: string) => !same(beforeCells.get(k), live.get(k));
  const differences: DriftDifference[] = [];
  const seen = new Set<string>();
  let skipped = 0;
  const diff = (k: string, c: TotalsCell, l: TotalsCell | undefined, s: TotalsCell | undefined) => {
    if (moved(k)) {
      skipped++;
      return;
    }
    const la = { amount_minor: l?.amount_minor ?? 0, count: l?.count ?? 0 };
    const sa = { amount_minor: s?.amount_minor ?? 0, count: s?.count ?? 0 };
    if (la.amount_minor === sa.amount_minor && la.count === sa.count) return;
    differences.push({ box_start: new Date(c.box).toISOString(), channel: c.channel, campaign: c.campaign, cta: c.cta, currency: c.currency, live: la, sql: sa });
  };
  for (const s of sql) {
    const k = cellKey(s);
    seen.add(k);
    diff(k, s, live.get(k), s);
  }
  // Cells only the live side has (after the SQL, or emptied while it ran: then `moved` leaves them out).
  const liveOnly = new Map([...beforeCells, ...live].filter(([k]) => !seen.has(k)));
  for (const [k, l] of liveOnly) diff(k, l, live.get(k), undefined);
  differences.sort((a, b) => a.box_start.localeCompare(b.box_start));
  const compared = seen.size + liveOnly.size - skipped;
  return { checked_at, against, ok: differences.length === 0, inconclusive: compared === 0 && skipped > 0, differences, boxes: compared, skipped };
}

/** The ops event a drift report raises (the embedded keeper logs it, the AWS check sends it to the bus). */
export function driftEvent(r: DriftReport): OpsEvent {
  return { type: 'totals.drift', against: r.against, boxes_differing: r.differences.length, first: r.differences[0] ?? null };
}
