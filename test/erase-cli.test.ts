// `puddle erase` as a DPO meets it, on a real home: two supporters' producer events and connector records landed
// as Parquet (raw, history, current state, quarantine), a message still queued and a bank file in inbox/bank/done/.
// After the erasure one supporter's ids, email hash and name appear in no lake file on disk (raw included), nor after
// a replay or a catalog rebuild; the other's rows, every amount and the totals report are as they were.
import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';

import { DuckDBInstance } from '@duckdb/node-api';
import Database from 'better-sqlite3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { makeEnvelope } from '../core/envelope.js';
import { lockHome } from '../infra/local/home-lock.js';
import { SqliteFeedLog } from '../infra/local/sqlite-feed-log.js';
import { createLake, type Lake } from './puddles/lake-fixture.js';
import { runPuddle } from './support/run-cli.js';
import { JO, JO_HASH, peopleEnvelopes, SAM_HASH } from './support/erasure-people.js';

/** Anything of Jo's, whole words, any case for the name (as the erasure matches). */
const JO_PATTERN = `(^|[^A-Za-z0-9_])(sup_1|${JO.crm}|${JO_HASH})([^A-Za-z0-9_]|$)|(?i)quxworthy|(?i)jo\\.quxworthy@example\\.org`;

let lake: Lake;
let home: string;
const E = () => ({ PUDDLE_HOME: home });

async function duck<T = unknown[]>(sql: string): Promise<T[]> {
  const instance = await DuckDBInstance.create(':memory:');
  const conn = await instance.connect();
  try {
    return (await conn.runAndReadAll(sql)).getRowsJS() as T[];
  } finally {
    conn.closeSync();
    instance.closeSync();
  }
}

/** Rows of every Parquet file on disk under lake/ (registered or not, raw included) that hold anything of Jo's. */
async function joRowsOnDisk(): Promise<number> {
  const [row] = await duck<[bigint]>(
    `SELECT count(*) FROM read_parquet('${home}/lake/**/*.parquet', union_by_name = true, hive_partitioning = false) t WHERE regexp_matches(CAST(to_json(t) AS VARCHAR), '${JO_PATTERN.replaceAll("'", "''")}')`,
  );
  return Number(row![0]);
}

async function query(sql: string): Promise<Record<string, unknown>[]> {
  const r = await runPuddle(['query', sql, '--format', 'json'], E());
  expect(r.code, r.stderr).toBe(0);
  return JSON.parse(r.stdout) as Record<string, unknown>[];
}

/** queue.db and its WAL as bytes, to look for a body's text left in them. */
function queueBytes(): string {
  return ['queue.db', 'queue.db-wal'].map((f) => {
    try {
      return readFileSync(path.join(home, f)).toString('latin1');
    } catch {
      return '';
    }
  }).join('');
}

const MONEY = `SELECT 'donation' AS t, donation_id AS id, amount_minor, currency, gift_aid FROM donation_history
  UNION ALL SELECT 'bank_line', bank_line_id, amount_minor, currency, NULL FROM bank_line_history ORDER BY t, id`;
const SAM_ROWS = `SELECT to_json(d) AS r FROM (SELECT * EXCLUDE (_received_seq) FROM donation_history WHERE supporter_id = 'sup_10'
  UNION ALL BY NAME SELECT * EXCLUDE (_received_seq) FROM supporter_history WHERE email_sha256 = '${SAM_HASH}') d ORDER BY r`;

let before: { money: unknown; sam: unknown; totals: string };

