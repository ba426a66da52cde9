// The live totals on DynamoDB (the AWS shape): the counters consumers keep as `donation` rows land, so
// GET /v1/totals never asks Athena. Same definition as puddles/live-totals.ts (and the `totals_by_box` view):
// the current version of each donation (latest by _changed_at, then first arrival, then _id:
// puddles/version-order.ts), counted when its
// status counts as pledged money (core/contracts/donation-status.ts: not started, abandoned, failed or cancelled),
// boxed by occurred_at, from the day of its occurred_at on. Row reading (so which statuses count), cell
// identity, the tie rule (takeTiedVersion, tieWinner) and where counting stops (countsUntil) are live-totals.ts's
// own; the document is its totalsDocument.
//
// No transactions (dynalite cannot test them), so each donation has one item holding its current version, what
// that version counts (its cell and amount), the counter moves its last change still owes (`moves`), and, while
// other versions tie with it on _changed_at, those versions at their first arrival (an envelope sent again must
// not win a tie; only its first arrival says so). Every change is decided on the item as read (consistently) and
// written only if the item's revision `rev` is still the one read (a donation's first version: only if there is
// no item); a writer that lost the race reads again and decides again. The write that changes the version also
// records the moves of the counters it needs (take the old contribution out, add the new one), with those the
// item still owed; then the moves are applied (dynamodb-totals-counters.ts: each exactly once, however often
// tried) and cleared from the item. So:
//  - a version newer by _changed_at replaces the current one and drops the tying versions;
//  - a version with the item's _changed_at is decided by the tie rule;
//  - a redelivered version (its envelope id already there at the same or an earlier arrival) or an older one
//    changes nothing, but applies any moves the item still owes: a Lambda that failed (a throttled call, a
//    crash, a timeout whose write landed) after winning the item leaves its moves there, and the batch coming
//    again finishes them. Batches may repeat and arrive in any order, and invocations may run at once.
//
// A donation dated after today is counted into its box like any other, and every read leaves out the boxes from
// the end of today on (countsUntil), as totals_by_box leaves out dates after its as_of: it counts from its day on
// without anything being written that day.
//
// Table: partition key `pk` (S), sort key `sk` (S), on-demand. Items:
//   pk `d:<donation_id>`        sk `d`                 { ch, rc, rs?, id, amt, cell?: cell keys as JSON, rev, ties?: JSON, moves?: JSON }
//   pk `c:<campaign part>#<shard>`  sk `<box, 15 digits>|<cellId>`  the counters, sharded (dynamodb-totals-counters.ts;
//                               `c:<campaign part>` unsharded, from before sharding: still read)
//   pk `campaigns`              sk `<campaign part>#<shard>`  { campaign, shard }   (which counter partitions exist)
//   pk `as_of`                  sk `-`                 { t, h? }      (when the newest version taken entered the totals, ms:
//                               live-totals.ts entersAt; `h`, a number set: the day starts that versions dated
//                               ahead of their arrival wait for, which a read counts into as_of once they have come)
// A donation item's `rc` and `rs` are its current version's first arrival (_received_at in ms, and _received_seq:
// absent when it has no position); `ties`, only while versions tie, lists every one of them (the current one too)
// as [{ id, received, seq?, amount, cell }]; `moves`, only while some are owed, the
// counter moves as [{ t, cell, amount, count }]. Items written before `rev` existed have none; before `rs`, no position.
import {
  GetItemCommand,
  PutItemCommand,
  QueryCommand,
  ScanCommand,
  UpdateItemCommand,
  type AttributeValue,
  type DynamoDBClient,
} from '@aws-sdk/client-dynamodb';

