// donation v2 (core/contracts/sms.ts, `sms_network`) through the AWS shape's functions, end to end: posted to the
// producer handler beside a v1 donation, landed by the consumer handler as Parquet in S3 (fauxqs), counted in the
// DynamoDB live totals (dynalite), answered by the totals handler, and read back in the one `donation` view. Glue
// and Athena have no emulator: the embedded catalog and DuckDB stand in, and the Parquet is checked against the
// Glue table the stack defines for it (what Athena's SerDe reads by column name).
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';

import { GetQueueAttributesCommand, GetQueueUrlCommand, ReceiveMessageCommand, type Message } from '@aws-sdk/client-sqs';
import { DuckDBInstance } from '@duckdb/node-api';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';

import { makeConsumerHandler } from '../../infra/aws/handlers/consumer.js';
import { makeProducerHandler } from '../../infra/aws/handlers/producer.js';
import { makeTotalsHandler } from '../../infra/aws/handlers/totals.js';
import { totalsTable } from '../../infra/aws/handlers/totals-table.js';
import type { AwsRuntime } from '../../infra/aws/runtime.js';
import { GLUE_TABLES } from '../../infra/aws/shape.js';
import type { SqliteCatalog } from '../../infra/local/sqlite-catalog.js';
import { cellId, type TotalsCell } from '../../puddles/live-totals.js';
import { sqlCells } from '../../puddles/totals-sql.js';
import { startShapeWithEmbeddedCatalog, type TestShape } from '../support/aws-shape.js';
import { httpApiEvent, lambdaContext, sqsEvent } from '../support/lambda-events.js';

const API_KEY = 'producer-key-v2-0123456789abcdef';
const READ_KEY = 'read-key-v2-0123456789abcdef';
const CAMPAIGN = 'sms-v2-aws';

let shape: TestShape;
let rt: AwsRuntime;
let catalog: SqliteCatalog;
let stop: () => Promise<void>;

beforeAll(async () => {
  ({ shape, rt, catalog, stop } = await startShapeWithEmbeddedCatalog());
  vi.stubEnv('PUDDLE_API_KEYS', API_KEY);
  vi.stubEnv('PUDDLE_READ_KEYS', READ_KEY);
});
afterAll(() => stop());

const post = (events: unknown[]) =>
  makeProducerHandler(async () => rt)(
    httpApiEvent({ method: 'POST', path: '/v1/events', headers: { authorization: `Bearer ${API_KEY}`, 'content-type': 'application/json' }, body: JSON.stringify({ events }) }),
  );

/** Every message waiting on a puddle's queue, as the event source mapping hands them over. */
async function receiveAll(puddle: string): Promise<{ messages: Message[]; arn: string }> {
  const url = (await shape.clients.sqs.send(new GetQueueUrlCommand({ QueueName: `${shape.env.PUDDLE_QUEUE_PREFIX}${puddle}` }))).QueueUrl!;
  const arn = (await shape.clients.sqs.send(new GetQueueAttributesCommand({ QueueUrl: url, AttributeNames: ['QueueArn'] }))).Attributes!.QueueArn!;
  const messages: Message[] = [];
  for (;;) {
    const got = await shape.clients.sqs.send(
      new ReceiveMessageCommand({ QueueUrl: url, MaxNumberOfMessages: 10, VisibilityTimeout: 60, MessageAttributeNames: ['All'], MessageSystemAttributeNames: ['All'] }),
    );
    if (!got.Messages?.length) return { messages, arn };
    messages.push(...got.Messages);
  }
}

/** A Parquet file's column names, read by DuckDB from a copy of the object. */
async function parquetColumns(bytes: Uint8Array): Promise<string[]> {
  const dir = await mkdtemp(path.join(tmpdir(), 'puddle-v2-parquet-'));
  const instance = await DuckDBInstance.create(':memory:');
  const conn = await instance.connect();
  try {
    const file = path.join(dir, 'f.parquet');
    await writeFile(file, bytes);
    const rows = (await conn.runAndReadAll(`DESCRIBE SELECT * FROM read_parquet('${file}')`)).getRowObjectsJson();
    return rows.map((r) => String(r.column_name));
  } finally {
    conn.closeSync();
    instance.closeSync();
    await rm(dir, { recursive: true, force: true });
  }
}