beforeAll(async () => {
  lake = await createLake();
  home = lake.dir;
  await lake.subscribeAll();
  await lake.queue.publish(peopleEnvelopes());
  for (const p of ['transactions', 'supporters', 'quarantine', 'raw']) await lake.consumer(p).drain();
  // Current state too: a fold writes each contract's current-state file.
  const compacted = await runPuddle(['compact'], E());
  expect(compacted.code, compacted.stderr).toBe(0);
  // A message still waiting to land, and a bank file kept in done/.
  await lake.queue.publish([
    makeEnvelope({ contract: 'donation', version: 1, source: 'producer', stream: 'web', payload: { donation_id: 'don_jo_3', occurred_at: '2026-11-29T17:00:00Z', channel: 'online', amount_minor: 300, currency: 'GBP', supporter_id: JO.id }, received_at: '2026-11-29T17:00:00.500Z', delivery_id: 'req-17' }),
  ]);
  // A second one, dead-lettered by transactions as the queue does it after its last attempt (the row moved to
  // queue_dead_letters, its delivery gone; raw's delivery still waits).
  await lake.queue.publish([
    makeEnvelope({ contract: 'donation', version: 1, source: 'producer', stream: 'web', payload: { donation_id: 'don_jo_4', occurred_at: '2026-11-29T18:00:00Z', channel: 'online', amount_minor: 400, currency: 'GBP', supporter_id: JO.id }, received_at: '2026-11-29T18:00:00.500Z', delivery_id: 'req-18' }),
  ]);
  const q = new Database(path.join(home, 'queue.db'));
  try {
    const sub = q.prepare(`SELECT id FROM queue_subscriptions WHERE name = 'transactions'`).pluck().get() as number;
    const seq = q.prepare(`SELECT max(seq) FROM queue_messages`).pluck().get() as number;
    q.transaction(() => {
      q.prepare(`INSERT INTO queue_dead_letters (sub_id, body, attempts, reason, failed_at) SELECT ?, body, 5, 'TimeoutError: visibility timeout expired on the last attempt', '2026-11-29T18:05:00.000Z' FROM queue_messages WHERE seq = ?`).run(sub, seq);
      q.prepare(`DELETE FROM queue_deliveries WHERE sub_id = ? AND seq = ?`).run(sub, seq);
    })();
  } finally {
    q.close();
  }
  // Two rows of the giro feed, one with Jo's name typed in its address (what a hub's FeedWriter logs as it lands).
  const feeds = new SqliteFeedLog(path.join(home, 'feeds.db'));
  const giro = (id: string, line1: string) => ({ recordId: `env-${id}`, key: id, passes: true, row: { school_giro_request_id: id, school_name: 'St Example', address_line1: line1, pack_size: 30, changed_at: '2026-11-29T09:00:00.000Z' } });
  feeds.append('giro_requests', [giro('sgr-1', `c/o Jo ${JO.name}, 1 School Lane`), giro('sgr-2', '2 School Lane')]);
  feeds.close();
  mkdirSync(path.join(home, 'inbox', 'bank', 'done'), { recursive: true });
  writeFileSync(path.join(home, 'inbox', 'bank', 'done', 'stmt-2026-11-29.csv'), `date,amount,description\n2026-11-29,25.00,J ${JO.name.toUpperCase()} DONATION\n`);
  writeFileSync(path.join(home, 'inbox', 'bank', 'done', 'stmt-2026-11-28.csv'), 'date,amount,description\n2026-11-28,7.00,S SMITH DONATION\n');
  const totals = await runPuddle(['report', 'totals', '--format', 'csv'], E());
  expect(totals.code, totals.stderr).toBe(0);
  before = { money: await query(MONEY), sam: await query(SAM_ROWS), totals: totals.stdout };
  expect(await joRowsOnDisk()).toBeGreaterThan(10);
}, 120_000);

afterAll(async () => {
  await lake?.close();
});

const ERASE = ['erase', '--supporter-id', JO.id, '--supporter-id', JO.crm, '--email', JO.email, '--text', JO.name];

