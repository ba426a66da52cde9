// The live totals' counter items on DynamoDB (one per campaign, 15-minute box, channel, cta and currency) and
// the one way they change: a donation's move (its contribution added to a box, or taken out of one), applied
// exactly once however often it is tried, by however many Lambdas at once, whatever failed before.
// DynamoDbTotals (dynamodb-totals.ts) records the moves a change of a donation needs on the donation's own item,
// in the same conditional write that makes the change, then applies them here and clears them. A move whose
// Lambda failed stays recorded, and whoever next handles that donation (the batch delivered again, a later
// version) applies it. No transactions: dynalite, the emulator every test runs on, has none.
//
// How a move lands once:
//  - Each move has a token of its own (when it was made, a random nonce and its donation's key). Applying it is
//    one conditional UpdateItem of the counter that ADDs the amount and count and puts the token in the
//    counter's `applied` set, only if the token is not there yet: a repeat (the same move tried again after an
//    answer was lost, or by another Lambda) fails its condition and changes nothing.
//  - A counter takes thousands of moves on the night, so its set is pruned of the tokens whose moves are cleared
//    from their donation items (read to know). A Lambda that saw a move pending before it was cleared (slow, or
//    its call retried) could then apply it again, its token gone. Two marks on the counter stop that:
//    `pruned`, the latest making time of any token pruned, and `gen`, which every prune moves on. An apply is
//    conditional on its token being made after `pruned` (a token pruned has `pruned` at or after its time), which
//    holds for nearly every apply, since a move is applied moments after it is made. When it does not hold (the
//    Lambda was slow, or the move waited for a redelivery), the Lambda reads the counter: the token is there
//    (applied), or it reads the donation item and, the move still pending, applies it on condition that `gen` is
//    still the one just read (the move was not applied and pruned since, as pruning waits for the move to be
//    cleared).
//  - A counter item is created by the first move into it, after its partition is registered: a crash in between
//    leaves a registered partition with no counter (read as nothing), never a counter that no read lists.
//
// Write sharding: one campaign on an appeal night takes thousands of donations a second, and DynamoDB takes about
// 1,000 writes a second into one partition key. So each cell's counter is TOTALS_SHARDS items, in partitions
// `c:<campaign part>#<shard>`, and a donation's moves all go to the shard its key hashes to (shardOf): the move
// taking a donation out of a box lands where the one putting it in did, and a move tried again lands where its
// token is, so the token scheme above holds per shard item unchanged. A move records its shard; one recorded
// before sharding has none and goes to the unsharded item `c:<campaign part>` it was meant for (where its token
// may already be). Readers sum a cell over every partition registered for its campaign, unsharded ones included,
// so a table written before sharding (or with another shard count) reads right with nothing to migrate.
//
// Items (pk, sk):
//   `c:<campaign part>#<shard>`  `<box, 15 digits>|<cellId>`  { channel, campaign, cta, currency, box, amount_minor,
//                                       count, applied?: SS (tokens), pruned?: N (ms), gen?: N (absent: 0) }
//   `c:<campaign part>`          the same, written before sharding (still read; still written by moves recorded then)
//   `campaigns`                  `<campaign part>#<shard>`     { campaign, shard }   one per counter partition
//   `campaigns`                  `<campaign part>`             { campaign }          the unsharded partition
import { createHash, randomBytes } from 'node:crypto';

import { ConditionalCheckFailedException, GetItemCommand, PutItemCommand, UpdateItemCommand, type AttributeValue, type DynamoDBClient } from '@aws-sdk/client-dynamodb';

import { RetriableError } from '../../core/errors.js';
import { cellId, type CellKey } from '../../puddles/live-totals.js';
import { awsCall, errorCode, toPuddleError } from './aws-errors.js';

/** One change of one counter: `amount` and `count` added to `cell`'s counter (negative: taken out). */
export interface CounterMove {
  /** Unique to this move: `<made, ms base 36>.<nonce>:<donation key>` (see tokenMade, tokenDonation). */
  t: string;
  cell: CellKey;
  amount: number;
  count: number;
  /** The counter shard it goes to (shardOf its donation); absent on a move recorded before sharding: unsharded. */
  shard?: number;
}

/** What a donation version counts: its cell, or null when it counts nothing (failed, cancelled). */
export interface Contribution {
  amount: number;
  cell: CellKey | null;
}

/** The tokens a donation's item still lists as pending. */
export type PendingTokens = (donationKey: string) => Promise<ReadonlySet<string>>;

/**
 * Tokens in a counter's set before it is pruned (about 50 bytes each, so a counter stays under 1 KB: 1 WRU a
 * write), and again every few tokens past that: an apply whose answer was lost, or a prune that failed, only
 * puts the prune off by a few moves.
 */
