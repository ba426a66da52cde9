// The live total: pledges per channel, campaign, call to action, currency and 15-minute box, kept in memory
// from what consumers land, so GET /v1/totals never scans the lake. It is defined exactly as the SQL view
// `totals_by_box` (puddles/queries/totals_by_box.sql, which the drift check compares it with): the current
// version of each donation (latest by _changed_at, then first arrival, then _id, as the `donation`
// view orders them: puddles/version-order.ts), counted when its status counts as pledged money (isPledged, from
// the one list of donation statuses that the view reads as `donation_statuses`), boxed by its occurred_at (UTC), from
// the day of its occurred_at on (see countsUntil). Applying a row keeps the newest version per donation, so
// applying the same rows twice, or in any order, gives the same state: a redelivered batch never counts twice
// and the rebuild may overlap live landing.
import { isPledged } from '../core/contracts/donation-status.js';
import { dateParse } from '../core/time.js';
import type { LandedRows } from './landed.js';
import type { Cell } from './parquet-writer.js';
import { SlotColumn } from './slot-column.js';
import { BOX_MS } from '../core/time-window.js';
import { SlotIds } from './slot-ids.js';
import { StringSlotMap } from './string-slot-map.js';
import { compareArrivals, positionOf, type Arrival } from './version-order.js';

const DAY_MS = 86_400_000;
export type TotalsBy = 'channel' | 'campaign' | 'cta';

/** One cell of the aggregate: a box of one channel, campaign, cta and currency. */
export interface TotalsCell {
  channel: string | null;
  campaign: string | null;
  cta: string | null;
  currency: string;
  box: number;
  amount_minor: number;
  count: number;
}

export interface TotalsQuery {
  campaign?: string;
  by: TotalsBy;
  /** Boxes whose start is at or after this (ms), and before `to`. */
  from?: number;
  to?: number;
}

export interface Amount {
  amount_minor: number;
  count: number;
}

export interface CurrencyTotals {
  currency: string;
  total: Amount;
  by: ({ key: string | null } & Amount)[];
  boxes: ({ start: string } & Amount)[];
}

/** GET /v1/totals: the main currency's figures at the top, every currency (main first) in `currencies`. */
export interface TotalsDocument {
  as_of: string | null;
  currency: string | null;
  total: Amount;
  by: ({ key: string | null } & Amount)[];
  boxes: ({ start: string } & Amount)[];
  currencies: CurrencyTotals[];
}

const str = (v: Cell | undefined): string | null => (v === null || v === undefined ? null : String(v));
const ms = (v: Cell | undefined): number => (typeof v === 'string' ? dateParse(v) : typeof v === 'number' ? v : Number.NaN);

/**
 * ms() remembering the last string it read: landed rows repeat the same few times (every event of a
 * producer request has its received_at, a batch's donations share occurred_at), and on the hub this runs
 * per landed donation on the producer's event loop. One per column, so the columns do not evict each other.
 */
function lastMs(): (v: Cell | undefined) => number {
  let last: string | null = null;
  let value = Number.NaN;
  return (v) => {
    if (typeof v !== 'string') return ms(v);
    if (v !== last) {
      last = v;
      value = dateParse(v);
    }
    return value;
  };
}
const occurredMs = lastMs();
const receivedMs = lastMs();
const changedMs = lastMs();

/**
 * Per-donation state in parallel columns of typed arrays (slot-column.ts), one slot per donation: about a third of the memory of an
 * object per donation (a few million donations are held on an appeal night).
 */
class Slots {
  changed = new SlotColumn((n) => new Float64Array(n));
  received = new SlotColumn((n) => new Float64Array(n));
  /** _received_seq of the current version's first arrival (NO_POSITION: none). */
  seq = new SlotColumn((n) => new Int32Array(n));
  amount = new SlotColumn((n) => new Float64Array(n));
  /** Index into the cells, or -1 when the current version does not count. */
  cell = new SlotColumn((n) => new Int32Array(n));
  /** The current version's _id. */
  ids = new SlotIds();
  size = 0;

  /**
   * Room for one more slot, made before its key goes into the key map: an allocation failing after that would
   * leave a key without its slot, and every later key on the wrong one.
   */
  reserve(): void {
    const slots = this.size + 1;
    this.changed.reserve(slots);
    this.received.reserve(slots);
    this.seq.reserve(slots);
    this.amount.reserve(slots);
    this.cell.reserve(slots);
    this.ids.reserve(slots);
  }