import type { LandedRows } from '../../puddles/landed.js';
import { RetriableError } from '../../core/errors.js';
import {
  countsUntil,
  entersAt,
  readDonationRow,
  takeTiedVersion,
  tieWinner,
  type CellKey,
  type DonationVersion,
  type TiedVersion,
  type TotalsCell,
  type TotalsQuery,
} from '../../puddles/live-totals.js';
import type { Cell } from '../../puddles/parquet-writer.js';
import { NO_POSITION } from '../../puddles/version-order.js';
import { awsCall } from './aws-errors.js';
import {
  boxPart,
  CAMPAIGNS_PK,
  campaignPart,
  cellPk,
  cellSk,
  conditional,
  counterCell,
  counterText,
  keyPart,
  movesBetween,
  n,
  s,
  shardOf,
  tokenMade,
  TotalsCounters,
  TOTALS_SHARDS,
  type Contribution,
  type CounterMove,
} from './dynamodb-totals-counters.js';

/** Donations applied at once (versions of one donation always in order, one after another). */
const CONCURRENCY = 16;
/** Lost revision races on one donation item before giving up (each lost race means another writer progressed). */
const MAX_RACES = 20;

/** A version as a donation item keeps it: what it counts (cell null: nothing). */
interface StoredVersion extends TiedVersion, Contribution {}

/** A change of a donation item: the version that becomes current, the versions tying with it, the moves it needs. */
interface Change {
  win: StoredVersion;
  ties: StoredVersion[] | null;
  moves: CounterMove[];
}

type Item = Record<string, AttributeValue>;

export interface DynamoDbTotalsOptions {
  client: DynamoDBClient;
  table: string;
  /**
   * Counter shards new moves are spread over (default TOTALS_SHARDS). Reads do not depend on it: they sum every
   * partition registered, so a table written with another count reads right.
   */
  shards?: number;
}

const str = (v: AttributeValue | undefined): string | null => (v?.S === undefined ? null : v.S);
const donationKey = (key: string) => ({ pk: { S: `d:${key}` }, sk: { S: 'd' } });
/** Bytes of a donation_id kept as written in its item's key (applyRows): DynamoDB's 2,048 less `d:`. */
const DONATION_KEY_BYTES = 2046;
const numberOrUndefined = (v: AttributeValue | undefined): number | undefined => (v?.N === undefined ? undefined : Number(v.N));
const movesOf = (i: Item): CounterMove[] => (i.moves?.S === undefined ? [] : (JSON.parse(i.moves.S) as CounterMove[]));
const revOf = (i: Item | undefined): number | undefined => (i?.rev?.N === undefined ? undefined : Number(i.rev.N));

export class DynamoDbTotals {
  readonly #client: DynamoDBClient;
  readonly #table: string;
  readonly #counters: TotalsCounters;
  readonly #shards: number;

