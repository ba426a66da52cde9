import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { GetObjectCommand, PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { GetQueueUrlCommand, SendMessageCommand, SQSClient } from '@aws-sdk/client-sqs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { makeEnvelope } from '../../core/envelope.js';
import { appealNight, toRequests, type Scenario } from '../../core/scenario/appeal-night.js';
import { QUEUE_PREFIX, queueNames } from '../../infra/aws/shape.js';
import { startAwsLocal, type AwsLocal } from '../../infra/aws/local/aws-local.js';
import { EMULATOR_CREDENTIALS } from '../../infra/aws/local/emulators.js';
import { postEvents } from '../support/hub-process.js';
import { runPuddle } from '../support/run-cli.js';

const KEY = 'aws-local-key-0123456789';
const READ_KEY = 'aws-local-read-key-0123456789';

/**
 * Each test drives the emulated AWS shape (HTTP, SNS, SQS redeliveries, Lambda handlers, DuckDB) and runs `puddle`
 * commands as child processes: on a loaded two-core machine some took most of the default 60 s. Bounds for a hang.
 */
const TEST_MS = 240_000;
const START_MS = 180_000;
/** How long landing may take before the test says what is still queued (a bound, not a speed). */
const LANDED_WITHIN_MS = 180_000;

async function waitLanded(local: AwsLocal): Promise<void> {
  const waiting = async () => Object.values(await local.depths()).reduce((a, b) => a + b, 0);
  // Until 2026-12-03 this gave up after 600 polls (60 s and more), which a loaded machine could use up.
  const until = Date.now() + LANDED_WITHIN_MS;
  while ((await waiting()) > 0 && Date.now() < until) await new Promise((r) => setTimeout(r, 100));
  expect(await local.depths()).toEqual(Object.fromEntries(Object.keys(await local.depths()).map((k) => [k, 0])));
}

/** Send the scenario over HTTP as producers do; every batch is 202 (all durably queued) or 400 (none). */
async function send(local: AwsLocal, s: Scenario): Promise<void> {
  for (const req of toRequests(s, 40)) {
    const res = await postEvents(local.url, KEY, req.events);
    await res.arrayBuffer();
    expect(res.status).toBe(req.invalid ? 400 : 202);
  }
}

/** `puddle query` as a separate command over the same PUDDLE_HOME, as a user runs it beside the shape. */
async function sqlByChannel(home: string, campaign: string) {
  const out = await runPuddle(['query', `SELECT channel, count(*) AS n, sum(amount_minor) AS amount FROM donation WHERE campaign = '${campaign}' GROUP BY channel`, '--format', 'json'], { PUDDLE_HOME: home });
  // The bin says once when it recompiles (another test file may touch a source's mtime meanwhile); nothing else.
  expect(out.stderr.replace(/^puddle: compiling TypeScript into .*\n/m, '')).toBe('');
  expect(out.code).toBe(0);
  const rows = JSON.parse(out.stdout) as { channel: string; n: number; amount: number }[];
  return Object.fromEntries(rows.map((r) => [r.channel, { count: r.n, amount_minor: r.amount }]));
}

async function sqlScalar(home: string, sql: string): Promise<number> {
  const out = await runPuddle(['query', sql, '--format', 'json'], { PUDDLE_HOME: home });
  expect(out.code).toBe(0);
  return Object.values((JSON.parse(out.stdout) as Record<string, number>[])[0]!)[0]!;
}

describe('puddle aws local: HTTP -> API Gateway v2 -> producer Lambda -> SNS -> SQS -> consumer Lambda -> S3 -> SQL', { timeout: TEST_MS }, () => {
  const home = mkdtempSync(join(tmpdir(), 'puddle-aws-local-'));
  let local: AwsLocal;
  const s = appealNight({ seed: 7, donations: 250, duplicateRate: 0.05, invalidRate: 0.03 });

  beforeAll(async () => {
    process.env.PUDDLE_API_KEYS = KEY;
    process.env.PUDDLE_READ_KEYS = READ_KEY;
    // The inbox is looked at only when the test says (pollBankInbox), not on a timer.
    local = await startAwsLocal({ home, port: 0, host: '127.0.0.1', batchSize: 100, windowMs: 200, visibilitySeconds: 2, bankInboxEveryMs: 3_600_000 });
  }, START_MS);
  let stopped = false;
  afterAll(async () => {
    if (!stopped) await local?.stop();
    delete process.env.PUDDLE_API_KEYS;
    delete process.env.PUDDLE_READ_KEYS;
    rmSync(home, { recursive: true, force: true });
  });

  it('lands an appeal night (atomic batches, duplicates, corrections) and `puddle query` totals match what was sent', async () => {
    await send(local, s);
    await waitLanded(local);
    expect(await sqlByChannel(home, s.campaign)).toEqual(s.expected.byChannel);
    expect(await sqlScalar(home, `SELECT count(*) FROM click WHERE campaign = '${s.campaign}'`)).toBe(s.clicks.length);
    expect(await sqlScalar(home, `SELECT count(*) - count(DISTINCT donation_id) FROM donation_history WHERE campaign = '${s.campaign}'`)).toBe(s.corrections);
  });

  it('sends the same scenario again and nothing counts twice', async () => {
    await send(local, s);
    await waitLanded(local);
    expect(await sqlByChannel(home, s.campaign)).toEqual(s.expected.byChannel);
  });

  it('routes GET /v1/totals to the totals function (DynamoDB counters), and a path the stack has no route for gets API Gateway\'s 404', async () => {
    const res = await fetch(`${local.url}/v1/totals?campaign=${encodeURIComponent(s.campaign)}&by=channel`, { headers: { authorization: `Bearer ${READ_KEY}` } });
    expect(res.status).toBe(200);
    const doc = (await res.json()) as { total: { amount_minor: number; count: number }; by: { key: string; amount_minor: number; count: number }[] };
    expect(doc.total).toEqual(s.expected.total);
    expect(Object.fromEntries(doc.by.map((b) => [b.key, { count: b.count, amount_minor: b.amount_minor }]))).toEqual(s.expected.byChannel);

    const unkeyed = await fetch(`${local.url}/v1/totals`);
    await unkeyed.arrayBuffer();
    expect(unkeyed.status).toBe(401);
    const nowhere = await fetch(`${local.url}/v1/nothing`);
    expect([nowhere.status, await nowhere.json()]).toEqual([404, { message: 'Not Found' }]);
  });

  it('runs the totals drift check against the SQL over what landed: the counters agree', async () => {
    const summary = await local.checkTotalsDrift();
    expect(summary).toMatchObject({ ok: true, differing: 0 });
    expect(summary.boxes).toBeGreaterThan(0);
  });

  it('imports a bank statement put in the bucket\'s inbox, as the stack\'s S3 event rule does, and moves it to done/', async () => {
    const s3 = new S3Client({ endpoint: local.emulators.s3, region: local.emulators.region, credentials: EMULATOR_CREDENTIALS, forcePathStyle: true });
    try {
      const bytes = readFileSync(new URL('../fixtures/bank/camt053_v02_4entries_batch.xml', import.meta.url));
      await s3.send(new PutObjectCommand({ Bucket: local.emulators.bucket, Key: 'inbox/bank/march.xml', Body: bytes }));
      await local.pollBankInbox();
      const done = await s3.send(new GetObjectCommand({ Bucket: local.emulators.bucket, Key: 'inbox/bank/done/march.xml.log' }));
      expect(await done.Body!.transformToString()).toMatch(/ imported\n/);
      await waitLanded(local);
      expect(await sqlScalar(home, 'SELECT count(*) FROM bank_line')).toBe(4);
    } finally {
      s3.destroy();
    }
  });

  it('`puddle dead-letters` on this home lists the SQS dead-letter queues, and `redrive` sends them back to land', async () => {
    // A donation the consumer gave up on, as the queue adapter dead-letters one (with its reason).
    const lost = makeEnvelope({
      contract: 'donation',
      version: 1,
      source: 'producer',
      delivery_id: 'req-dlq',
      payload: { donation_id: 'don_dlq_1', occurred_at: '2026-11-27T20:15:03Z', channel: 'online', amount_minor: 700, currency: 'GBP', campaign: 'dlq-check' },
    });
    const sqs = new SQSClient({ endpoint: local.emulators.sqs, region: local.emulators.region, credentials: EMULATOR_CREDENTIALS });
    try {
      const dlq = (await sqs.send(new GetQueueUrlCommand({ QueueName: queueNames(QUEUE_PREFIX, 'transactions').dlq }))).QueueUrl!;
      await sqs.send(
        new SendMessageCommand({
          QueueUrl: dlq,
          MessageBody: JSON.stringify(lost),
          MessageAttributes: {
            contract: { DataType: 'String', StringValue: 'donation' },
            dead_reason: { DataType: 'String', StringValue: 'RetriableError: disk_full' },
            dead_attempts: { DataType: 'Number', StringValue: '5' },
            dead_failed_at: { DataType: 'String', StringValue: '2026-12-02T01:00:00.000Z' },
          },
        }),
      );
    } finally {
      sqs.destroy();
    }
    const list = await runPuddle(['dead-letters', '--format', 'json'], { PUDDLE_HOME: home });
    expect(list.code).toBe(0);
    expect(JSON.parse(list.stdout)).toEqual([{ puddle: 'transactions', dead_letters: 1, oldest: '2026-12-02T01:00:00.000Z', newest: '2026-12-02T01:00:00.000Z', reasons: '1 x RetriableError: disk_full' }]);
    expect(list.stdout).not.toContain('don_dlq_1');

    const redrive = await runPuddle(['dead-letters', 'redrive'], { PUDDLE_HOME: home });
    expect(redrive.code).toBe(0);
    expect(redrive.stdout).toContain('transactions: 1 sent back to puddle-transactions');
    await waitLanded(local);
    expect(await sqlScalar(home, "SELECT count(*) FROM donation WHERE donation_id = 'don_dlq_1'")).toBe(1);
    expect(JSON.parse((await runPuddle(['dead-letters', '--format', 'json'], { PUDDLE_HOME: home })).stdout)).toEqual([]);
  });

  it('answers a body over API Gateway\'s 10 MB with API Gateway\'s 413, without holding it, and goes on serving', async () => {
    // Until 2026-12-03 the whole body was held before the producer's 1 MiB limit answered, whatever its size.
    const body = Buffer.alloc(11 * 1024 * 1024, 0x20);
    const res = await fetch(`${local.url}/v1/events`, { method: 'POST', headers: { authorization: `Bearer ${KEY}`, 'content-type': 'application/json' }, body });
    expect(res.status).toBe(413);
    expect(await res.json()).toEqual({ message: 'Request Entity Too Large' });
    // Within the limit, the producer's own answer, as before.
    const mib2 = await fetch(`${local.url}/v1/events`, { method: 'POST', headers: { authorization: `Bearer ${KEY}`, 'content-type': 'application/json' }, body: Buffer.alloc(2 * 1024 * 1024, 0x20) });
    expect(mib2.status).toBe(413);
    expect(((await mib2.json()) as { error: { code: string } }).error.code).toBe('body_too_large');
    expect((await fetch(`${local.url}/healthz`)).status).toBe(200);
  });

  it('refuses to start on a home that holds an earlier run\'s lake, saying how to start clean', async () => {
    // While the first runs, the home's lock refuses a second (test/cli-home-lock.test.ts); once it has stopped,
    // its lake is what refuses a fresh start.
    await local.stop();
    stopped = true;
    // Its dead-letter queues went with it: `puddle dead-letters` says so, rather than "(no rows)" and exit 0 as
    // until 2026-12-02, when a clean stop removed the home's record and the command fell back to queue.db.
    const after = await runPuddle(['dead-letters'], { PUDDLE_HOME: home });
    expect(after.code).toBe(1);
    expect(after.stdout).toBe('');
    expect(after.stderr).toMatch(/puddle aws local \(pid \d+, started [^,]+, stopped [^)]+\) that no longer runs: its queues, dead letters included, were in its memory and are gone/);
    await expect(startAwsLocal({ home, port: 0, host: '127.0.0.1' })).rejects.toThrow(/holds the lake of an earlier run.*Start clean with another PUDDLE_HOME, or remove the earlier run: rm -r/s);
  });
});