  /** The next slot (after reserve). */
  add(): number {
    this.cell.set(this.size, -1);
    return this.size++;
  }
}

/** A tying version here: what it counts as an index into the cells (-1: nothing). */
interface Tied extends TiedVersion {
  seq: number;
  amount: number;
  cell: number;
}

export class LiveTotals {
  /** Each donation's key to its slot: they are numbered alike, from 0 in the order keys first came. */
  #slotOf = new StringSlotMap();
  #slots = new Slots();
  /** Per slot, the versions tying with its current one (only slots that have more than one). */
  #ties = new Map<number, Tied[]>();
  #cells: TotalsCell[] = [];
  #cellIndex = new Map<string, number>();
  /** The cell #cell found last, or -1. */
  #lastCell = -1;
  readonly #listeners = new Set<() => void>();
  #asOf = Number.NEGATIVE_INFINITY;
  /** When versions taken in but dated on a later day than now enter the totals (the starts of their days): see entersAt. */
  #held = new Set<number>();
  #version = 0;
  #cache = new Map<string, TotalsDocument>();

  /** Bumped on every change; a document built at one version stays right until the next. */
  get version(): number {
    return this.#version;
  }

  get donations(): number {
    return this.#slotOf.size;
  }

  /** A landed message: only donation rows matter; everything else is ignored. */
  apply(landed: LandedRows): void {
    if (landed.contract !== 'donation') return;
    if (this.applyRows(landed.rows)) this.#changed();
  }