describe('donation v2 on the AWS shape', () => {
  it('posts, lands, counts and reads a v2 SMS donation beside a v1 one', async () => {
    const base = { occurred_at: '2026-11-27T20:15:03Z', amount_minor: 500, currency: 'GBP', campaign: CAMPAIGN };
    const res = await post([
      { contract: 'donation', version: 1, payload: { ...base, donation_id: 'web-1', channel: 'online' } },
      { contract: 'donation', version: 2, payload: { ...base, donation_id: 'sms-1', channel: 'sms', status: 'paid', payment_provider: 'donr', sms_network: 'EE' } },
      { contract: 'donation', version: 2, payload: { ...base, donation_id: 'sms-2', channel: 'sms', status: 'failed', payment_provider: 'donr', sms_network: 'Vodafone' } },
    ]);
    expect(res.statusCode).toBe(202);
    // A v1 event with the v2 field is told which version to send, as the embedded producer tells it.
    const v1WithNetwork = await post([{ contract: 'donation', version: 1, payload: { ...base, donation_id: 'sms-3', channel: 'sms', sms_network: 'O2' } }]);
    expect(v1WithNetwork.statusCode).toBe(400);
    expect(v1WithNetwork.body).toContain('is not a field of donation version 1: version 2 has it, so send \\"version\\": 2');

    const { messages, arn } = await receiveAll('transactions');
    expect(messages).toHaveLength(3);
    const landed = await makeConsumerHandler(async () => rt)(sqsEvent(messages, arn), lambdaContext());
    expect(landed.batchItemFailures).toEqual([]);

    // Each version in its own table's folder in S3; the v2 Parquet has exactly the columns of the Glue table the
    // stack defines for it, sms_network included, and the v1 file those of v1's.
    for (const version of [1, 2]) {
      const files = await catalog.listFiles({ contract: 'donation', version });
      expect(files, `v${version}`).toHaveLength(1);
      expect(files[0]!.key.startsWith(`lake/transactions/donation/v${version}/dt=2026-11-27/`)).toBe(true);
      const glue = GLUE_TABLES.find((t) => t.name === `donation_v${version}`)!;
      const columns = await parquetColumns((await rt.store.get(files[0]!.key))!);
      expect(columns.sort(), `v${version}`).toEqual(glue.columns.map((c) => c.name).sort());
      expect(columns.includes('sms_network'), `v${version}`).toBe(version === 2);
    }

    // One view, v1 rows with no network.
    expect(await rt.query.query(`SELECT donation_id, sms_network FROM donation WHERE campaign = '${CAMPAIGN}' ORDER BY donation_id`)).toEqual([
      { donation_id: 'sms-1', sms_network: 'EE' },
      { donation_id: 'sms-2', sms_network: 'Vodafone' },
      { donation_id: 'web-1', sms_network: null },
    ]);

    // The live totals in DynamoDB: the paid text and the web pledge count, the failed text does not; the same as
    // the SQL view totals_by_box over both versions (what the drift check compares), and the totals API says so.
    const sorted = (cells: TotalsCell[]) => cells.map((c) => [cellId(c), c.amount_minor, c.count] as const).sort();
    const counters = await totalsTable(rt).cells({ campaign: CAMPAIGN });
    expect(counters.reduce((n, c) => ({ amount_minor: n.amount_minor + c.amount_minor, count: n.count + c.count }), { amount_minor: 0, count: 0 })).toEqual({ amount_minor: 1000, count: 2 });
    expect(sorted(counters)).toEqual(sorted((await sqlCells(rt.query)).cells.filter((c) => c.campaign === CAMPAIGN)));
    const api = await makeTotalsHandler(async () => rt)(httpApiEvent({ method: 'GET', path: '/v1/totals', query: `campaign=${CAMPAIGN}`, headers: { authorization: `Bearer ${READ_KEY}` } }));
    expect(api.statusCode).toBe(200);
    expect((JSON.parse(api.body!) as { total: unknown }).total).toEqual({ amount_minor: 1000, count: 2 });
  });
});