  constructor(opts: DynamoDbTotalsOptions) {
    this.#client = opts.client;
    this.#table = opts.table;
    this.#shards = opts.shards ?? TOTALS_SHARDS;
    if (!Number.isInteger(this.#shards) || this.#shards < 1) throw new RangeError(`DynamoDB totals: shards must be a whole number from 1, not ${opts.shards}`);
    this.#counters = new TotalsCounters(opts.client, opts.table, async (key) => new Set(movesOf((await this.#read(key)) ?? {}).map((m) => m.t)));
  }

  /** A landed message: only donation rows matter. Resolves once every counter move is written. */
  async apply(landed: LandedRows): Promise<void> {
    if (landed.contract !== 'donation') return;
    await this.applyRows(landed.rows);
  }

  async applyRows(rows: readonly Record<string, Cell>[], now: number = Date.now()): Promise<void> {
    const byKey = new Map<string, DonationVersion[]>();
    for (const r of rows) {
      const read = readDonationRow(r);
      // Landing refuses rows without _changed_at (landing-rows.ts); DynamoDB cannot store NaN.
      if (!read || Number.isNaN(read.changed)) continue;
      // The donation's item key (and so its shard and its moves' tokens): a long donation_id by its hash, within
      // DynamoDB's 2,048-byte partition key (keyPart): only an id it refused is changed. Its campaign and cta as
      // the counters keep them (counterText), so no item outgrows DynamoDB's 400 KB; a cell an item already holds
      // is read as written, and a move out of it goes to the counter it went into.
      const d = { ...read, key: keyPart(read.key, DONATION_KEY_BYTES), cell: counterCell(read.cell) };
      const list = byKey.get(d.key);
      if (list) list.push(d);
      else byKey.set(d.key, [d]);
    }
    const lists = [...byKey.values()];
    // as_of moves only by versions the totals hold at this arrival (see #held), as the local aggregate's does, and
    // only once they enter the totals (entersAt): one dated on a later day waits for that day.
    let asOf = Number.NEGATIVE_INFINITY;
    const ahead = new Set<number>();
    let next = 0;
    let failed = false;
    const worker = async () => {
      // After a failure the batch comes again whole: start nothing new (a throttled table needs fewer calls).
      while (!failed && next < lists.length) {
        const list = lists[next++]!;
        try {
          for (const d of list) {
            if (!(await this.#applyOne(d))) continue;
            const t = entersAt(d);
            if (t > now) ahead.add(t);
            else asOf = Math.max(asOf, t);
          }
        } catch (err) {
          failed = true;
          throw err;
        }
      }
    };
    // Every worker is waited for before the batch fails: none is left writing after the invocation answered.
    const done = await Promise.allSettled(Array.from({ length: Math.min(CONCURRENCY, lists.length) }, worker));
    const rejected = done.find((r): r is PromiseRejectedResult => r.status === 'rejected');
    if (rejected) throw rejected.reason;
    if (Number.isFinite(asOf)) await this.#advanceAsOf(asOf);
    if (ahead.size > 0) await this.#holdAsOf([...ahead]);
  }

  /**
   * Whether the item holds `d` at its arrival once applied (current or tying): a new donation, a newer version,
   * a tying one, or a redelivery of one of those (a batch that failed after taking it comes again, and must still
   * move as_of). A re-send (the same envelope at a later arrival) or an older version is not held, and does not
   * move as_of: donation_history keeps each version's first arrival only, which is what a backfill reads.
   */
  async #applyOne(d: DonationVersion): Promise<boolean> {
    const version: StoredVersion = { id: d.id, received: d.received, seq: d.seq, amount: d.amount, cell: d.pledged ? d.cell : null };
    const key = donationKey(d.key);
    const shard = shardOf(d.key, this.#shards);
    // Most versions are their donation's first: try creating its item before reading anything.
    let exists = false;
    for (let race = 0; race < MAX_RACES; race++) {
      if (!exists) {
        const moves = movesBetween(d.key, null, version, shard);
        const created = await conditional('UpdateItem', () =>
          this.#client.send(new UpdateItemCommand({ TableName: this.#table, Key: key, ...itemUpdate(d.changed, version, null, moves), ConditionExpression: 'attribute_not_exists(pk)' })),
        );
        if (created) return this.#finish(d.key, moves, 1).then(() => true);
      }
      const item = await this.#read(d.key);
      exists = item !== undefined;
      // Gone since (deleted by hand): start again.
      if (!item) continue;
      const change = decide(item, d, version, shard);
      const owed = movesOf(item);
      if (!change && owed.length === 0) return held(item, d);
      const rev = revOf(item);
      // Nothing to change, but moves a writer that failed left owed: finish them (there are none on an item
      // written before `rev` existed).
      if (!change) return this.#finish(d.key, owed, rev!).then(() => held(item, d));
      const moves = [...owed, ...change.moves];
      const update = itemUpdate(d.changed, change.win, change.ties, moves);
      if (rev !== undefined) update.ExpressionAttributeValues[':rev'] = n(rev);
      const written = await conditional('UpdateItem', () =>
        this.#client.send(
          new UpdateItemCommand({ TableName: this.#table, Key: key, ...update, ConditionExpression: rev === undefined ? 'attribute_not_exists(rev)' : 'rev = :rev' }),
        ),
      );
      // Lost: another writer changed the item since it was read; decide again on what it wrote.
      // Won: `d` is the current version now, or one of those tying with it.
      if (written) return this.#finish(d.key, moves, (rev ?? 0) + 1).then(() => true);
    }
    throw new RetriableError(`DynamoDB totals: a donation item changed under ${MAX_RACES} writes in a row`);
  }

  /**
   * Apply the moves a donation item records at revision `rev`, then clear them, if the item is still as at `rev`
   * (a writer since has carried them over, and clears them itself). A failure on the way leaves them recorded.
   */
  async #finish(key: string, moves: readonly CounterMove[], rev: number): Promise<void> {
    if (moves.length === 0) return;
    for (const m of moves) await this.#counters.apply(m, key);
    await conditional('UpdateItem', () =>
      this.#client.send(
        new UpdateItemCommand({
          TableName: this.#table,
          Key: donationKey(key),
          UpdateExpression: 'REMOVE moves ADD rev :one',
          ConditionExpression: 'rev = :rev',
          ExpressionAttributeValues: { ':one': n(1), ':rev': n(rev) },
        }),
      ),
    );
  }

  async #read(key: string): Promise<Item | undefined> {
    const out = await awsCall('DynamoDB', 'GetItem', () =>
      this.#client.send(new GetItemCommand({ TableName: this.#table, Key: donationKey(key), ConsistentRead: true })),
    );
    return out.Item;
  }

  async #advanceAsOf(t: number): Promise<void> {
    await conditional('UpdateItem', () =>
      this.#client.send(
        new UpdateItemCommand({
          TableName: this.#table,
          Key: { pk: { S: 'as_of' }, sk: { S: '-' } },
          UpdateExpression: 'SET t = :t',
          ConditionExpression: 'attribute_not_exists(t) OR t < :t',
          ExpressionAttributeValues: { ':t': n(t) },
        }),
      ),
    );
  }

