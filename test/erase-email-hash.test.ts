// `puddle erase --supporter-id` alone, as a request that came through Stripe (the customer id, no address): the
// email hashes on the person's own rows (the supporter's email_sha256, their ticket's requester_email_sha256) are
// erased with the id, wherever they stand, raw included. Left on the rewritten rows, anyone who knows the address
// found those rows again, and through the id's token every payment of theirs (user test, 2026-12-05). Another
// person's hash stays.
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { DuckDBInstance } from '@duckdb/node-api';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { makeEnvelope } from '../core/envelope.js';
import { emailSha256 } from '../core/pii.js';
import { erasureSalt } from '../infra/local/erasure-pending.js';
import { createLake, type Lake } from './puddles/lake-fixture.js';
import { runPuddle } from './support/run-cli.js';

const JO = { id: 'cus_JoQx7Yb2', hash: emailSha256('jo.quxworthy@example.org')! };
const SAM = { id: 'cus_SamB9Lk4', hash: emailSha256('sam@example.net')! };
// Kim asks by email alone: her Stripe customer's payment holds the customer id, not the address.
const KIM = { id: 'cus_KimR4Tz8', email: 'Kim.Rowe@Example.org', hash: emailSha256('kim.rowe@example.org')! };

let lake: Lake;
const E = () => ({ PUDDLE_HOME: lake.dir });

/** Rows of every Parquet file on disk under lake/ (registered or not, raw included) whose JSON holds `text`. */
async function rowsHolding(text: string): Promise<number> {
  const instance = await DuckDBInstance.create(':memory:');
  const conn = await instance.connect();
  try {
    const sql = `SELECT count(*) FROM read_parquet('${lake.dir}/lake/**/*.parquet', union_by_name = true, hive_partitioning = false) t WHERE contains(CAST(to_json(t) AS VARCHAR), '${text}')`;
    const [row] = (await conn.runAndReadAll(sql)).getRowsJS();
    return Number(row![0]);
  } finally {
    conn.closeSync();
    instance.closeSync();
  }
}

beforeAll(async () => {
  lake = await createLake();
  await lake.subscribeAll();
  const at = (h: number) => `2026-11-29T${String(h).padStart(2, '0')}:00:00Z`;
  const stripe = (contract: string, version: number, payload: Record<string, unknown>, h: number) =>
    makeEnvelope({ contract, version, source: 'stripe', stream: 'customers', payload: { occurred_at: at(h), ...payload }, received_at: `${at(h).slice(0, -1)}.500Z`, delivery_id: `run-${h}` });
  await lake.queue.publish([
    stripe('supporter', 1, { supporter_id: JO.id, source: 'stripe', email_sha256: JO.hash }, 10),
    stripe('supporter', 1, { supporter_id: SAM.id, source: 'stripe', email_sha256: SAM.hash }, 11),
    stripe('ticket', 2, { ticket_id: 't_1', status: 'open', supporter_id: JO.id, requester_email_sha256: JO.hash }, 12),
    stripe('ticket', 2, { ticket_id: 't_2', status: 'open', supporter_id: SAM.id, requester_email_sha256: SAM.hash }, 13),
    stripe('supporter', 1, { supporter_id: KIM.id, source: 'stripe', email_sha256: KIM.hash }, 14),
    stripe('payment', 1, { payment_id: 'ch_kim_1', provider: 'stripe', status: 'succeeded', amount_minor: 2500, currency: 'GBP', supporter_id: KIM.id }, 15),
  ]);
  for (const p of ['supporters', 'support', 'transactions', 'raw']) await lake.consumer(p).drain();
  // Current state too: a fold writes each contract's current-state file, which has a column the others have not.
  const compacted = await runPuddle(['compact'], E());
  expect(compacted.code, compacted.stderr).toBe(0);
  expect(await rowsHolding(JO.hash)).toBeGreaterThanOrEqual(6);
}, 120_000);

afterAll(async () => {
  await lake?.close();
});

describe('puddle erase --supporter-id', { timeout: 120_000 }, () => {
  it('says in the dry run that the rows of the id carry an email hash, without showing it', async () => {
    const r = await runPuddle(['erase', '--supporter-id', JO.id], E());
    expect(r.code, r.stderr).toBe(0);
    expect(JSON.parse(r.stdout)).toMatchObject({ dry_run: true, email_hashes_found_by_id: 1 });
    expect(r.stdout + r.stderr).not.toContain(JO.hash);
  });

  it('erases the email hash on the id’s rows everywhere, and leaves another person’s', async () => {
    const r = await runPuddle(['erase', '--supporter-id', JO.id, '--confirm', '--ref', 'DPO-T-3'], E());
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout + r.stderr).not.toContain(JO.hash);
    expect(await rowsHolding(JO.hash)).toBe(0);
    expect(await rowsHolding(JO.id)).toBe(0);
    // Sam's supporter and ticket, in history and raw.
    expect(await rowsHolding(SAM.hash)).toBeGreaterThanOrEqual(6);
  });
});

