// What keeps `puddle erase` from rewriting other people's rows or being undone while it runs, on a real home: a
// `--text` that is one of the lake's own values is refused; `puddle replay`, `compact` and `quarantine retry`
// are refused while a confirmed erasure holds the home (they still run beside a hub, as documented), and an
// erasure is refused while one of them runs.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { lockLakeForErasure, lockLakeForWriter } from '../infra/local/erasure-lock.js';
import { lockHome, tryLockHome } from '../infra/local/home-lock.js';
import { createLake, type Lake } from './puddles/lake-fixture.js';
import { donationEnvelope } from './support/donation-envelope.js';
import { runPuddle } from './support/run-cli.js';

let lake: Lake;
const E = () => ({ PUDDLE_HOME: lake.dir });


const JOS = `SELECT count(*) AS n FROM donation_history WHERE supporter_id = 'sup_1'`;

async function query(sql: string): Promise<unknown> {
  const r = await runPuddle(['query', sql, '--format', 'json'], E());
  expect(r.code, r.stderr).toBe(0);
  return JSON.parse(r.stdout);
}

beforeAll(async () => {
  lake = await createLake();
  await lake.subscribeAll();
  for (let b = 0; b < 2; b++) {
    await lake.queue.publish([donationEnvelope(`jo-${b}`, 100 + b, { supporter_id: 'sup_1' }), donationEnvelope(`sam-${b}`, 200 + b, { supporter_id: 'sup_10' })]);
    for (const p of ['transactions', 'raw']) await lake.consumer(p).drain();
  }
}, 120_000);

afterAll(async () => {
  await lake?.close();
});

describe('puddle erase --text', () => {
  it("refuses a value the lake holds in whole columns (a currency code) unless --force-text, and a field's name always (exit 2)", async () => {
    const gbp = await runPuddle(['erase', '--supporter-id', 'sup_1', '--text', 'GBP'], E());
    expect(gbp.code).toBe(2);
    expect(gbp.stderr).toMatch(/^puddle erase: --text: a value is one the lake holds in whole columns of other people's rows \(a currency code/);
    expect(gbp.stdout).toBe('');
    // Forced, the dry run shows what it would touch: every gift, everyone's.
    const forced = await runPuddle(['erase', '--text', 'GBP', '--force-text'], E());
    expect(forced.code, forced.stderr).toBe(0);
    const plan = JSON.parse(forced.stdout) as { tables: { table: string; rows: number }[] };
    expect(plan.tables.find((t) => t.table === 'transactions/donation/v1')?.rows).toBe(4);
    const field = await runPuddle(['erase', '--text', 'currency', '--force-text'], E());
    expect(field.code).toBe(2);
    expect(field.stderr).toContain("--text: a value is the name of one of the lake's fields");
  });
});

describe('the dry run', () => {
  it("names, per value and masked, the longer ids it would rewrite too (another person's sup-77-2 beside sup-77)", async () => {
    await lake.queue.publish([donationEnvelope('g-77a', 500, { supporter_id: 'sup-77' }), donationEnvelope('g-77b', 600, { supporter_id: 'sup-77-2' })]);
    for (const p of ['transactions', 'raw']) await lake.consumer(p).drain();
    const r = await runPuddle(['erase', '--supporter-id', 'sup-77', '--text', 'Quxworthy'], E());
    expect(r.code, r.stderr).toBe(0);
    expect(JSON.parse(r.stdout)).toMatchObject({ longer_ids: [{ value: '--supporter-id 1', ids: ['*-2'], more: 0 }] });
    expect(r.stdout).not.toContain('sup-77');
  });
});

describe('a confirmed erasure and the commands that write the lake', () => {
  it('refuses replay, compact and quarantine retry while an erasure holds the home, naming it, and changes nothing', async () => {
    const files = await lake.catalog.listFiles();
    const home = lockHome(lake.dir, 'puddle erase');
    const erasure = lockLakeForErasure(lake.dir);
    try {
      for (const args of [['replay', '--contract', 'donation'], ['compact'], ['quarantine', 'retry']]) {
        const r = await runPuddle(args, E());
        expect(r.code, args.join(' ')).toBe(2);
        expect(r.stderr).toMatch(new RegExp(`^puddle ${args[0]}: .* is being erased by puddle erase \\(pid ${process.pid}, since \\S+\\): puddle ${args.slice(0, args[0] === 'quarantine' ? 2 : 1).join(' ')} now could write the person's values back`));
      }
      // What only reads still runs.
      expect((await runPuddle(['quarantine', 'retry', '--dry-run'], E())).code).toBe(0);
    } finally {
      erasure.release();
      home.release();
    }
    expect(await lake.catalog.listFiles()).toEqual(files);
  });

  it('still lets replay and compact run beside a hub, as docs/cli.md says they do', async () => {
    const hub = lockHome(lake.dir, 'puddle start');
    try {
      const replay = await runPuddle(['replay', '--contract', 'donation'], E());
      expect(replay.code, replay.stderr).toBe(0);
      const compact = await runPuddle(['compact'], E());
      expect(compact.code, compact.stderr).toBe(0);
    } finally {
      hub.release();
    }
  });

  it('refuses the erasure while a replay or compaction writes the lake (exit 2): nothing erased, the home free again', async () => {
    const replay = lockLakeForWriter(lake.dir, 'puddle replay');
    try {
      const r = await runPuddle(['erase', '--supporter-id', 'sup_1', '--confirm', '--ref', 'DPO-7'], E());
      expect(r.code).toBe(2);
      expect(r.stderr).toContain("a puddle replay, compact or quarantine retry is writing this home's lake");
    } finally {
      replay.release();
    }
    expect(await query(JOS)).toEqual([{ n: 2 }]);
    // The hub's lock it took first was let go.
    const hub = tryLockHome(lake.dir, 'puddle start');
    expect(hub).not.toBeNull();
    hub!.release();
    const done = await runPuddle(['erase', '--supporter-id', 'sup_1', '--confirm', '--ref', 'DPO-7'], E());
    expect(done.code, done.stderr).toBe(0);
    expect(await query(JOS)).toEqual([{ n: 0 }]);
  });
});