  /** Times after now that as_of waits for (the starts of days donations are dated ahead to): a set, added to atomically. */
  async #holdAsOf(ts: number[]): Promise<void> {
    await awsCall('DynamoDB', 'UpdateItem', () =>
      this.#client.send(
        new UpdateItemCommand({
          TableName: this.#table,
          Key: { pk: { S: 'as_of' }, sk: { S: '-' } },
          UpdateExpression: 'ADD h :h',
          ExpressionAttributeValues: { ':h': { NS: ts.map(String) } },
        }),
      ),
    );
  }

  /**
   * as_of no earlier than `t` (ms), or from `t` on when it is after `now`: a backfill gives when the newest
   * version in donation_history entered the totals (ARRIVALS_SQL), superseded versions included, as the counters
   * kept before counted them; the current versions alone could put it back.
   */
  async arrivedAt(t: number, now: number = Date.now()): Promise<void> {
    if (t > now) await this.#holdAsOf([t]);
    else await this.#advanceAsOf(t);
  }

  /** as_of at `now`: the item's time, or a held day start that has come since, if later (readers only read). */
  async asOf(now: number = Date.now()): Promise<string | null> {
    const out = await awsCall('DynamoDB', 'GetItem', () =>
      this.#client.send(new GetItemCommand({ TableName: this.#table, Key: { pk: { S: 'as_of' }, sk: { S: '-' } } })),
    );
    const times = [out.Item?.t?.N, ...(out.Item?.h?.NS ?? [])].filter((v): v is string => v !== undefined).map(Number).filter((t) => t <= now);
    return times.length === 0 ? null : new Date(Math.max(...times)).toISOString();
  }

  /**
   * The non-empty cells a query can use: one campaign's partition, or every campaign's; boxes in [from, to) that
   * count at `now` (default: the clock), as LiveTotals.cells gives them. `consistent` reads what every
   * acknowledged write left (the drift check compares two reads); the API does without (half the read cost, a
   * second behind at most).
   */
  async cells(q: Pick<TotalsQuery, 'campaign' | 'from' | 'to'> = {}, opts: { consistent?: boolean; now?: number } = {}): Promise<TotalsCell[]> {
    const consistent = opts.consistent ?? false;
    // A campaign as the counters keep it (counterText: a long one is bounded).
    const campaign = q.campaign === undefined ? undefined : counterText(q.campaign);
    // Every counter partition registered (one campaign's: their sort keys all begin with its campaign part,
    // whose length prefix keeps another campaign's out), grouped by campaign.
    const registry = await this.#queryAll(consistent, CAMPAIGNS_PK, campaign === undefined ? undefined : { prefix: campaignPart(campaign) });
    const byCampaign = new Map<string, string[]>();
    for (const i of registry) {
      const campaign = str(i.campaign);
      byCampaign.set(campaignPart(campaign), [...(byCampaign.get(campaignPart(campaign)) ?? []), cellPk(campaign, numberOrUndefined(i.shard))]);
    }
    const lo = q.from === undefined ? '0' : boxPart(q.from);
    // Boxes dated after today are kept but not counted yet (see the header).
    const until = countsUntil(opts.now ?? Date.now());
    const to = Math.min(q.to ?? until, until);
    // DynamoDB refuses BETWEEN with its bounds the wrong way round.
    if (q.from !== undefined && q.from >= to) return [];
    const hi = boxPart(to);
    const out: TotalsCell[] = [];
    // A campaign's partitions at once (17 at most), campaigns one after another; a cell is the sum of its shards.
    for (const partitions of byCampaign.values()) {
      const cells = new Map<string, TotalsCell>();
      for (const page of await Promise.all(partitions.map((pk) => this.#queryAll(consistent, pk, { lo, hi })))) {
        for (const i of page) {
          const c = toCell(i);
          const sum = cells.get(cellSk(c));
          if (sum) {
            sum.amount_minor += c.amount_minor;
            sum.count += c.count;
          } else cells.set(cellSk(c), c);
        }
      }
      for (const c of cells.values()) if (c.count !== 0 || c.amount_minor !== 0) out.push(c);
    }
    return out;
  }

  /**
   * Recompute every counter from the donation items (after a drift report). Run with consumers paused: a
   * counter move landing between the scan and the overwrite would be lost.
   */
  async repair(): Promise<{ donations: number; cells: number }> {
    const items = await this.#scan('d:');
    const counters = await this.#scan('c:');
    // The latest token anyone made: every counter below is marked as pruned up to it, so an apply of a move made
    // before the repair (one cleared just below, or applied and dropped with its counter's tokens) fails its
    // condition and looks again, finding its move cleared.
    let pruned = 0;
    for (const i of items) for (const m of movesOf(i)) pruned = Math.max(pruned, tokenMade(m.t));
    for (const c of counters) {
      pruned = Math.max(pruned, Number(c.pruned?.N ?? 0));
      for (const t of c.applied?.SS ?? []) pruned = Math.max(pruned, tokenMade(t));
    }
    // Moves still owed are part of the recount below: cleared first, so none is applied on top of it later.
    for (const i of items) {
      if (i.moves?.S === undefined) continue;
      const cleared = await conditional('UpdateItem', () =>
        this.#client.send(
          new UpdateItemCommand({
            TableName: this.#table,
            Key: { pk: i.pk!, sk: i.sk! },
            UpdateExpression: 'REMOVE moves ADD rev :one',
            ConditionExpression: 'rev = :rev',
            ExpressionAttributeValues: { ':one': n(1), ':rev': i.rev! },
          }),
        ),
      );
      if (!cleared) throw new RetriableError('DynamoDB totals repair: a donation item changed while repairing; pause the consumers and run it again');
    }
    // Each donation counts in its own shard (where its moves go); every counter item there is, sharded or from
    // before sharding, is written again, at zero when no donation counts in it.
    const want = new Map<string, { pk: string; shard?: number; cell: TotalsCell }>();
    for (const i of items) {
      if (i.cell?.S === undefined) continue;
      const c = JSON.parse(i.cell.S) as CellKey;
      const shard = shardOf(i.pk!.S!.slice('d:'.length), this.#shards);
      const pk = cellPk(c.campaign, shard);
      const k = `${pk}\n${cellSk(c)}`;
      const w = want.get(k) ?? { pk, shard, cell: { ...c, amount_minor: 0, count: 0 } };
      w.cell.amount_minor += Number(i.amt?.N ?? 0);
      w.cell.count += 1;
      want.set(k, w);
    }
    const gens = new Map<string, number>();
    for (const i of counters) {
      const k = `${i.pk!.S!}\n${i.sk!.S!}`;
      gens.set(k, Number(i.gen?.N ?? 0));
      if (!want.has(k)) want.set(k, { pk: i.pk!.S!, cell: { ...toCell(i), amount_minor: 0, count: 0 } });
    }
    for (const [k, { pk, shard, cell: c }] of want) {
      if (c.count > 0) await this.#counters.registerCampaign(c.campaign, shard);
      await awsCall('DynamoDB', 'PutItem', () =>
        this.#client.send(
          new PutItemCommand({
            TableName: this.#table,
            Item: {
              pk: { S: pk },
              sk: { S: cellSk(c) },
              channel: s(c.channel),
              campaign: s(c.campaign),
              cta: s(c.cta),
              currency: { S: c.currency },
              box: n(c.box),
              amount_minor: n(c.amount_minor),
              count: n(c.count),
              // No tokens, and a new generation: an apply begun before the repair looks again.
              pruned: n(pruned),
              gen: n((gens.get(k) ?? 0) + 1),
            },
          }),
        ),
      );
    }
    return { donations: items.length, cells: new Set([...want.values()].map((w) => cellSk(w.cell))).size };
  }

  /** A partition's items: all, those whose sort key begins with `prefix`, or those with one in [lo, hi]. */
  async #queryAll(consistent: boolean, pk: string, sk?: { prefix: string } | { lo: string; hi: string }): Promise<Item[]> {
    const out: Item[] = [];
    let start: Item | undefined;
    const range = sk === undefined ? '' : 'prefix' in sk ? ' AND begins_with(sk, :p)' : ' AND sk BETWEEN :lo AND :hi';
    const values: Record<string, AttributeValue> = sk === undefined ? {} : 'prefix' in sk ? { ':p': { S: sk.prefix } } : { ':lo': { S: sk.lo }, ':hi': { S: sk.hi } };
    do {
      const page = await awsCall('DynamoDB', 'Query', () =>
        this.#client.send(
          new QueryCommand({
            TableName: this.#table,
            KeyConditionExpression: `pk = :pk${range}`,
            ExpressionAttributeValues: { ':pk': { S: pk }, ...values },
            ConsistentRead: consistent,
            ExclusiveStartKey: start,
          }),
        ),
      );
      out.push(...(page.Items ?? []));
      start = page.LastEvaluatedKey;
    } while (start);
    // No filter for `to`: sort keys of the box starting at `to` run on after its digits, so sort above `hi`.
    return out;
  }

  async #scan(prefix: string): Promise<Item[]> {
    const out: Item[] = [];
    let start: Item | undefined;
    do {
      const page = await awsCall('DynamoDB', 'Scan', () =>
        this.#client.send(
          new ScanCommand({
            TableName: this.#table,
            FilterExpression: 'begins_with(pk, :p)',
            ExpressionAttributeValues: { ':p': { S: prefix } },
            ConsistentRead: true,
            ExclusiveStartKey: start,
          }),
        ),
      );
      out.push(...(page.Items ?? []));
      start = page.LastEvaluatedKey;
    } while (start);
    return out;
  }
}

