import { GetItemCommand, PutItemCommand } from '@aws-sdk/client-dynamodb';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';

import type { Envelope } from '../../core/envelope.js';
import type { DynamoDbTotals } from '../../infra/aws/dynamodb-totals.js';
import { makeConsumerHandler } from '../../infra/aws/handlers/consumer.js';
import { makeTotalsHandler } from '../../infra/aws/handlers/totals.js';
import { totalsTable } from '../../infra/aws/handlers/totals-table.js';
import { boxPart, campaignPart, cellSk, COUNTER_TEXT_BYTES, counterCell, counterText } from '../../infra/aws/dynamodb-totals-counters.js';
import { makeTotalsDriftHandler } from '../../infra/aws/handlers/totals-drift.js';
import { createAwsRuntime, type AwsRuntime } from '../../infra/aws/runtime.js';
import { DuckDbQueryEngine } from '../../infra/local/duckdb-query-engine.js';
import { SqliteCatalog } from '../../infra/local/sqlite-catalog.js';
import { LiveTotals, cellId, type CellKey, type TotalsCell } from '../../puddles/live-totals.js';
import { landThroughConsumer, startTestShape, type TestShape } from '../support/aws-shape.js';
import { httpApiEvent, lambdaContext, sqsEvent } from '../support/lambda-events.js';
import { donationEnvelope } from '../support/donation-envelope.js';
import { knockOffCounter } from '../support/totals-counters.js';

// The counters are kept by the real consumer handler (fauxqs queue, dynalite table, Parquet read back by the
// embedded DuckDB engine), and compared with the SQL view totals_by_box over the same landed rows and with
// the embedded hub's in-memory aggregate fed the same rows.
const READ_KEY = 'read-key-0123456789abcdef';
const API_KEY = 'producer-key-0123456789abcdef';
const TV_KEY = 'tv-key-0123456789abcdef';
let shape: TestShape;
let rt: AwsRuntime;
let catalog: SqliteCatalog;
let totals: DynamoDbTotals;
const live = new LiveTotals();

beforeAll(async () => {
  shape = await startTestShape();
  vi.stubEnv('PUDDLE_API_KEYS', API_KEY);
  vi.stubEnv('PUDDLE_READ_KEYS', READ_KEY);
  vi.stubEnv('PUDDLE_TV_KEYS', TV_KEY);
  catalog = new SqliteCatalog(':memory:');
  rt = await createAwsRuntime({ catalog: ({ store }) => ({ catalog, query: new DuckDbQueryEngine({ catalog, store }) }) });
  totals = totalsTable(rt);
});

afterAll(async () => {
  await rt.close();
  catalog.close();
  await shape.stop();
});

const donation = donationEnvelope;

const consumer = () => makeConsumerHandler(async () => rt, { onLanded: (l) => live.apply(l) });

/** Publish envelopes and land them through the consumer handler, one SQS batch each; returns the batches. */
const land = (envs: Envelope[]) => landThroughConsumer(shape, rt, envs, { onLanded: (l) => live.apply(l) });

const key = (c: Omit<TotalsCell, 'amount_minor' | 'count'>) => cellId(c);
const sorted = (cells: TotalsCell[]) => cells.map((c) => [key(c), c.amount_minor, c.count] as const).sort();

async function sqlCells(): Promise<TotalsCell[]> {
  const rows = await rt.query.query(
    'SELECT epoch_ms(box_start) AS box, channel, campaign, cta, currency, CAST(pledges AS BIGINT) AS count, CAST(amount_minor AS BIGINT) AS amount_minor FROM totals_by_box',
  );
  return rows.map((r) => ({
    box: Number(r.box),
    channel: r.channel as string | null,
    campaign: r.campaign as string | null,
    cta: r.cta as string | null,
    currency: String(r.currency),
    count: Number(r.count),
    amount_minor: Number(r.amount_minor),
  }));
}

async function donationItem(key: string) {
  const out = await shape.clients.dynamodb.send(new GetItemCommand({ TableName: shape.env.PUDDLE_TOTALS_TABLE, Key: { pk: { S: `d:${key}` }, sk: { S: 'd' } }, ConsistentRead: true }));
  return out.Item!;
}

async function getTotals(query: string, key = READ_KEY) {
  const res = await makeTotalsHandler(async () => rt)(httpApiEvent({ method: 'GET', path: '/v1/totals', query, headers: { authorization: `Bearer ${key}` } }));
  return { status: res.statusCode, body: JSON.parse(res.body ?? 'null') as Record<string, unknown>, headers: res.headers };
}

