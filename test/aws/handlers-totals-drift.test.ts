import { EventBridgeClient, PutEventsCommand, type PutEventsRequestEntry } from '@aws-sdk/client-eventbridge';
import { mockClient } from 'aws-sdk-client-mock';
import { afterAll, beforeAll, beforeEach, describe, expect, it, vi } from 'vitest';

import type { DynamoDbTotals } from '../../infra/aws/dynamodb-totals.js';
import { EventBridgeOpsEvents } from '../../infra/aws/eventbridge-events.js';
import { makeTotalsDriftHandler } from '../../infra/aws/handlers/totals-drift.js';
import { totalsTable } from '../../infra/aws/handlers/totals-table.js';
import type { AwsRuntime } from '../../infra/aws/runtime.js';
import type { TotalsCell } from '../../puddles/live-totals.js';
import { landThroughConsumer, startShapeWithEmbeddedCatalog, type TestShape } from '../support/aws-shape.js';
import { donationEnvelope } from '../support/donation-envelope.js';
import { knockOffCounter } from '../support/totals-counters.js';

// The scheduled drift check on the AWS shape: counters kept by the real consumer handler in dynalite, the SQL view
// totals_by_box run by the embedded engine standing in for Athena over the Parquet the consumer wrote to S3
// (fauxqs), and the ops events sent through the EventBridge adapter to a mocked client (no emulator).
const eb = mockClient(EventBridgeClient);
let shape: TestShape;
let rt: AwsRuntime;
let stop: () => Promise<void>;
let totals: DynamoDbTotals;

beforeAll(async () => {
  ({ shape, rt, stop } = await startShapeWithEmbeddedCatalog({
    events: ({ clients }) => new EventBridgeOpsEvents({ client: clients.eventbridge, busName: 'puddle-ops', sleep: async () => {} }),
  }));
  totals = totalsTable(rt);
});
afterAll(async () => {
  eb.restore();
  await stop();
});
beforeEach(() => {
  eb.reset();
  eb.on(PutEventsCommand).callsFake((input: { Entries: PutEventsRequestEntry[] }) => ({ FailedEntryCount: 0, Entries: input.Entries.map((_, i) => ({ EventId: `e-${i}` })) }));
});

const donation = donationEnvelope;

const check = (runtime: AwsRuntime = rt) => makeTotalsDriftHandler(async () => runtime)();
const sentEvents = () => eb.commandCalls(PutEventsCommand).flatMap((c) => c.args[0].input.Entries ?? []);
const snapshot = async () => (await totals.cells()).map((c) => JSON.stringify(c)).sort();

/** What a consumer dying between winning a donation's item and moving its box leaves: one box off. */
const knockOff = (cell: TotalsCell, amount: number) => knockOffCounter(shape.clients.dynamodb, shape.env.PUDDLE_TOTALS_TABLE!, cell, amount);

describe('totals drift check (scheduled function)', () => {
  it('finds the counters equal to totals_by_box after landing, and sends nothing', async () => {
    await landThroughConsumer(shape, rt, [
      donation('d1', 500),
      donation('d2', 1200, { channel: 'online', occurred_at: '2026-11-27T20:40:00Z' }),
      donation('d3', 700, { status: 'failed' }),
      donation('d4', 900, { currency: 'EUR', occurred_at: '2026-11-27T21:40:00Z' }),
    ]);
    await landThroughConsumer(shape, rt, [donation('d1', 800, { updated_at: '2026-11-27T20:31:00Z' })]);
    expect(await check()).toEqual({ ok: true, inconclusive: false, boxes: 3, skipped: 0, differing: 0 });
    expect(sentEvents()).toEqual([]);
  });

  it('reports a counter that drifted to the ops bus and the log, and leaves the counters as they are', async () => {
    const [sms] = (await totals.cells({ campaign: 'appeal' })).filter((c) => c.channel === 'sms');
    await knockOff(sms!, 800);
    const before = await snapshot();
    const lines: string[] = [];
    const stderr = vi.spyOn(process.stderr, 'write').mockImplementation((chunk) => {
      lines.push(String(chunk));
      return true;
    });
    let summary;
    try {
      summary = await check();
    } finally {
      stderr.mockRestore();
    }
    expect(summary).toEqual({ ok: false, inconclusive: false, boxes: 3, skipped: 0, differing: 1 });
    const first = { box_start: '2026-11-27T20:15:00.000Z', channel: 'sms', campaign: 'appeal', cta: 'tv', currency: 'GBP', live: { amount_minor: 0, count: 0 }, sql: { amount_minor: 800, count: 1 } };
    expect(sentEvents()).toEqual([
      { EventBusName: 'puddle-ops', Source: 'puddle', DetailType: 'totals.drift', Detail: JSON.stringify({ against: 'totals_by_box', boxes_differing: 1, first }) },
    ]);
    const warned = lines.map((l) => JSON.parse(l) as Record<string, unknown>).find((l) => l.level === 'warn');
    expect(warned).toMatchObject({ msg: 'totals drift check: counters differ from the SQL view', differing: 1, differences: [first] });
    // Never repaired by the check: the counters still say what they said.
    expect(await snapshot()).toEqual(before);
    await totals.repair();
    expect(await check()).toMatchObject({ ok: true, differing: 0 });
  });

  it('leaves out a box the consumers moved while the SQL ran, instead of raising a false alarm', async () => {
    const at = '2026-11-27T22:05:00Z';
    // A consumer landing during the check: its counters move after the first read, its file is not in the SQL's lake.
    const racing: AwsRuntime = {
      ...rt,
      query: {
        query: async (sql) => {
          const rows = await rt.query.query(sql);
          await totals.applyRows([{ donation_id: 'mid-check', occurred_at: at, channel: 'ivr', amount_minor: 5, currency: 'GBP', campaign: 'appeal', cta: 'tv', status: null, _id: 'm', _changed_at: at, _received_at: at }]);
          return rows;
        },
        queryWithColumns: (sql) => rt.query.queryWithColumns(sql),
        close: async () => undefined,
      },
    };
    expect(await check(racing)).toEqual({ ok: true, inconclusive: false, boxes: 3, skipped: 1, differing: 0 });
    expect(sentEvents()).toEqual([]);
    // The next check, with nothing moving, sees the box the lake never got.
    expect(await check()).toMatchObject({ ok: false, skipped: 0, differing: 1 });
    expect(sentEvents().map((e) => e.DetailType)).toEqual(['totals.drift']);
  });
});