/**
 * What a version changes on its donation's item as read: nothing (null: older, or a repeat of a tying version),
 * or the version that becomes current with the moves from the one read to it.
 */
/** Whether a donation item holds `d` at its arrival: as its current version, or one of those tying with it. */
function held(item: Item, d: DonationVersion): boolean {
  if (Number(item.ch?.N) !== d.changed) return false;
  const versions: TiedVersion[] = item.ties?.S === undefined ? [storedCurrent(item)] : (JSON.parse(item.ties.S) as TiedVersion[]);
  return versions.some((v) => v.id === d.id && v.received === d.received);
}

function decide(item: Item, d: DonationVersion, version: StoredVersion, shard: number): Change | null {
  const changed = Number(item.ch?.N);
  // Its _changed_at never goes down; NaN (an item without one) is never replaced either.
  if (!(changed <= d.changed)) return null;
  const current = storedCurrent(item);
  if (changed < d.changed) return { win: version, ties: null, moves: movesBetween(d.key, current, version, shard) };
  const ties: StoredVersion[] = item.ties?.S === undefined ? [current] : (JSON.parse(item.ties.S) as StoredVersion[]);
  // A re-send or a redelivery: its envelope id is there already, at this arrival or an earlier one.
  if (!takeTiedVersion(ties, d.id, d, () => version)) return null;
  const win = tieWinner(ties);
  return { win, ties, moves: movesBetween(d.key, current, win, shard) };
}

