// `puddle erase --confirm` killed (SIGKILL) between rewriting the queue's bodies and swapping the lake's files in,
// then run again, on a real home. The queue then holds the person under the first run's tokens and the lake as it
// was; until 2026-12-04 the second run drew a new random token, so the gift still queued landed under another
// anonymous supporter than the ones already in the lake: one person, two tokens. The salt now waits in
// erasure-pending.json until a run completes, and the second run takes it.
import { spawn } from 'node:child_process';
import { existsSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

import Database from 'better-sqlite3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { ERASURE_PENDING_FILE } from '../infra/local/erasure-pending.js';
import { createLake, type Lake } from './puddles/lake-fixture.js';
import { donationEnvelope } from './support/donation-envelope.js';
import { runPuddle } from './support/run-cli.js';

let lake: Lake;
const E = () => ({ PUDDLE_HOME: lake.dir });


async function query(sql: string): Promise<Record<string, unknown>[]> {
  const r = await runPuddle(['query', sql, '--format', 'json'], E());
  expect(r.code, r.stderr).toBe(0);
  return JSON.parse(r.stdout) as Record<string, unknown>[];
}

function queuedBodies(): string[] {
  const q = new Database(path.join(lake.dir, 'queue.db'), { readonly: true });
  try {
    return q.prepare('SELECT body FROM queue_messages ORDER BY seq').pluck().all() as string[];
  } finally {
    q.close();
  }
}

/** Run the erasure in a child process that kills itself at the swap; resolves with how it ended. */
function eraseUntilKilled(ref: string, ...ids: string[]): Promise<string | number | null> {
  const fixture = fileURLToPath(new URL('./support/erase-until-killed.ts', import.meta.url));
  const child = spawn(process.execPath, ['--import', 'tsx', fixture, lake.dir, ref, ...ids], { stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, PUDDLE_LOG_LEVEL: 'error' } });
  let stderr = '';
  child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
  return new Promise((resolve) => child.on('exit', (code, signal) => resolve(signal ?? (code === 0 ? 0 : `${code}: ${stderr}`))));
}

beforeAll(async () => {
  lake = await createLake();
  await lake.subscribeAll();
  await lake.queue.publish([donationEnvelope('jo-1', 100, { supporter_id: 'sup_1' }), donationEnvelope('sam-1', 200, { supporter_id: 'sup_10' })]);
  await lake.queue.publish([donationEnvelope('jo-2', 300, { supporter_id: 'sup_1' })]);
  for (const p of ['transactions', 'raw']) await lake.consumer(p).drain();
  // One of Jo's gifts still waiting to land when the erasure runs.
  await lake.queue.publish([donationEnvelope('jo-3', 500, { supporter_id: 'sup_1' })]);
}, 120_000);

afterAll(async () => {
  await lake?.close();
});

describe('puddle erase killed between the queue and the lake', () => {
  it('runs again with the same tokens, so the person ends up under one token', async () => {
    expect(await eraseUntilKilled('DPO-2026-051', 'sup_1')).toBe('SIGKILL');
    // Killed at the swap: the queue holds the token, the lake still holds Jo.
    const token = /"supporter_id":"(erased-[0-9a-f]{16})"/.exec(queuedBodies().join('\n'))?.[1];
    expect(token).toBeDefined();
    expect(queuedBodies().join('\n')).not.toContain('"sup_1"');
    expect(await query(`SELECT count(*) AS n FROM donation_history WHERE supporter_id = 'sup_1'`)).toEqual([{ n: 2 }]);
    const pending = path.join(lake.dir, ERASURE_PENDING_FILE);
    expect(statSync(pending).mode & 0o777).toBe(0o600);
    const { salt } = JSON.parse(readFileSync(pending, 'utf8')) as { salt: string };

    // The dry run says so; a request for someone else is refused until this one completes.
    const dry = await runPuddle(['erase', '--supporter-id', 'sup_1'], E());
    expect(dry.code, dry.stderr).toBe(0);
    expect(JSON.parse(dry.stdout)).toMatchObject({ unfinished_erasure: { ref: 'DPO-2026-051' } });
    const other = await runPuddle(['erase', '--supporter-id', 'sup_10', '--confirm', '--ref', 'DPO-2026-052'], E());
    expect(other.code).toBe(2);
    expect(other.stderr).toContain('(--ref DPO-2026-051) did not complete, and this one names someone else');
    expect(await query(`SELECT count(*) AS n FROM donation_history WHERE supporter_id = 'sup_10'`)).toEqual([{ n: 1 }]);

    // The same request again completes it, with the first run's tokens, and the salt goes.
    const again = await runPuddle(['erase', '--supporter-id', 'sup_1', '--confirm', '--ref', 'DPO-2026-051'], E());
    expect(again.code, again.stderr).toBe(0);
    expect(JSON.parse(again.stdout)).toMatchObject({ ref: 'DPO-2026-051', resumed: { ref: 'DPO-2026-051' } });
    expect(existsSync(pending)).toBe(false);
    for (const out of [dry, other, again]) expect(`${out.stdout}${out.stderr}`).not.toContain(salt);

    // The waiting gift lands under the lake's token: one anonymous supporter for all three of Jo's gifts.
    const land = await runPuddle(['land'], E());
    expect(land.code, land.stderr).toBe(0);
    expect(await query(`SELECT DISTINCT supporter_id FROM donation_history WHERE donation_id LIKE 'jo-%'`)).toEqual([{ supporter_id: token }]);
    expect(await query(`SELECT count(*) AS n FROM donation_history WHERE donation_id LIKE 'jo-%'`)).toEqual([{ n: 3 }]);
    expect(await query(`SELECT count(*) AS n FROM raw WHERE contains(envelope, '"sup_1"')`)).toEqual([{ n: 0 }]);
  });
});
