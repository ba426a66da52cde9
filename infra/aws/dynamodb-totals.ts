// The live totals on DynamoDB (the AWS shape): the counters consumers keep as `donation` rows land, so
// GET /v1/totals never asks Athena. Same definition as puddles/live-totals.ts (and the `totals_by_box` view):
// the current version of each donation (latest by _changed_at, then first arrival, then _id), counted when its
// status counts as pledged money (core/contracts/donation-status.ts: not started, abandoned, failed or cancelled),
// boxed by occurred_at, from the day of its occurred_at on. Row reading (so which statuses count), cell
// identity, the tie rule (takeTiedVersion, tieWinner) and where counting stops (countsUntil) are live-totals.ts's
// own; the document is its totalsDocument.
//
// No transactions (dynalite cannot test them), so each donation has one item holding its current version and
// what that version counts (its cell and amount), plus, while other versions tie with it on _changed_at, those
// versions at their first arrival (an envelope sent again must not win a tie; only its first arrival says so).
// Every change of the item is one conditional write, and only its winner moves the box counters (ADD the new
// contribution, ADD minus the old one):
//  - a version newer by _changed_at (or a donation's first) is one conditional update that only such a version
//    wins; the tying versions it supersedes are dropped;
//  - a version with the item's _changed_at is decided on the item as read (consistently), and written only if
//    the item's revision `rev` is still the one read; a writer that lost the race reads again and decides again.
// A redelivered version (its envelope id already there at the same or an earlier arrival) or an older one
// changes nothing, so batches may repeat and arrive in any order, and invocations may run at once.
//
// A donation dated after today is counted into its box like any other, and every read leaves out the boxes from
// the end of today on (countsUntil), as totals_by_box leaves out dates after its as_of: it counts from its day on
// without anything being written that day.
//
// A crash (or a failed call) between winning the donation item and the counter ADDs leaves the counters off
// by that donation: the redelivery loses the condition (its version is already there) and does not fix it.
// The drift is small (a few donations per crash) and the drift check against `totals_by_box` reports it;
// `repair()` then recomputes every counter from the donation items (run it with the consumers paused: an ADD
// landing during the recompute is overwritten).
//
// Table: partition key `pk` (S), sort key `sk` (S), on-demand. Items:
//   pk `d:<donation_id>`        sk `d`                 { ch, rc, id, amt, cell?: cell keys as JSON, rev, ties?: JSON }
//   pk `c:<campaign part>`      sk `<box, 15 digits>|<cellId>`  { channel, campaign, cta, currency, box, amount_minor, count }
//   pk `campaigns`              sk `<campaign part>`   { campaign }   (which cell partitions exist)
//   pk `as_of`                  sk `-`                 { t }          (latest _received_at applied, ms)
// A donation item's `rc` is its current version's first arrival; `ties`, only while versions tie, lists every one
// of them (the current one too) as [{ id, received, amount, cell }]. Items written before `rev` existed have none.
import {
  ConditionalCheckFailedException,
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
  cellId,
  countsUntil,
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
import { awsCall, errorCode, toPuddleError } from './aws-errors.js';

/** Donations applied at once (versions of one donation always in order, one after another). */
const CONCURRENCY = 16;
/** Lost revision races on one donation item before giving up (each lost race means another writer progressed). */
const MAX_RACES = 20;

/** A version as a donation item keeps it: what it counts (cell null: nothing). */
interface StoredVersion extends TiedVersion {
  amount: number;
  cell: CellKey | null;
}

export interface DynamoDbTotalsOptions {
  client: DynamoDBClient;
  table: string;
}

const campaignPart = (c: string | null): string => (c === null ? '-' : `${c.length}:${c}`);
const boxPart = (box: number): string => String(box).padStart(15, '0');
const cellSk = (c: CellKey): string => `${boxPart(c.box)}|${cellId(c)}`;
const cellPk = (campaign: string | null): string => `c:${campaignPart(campaign)}`;
const s = (v: string | null): AttributeValue => (v === null ? { NULL: true } : { S: v });
const n = (v: number): AttributeValue => ({ N: String(v) });
const str = (v: AttributeValue | undefined): string | null => (v?.S === undefined ? null : v.S);

export class DynamoDbTotals {
  readonly #client: DynamoDBClient;
  readonly #table: string;

  constructor(opts: DynamoDbTotalsOptions) {
    this.#client = opts.client;
    this.#table = opts.table;
  }

  /** A landed message: only donation rows matter. Resolves once every counter move is written. */
  async apply(landed: LandedRows): Promise<void> {
    if (landed.contract !== 'donation') return;
    await this.applyRows(landed.rows);
  }

  async applyRows(rows: readonly Record<string, Cell>[]): Promise<void> {
    const byKey = new Map<string, DonationVersion[]>();
    let asOf = Number.NEGATIVE_INFINITY;
    for (const r of rows) {
      const d = readDonationRow(r);
      // Landing refuses rows without _changed_at (landing-rows.ts); DynamoDB cannot store NaN.
      if (!d || Number.isNaN(d.changed)) continue;
      asOf = Math.max(asOf, d.received);
      const list = byKey.get(d.key);
      if (list) list.push(d);
      else byKey.set(d.key, [d]);
    }
    const lists = [...byKey.values()];
    let next = 0;
    let failed = false;
    const worker = async () => {
      // After a failure the batch comes again whole: start nothing new (a throttled table needs fewer calls).
      while (!failed && next < lists.length) {
        const list = lists[next++]!;
        try {
          for (const d of list) await this.#applyOne(d);
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
  }

  async #applyOne(d: DonationVersion): Promise<void> {
    const version: StoredVersion = { id: d.id, received: d.received, amount: d.amount, cell: d.pledged ? d.cell : null };
    const key = { pk: { S: `d:${d.key}` }, sk: { S: 'd' } };
    for (let race = 0; race < MAX_RACES; race++) {
      const newer = await conditional('UpdateItem', () =>
        this.#client.send(
          new UpdateItemCommand({
            TableName: this.#table,
            Key: key,
            ...itemUpdate(d.changed, version, null),
            ConditionExpression: 'attribute_not_exists(pk) OR ch < :ch',
            ReturnValues: 'ALL_OLD',
          }),
        ),
      );
      // Won: newer than what was there (or the first), which it moves from.
      if (newer) return this.#move(newer.Attributes ? storedCurrent(newer.Attributes) : null, version);
      // Lost: the item has this _changed_at or a later one (its _changed_at never goes down).
      const item = (
        await awsCall('DynamoDB', 'GetItem', () => this.#client.send(new GetItemCommand({ TableName: this.#table, Key: key, ConsistentRead: true })))
      ).Item;
      // Gone since (deleted by hand): start again.
      if (!item) continue;
      if (Number(item.ch?.N) !== d.changed) return;
      const current = storedCurrent(item);
      const ties: StoredVersion[] = item.ties?.S === undefined ? [current] : (JSON.parse(item.ties.S) as StoredVersion[]);
      // A re-send or a redelivery: its envelope id is there already, at this arrival or an earlier one.
      if (!takeTiedVersion(ties, d.id, d.received, () => version)) return;
      const win = tieWinner(ties);
      const update = itemUpdate(d.changed, win, ties);
      const rev = item.rev?.N;
      if (rev !== undefined) update.ExpressionAttributeValues[':rev'] = { N: rev };
      const written = await conditional('UpdateItem', () =>
        this.#client.send(
          new UpdateItemCommand({
            TableName: this.#table,
            Key: key,
            ...update,
            ConditionExpression: rev === undefined ? 'attribute_not_exists(rev)' : 'rev = :rev',
          }),
        ),
      );
      // Won: the item was as read, so the counters move from the version read to the winner (often the same).
      if (written) return this.#move(current, win);
      // Lost: another writer changed the item since it was read; decide again on what it wrote.
    }
    throw new RetriableError(`DynamoDB totals: a donation item changed under ${MAX_RACES} writes in a row`);
  }

  /**
   * Move a donation's contribution from one version's cell and amount to another's, after winning its item. A
   * crash from here on is the drift the header describes.
   */
  async #move(from: StoredVersion | null, to: StoredVersion): Promise<void> {
    const oldCell = from?.cell ?? null;
    const oldAmount = from?.amount ?? 0;
    const newCell = to.cell;
    if (oldCell && newCell && cellId(oldCell) === cellId(newCell)) {
      if (to.amount !== oldAmount) await this.#add(newCell, to.amount - oldAmount, 0);
      return;
    }
    if (oldCell) await this.#add(oldCell, -oldAmount, -1);
    if (newCell) await this.#add(newCell, to.amount, 1);
  }

  async #add(c: CellKey, amount: number, count: number): Promise<void> {
    await awsCall('DynamoDB', 'UpdateItem', () =>
      this.#client.send(
        new UpdateItemCommand({
          TableName: this.#table,
          Key: { pk: { S: cellPk(c.campaign) }, sk: { S: cellSk(c) } },
          UpdateExpression: 'SET channel = :channel, campaign = :campaign, cta = :cta, currency = :currency, box = :box ADD amount_minor :a, #count :n',
          ExpressionAttributeNames: { '#count': 'count' },
          ExpressionAttributeValues: {
            ':channel': s(c.channel),
            ':campaign': s(c.campaign),
            ':cta': s(c.cta),
            ':currency': { S: c.currency },
            ':box': n(c.box),
            ':a': n(amount),
            ':n': n(count),
          },
        }),
      ),
    );
    if (count > 0) await this.#registerCampaign(c.campaign);
  }

  async #registerCampaign(campaign: string | null): Promise<void> {
    await awsCall('DynamoDB', 'PutItem', () =>
      this.#client.send(new PutItemCommand({ TableName: this.#table, Item: { pk: { S: 'campaigns' }, sk: { S: campaignPart(campaign) }, campaign: s(campaign) } })),
    );
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

  async asOf(): Promise<string | null> {
    const out = await awsCall('DynamoDB', 'GetItem', () =>
      this.#client.send(new GetItemCommand({ TableName: this.#table, Key: { pk: { S: 'as_of' }, sk: { S: '-' } } })),
    );
    const t = out.Item?.t?.N;
    return t === undefined ? null : new Date(Number(t)).toISOString();
  }

  /**
   * The non-empty cells a query can use: one campaign's partition, or every campaign's; boxes in [from, to) that
   * count at `now` (default: the clock), as LiveTotals.cells gives them. `consistent` reads what every
   * acknowledged write left (the drift check compares two reads); the API does without (half the read cost, a
   * second behind at most).
   */
  async cells(q: Pick<TotalsQuery, 'campaign' | 'from' | 'to'> = {}, opts: { consistent?: boolean; now?: number } = {}): Promise<TotalsCell[]> {
    const consistent = opts.consistent ?? false;
    const partitions =
      q.campaign !== undefined ? [cellPk(q.campaign)] : (await this.#queryAll(consistent, 'campaigns')).map((i) => cellPk(str(i.campaign)));
    const lo = q.from === undefined ? '0' : boxPart(q.from);
    // Boxes dated after today are kept but not counted yet (see the header).
    const until = countsUntil(opts.now ?? Date.now());
    const to = Math.min(q.to ?? until, until);
    // DynamoDB refuses BETWEEN with its bounds the wrong way round.
    if (q.from !== undefined && q.from >= to) return [];
    const hi = boxPart(to);
    const out: TotalsCell[] = [];
    for (const pk of partitions) {
      for (const i of await this.#queryAll(consistent, pk, lo, hi)) {
        const cell = toCell(i);
        if (cell.count !== 0 || cell.amount_minor !== 0) out.push(cell);
      }
    }
    return out;
  }

  /**
   * Recompute every counter from the donation items (after a drift report). Run with consumers paused: a
   * counter ADD landing between the scan and the overwrite would be lost.
   */
  async repair(): Promise<{ donations: number; cells: number }> {
    const want = new Map<string, TotalsCell>();
    let donations = 0;
    for (const i of await this.#scan('d:')) {
      donations++;
      if (i.cell?.S === undefined) continue;
      const c = JSON.parse(i.cell.S) as CellKey;
      const k = cellSk(c);
      const cell = want.get(k) ?? { ...c, amount_minor: 0, count: 0 };
      cell.amount_minor += Number(i.amt?.N ?? 0);
      cell.count += 1;
      want.set(k, cell);
    }
    for (const i of await this.#scan('c:')) {
      const c = toCell(i);
      if (!want.has(cellSk(c))) want.set(cellSk(c), { ...c, amount_minor: 0, count: 0 });
    }
    for (const c of want.values()) {
      await awsCall('DynamoDB', 'PutItem', () =>
        this.#client.send(
          new PutItemCommand({
            TableName: this.#table,
            Item: {
              pk: { S: cellPk(c.campaign) },
              sk: { S: cellSk(c) },
              channel: s(c.channel),
              campaign: s(c.campaign),
              cta: s(c.cta),
              currency: { S: c.currency },
              box: n(c.box),
              amount_minor: n(c.amount_minor),
              count: n(c.count),
            },
          }),
        ),
      );
      if (c.count > 0) await this.#registerCampaign(c.campaign);
    }
    return { donations, cells: want.size };
  }

  async #queryAll(consistent: boolean, pk: string, lo?: string, hi?: string): Promise<Record<string, AttributeValue>[]> {
    const out: Record<string, AttributeValue>[] = [];
    let start: Record<string, AttributeValue> | undefined;
    do {
      const page = await awsCall('DynamoDB', 'Query', () =>
        this.#client.send(
          new QueryCommand({
            TableName: this.#table,
            KeyConditionExpression: lo === undefined ? 'pk = :pk' : 'pk = :pk AND sk BETWEEN :lo AND :hi',
            ExpressionAttributeValues: { ':pk': { S: pk }, ...(lo !== undefined ? { ':lo': { S: lo }, ':hi': { S: hi! } } : {}) },
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

  async #scan(prefix: string): Promise<Record<string, AttributeValue>[]> {
    const out: Record<string, AttributeValue>[] = [];
    let start: Record<string, AttributeValue> | undefined;
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

/** One conditional call: undefined when its condition failed, AWS failures mapped as awsCall maps them. */
async function conditional<T>(op: string, call: () => Promise<T>): Promise<T | undefined> {
  try {
    return await call();
  } catch (err) {
    if (err instanceof ConditionalCheckFailedException || errorCode(err) === 'ConditionalCheckFailedException') return undefined;
    throw toPuddleError('DynamoDB', op, err);
  }
}

/**
 * The update that makes `v` a donation item's current version, with the versions tying with it (none: null or
 * only itself). Every write of the item bumps its revision, which the tie path's condition reads.
 */
function itemUpdate(changed: number, v: StoredVersion, ties: readonly StoredVersion[] | null) {
  const set = ['ch = :ch', 'rc = :rc', '#id = :id', 'amt = :amt'];
  const remove: string[] = [];
  const values: Record<string, AttributeValue> = { ':ch': n(changed), ':rc': n(v.received), ':id': { S: v.id }, ':amt': n(v.amount), ':one': n(1) };
  if (v.cell) {
    set.push('#cell = :cell');
    values[':cell'] = { S: JSON.stringify(v.cell) };
  } else remove.push('#cell');
  if (ties && ties.length > 1) {
    set.push('ties = :ties');
    values[':ties'] = { S: JSON.stringify(ties) };
  } else remove.push('ties');
  return {
    UpdateExpression: `SET ${set.join(', ')}${remove.length ? ` REMOVE ${remove.join(', ')}` : ''} ADD rev :one`,
    ExpressionAttributeNames: { '#id': 'id', '#cell': 'cell' },
    ExpressionAttributeValues: values,
  };
}

/** A donation item's current version. */
function storedCurrent(i: Record<string, AttributeValue>): StoredVersion {
  return {
    id: i.id?.S ?? '',
    received: Number(i.rc?.N),
    amount: Number(i.amt?.N ?? 0),
    cell: i.cell?.S === undefined ? null : (JSON.parse(i.cell.S) as CellKey),
  };
}

function toCell(i: Record<string, AttributeValue>): TotalsCell {
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