export const PRUNE_AT = 12;
/**
 * Counter items per cell. A counter write is 1 WRU (under 1 KB), about 1.25 writes a donation with prunes, and
 * DynamoDB takes about 1,000 WRU/s per partition key: 16 shards take about 16,000 writes/s into one campaign, four
 * times an appeal night's 3,500 donations/s. Readers pay for it: a campaign's totals are up to 17 Queries (one a
 * partition, run at once) where they were one.
 */
export const TOTALS_SHARDS = 16;
const PRUNE_EVERY = 4;
/** Applies of one move losing to other writers in a row before giving up (each loss means another writer progressed). */
const MAX_ATTEMPTS = 20;

/**
 * A key part as stored: the text itself, or, past `maxBytes` of UTF-8, `#` and its SHA-256 (no text part begins
 * with `#`: campaign and cell parts begin with a length or `-`). DynamoDB refuses a partition key over 2,048 bytes
 * and a sort key over 1,024 with a ValidationException, on every delivery: until 2026-12-03 one donation with a
 * campaign (or campaign and cta) of about 1,000 characters, or a donation_id of 2,047, failed its whole batch's
 * counters on each receive, and the batch went to the dead-letter queue with it.
 */
export const keyPart = (text: string, maxBytes: number): string =>
  Buffer.byteLength(text) <= maxBytes ? text : `#${createHash('sha256').update(text).digest('hex')}`;
/**
 * The most bytes a campaign or cta takes in the counters' JSON (counterText). A donation's item holds its cell as
 * JSON in its own attribute, in each counter move it still owes (one or two, more after a failed write) and in each
 * version tying with it, and DynamoDB refuses an item over 400 KB on every try. A contract string takes 4,096
 * characters, but a character can be 3 bytes of UTF-8 and a control character 6 in JSON (`\u0001`): a cell could
 * be about 49 KB, and eight copies of it (a donation sent again with new ids, or a write that failed twice) failed
 * its batch's counters on every receive until 2026-12-03, the good donations beside it going to the dead-letter
 * queue with it. At 4 KiB a cell stays under 8.5 KB (47 copies in an item), and every printable ASCII text a
 * contract takes is kept as written.
 */
export const COUNTER_TEXT_BYTES = 4096;
const ELLIPSIS = '\u2026#';
const jsonBytes = (text: string): number => Buffer.byteLength(JSON.stringify(text)) - 2;

/**
 * A campaign or cta as the counters keep it: as written when its JSON is at most COUNTER_TEXT_BYTES, else its
 * first characters, `…#` and the first 16 hex digits of its SHA-256, COUNTER_TEXT_BYTES in all, so two long texts
 * with the same beginning stay two campaigns. A cell an item holds from before is read as written.
 */
export function counterText(text: string | null): string | null {
  if (text === null || text.length * 6 <= COUNTER_TEXT_BYTES || jsonBytes(text) <= COUNTER_TEXT_BYTES) return text;
  const hash = createHash('sha256').update(text).digest('hex').slice(0, 16);
  const room = COUNTER_TEXT_BYTES - jsonBytes(ELLIPSIS) - hash.length;
  let head = '';
  let used = 0;
  for (const ch of text) {
    const cost = jsonBytes(ch);
    if (used + cost > room) break;
    head += ch;
    used += cost;
  }
  return `${head}${ELLIPSIS}${hash}`;
}

/** A cell as the counters keep it: its campaign and cta bounded by counterText. */
export const counterCell = <C extends CellKey>(c: C): C => ({ ...c, campaign: counterText(c.campaign), cta: counterText(c.cta) });

/**
 * The bytes past which a campaign part is hashed: its registry sort key (`<part>#<shard>`) must stay within 1,024.
 * A campaign whose counters could be written before hashing had a part of at most 991 bytes (its cell's sort key holds
 * the same part and more), so every key DynamoDB took then is unchanged and nothing needs migrating.
 */