describe('puddle erase --email', { timeout: 120_000 }, () => {
  it('follows the address to the ids on the rows of its hash, and erases their rows too: the payment holding only the customer id', async () => {
    expect(await rowsHolding(KIM.id)).toBeGreaterThanOrEqual(4);
    const dry = await runPuddle(['erase', '--email', KIM.email], E());
    expect(dry.code, dry.stderr).toBe(0);
    const plan = JSON.parse(dry.stdout) as { ids_found_by_email: number; tables: { table: string }[] };
    expect(plan.ids_found_by_email).toBe(1);
    // Until 2026-12-06 an email alone found the supporter row and not the payment.
    expect(plan.tables.map((t) => t.table)).toContain('transactions/payment/v1');
    expect(dry.stdout + dry.stderr).not.toContain(KIM.id);
    const r = await runPuddle(['erase', '--email', KIM.email, '--confirm', '--ref', 'DPO-T-4'], E());
    expect(r.code, r.stderr).toBe(0);
    expect(await rowsHolding(KIM.id)).toBe(0);
    expect(await rowsHolding(KIM.hash)).toBe(0);
    expect(await rowsHolding(SAM.id)).toBeGreaterThanOrEqual(4);
  });
});

describe('puddle erase of values nothing holds (an id mistyped on the phone: ids are matched exactly)', { timeout: 120_000 }, () => {
  const WRONG_CASE = SAM.id.toUpperCase();

  it('says so in the dry run instead of telling the DPO to confirm', async () => {
    const r = await runPuddle(['erase', '--supporter-id', WRONG_CASE], E());
    expect(r.code, r.stderr).toBe(0);
    expect(r.stderr).toContain('nothing in the lake, the queue, the supplier feeds or the bank files holds these values');
    expect(r.stderr).not.toContain('then run again with --confirm');
  });

  it('names the one value that matched nothing while the others did', async () => {
    const r = await runPuddle(['erase', '--supporter-id', SAM.id, '--supporter-id', WRONG_CASE], E());
    expect(r.code, r.stderr).toBe(0);
    expect(r.stderr).toContain('--supporter-id 2 is in no lake row: check it');
    expect(r.stderr).not.toContain('--supporter-id 1 is in no lake row');
  });

  it('refuses to confirm it (exit 1, nothing logged) unless --nothing-held says the charity holds nothing of the person', async () => {
    const log = () => (existsSync(join(lake.dir, 'erasure-log.jsonl')) ? readFileSync(join(lake.dir, 'erasure-log.jsonl'), 'utf8').trim().split('\n').length : 0);
    const before = log();
    const refused = await runPuddle(['erase', '--supporter-id', WRONG_CASE, '--confirm', '--ref', 'DPO-T-5'], E());
    expect(refused.code).toBe(1);
    expect(refused.stderr).toContain('--nothing-held records the request in the erasure log');
    expect(log()).toBe(before);
    const held = await runPuddle(['erase', '--supporter-id', WRONG_CASE, '--confirm', '--ref', 'DPO-T-5', '--nothing-held'], E());
    expect(held.code, held.stderr).toBe(0);
    expect(log()).toBe(before + 1);
    expect(JSON.parse(held.stdout)).toMatchObject({ ref: 'DPO-T-5', rows_rewritten: 0 });
    // Sam is untouched all along.
    expect(await rowsHolding(SAM.id)).toBeGreaterThanOrEqual(4);
    // A run that completes one cut short after its rewrites (a crash before the log) finds nothing left, and is not
    // refused for it: it logs the request.
    const request = { supporterIds: [WRONG_CASE], emails: [], texts: [] };
    erasureSalt(lake.dir, request, 'DPO-T-6', new Date());
    const resumed = await runPuddle(['erase', '--supporter-id', WRONG_CASE, '--confirm', '--ref', 'DPO-T-6'], E());
    expect(resumed.code, resumed.stderr).toBe(0);
    expect(JSON.parse(resumed.stdout)).toMatchObject({ ref: 'DPO-T-6', rows_rewritten: 0, resumed: { ref: 'DPO-T-6' } });
    expect(log()).toBe(before + 2);
    const alone = await runPuddle(['erase', '--supporter-id', SAM.id, '--nothing-held'], E());
    expect([alone.code, alone.stderr]).toEqual([2, 'puddle erase: --nothing-held goes with --confirm: a dry run already says when nothing holds the values\n']);
  });
});