  /** Apply donation rows (contract and envelope columns) at `now`; returns whether anything changed. */
  applyRows(rows: readonly Record<string, Cell>[], now: number = Date.now()): boolean {
    let changed = false;
    for (const r of rows) if (this.#applyRow(r, now)) changed = true;
    return changed;
  }

  /**
   * Donation rows given column by column (`columns[i][r]`: row r's `names[i]`, the rebuild's pages from
   * QueryEngine.queryColumns), applied as applyRows applies them, through one row object refilled per row
   * rather than one object per row (millions on a rebuild). Listeners hear of a change once.
   */
  applyColumns(page: { names: readonly string[]; columns: readonly (readonly unknown[])[]; rowCount: number }, now: number = Date.now()): void {
    const wanted = DONATION_COLUMNS.map((name) => page.columns[page.names.indexOf(name)]);
    const row: Record<string, Cell> = {};
    let changed = false;
    for (let r = 0; r < page.rowCount; r++) {
      for (let c = 0; c < wanted.length; c++) row[DONATION_COLUMNS[c]!] = wanted[c]?.[r] as Cell;
      if (this.#applyRow(row, now)) changed = true;
    }
    if (changed) this.#changed();
  }

  /** One row (read, never kept: applyColumns reuses it); whether anything changed. */
  #applyRow(r: Record<string, Cell>, now: number): boolean {
    const d = readDonationRow(r);
    if (!d) return false;
    const slots = this.#slots;
    slots.reserve();
    const slot = this.#slotOf.slotFor(d.key);
    if (slot === slots.size) {
      // A new donation: its key took the next slot.
      slots.add();
    } else if (d.changed === slots.changed.get(slot)) {
      const tie = this.#tie(slot, d);
      return (tie.taken && this.#arrived(entersAt(d), now)) || tie.moved;
    } else if (!(d.changed > slots.changed.get(slot))) {
      return false;
    } else {
      this.#ties.delete(slot);
    }
    this.#arrived(entersAt(d), now);
    this.#place(slot, d.id, d.changed, d, d.amount, this.#cellOf(d));
    return true;
  }

  /**
   * as_of is when the newest donation version the aggregate took in entered the totals (entersAt): a new
   * donation, a newer version, a version tying with the current one, at its first arrival; one dated on a later
   * day than it arrived (a mistyped year) at the start of its day, which it is held until, as the total holds it.
   * A re-send of a version it holds, or a version older than the current one, does not move it: donation_history
   * keeps each version's first arrival only, and the rebuild after a restart starts from that history
   * (arrivedAt, ARRIVALS_SQL), which is then never behind what the hub showed before. Until 2026-12-02 every row
   * moved it, so a re-sent event moved as_of forward and the next `puddle start` on the home showed it earlier
   * again; and a donation dated in the future moved it at once, to data the total did not show.
   */
  #arrived(t: number, now: number): boolean {
    if (t > now) {
      this.#held.add(t);
      return false;
    }
    if (!(t > this.#asOf)) return false;
    this.#asOf = t;
    return true;
  }

  /**
   * A version of the lake entered the totals at `t` (the rebuild reads these from donation_history): as_of
   * moves to it, or, for a time after `now`, at that time.
   */
  arrivedAt(t: number, now: number = Date.now()): void {
    if (this.#arrived(t, now)) this.#changed();
  }

  /**
   * Let in the versions held until `now` (a day has begun that donations dated in the future were waiting
   * for): as_of moves to that day's start, and listeners hear of it, so a stream pushes the new total then.
   * Documents call it; the keeper calls it at each UTC midnight. Returns whether anything changed.
   */
  release(now: number = Date.now()): boolean {
    let moved = false;
    for (const t of this.#held) {
      if (t > now) continue;
      this.#held.delete(t);
      if (t > this.#asOf) {
        this.#asOf = t;
        moved = true;
      }
    }
    if (moved) this.#changed();
    return moved;
  }

  /** A version tying with the slot's on _changed_at, decided by the views' rule (takeTiedVersion, tieWinner). */
  #tie(slot: number, d: DonationVersion): { taken: boolean; moved: boolean } {
    const slots = this.#slots;
    const ties: Tied[] = this.#ties.get(slot) ?? [
      { id: slots.ids.get(slot), received: slots.received.get(slot), seq: slots.seq.get(slot), amount: slots.amount.get(slot), cell: slots.cell.get(slot) },
    ];
    const tied = () => ({ id: d.id, received: d.received, seq: d.seq, amount: d.amount, cell: this.#cellOf(d) });
    if (!takeTiedVersion(ties, d.id, d, tied)) return { taken: false, moved: false };
    if (ties.length > 1) this.#ties.set(slot, ties);
    const win = tieWinner(ties);
    if (
      win.id === slots.ids.get(slot) && win.received === slots.received.get(slot) && win.seq === slots.seq.get(slot) &&
      win.amount === slots.amount.get(slot) && win.cell === slots.cell.get(slot)
    ) return { taken: true, moved: false };
    this.#place(slot, win.id, slots.changed.get(slot), win, win.amount, win.cell);
    return { taken: true, moved: true };
  }

  /** Make a version the slot's current one, moving its contribution. */
  #place(slot: number, id: string, changed: number, arrival: Required<Arrival>, amount: number, cell: number): void {
    const slots = this.#slots;
    if (slots.cell.get(slot) >= 0) {
      const old = this.#cells[slots.cell.get(slot)]!;
      old.amount_minor -= slots.amount.get(slot);
      old.count -= 1;
    }
    if (cell >= 0) {
      this.#cells[cell]!.amount_minor += amount;
      this.#cells[cell]!.count += 1;
    }
    slots.changed.set(slot, changed);
    slots.received.set(slot, arrival.received);
    slots.seq.set(slot, arrival.seq);
    slots.amount.set(slot, cell >= 0 ? amount : 0);
    slots.cell.set(slot, cell);
    slots.ids.set(slot, id);
  }

  #cellOf(d: DonationVersion): number {
    return d.pledged ? this.#cell(d.cell.channel, d.cell.campaign, d.cell.cta, d.cell.currency, d.cell.box) : -1;
  }

  /** Forget everything (before a rebuild from the lake). */
  clear(): void {
    this.#slotOf = new StringSlotMap();
    this.#ties = new Map();
    this.#slots = new Slots();
    this.#cells = [];
    this.#cellIndex = new Map();
    this.#lastCell = -1;
    this.#asOf = Number.NEGATIVE_INFINITY;
    this.#held = new Set();
    this.#changed();
  }

  /** Called (synchronously) after every change; returns the unsubscribe function. */
  onChange(fn: () => void): () => void {
    this.#listeners.add(fn);
    return () => this.#listeners.delete(fn);
  }

  /**
   * The non-empty cells that count at `now`, as totals_by_box rows would be (for the drift check and the
   * dashboard): boxes dated after today are held back, as in the view (see countsUntil).
   */
  cells(now: number = Date.now()): TotalsCell[] {
    const until = countsUntil(now);
    return this.#cells.filter((c) => (c.count !== 0 || c.amount_minor !== 0) && c.box < until);
  }

  /** as_of at `now`: versions held until then let in first (release). */
  asOf(now: number = Date.now()): string | null {
    this.release(now);
    return Number.isFinite(this.#asOf) ? new Date(this.#asOf).toISOString() : null;
  }

  /** The document for a query, built once per version and query. */
  document(q: TotalsQuery, now: number = Date.now()): TotalsDocument {
    this.release(now);
    const until = countsUntil(now);
    const cacheKey = `${q.campaign ?? ''}|${q.by}|${q.from ?? ''}|${q.to ?? ''}|${until}`;
    const hit = this.#cache.get(cacheKey);
    if (hit) return hit;
    const doc = totalsDocument(this.#cells, this.asOf(now), { ...q, to: Math.min(q.to ?? until, until) });
    if (this.#cache.size > 100) this.#cache.clear();
    this.#cache.set(cacheKey, doc);
    return doc;
  }

  #cell(channel: string | null, campaign: string | null, cta: string | null, currency: string, box: number): number {
    // Consecutive donations mostly land in the same cell: no key to build for those.
    const last = this.#lastCell;
    if (last >= 0) {
      const c = this.#cells[last]!;
      if (c.box === box && c.channel === channel && c.campaign === campaign && c.cta === cta && c.currency === currency) return last;
    }
    const k = cellId({ channel, campaign, cta, currency, box });
    let i = this.#cellIndex.get(k);
    if (i === undefined) {
      i = this.#cells.push({ channel, campaign, cta, currency, box, amount_minor: 0, count: 0 }) - 1;
      this.#cellIndex.set(k, i);
    }
    this.#lastCell = i;
    return i;
  }

  #changed(): void {
    this.#version++;
    this.#cache = new Map();
    for (const fn of this.#listeners) fn();
  }
}

/**
 * Where counting stops at `now`: the end of today (UTC). totals_by_box counts a donation once its occurred_at
 * date is on or before its as_of (today by default), so a donation dated in the future (a mistyped year, a
 * scheduled gift) is held in the aggregate but counts only from its day on, in the live total and in SQL alike.
 */
export function countsUntil(now: number): number {
  return Math.floor(now / DAY_MS + 1) * DAY_MS;
}

/**
 * When a donation version enters the totals: its first arrival, or, when it is dated on a later day (UTC) than it
 * arrived, the start of that day, from which the totals count it (countsUntil). as_of is the newest of these that
 * has come, so it never reads as a time in the future, and never moves for data the total does not show yet.
 */
export function entersAt(d: Pick<DonationVersion, 'received' | 'cell'>): number {
  return Math.max(d.received, Math.floor(d.cell.box / DAY_MS) * DAY_MS);
}

/**
 * A version tying with its donation's current one on _changed_at (an event sent again, or a change without
 * updated_at moving): its envelope id and first arrival (_received_at, then _received_seq: puddles/version-order.ts).
 * The views keep the first arrival of each envelope id (donation_history) and then take the latest (donation), so a
 * loser sent again later still loses: live totals must remember the tying versions to decide the same way. Only
 * kept while they tie; a newer version drops them. `seq` is absent in versions the DynamoDB totals stored before
 * it existed: no position.
 */
export interface TiedVersion extends Arrival {
  id: string;
}

/**
 * Take a version into its donation's versions tying on _changed_at (`ties`, the current one among them; changed
 * in place), as donation_history does: an envelope id keeps its first arrival, so one seen before at the same or an
 * earlier arrival (a re-send, a redelivery) changes nothing and false is returned; one seen later (the first
 * delivery landing after a re-send) moves that id back to this arrival. `version` builds the entry when needed.
 * Then tieWinner says which version is current.
 */
export function takeTiedVersion<T extends TiedVersion>(ties: T[], id: string, arrival: Arrival, version: () => T): boolean {
  const seen = ties.find((t) => t.id === id);
  if (seen && compareArrivals(arrival, seen) >= 0) return false;
  if (seen) Object.assign(seen, version());
  else ties.push(version());
  return true;
}

/** The current one of versions tying on _changed_at: the latest first arrival, then the greatest envelope id (the `donation` view's order). */
export function tieWinner<T extends TiedVersion>(ties: readonly T[]): T {
  return ties.reduce((a, b) => {
    const later = compareArrivals(b, a);
    return later > 0 || (later === 0 && b.id > a.id) ? b : a;
  });
}

/** The cell keys of a donation version: what it counts towards (box = start of its 15-minute box, ms UTC). */
export interface CellKey {
  channel: string | null;
  campaign: string | null;
  cta: string | null;
  currency: string;
  box: number;
}

/** One donation row as the aggregate sees it (null when it can never be placed: no key, id or times). */
export interface DonationVersion {
  key: string;
  id: string;
  /**
   * _changed_at, then first arrival (_received_at and _received_seq of an envelope id's first delivery), then _id
   * order versions, as the `donation` view does (puddles/version-order.ts).
   */
  changed: number;
  received: number;
  /** _received_seq: the event's position in its producer request, NO_POSITION when it has none. */
  seq: number;
  pledged: boolean;
  /** Counted amount (0 when not pledged). */
  amount: number;
  cell: CellKey;
}

/** The columns of a landed donation row that readDonationRow reads (and nothing else here reads). */
export const DONATION_COLUMNS: readonly string[] = [
  'donation_id', '_id', 'occurred_at', '_received_at', '_received_seq', '_changed_at', 'status', 'amount_minor', 'channel', 'campaign', 'cta', 'currency',
];

export function readDonationRow(r: Record<string, Cell>): DonationVersion | null {
  const key = str(r.donation_id);
  const id = str(r._id);
  const occurred = occurredMs(r.occurred_at);
  const received = receivedMs(r._received_at);
  if (key === null || id === null || Number.isNaN(occurred) || Number.isNaN(received)) return null;
  const status = str(r.status);
  const amount = Number(r.amount_minor);
  const pledged = isPledged(status) && Number.isSafeInteger(amount);
  return {
    key,
    id,
    changed: changedMs(r._changed_at),
    received,
    seq: positionOf(r._received_seq),
    pledged,
    amount: pledged ? amount : 0,
    cell: { channel: str(r.channel), campaign: str(r.campaign), cta: str(r.cta), currency: String(r.currency), box: Math.floor(occurred / BOX_MS) * BOX_MS },
  };
}

/** A cell's identity as text: each part length-prefixed, so no value can run into the next; null is `-`, apart from ''. */
export function cellId(c: CellKey): string {
  return `${part(c.channel)}${part(c.campaign)}${part(c.cta)}${part(c.currency)}${c.box}`;
}

/** The GET /v1/totals document over cells (any order; empty cells are left out). */
export function totalsDocument(cells: Iterable<TotalsCell>, asOf: string | null, q: TotalsQuery): TotalsDocument {
  const perCurrency = new Map<string, { total: Amount; by: Map<string | null, Amount>; boxes: Map<number, Amount> }>();
  for (const c of cells) {
    if (c.count === 0 && c.amount_minor === 0) continue;
    if (q.campaign !== undefined && c.campaign !== q.campaign) continue;
    if (q.from !== undefined && c.box < q.from) continue;
    if (q.to !== undefined && c.box >= q.to) continue;
    let cur = perCurrency.get(c.currency);
    if (!cur) perCurrency.set(c.currency, (cur = { total: { amount_minor: 0, count: 0 }, by: new Map(), boxes: new Map() }));
    add(cur.total, c);
    const k = c[q.by];
    add(cur.by.get(k) ?? set(cur.by, k), c);
    add(cur.boxes.get(c.box) ?? set(cur.boxes, c.box), c);
  }
  const currencies: CurrencyTotals[] = [...perCurrency.entries()]
    .map(([currency, v]) => ({
      currency,
      total: v.total,
      by: [...v.by.entries()]
        .map(([key, a]) => ({ key, ...a }))
        .sort((a, b) => b.amount_minor - a.amount_minor || String(a.key).localeCompare(String(b.key))),
      boxes: [...v.boxes.entries()].sort(([a], [b]) => a - b).map(([start, a]) => ({ start: new Date(start).toISOString(), ...a })),
    }))
    // The main currency is the one with the most pledges: a campaign's home currency on the night.
    .sort((a, b) => b.total.count - a.total.count || a.currency.localeCompare(b.currency));
  const main = currencies[0];
  return {
    as_of: asOf,
    currency: main?.currency ?? null,
    total: main?.total ?? { amount_minor: 0, count: 0 },
    by: main?.by ?? [],
    boxes: main?.boxes ?? [],
    currencies,
  };
}

function part(v: string | null): string {
  return v === null ? '-' : `${v.length}:${v}`;
}

function add(to: Amount, from: Amount): void {
  to.amount_minor += from.amount_minor;
  to.count += from.count;
}

function set<K>(m: Map<K, Amount>, k: K): Amount {
  const a = { amount_minor: 0, count: 0 };
  m.set(k, a);
  return a;
}
