import { DeleteItemCommand } from '@aws-sdk/client-dynamodb';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import type { Envelope } from '../../core/envelope.js';
import { ensureDynamoTable } from '../../infra/aws/dynamo-tables.js';
import { DynamoDbTotals } from '../../infra/aws/dynamodb-totals.js';
import { makeConsumerHandler } from '../../infra/aws/handlers/consumer.js';
import type { AwsRuntime } from '../../infra/aws/runtime.js';
import { TOTALS_TABLE } from '../../infra/aws/shape.js';
import { rebuildCounters } from '../../infra/aws/totals-rebuild.js';
import { landThroughConsumer, startShapeWithEmbeddedCatalog, type TestShape } from '../support/aws-shape.js';
import { donationEnvelope } from '../support/donation-envelope.js';
import { lambdaContext, sqsEvent } from '../support/lambda-events.js';

// The DynamoDB counters' `as_of`, as the embedded aggregate keeps it (puddles/live-totals.ts): the newest first
// arrival of a version the totals took in. One item, moved only forward by a conditional write, so no cold start
// or second Lambda puts it back; but a re-sent event moved it, and a backfill of an emptied table (from the
// current versions alone) then showed it earlier. Real consumer handler (fauxqs, dynalite), embedded engine.
let shape: TestShape;
let rt: AwsRuntime;
let stop: () => Promise<void>;

beforeAll(async () => {
  ({ shape, rt, stop } = await startShapeWithEmbeddedCatalog());
});
afterAll(() => stop());

async function freshTable(name: string): Promise<{ totals: DynamoDbTotals; table: string }> {
  const table = `${shape.env.PUDDLE_TOTALS_TABLE}-${name}`;
  await ensureDynamoTable(shape.clients.dynamodb, TOTALS_TABLE, table);
  return { totals: new DynamoDbTotals({ client: shape.clients.dynamodb, table }), table };
}

const arriving = (env: Envelope, received: string): Envelope => ({ ...env, received_at: received });

describe('DynamoDB live totals: as_of', () => {
  it('moves only by versions taken, never back, and a backfill of an emptied table starts where the counters were', async () => {
    const { totals: kept } = await freshTable('as-of');
    const land = (envs: Envelope[]) => landThroughConsumer(shape, rt, envs, { totals: () => kept });
    const correction = () => donationEnvelope('a1', 800, { updated_at: '2026-11-27T20:30:00Z' });

    // A version, then its correction, which a slower request delivered after it though it arrived first.
    await land([arriving(donationEnvelope('a1', 500, { updated_at: '2026-11-27T20:20:00Z' }), '2026-11-27T21:05:00.000Z')]);
    await land([arriving(correction(), '2026-11-27T21:00:00.000Z')]);
    expect(await kept.asOf()).toBe('2026-11-27T21:05:00.000Z');
    // The correction sent again next morning (same envelope): a re-send, not a version taken in.
    await land([arriving(correction(), '2026-11-28T09:00:00.000Z')]);
    expect(await kept.asOf()).toBe('2026-11-27T21:05:00.000Z');
    expect(await kept.cells()).toEqual([expect.objectContaining({ amount_minor: 800, count: 1 })]);

    // Emptied by hand and backfilled: the current version alone arrived at 21:00, the history's newest at 21:05.
    const { totals: backfilled } = await freshTable('as-of-backfill');
    await rebuildCounters(backfilled, rt.query);
    expect(await backfilled.asOf()).toBe('2026-11-27T21:05:00.000Z');
    expect(await backfilled.cells()).toEqual(await kept.cells());

    // An older version arriving late loses and leaves as_of; the history then holds its arrival, so a backfill
    // moves as_of forward to it (never back), as the embedded hub's rebuild on start does.
    await land([arriving(donationEnvelope('a1', 100, { updated_at: '2026-11-27T20:10:00Z' }), '2026-11-28T09:30:00.000Z')]);
    expect(await kept.asOf()).toBe('2026-11-27T21:05:00.000Z');
    await rebuildCounters(backfilled, rt.query);
    expect(await backfilled.asOf()).toBe('2026-11-28T09:30:00.000Z');
  });

  // Until 2026-12-02 a donation dated in the future (a mistyped year), held out of every read, still moved as_of
  // to its arrival: a poller saw new data that never showed. It enters as_of when it enters the total, as embedded.
  it('is moved by a donation dated ahead only once its day has come, to that day\'s start, and a backfill agrees', async () => {
    const { totals: kept } = await freshTable('as-of-ahead');
    const land = (envs: Envelope[]) => landThroughConsumer(shape, rt, envs, { totals: () => kept });
    await land([arriving(donationEnvelope('f1', 500), '2026-11-29T21:00:00.000Z')]);
    await land([arriving(donationEnvelope('f2', 900, { occurred_at: '2126-11-27T20:00:00Z' }), '2026-11-29T21:10:00.000Z')]);
    await land([arriving(donationEnvelope('f3', 700, { occurred_at: '2226-01-01T10:00:00Z' }), '2026-11-29T21:20:00.000Z')]);
    expect(await kept.asOf()).toBe('2026-11-29T21:00:00.000Z');
    const day = Date.parse('2126-11-27T00:00:00Z');
    expect(await kept.asOf(day - 1)).toBe('2026-11-29T21:00:00.000Z');
    expect(await kept.asOf(day)).toBe('2126-11-27T00:00:00.000Z');
    expect((await kept.cells({}, { now: day })).reduce((a, c) => a + c.amount_minor, 0)).toBe(1400);

    // A lake shared with the other tests, whose arrivals are all before these.
    const { totals: backfilled } = await freshTable('as-of-ahead-backfill');
    await rebuildCounters(backfilled, rt.query);
    for (const at of [Date.now(), day, Date.parse('2226-01-01T00:00:00Z')]) expect(await backfilled.asOf(at)).toBe(await kept.asOf(at));
    expect(await backfilled.asOf(Date.parse('2226-01-01T00:00:00Z'))).toBe('2226-01-01T00:00:00.000Z');
  });

  it('is moved by a batch delivered again after a Lambda took its versions and died before moving it', async () => {
    const { totals, table } = await freshTable('as-of-redelivered');
    const { messages, arn } = await landThroughConsumer(shape, rt, [arriving(donationEnvelope('b1', 300), '2026-11-27T22:00:00.000Z')], { totals: () => totals });
    // As the dead Lambda left it: the donation item written, as_of not.
    await shape.clients.dynamodb.send(new DeleteItemCommand({ TableName: table, Key: { pk: { S: 'as_of' }, sk: { S: '-' } } }));
    expect(await totals.asOf()).toBeNull();
    const again = await makeConsumerHandler(async () => rt, { totals: () => totals })(sqsEvent(messages, arn), lambdaContext());
    expect(again.batchItemFailures).toEqual([]);
    expect(await totals.asOf()).toBe('2026-11-27T22:00:00.000Z');
  });
});