const CAMPAIGN_PART_BYTES = 1000;
/** DynamoDB's limit on a sort key; a cell's is hashed only past it (`<box, 15 digits>|` is 16 bytes). */
const SORT_KEY_BYTES = 1024;
export const campaignPart = (c: string | null): string => (c === null ? '-' : keyPart(`${c.length}:${c}`, CAMPAIGN_PART_BYTES));
export const boxPart = (box: number): string => String(box).padStart(15, '0');
/** A counter partition: a campaign's shard, or (shard undefined) its unsharded partition from before sharding. */
export const cellPk = (campaign: string | null, shard?: number): string => `c:${campaignPart(campaign)}${shard === undefined ? '' : `#${shard}`}`;
/** The registry's sort key of a counter partition; a campaign's all begin with its campaign part (see cells()). */
export const registrySk = (campaign: string | null, shard?: number): string => `${campaignPart(campaign)}${shard === undefined ? '' : `#${shard}`}`;
/** The shard a donation's moves go to: the same for every move of a donation, spread evenly over donations. */
export const shardOf = (donationKey: string, shards: number): number => createHash('sha1').update(donationKey).digest().readUInt32BE(0) % shards;
export const cellSk = (c: CellKey): string => `${boxPart(c.box)}|${keyPart(cellId(c), SORT_KEY_BYTES - 16)}`;
export const CAMPAIGNS_PK = 'campaigns';
export const s = (v: string | null): AttributeValue => (v === null ? { NULL: true } : { S: v });
export const n = (v: number): AttributeValue => ({ N: String(v) });

const counterKey = (m: CounterMove) => ({ pk: { S: cellPk(m.cell.campaign, m.shard) }, sk: { S: cellSk(m.cell) } });
/** When a token was made (ms); the nonce is base64url, so the first `.` and `:` are the separators. */
export const tokenMade = (t: string): number => parseInt(t.slice(0, t.indexOf('.')), 36);
const tokenDonation = (t: string): string => t.slice(t.indexOf(':') + 1);

/** The moves that take a donation's counting from one version's contribution to another's, in counter shard `shard`. */
export function movesBetween(donationKey: string, from: Contribution | null, to: Contribution, shard: number, now: number = Date.now()): CounterMove[] {
  const move = (cell: CellKey, amount: number, count: number): CounterMove => ({
    t: `${now.toString(36)}.${randomBytes(6).toString('base64url')}:${donationKey}`,
    cell,
    amount,
    count,
    shard,
  });
  const oldCell = from?.cell ?? null;
  const oldAmount = from?.amount ?? 0;
  if (oldCell && to.cell && cellId(oldCell) === cellId(to.cell)) return to.amount === oldAmount ? [] : [move(to.cell, to.amount - oldAmount, 0)];
  return [...(oldCell ? [move(oldCell, -oldAmount, -1)] : []), ...(to.cell ? [move(to.cell, to.amount, 1)] : [])];
}

/** One conditional call: undefined when its condition failed, AWS failures mapped as awsCall maps them. */
export async function conditional<T>(op: string, call: () => Promise<T>): Promise<T | undefined> {
  try {
    return await call();
  } catch (err) {
    if (err instanceof ConditionalCheckFailedException || errorCode(err) === 'ConditionalCheckFailedException') return undefined;
    throw toPuddleError('DynamoDB', op, err);
  }
}

/** How an apply is made sure not to repeat a move (see the header). */
type Guard = { kind: 'new' } | { kind: 'made' } | { kind: 'gen'; gen: number };

export class TotalsCounters {
  readonly #client: DynamoDBClient;
  readonly #table: string;
  readonly #pending: PendingTokens;
  /** Counters this instance is pruning: its other workers leave them be meanwhile. */
  readonly #pruning = new Set<string>();

  constructor(client: DynamoDBClient, table: string, pending: PendingTokens) {
    this.#client = client;
    this.#table = table;
    this.#pending = pending;
  }