describe('puddle erase', () => {
  it('shows what it would change by default (files, rows per table, the queue, the bank files) and changes nothing', async () => {
    const onDisk = await joRowsOnDisk();
    const r = await runPuddle(ERASE, E());
    expect(r.code, r.stderr).toBe(0);
    const plan = JSON.parse(r.stdout) as { dry_run: boolean; tables: { table: string; files: number; rows: number }[]; queued_messages: number; dead_letters: unknown[]; feed_rows: number; bank_files: string[] };
    expect(plan.dry_run).toBe(true);
    const tables = Object.fromEntries(plan.tables.map((t) => [t.table, t.rows]));
    // Raw: 2 donations, 1 producer supporter, 2 Salesforce versions, 1 bank line, the refused donation.
    expect(tables['raw/envelope/v1']).toBe(7);
    expect(tables['transactions/donation/v1']).toBeGreaterThanOrEqual(2);
    expect(tables['supporters/supporter/v1']).toBeGreaterThanOrEqual(3);
    expect(tables['quarantine/quarantine/v1']).toBe(1);
    // Current state is in each contract's latest version.
    expect(tables['transactions/donation/v3 current']).toBe(2);
    expect(tables['supporters/supporter/v2 current']).toBe(2);
    // don_jo_3 waiting for both puddles, don_jo_4 for raw (one body each), and don_jo_4's dead letter.
    expect(plan.queued_messages).toBe(2);
    expect(plan.dead_letters).toEqual([{ puddle: 'transactions', id: 1 }]);
    expect(plan.bank_files).toEqual(['inbox/bank/done/stmt-2026-11-29.csv']);
    expect(plan.feed_rows).toBe(1);
    expect(r.stderr).toContain('dry run, nothing changed');
    expect(queueBytes().includes('"sup_1"')).toBe(true);
    expect(await joRowsOnDisk()).toBe(onDisk);
    // The person's identifiers are never printed.
    expect(`${r.stdout}${r.stderr}`).not.toMatch(new RegExp(JO_PATTERN.replaceAll('(?i)', ''), 'i'));
  });

  it('finds a phone number however it is spaced, and counts the rows of each value, naming it by option and never printing it', async () => {
    // `--text 3` is the same number as `--text 1`, written another way: counted too (until 2026-12-06 left out).
    const r = await runPuddle(['erase', '--text', '+44 7700 900123', '--text', 'Nobody Atall', '--text', '07700-900-123', '--supporter-id', JO.crm], E());
    expect(r.code, r.stderr).toBe(0);
    const plan = JSON.parse(r.stdout) as { rows: number; tables: { table: string; rows: number }[]; values: { value: string; rows: number }[] };
    const values = Object.fromEntries(plan.values.map((v) => [v.value, v.rows]));
    // The note is in raw only (the contact's raw record), in the first of its two versions.
    const phoneOnly = await runPuddle(['erase', '--text', '+44 7700 900123'], E());
    expect(JSON.parse(phoneOnly.stdout)).toMatchObject({ rows: 1, tables: [{ table: 'raw/envelope/v1', files: 1, rows: 1 }] });
    expect(values['--text 1']).toBe(1);
    expect(values['--text 2']).toBe(0);
    expect(values['--text 3']).toBe(1);
    // Jo's CRM id: both Salesforce versions in raw, history and current state at least.
    expect(values['--supporter-id 1']).toBeGreaterThanOrEqual(4);
    expect(plan.rows).toBeGreaterThanOrEqual(values['--supporter-id 1']!);
    expect(`${r.stdout}${r.stderr}`).not.toMatch(/7700|Nobody|0035g/);
  });

  it("refuses a --text that is a word of a source the lake's records carry, unless --force-text, never printing the value", async () => {
    // Until 2026-12-06 `--text agency` rewrote `producer:sms-agency` into `producer:sms-[erased]`, lake and raw.
    const refused = await runPuddle(['erase', '--text', 'Nobody Atall', '--text', 'Agency'], E());
    expect(refused.code).toBe(2);
    expect(refused.stderr).toContain("--text 2 is a word of a source the lake's records carry (producer:sms-*: which producer key or provider sent them)");
    expect(refused.stdout).toBe('');
    expect(refused.stderr).not.toMatch(/agency|nobody/i);
    const confirmed = await runPuddle(['erase', '--text', 'Agency', '--confirm', '--ref', 'DPO-X'], E());
    expect(confirmed.code).toBe(2);
    expect(confirmed.stderr).toContain('--text 1 is a word of a source');
    // Nothing pending: the refusal came before the run's salt was written.
    expect(existsSync(path.join(home, 'erasure-pending.json'))).toBe(false);
    const forced = await runPuddle(['erase', '--text', 'Agency', '--force-text'], E());
    expect(forced.code, forced.stderr).toBe(0);
    const plan = JSON.parse(forced.stdout) as { tables: { table: string; rows: number }[] };
    // Sam's donation, in raw and as a contract row: what --force-text would rewrite.
    expect(Object.fromEntries(plan.tables.map((t) => [t.table, t.rows]))['raw/envelope/v1']).toBe(1);
    // A word that is in no source is no problem: the dry run goes on.
    expect((await runPuddle(['erase', '--text', 'Quxworthy'], E())).code).toBe(0);
    expect(await query(`SELECT DISTINCT _source FROM donation_history WHERE donation_id = 'don_sam_1'`)).toEqual([{ _source: 'producer:sms-agency' }]);
  });

  it('refuses to carry it out without a reference, or beside a hub holding the home (exit 2)', async () => {
    const noRef = await runPuddle([...ERASE, '--confirm'], E());
    expect(noRef.code).toBe(2);
    expect(noRef.stderr).toContain('--confirm needs --ref');
    const lock = lockHome(home, 'puddle start');
    try {
      const r = await runPuddle([...ERASE, '--confirm', '--ref', 'DPO-2026-041'], E());
      expect(r.code).toBe(2);
      expect(r.stderr).toContain('puddle start');
      // What to do about it, for an erasure: not "give this one another PUDDLE_HOME", which would erase nothing.
      expect(r.stderr).toContain('Stop the hub, take a backup (puddle backup), erase, then start it again');
      expect(r.stderr).not.toContain('another PUDDLE_HOME');
    } finally {
      lock.release();
    }
    const short = await runPuddle(['erase', '--supporter-id', '2026'], E());
    expect(short.code).toBe(2);
    expect(short.stderr).toContain('--supporter-id: each id must be at least 5 characters');
    const bad = await runPuddle(['erase', '--email', 'not-an-address'], E());
    expect(bad.code).toBe(2);
    expect(bad.stderr).not.toContain('not-an-address');
  });

  it('erases the person from every lake file, raw included, keeps every row and amount, and logs it by reference', async () => {
    const r = await runPuddle([...ERASE, '--confirm', '--ref', 'DPO-2026-041'], E());
    expect(r.code, r.stderr).toBe(0);
    const done = JSON.parse(r.stdout) as { files_rewritten: number; rows_rewritten: number; queued_messages_rewritten: number; feed_rows_rewritten: number; bank_files: string[]; log: string };
    expect(done.files_rewritten).toBeGreaterThan(5);
    expect(done.queued_messages_rewritten).toBe(2);
    // The giro feed's row is served erased from now on, at the position a supplier's cursor knows; the other as it was.
    expect(done.feed_rows_rewritten).toBe(1);
    const feeds = new SqliteFeedLog(path.join(home, 'feeds.db'));
    const served = feeds.read('giro_requests', 0, 10);
    feeds.close();
    expect(served.map((f) => [f.position, f.row.address_line1])).toEqual([[1, 'c/o Jo [erased], 1 School Lane'], [2, '2 School Lane']]);
    const feedBytes = ['feeds.db', 'feeds.db-wal'].map((f) => {
      try {
        return readFileSync(path.join(home, f)).toString('latin1');
      } catch {
        return '';
      }
    });
    expect(feedBytes.join('')).not.toContain(JO.name);
    const q = new Database(path.join(home, 'queue.db'), { readonly: true });
    const bodies = q.prepare(`SELECT body FROM queue_messages UNION ALL SELECT body FROM queue_dead_letters`).pluck().all() as string[];
    q.close();
    expect(bodies).toHaveLength(3);
    for (const b of bodies) expect(b).not.toMatch(new RegExp(JO_PATTERN.replaceAll('(?i)', ''), 'i'));
    // Nor do queue.db's bytes (the old bodies overwritten, not left on free pages) or its WAL.
    expect(queueBytes().includes('"sup_1"')).toBe(false);
    expect(done.bank_files).toEqual(['inbox/bank/done/stmt-2026-11-29.csv']);
    expect(`${r.stdout}${r.stderr}`).not.toMatch(new RegExp(JO_PATTERN.replaceAll('(?i)', ''), 'i'));

    // Nowhere on disk under lake/: the old files are deleted, not only unregistered.
    expect(await joRowsOnDisk()).toBe(0);
    expect(await query(MONEY)).toEqual(before.money);
    expect(await query(SAM_ROWS)).toEqual(before.sam);
    const totals = await runPuddle(['report', 'totals', '--format', 'csv'], E());
    expect(totals.stdout).toBe(before.totals);
    // Jo's donations still belong to one (now anonymous) supporter, and the bank line keeps its amount.
    const [jo] = await query(`SELECT count(DISTINCT supporter_id) AS people, count(*) AS n, sum(amount_minor) AS total FROM donation WHERE donation_id LIKE 'don_jo_%'`);
    expect(jo).toEqual({ people: 1, n: 2, total: 3500 });
    const [line] = await query(`SELECT reference, description FROM bank_line WHERE bank_line_id = 'bl_1'`);
    expect(line!.description).toBe('J [erased] DONATION');
    expect(String(line!.reference)).toMatch(/^GIFT erased-[0-9a-f]{16}$/);
    expect((await runPuddle(['catalog', 'verify'], E())).code).toBe(0);

    // The log says when, what and the DPO's reference; nothing of the person.
    const log = readFileSync(done.log, 'utf8');
    expect(JSON.parse(log.trim().split('\n').at(-1)!)).toMatchObject({ ref: 'DPO-2026-041', files_rewritten: done.files_rewritten, rows_rewritten: done.rows_rewritten });
    expect(log).not.toMatch(new RegExp(JO_PATTERN.replaceAll('(?i)', ''), 'i'));
    // And which rows it rewrote, by envelope id (kept by the erasure): what a warehouse loaded by "new since" loads again.
    const logged = (JSON.parse(log.trim().split('\n').at(-1)!) as { rewritten_ids: Record<string, string[]> }).rewritten_ids;
    const joIds = (await query(`SELECT _id FROM donation_history WHERE donation_id LIKE 'don_jo_%' ORDER BY 1`)).map((r) => r._id);
    expect(joIds.length).toBeGreaterThan(0);
    expect(Object.entries(logged).filter(([t]) => t.endsWith('/donation/v1')).flatMap(([, ids]) => ids)).toEqual(joIds);
    expect(Object.keys(logged)).toContain('raw/envelope/v1');
    for (const ids of Object.values(logged)) for (const id of ids) expect(id).toMatch(/^[0-9a-f]{16,64}$/);

    // The queued message lands erased, and so does the dead letter, redriven.
    expect((await runPuddle(['dead-letters', 'redrive'], E())).code).toBe(0);
    await lake.consumer('transactions').drain();
    await lake.consumer('raw').drain();
    expect(await joRowsOnDisk()).toBe(0);
    const landed = await query(`SELECT donation_id, supporter_id FROM donation WHERE donation_id IN ('don_jo_3', 'don_jo_4') ORDER BY 1`);
    expect(landed.map((r) => r.donation_id)).toEqual(['don_jo_3', 'don_jo_4']);
    for (const r of landed) expect(String(r.supporter_id)).toMatch(/^erased-/);
  });

  it('is not undone by a replay of every contract, nor by rebuilding the catalog from raw', async () => {
    for (const contract of ['donation', 'supporter', 'bank_line']) {
      const r = await runPuddle(['replay', '--contract', contract], E());
      expect(r.code, r.stderr).toBe(0);
    }
    expect(await query(MONEY)).not.toEqual([]);
    const moneyNow = await query(MONEY);
    expect(await joRowsOnDisk()).toBe(0);
    lake.catalog.close();
    for (const f of ['catalog.db', 'catalog.db-wal', 'catalog.db-shm']) rmSync(path.join(home, f), { force: true });
    const rebuilt = await runPuddle(['catalog', 'rebuild'], E());
    expect(rebuilt.code, rebuilt.stderr).toBe(0);
    expect(await query(MONEY)).toEqual(moneyNow);
    const [n] = await query(`SELECT count(*) AS n FROM supporter_history WHERE email_sha256 = '${JO_HASH}' OR supporter_id IN ('sup_1', '${JO.crm}')`);
    expect(n).toEqual({ n: 0 });
    expect(await joRowsOnDisk()).toBe(0);
  });
});
