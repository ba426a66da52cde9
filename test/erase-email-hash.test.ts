// `puddle erase --supporter-id` alone, as a request that came through Stripe (the customer id, no address): the
// email hashes on the person's own rows (the supporter's email_sha256, their ticket's requester_email_sha256) are
// erased with the id, wherever they stand, raw included. Left on the rewritten rows, anyone who knows the address
// found those rows again, and through the id's token every payment of theirs (user test, 2026-12-05). Another
// person's hash stays.
import { DuckDBInstance } from '@duckdb/node-api';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { makeEnvelope } from '../core/envelope.js';
import { emailSha256 } from '../core/pii.js';
import { createLake, type Lake } from './puddles/lake-fixture.js';
import { runPuddle } from './support/run-cli.js';

const JO = { id: 'cus_JoQx7Yb2', hash: emailSha256('jo.quxworthy@example.org')! };
const SAM = { id: 'cus_SamB9Lk4', hash: emailSha256('sam@example.net')! };

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
  ]);
  for (const p of ['supporters', 'support', 'raw']) await lake.consumer(p).drain();
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
    expect(JSON.parse(r.stdout)).toMatchObject({ dry_run: true, email_hashes_found: 1 });
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