  /** Apply one move unless it already was; `donationKey` names the donation whose item records it. */
  async apply(m: CounterMove, donationKey: string): Promise<void> {
    let guard: Guard = { kind: 'made' };
    for (let attempt = 0; attempt < MAX_ATTEMPTS; attempt++) {
      // First into a box: register its partition before the counter exists, so every counter is listed.
      if (guard.kind === 'new') await this.registerCampaign(m.cell.campaign, m.shard);
      const out = await conditional('UpdateItem', () =>
        this.#client.send(new UpdateItemCommand({ TableName: this.#table, Key: counterKey(m), ...applyUpdate(m, guard) })),
      );
      if (out?.Attributes) {
        const applied = out.Attributes.applied?.SS ?? [];
        if (applied.length >= PRUNE_AT && (applied.length - PRUNE_AT) % PRUNE_EVERY === 0) await this.#prune(m, out.Attributes);
        return;
      }
      // Lost: no counter yet, or one created meanwhile, or the move is there already, or its token is older
      // than the latest pruned, or (under `gen`) a prune came between.
      const item = await this.#read(m);
      if (!item) {
        guard = { kind: 'new' };
        continue;
      }
      if (item.applied?.SS?.includes(m.t)) return;
      // Not in the set: never applied, or applied and pruned once its donation item had cleared it. Only a move
      // still pending after this read goes on, under the generation just read.
      if (!(await this.#pending(donationKey)).has(m.t)) return;
      guard = { kind: 'gen', gen: Number(item.gen?.N ?? 0) };
    }
    throw new RetriableError(`DynamoDB totals: a counter changed under ${MAX_ATTEMPTS} applies in a row`);
  }

  /**
   * One item per counter partition (a campaign's shard); written when a counter is created, so rarely (no hot
   * item). `shard` undefined: the campaign's unsharded partition (moves recorded before sharding).
   */
  async registerCampaign(campaign: string | null, shard?: number): Promise<void> {
    const item: Record<string, AttributeValue> = { pk: { S: CAMPAIGNS_PK }, sk: { S: registrySk(campaign, shard) }, campaign: s(campaign) };
    if (shard !== undefined) item.shard = n(shard);
    await awsCall('DynamoDB', 'PutItem', () => this.#client.send(new PutItemCommand({ TableName: this.#table, Item: item })));
  }

  /**
   * Drop the tokens whose moves their donation items no longer list (those still pending stay: a Lambda may
   * still try them), raise `pruned` to the latest of their times and move `gen` on. Conditional on the
   * generation seen: of two prunes, one wins.
   */
  async #prune(m: CounterMove, counter: Record<string, AttributeValue>): Promise<void> {
    const key = `${cellPk(m.cell.campaign, m.shard)}\n${cellSk(m.cell)}`;
    if (this.#pruning.has(key)) return;
    this.#pruning.add(key);
    try {
      const byDonation = new Map<string, string[]>();
      for (const t of counter.applied?.SS ?? []) byDonation.set(tokenDonation(t), [...(byDonation.get(tokenDonation(t)) ?? []), t]);
      const cleared: string[] = [];
      await Promise.all(
        [...byDonation].map(async ([donation, tokens]) => {
          const pending = await this.#pending(donation);
          cleared.push(...tokens.filter((t) => !pending.has(t)));
        }),
      );
      if (cleared.length === 0) return;
      const gen = Number(counter.gen?.N ?? 0);
      const pruned = Math.max(Number(counter.pruned?.N ?? 0), ...cleared.map(tokenMade));
      await conditional('UpdateItem', () =>
        this.#client.send(
          new UpdateItemCommand({
            TableName: this.#table,
            Key: counterKey(m),
            UpdateExpression: 'SET pruned = :pruned DELETE applied :cleared ADD gen :one',
            ConditionExpression: gen === 0 ? 'attribute_not_exists(gen)' : 'gen = :gen',
            ExpressionAttributeValues: { ':pruned': n(pruned), ':cleared': { SS: cleared }, ':one': n(1), ...(gen === 0 ? {} : { ':gen': n(gen) }) },
          }),
        ),
      );
    } finally {
      this.#pruning.delete(key);
    }
  }

  async #read(m: CounterMove): Promise<Record<string, AttributeValue> | undefined> {
    const out = await awsCall('DynamoDB', 'GetItem', () =>
      this.#client.send(new GetItemCommand({ TableName: this.#table, Key: counterKey(m), ConsistentRead: true })),
    );
    return out.Item;
  }
}

/** The counter update of one move under its guard. */
function applyUpdate(m: CounterMove, guard: Guard) {
  const c = m.cell;
  const values: Record<string, AttributeValue> = {
    ':channel': s(c.channel),
    ':campaign': s(c.campaign),
    ':cta': s(c.cta),
    ':currency': { S: c.currency },
    ':box': n(c.box),
    ':a': n(m.amount),
    ':n': n(m.count),
    ':ts': { SS: [m.t] },
  };
  let condition = 'attribute_not_exists(box)';
  if (guard.kind !== 'new') {
    values[':t'] = { S: m.t };
    if (guard.kind === 'made') {
      values[':made'] = n(tokenMade(m.t));
      condition = 'attribute_exists(box) AND NOT contains(applied, :t) AND (attribute_not_exists(pruned) OR pruned < :made)';
    } else {
      if (guard.gen !== 0) values[':gen'] = n(guard.gen);
      condition = `attribute_exists(box) AND NOT contains(applied, :t) AND ${guard.gen === 0 ? 'attribute_not_exists(gen)' : 'gen = :gen'}`;
    }
  }
  return {
    UpdateExpression: 'SET channel = :channel, campaign = :campaign, cta = :cta, currency = :currency, box = :box ADD amount_minor :a, #count :n, applied :ts',
    ConditionExpression: condition,
    ExpressionAttributeNames: { '#count': 'count' },
    ExpressionAttributeValues: values,
    ReturnValues: 'ALL_NEW' as const,
  };
}