describe('live totals on DynamoDB (kept by the consumer handler, served by the totals handler)', () => {
  it('supersedes by _changed_at, ignores a late older version, drops cancelled, failed and unfinished forms, and never counts a redelivery twice', async () => {
    const first = await land([
      donation('d1', 500),
      donation('d2', 1000, { channel: 'online', updated_at: '2026-11-27T20:20:00Z' }),
      donation('d3', 700, { status: 'failed' }),
      donation('d4', 900, { currency: 'EUR', occurred_at: '2026-11-27T21:40:00Z' }),
      donation('d5', 300, { campaign: 'other', cta: undefined }),
      // Web forms started or left unfinished: the journey calls them clicked, so they are no money raised.
      donation('d6', 2500, { channel: 'online', status: 'started' }),
      donation('d7', 2500, { channel: 'online', status: 'abandoned' }),
    ]);
    expect(sorted(await totals.cells())).toEqual(sorted(live.cells()));

    // d1 corrected upward and moved to another box; d2's older version arrives late; d4 cancelled.
    await land([
      donation('d1', 800, { updated_at: '2026-11-27T20:31:00Z', occurred_at: '2026-11-27T20:31:00Z' }),
      donation('d2', 99_999, { channel: 'online', updated_at: '2026-11-27T20:16:00Z' }),
      donation('d4', 900, { currency: 'EUR', occurred_at: '2026-11-27T21:40:00Z', updated_at: '2026-11-27T21:50:00Z', status: 'cancelled' }),
    ]);
    const want = sorted(await sqlCells());
    expect(sorted(await totals.cells())).toEqual(want);
    expect(sorted(live.cells())).toEqual(want);
    const appeal = await totals.cells({ campaign: 'appeal' });
    expect(appeal.reduce((a, c) => a + c.amount_minor, 0)).toBe(800 + 1000);
    expect(appeal.find((c) => c.channel === 'online')).toMatchObject({ amount_minor: 1000, count: 1 });

    // The first batch redelivered (Lambda died before SQS deleted it): nothing moves, though d1's first version is in it.
    const again = await consumer()(sqsEvent(first.messages, first.arn), lambdaContext());
    expect(again.batchItemFailures).toEqual([]);
    expect(sorted(await totals.cells())).toEqual(want);
    expect(want.some(([k]) => k.includes('3:EUR'))).toBe(false);
  });

  it('equals totals_by_box over many versions landed in shuffled batches with redeliveries', async () => {
    const envs: Envelope[] = [];
    for (let d = 0; d < 60; d++) {
      for (let v = 0; v < 1 + (d % 3); v++) {
        envs.push(
          donation(`m${d}`, 100 * (1 + ((d * 7 + v * 3) % 40)), {
            channel: ['sms', 'online', 'ivr'][d % 3],
            cta: `cta${d % 4}`,
            campaign: d % 5 === 0 ? 'spring' : 'appeal',
            currency: d % 9 === 0 ? 'EUR' : 'GBP',
            occurred_at: new Date(Date.UTC(2026, 10, 27, 19 + (d % 3), (d * 11) % 60)).toISOString(),
            updated_at: new Date(Date.UTC(2026, 10, 27, 22, d % 60, v)).toISOString(),
            ...((d + v) % 7 === 0 ? { status: 'failed' } : (d + v) % 11 === 0 ? { status: 'cancelled' } : (d + v) % 13 === 0 ? { status: 'abandoned' } : {}),
          }),
        );
      }
    }
    // Later versions before earlier ones, in three batches; the middle one twice.
    const shuffled = [...envs].reverse();
    await land(shuffled.slice(0, 40));
    const mid = await land(shuffled.slice(40, 80));
    await land(shuffled.slice(80));
    expect((await consumer()(sqsEvent(mid.messages, mid.arn), lambdaContext())).batchItemFailures).toEqual([]);
    const want = sorted(await sqlCells());
    expect(sorted(await totals.cells())).toEqual(want);
    expect(sorted(live.cells())).toEqual(want);
  });

  it('serves GET /v1/totals with the embedded document, read and TV keys only, from the counters', async () => {
    for (const query of ['', 'by=cta', 'campaign=appeal&by=channel', 'campaign=spring&by=campaign&box=15m', 'from=2026-11-27T20:00:00Z&to=2026-11-27T21:00:00Z']) {
      const res = await getTotals(query);
      expect(res.status).toBe(200);
      expect(res.headers?.['cache-control']).toBe('no-store');
      const params = Object.fromEntries(new URLSearchParams(query));
      const q = {
        by: (params.by ?? 'channel') as 'channel',
        ...(params.campaign ? { campaign: params.campaign } : {}),
        ...(params.from ? { from: Date.parse(params.from) } : {}),
        ...(params.to ? { to: Date.parse(params.to) } : {}),
      };
      expect(res.body).toEqual(JSON.parse(JSON.stringify(live.document(q))));
    }
    const range = await getTotals('from=2026-11-27T20:00:00Z&to=2026-11-27T20:15:00Z');
    expect((range.body.boxes as { start: string }[]).map((b) => b.start)).toEqual(['2026-11-27T20:00:00.000Z']);
    expect((await getTotals('by=donor')).status).toBe(400);
    // API Gateway's raw query string keeps a repeated parameter: refused as on the hub, not answered for the first.
    expect((await getTotals('campaign=appeal&campaign=spring')).body).toEqual({ error: { code: 'invalid_query', message: 'campaign is given 2 times: give it once' } });
    // The broadcaster's key (PUDDLE_TV_KEYS in the secret) reads the totals as a read key does.
    const tv = await getTotals('by=cta', TV_KEY);
    expect(tv.status).toBe(200);
    expect(tv.body).toEqual((await getTotals('by=cta')).body);
    expect((await getTotals('', API_KEY)).status).toBe(403);
    expect((await getTotals('', 'nope-0123456789abcdefgh')).status).toBe(401);
  });

  it('repair recomputes the counters from the per-donation items after a drift', async () => {
    const want = sorted(await totals.cells());
    const [victim] = await totals.cells({ campaign: 'appeal' });
    // What a crash between winning a donation's version and moving its box would leave: a box off by one.
    await knockOffCounter(shape.clients.dynamodb, shape.env.PUDDLE_TOTALS_TABLE!, victim!, 100);
    expect(sorted(await totals.cells())).not.toEqual(want);
    const r = await totals.repair();
    expect(r.donations).toBe(67);
    expect(sorted(await totals.cells())).toEqual(want);
    expect(sorted(await totals.cells())).toEqual(sorted(await sqlCells()));
  });

  it('counts a donation whose campaign, cta or donation_id is too long for a DynamoDB key as written, beside the rest of its batch', async () => {
    // DynamoDB refuses a sort key over 1,024 bytes and a partition key over 2,048 on every try: until 2026-12-03
    // these failed their batch's counters on each receive, and the batch went to the dead-letter queue whole.
    const long = 'long-appeal-'.repeat(90); // 1,080 characters: the counter's sort key alone would be over 1,024 bytes
    const batch = [
      donation('k1', 1100, { campaign: 'keys' }),
      donation('k2', 1200, { campaign: long }),
      donation('k3', 1300, { campaign: 'keys', cta: 'c'.repeat(1100) }),
      donation(`k4-${'x'.repeat(2100)}`, 1400, { campaign: 'keys' }),
      donation('k5', 1500, { campaign: 'keys' }),
    ];
    const first = await land(batch);
    const want = sorted(await sqlCells());
    expect(sorted(await totals.cells({}, { consistent: true }))).toEqual(want);
    expect(await totals.cells({ campaign: long })).toEqual([expect.objectContaining({ campaign: long, amount_minor: 1200, count: 1 })]);
    expect((await getTotals('campaign=keys')).body.total).toEqual({ amount_minor: 1100 + 1300 + 1400 + 1500, count: 4 });
    // Delivered again, and a newer version of the long-keyed donation: still counted once, at its new amount.
    expect((await consumer()(sqsEvent(first.messages, first.arn), lambdaContext())).batchItemFailures).toEqual([]);
    await land([donation(`k4-${'x'.repeat(2100)}`, 1450, { campaign: 'keys', updated_at: '2026-11-27T23:00:00Z' })]);
    expect((await getTotals('campaign=keys')).body.total).toEqual({ amount_minor: 1100 + 1300 + 1450 + 1500, count: 4 });
    expect(sorted(await totals.cells({}, { consistent: true }))).toEqual(sorted(await sqlCells()));
    // repair finds the same counters from the donation items.
    await totals.repair();
    expect(sorted(await totals.cells({}, { consistent: true }))).toEqual(sorted(await sqlCells()));
  });

  it('counts a donation whose campaign and cta are the longest a contract takes, with many versions tying, beside the rest of its batch, and the drift check agrees', async () => {
    // A contract string takes 4,096 characters, and a control character is 6 bytes in the item's JSON, so this cell
    // is about 49 KB (a euro sign is 3 bytes of UTF-8 to DynamoDB, but dynalite counts a string in UTF-16 units). A donation's item held it in its own attribute and again in every
    // version tying with it: eleven versions of one donation with the same _changed_at (a producer correcting an
    // amount with no updated_at, say) passed
    // DynamoDB's 400 KB item limit and, until 2026-12-03, failed the whole batch's counters on every receive.
    const campaign = '\u0001'.repeat(4096);
    const cta = '\u0002'.repeat(4096);
    const batch = [
      donation('w0', 100, { campaign: 'worst' }),
      ...Array.from({ length: 12 }, (_, i) => donation('w1', 200 + i, { campaign, cta })),
      donation('w2', 300, { campaign: 'worst', cta }),
      donation('w3', 400, { campaign: 'worst' }),
    ];
    const first = await land(batch);
    expect((await consumer()(sqsEvent(first.messages, first.arn), lambdaContext())).batchItemFailures).toEqual([]);
    const item = await donationItem('w1');
    expect(JSON.parse(item.ties!.S!)).toHaveLength(12);
    const kept = counterText(campaign)!;
    expect(Buffer.byteLength(JSON.stringify(kept)) - 2).toBeLessThanOrEqual(COUNTER_TEXT_BYTES);
    expect(kept.slice(0, -18)).toBe('\u0001'.repeat(kept.length - 18));
    expect(kept.slice(-18)).toMatch(/^\u2026#[0-9a-f]{16}$/);
    expect(Buffer.byteLength(counterText('\u20ac'.repeat(4096))!)).toBeLessThanOrEqual(COUNTER_TEXT_BYTES);
    // A printable ASCII text the contract takes is kept as written.
    expect(counterText('a'.repeat(4096))).toBe('a'.repeat(4096));
    // The counters hold what the view holds, the long texts as counterCell keeps them.
    const sql = await sqlCells();
    expect(sorted(await totals.cells({}, { consistent: true }))).toEqual(sorted(sql.map(counterCell)));
    expect((await getTotals('campaign=worst')).body.total).toEqual({ amount_minor: 100 + 300 + 400, count: 3 });
    expect(await totals.cells({ campaign })).toEqual([expect.objectContaining({ campaign: kept, cta: counterText(cta), count: 1 })]);
    expect(await makeTotalsDriftHandler(async () => rt)()).toMatchObject({ ok: true, differing: 0 });
    await totals.repair();
    expect(sorted(await totals.cells({}, { consistent: true }))).toEqual(sorted(sql.map(counterCell)));
  });

  it('moves a donation whose item holds a long cell from before out of the counter it went into', async () => {
    // A deployed table may hold a cell written as it was, whatever its length: read as written, a newer version
    // takes its donation out of that counter and into the bounded one.
    const long = '\u20ac'.repeat(2000); // 6,000 bytes
    await land([donation('old1', 700, { campaign: long })]);
    const box = Date.UTC(2026, 10, 27, 20, 15);
    const written: CellKey = { channel: 'sms', campaign: long, cta: 'tv', currency: 'GBP', box };
    await shape.clients.dynamodb.send(
      new PutItemCommand({ TableName: shape.env.PUDDLE_TOTALS_TABLE, Item: { ...(await donationItem('old1')), cell: { S: JSON.stringify(written) } } }),
    );
    await totals.repair();
    const ofLong = async () => (await totals.cells({}, { consistent: true })).filter((c) => c.campaign === long || c.campaign === counterText(long));
    expect(await ofLong()).toEqual([expect.objectContaining({ campaign: long, amount_minor: 700, count: 1 })]);
    await land([donation('old1', 900, { campaign: long, updated_at: '2026-11-27T23:00:00Z' })]);
    expect(await ofLong()).toEqual([expect.objectContaining({ campaign: counterText(long), amount_minor: 900, count: 1 })]);
  });

  it('keeps every key DynamoDB took before as it was: only keys past its limits are hashed', () => {
    const cell = (campaign: string, cta = 'tv') => ({ channel: 'sms', campaign, cta, currency: 'GBP', box: Date.UTC(2026, 10, 27, 20, 15) });
    // The longest campaign whose cell's sort key fits in 1,024 bytes: written as it is, as before.
    const fits = cell('f'.repeat(977));
    expect(Buffer.byteLength(`${boxPart(fits.box)}|${cellId(fits)}`)).toBe(1024);
    expect(cellSk(fits)).toBe(`${boxPart(fits.box)}|${cellId(fits)}`);
    expect(campaignPart(fits.campaign)).toBe(`977:${fits.campaign}`);
    // One byte more: hashed.
    expect(cellSk(cell('f'.repeat(978)))).toMatch(/^\d{15}\|#[0-9a-f]{64}$/);
    expect(campaignPart('f'.repeat(996))).toBe(`996:${'f'.repeat(996)}`);
    expect(campaignPart('f'.repeat(997))).toMatch(/^#[0-9a-f]{64}$/);
  });
});