describe('puddle aws local under faults: consumer invocations killed mid-batch', { timeout: TEST_MS }, () => {
  const home = mkdtempSync(join(tmpdir(), 'puddle-aws-local-faults-'));
  let local: AwsLocal;
  const s = appealNight({ seed: 8, donations: 200, duplicateRate: 0.05, invalidRate: 0 });

  beforeAll(async () => {
    process.env.PUDDLE_API_KEYS = KEY;
    // Every other invocation is abandoned a few ms in, as Lambda abandons one that times out or crashes:
    // some files of that batch may be written, nothing is deleted from the queue.
    local = await startAwsLocal({
      home,
      port: 0,
      host: '127.0.0.1',
      batchSize: 50,
      windowMs: 100,
      visibilitySeconds: 1,
      killConsumerAfterMs: (n) => (n % 2 === 1 ? (n * 7) % 40 : undefined),
    });
  }, START_MS);
  afterAll(async () => {
    await local?.stop();
    delete process.env.PUDDLE_API_KEYS;
    rmSync(home, { recursive: true, force: true });
  });

  it('lands every 202-acked event exactly once after SQS redelivers', async () => {
    await send(local, s);
    await waitLanded(local);
    expect(local.invocations().killed).toBeGreaterThan(0);
    expect(await sqlByChannel(home, s.campaign)).toEqual(s.expected.byChannel);
    expect(await sqlScalar(home, `SELECT count(*) - count(DISTINCT donation_id) FROM donation WHERE campaign = '${s.campaign}'`)).toBe(0);
  });
});