/**
 * The update that makes `v` a donation item's current version, with the versions tying with it (none: null or
 * only itself) and the counter moves it owes. Every write of the item bumps its revision, which the next
 * writer's condition reads.
 */
function itemUpdate(changed: number, v: StoredVersion, ties: readonly StoredVersion[] | null, moves: readonly CounterMove[]) {
  const set = ['ch = :ch', 'rc = :rc', '#id = :id', 'amt = :amt'];
  const remove: string[] = [];
  const values: Record<string, AttributeValue> = { ':ch': n(changed), ':rc': n(v.received), ':id': { S: v.id }, ':amt': n(v.amount), ':one': n(1) };
  if (v.seq !== undefined && v.seq !== NO_POSITION) {
    set.push('rs = :rs');
    values[':rs'] = n(v.seq);
  } else remove.push('rs');
  if (v.cell) {
    set.push('#cell = :cell');
    values[':cell'] = { S: JSON.stringify(v.cell) };
  } else remove.push('#cell');
  if (ties && ties.length > 1) {
    set.push('ties = :ties');
    values[':ties'] = { S: JSON.stringify(ties) };
  } else remove.push('ties');
  if (moves.length > 0) {
    set.push('moves = :moves');
    values[':moves'] = { S: JSON.stringify(moves) };
  } else remove.push('moves');
  return {
    UpdateExpression: `SET ${set.join(', ')}${remove.length ? ` REMOVE ${remove.join(', ')}` : ''} ADD rev :one`,
    ExpressionAttributeNames: { '#id': 'id', '#cell': 'cell' },
    ExpressionAttributeValues: values,
  };
}

/** A donation item's current version. */
function storedCurrent(i: Item): StoredVersion {
  return {
    id: i.id?.S ?? '',
    received: Number(i.rc?.N),
    seq: i.rs?.N === undefined ? NO_POSITION : Number(i.rs.N),
    amount: Number(i.amt?.N ?? 0),
    cell: i.cell?.S === undefined ? null : (JSON.parse(i.cell.S) as CellKey),
  };
}

function toCell(i: Item): TotalsCell {
  return {
    channel: str(i.channel),
    campaign: str(i.campaign),
    cta: str(i.cta),
    currency: i.currency?.S ?? '',
    box: Number(i.box?.N ?? 0),
    amount_minor: Number(i.amount_minor?.N ?? 0),
    count: Number(i.count?.N ?? 0),
  };
}
