// `puddle catalog rebuild`: a home whose catalog.db is lost or damaged, with no backup, gets a new one from the
// lake's raw files (never rewritten), every other contract re-derived from them; the totals come back as they
// were and nothing is counted twice, though the old files (landed, compacted, current state) are still on disk.
// The quarantine comes back as it was: each bad record listed once, and one a resolution closed still closed.
import { existsSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';

import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { quarantineEnvelope } from '../core/engine/envelopes.js';
import { makeEnvelope, type Envelope } from '../core/envelope.js';
import { lockHome } from '../infra/local/home-lock.js';
import { SqliteCatalog } from '../infra/local/sqlite-catalog.js';
import { compactAll } from '../puddles/compact.js';
import { runPuddle } from './support/run-cli.js';
import { createLake, donation, type Lake } from './puddles/lake-fixture.js';

let lake: Lake;
let catalogPath: string;
let env: Record<string, string>;
let totals: unknown;
let boxes: unknown;
let quarantineRows: unknown;
let quarantineListing: string;

const TOTALS_SQL =
  "SELECT (SELECT count(*) FROM donation) AS donations, (SELECT sum(amount_minor) FROM donation) AS donated, " +
  "(SELECT count(*) FROM payment) AS payments, (SELECT sum(amount_minor) FROM payment) AS paid, " +
  "(SELECT max(amount_minor) FROM donation WHERE donation_id = 'rb-0') AS corrected";

function payment(id: string, amount: number) {
  return makeEnvelope({
    contract: 'payment', version: 1, source: 'test', stream: 'payment', received_at: '2026-11-29T20:16:00.000Z', delivery_id: `pay-${id}`,
    payload: { payment_id: id, occurred_at: '2026-11-29T20:15:00Z', provider: 'stripe', status: 'succeeded', amount_minor: amount, currency: 'GBP' },
  });
}

/** A Stripe charge whose mapping failed, as the connector quarantines it. */
function stripeQuarantine(id: string, deliveryId: string): Envelope {
  return quarantineEnvelope(
    { contract: 'payment', version: 1, payload: { payment_id: id, occurred_at: '2026-11-29T20:10:00Z' } },
    [{ path: 'currency', message: 'is required' }],
    { source: 'stripe', stream: 'charges', delivery_id: deliveryId, received_at: '2026-11-29T20:16:30.000Z', raw: null },
  );
}

/** What `puddle quarantine retry` publishes when a later sync landed the record (landed_since). */
function resolutionOf(q: Envelope): Envelope {
  const p = q.payload as { quarantine_id: string };
  return makeEnvelope({
    contract: 'quarantine_resolution', version: 1, source: 'puddle:quarantine-retry', stream: null, delivery_id: 'retry-1', received_at: '2026-11-30T10:00:00.000Z',
    payload: { quarantine_resolution_id: q.id, occurred_at: '2026-11-30T10:00:00.000Z', updated_at: null, quarantine_id: p.quarantine_id, contract: 'payment', source: 'stripe', resolution: 'landed_since', landed: '[]' },
  });
}

/** Every quarantine row, open or not, and which are open, as the views give them. */
const QUARANTINE_SQL =
  "SELECT q._id, q.quarantine_id, q.contract, q.source, q.reasons, q.occurred_at, q._id IN (SELECT _id FROM quarantine_open) AS open, " +
  '(SELECT count(*) FROM quarantine_history h WHERE h.quarantine_id = q.quarantine_id) AS rows_of_record FROM quarantine q ORDER BY q.quarantine_id';

async function queryQuarantine(): Promise<unknown> {
  const r = await runPuddle(['query', QUARANTINE_SQL, '--format', 'json'], env);
  expect(r.code, r.stderr).toBe(0);
  return JSON.parse(r.stdout);
}

async function listQuarantine(): Promise<string> {
  const r = await runPuddle(['quarantine'], env);
  expect(r.code, r.stderr).toBe(0);
  return r.stdout;
}

async function queryTotals(): Promise<unknown> {
  const r = await runPuddle(['query', TOTALS_SQL, '--format', 'json'], env);
  expect(r.code, r.stderr).toBe(0);
  return JSON.parse(r.stdout);
}

/** The totals report (pledges per 15-minute box), as the TV's totals are checked against. */
async function reportTotals(): Promise<unknown> {
  const r = await runPuddle(['report', 'totals', '--format', 'json'], env);
  expect(r.code, r.stderr).toBe(0);
  return JSON.parse(r.stdout);
}

/** The catalog's file list, read directly (the command has exited). */
async function registeredKeys(): Promise<string[]> {
  const catalog = new SqliteCatalog(catalogPath);
  try {
    return (await catalog.listFiles()).map((f) => f.key);
  } finally {
    catalog.close();
  }
}

function rawFilesOnDisk(): string[] {
  const root = path.join(lake.dir, 'lake', 'raw');
  return readdirSync(root, { recursive: true, withFileTypes: true })
    .filter((e) => e.isFile() && e.name.endsWith('.parquet'))
    .map((e) => path.relative(lake.dir, path.join(e.parentPath, e.name)).split(path.sep).join('/'))
    .sort();
}

const rebuild = () => runPuddle(['catalog', 'rebuild'], env, { timeoutMs: 120_000 });

beforeAll(async () => {
  lake = await createLake();
  await lake.subscribeAll();
  env = { PUDDLE_HOME: lake.dir, PORT: '0', PUDDLE_API_KEYS: 'catalog-rebuild-key' };
  catalogPath = path.join(lake.dir, 'catalog.db');
  const drainAll = async () => {
    for (const name of ['transactions', 'quarantine', 'raw']) await lake.consumer(name).drain();
  };
  // Bad records, in both batches: a donation failing its contract (delivered twice: listed once), one for a
  // contract no puddle lands, a connector's record whose mapping failed, and one more that a resolution closed.
  const badDonation = (delivery: string, received_at: string) => donation('rb-bad', 100, { currency: 'POUNDS', delivery, received_at });
  const mystery = makeEnvelope({ contract: 'mystery', version: 1, source: 'producer', stream: 'web', received_at: '2026-11-29T20:16:10.000Z', delivery_id: 'req-m', payload: { mystery_id: 'm-1', occurred_at: '2026-11-29T20:16:00Z' } });
  const closed = stripeQuarantine('ch_closed', 'run-1');
  // Two batches, so each partition has two files for compaction to merge; the second corrects rb-0 and
  // delivers rb-1 again under a new request: the lake then holds landed, compacted and current-state files.
  await lake.queue.publish([
    ...Array.from({ length: 3 }, (_, i) => donation(`rb-${i}`, 100 + i)),
    payment('p-1', 500),
    badDonation('req-b1', '2026-11-29T20:15:02.000Z'),
    mystery,
    stripeQuarantine('ch_open', 'run-1'),
    closed,
  ]);
  await drainAll();
  await lake.queue.publish([
    donation('rb-0', 900, { updated_at: '2026-11-30T09:00:00Z', received_at: '2026-11-30T09:00:01.000Z', delivery: 'req-2' }),
    donation('rb-1', 101, { received_at: '2026-11-29T20:15:05.000Z', delivery: 'req-3' }),
    payment('p-2', 700),
    badDonation('req-b2', '2026-11-29T20:17:02.000Z'),
    stripeQuarantine('ch_open', 'run-2'),
    resolutionOf(closed),
  ]);
  await drainAll();
  await compactAll({ store: lake.store, catalog: lake.catalog, minFiles: 2, foldMinRows: 0 });
  await lake.engine.close();
  lake.catalog.close();
  totals = await queryTotals();
  expect(totals).toEqual([{ donations: 3, donated: 900 + 101 + 102, payments: 2, paid: 1200, corrected: 900 }]);
  boxes = await reportTotals();
  expect(JSON.stringify(boxes)).toContain('1103');
  quarantineRows = await queryQuarantine();
  expect(quarantineRows).toHaveLength(4);
  expect(quarantineRows).toEqual(
    expect.arrayContaining([
      expect.objectContaining({ contract: 'donation', open: true, rows_of_record: 1 }),
      expect.objectContaining({ contract: 'mystery', open: true, rows_of_record: 1 }),
      expect.objectContaining({ quarantine_id: 'stripe:payment:ch_closed', open: false, rows_of_record: 1 }),
      expect.objectContaining({ quarantine_id: 'stripe:payment:ch_open', open: true, rows_of_record: 1 }),
    ]),
  );
  quarantineListing = await listQuarantine();
  expect(quarantineListing).toContain('donation');
  expect(quarantineListing).not.toContain('nothing open');
}, 120_000);

afterAll(async () => {
  await lake?.queue.close();
  if (lake) rmSync(lake.dir, { recursive: true, force: true });
});

describe('puddle catalog rebuild', () => {
  it('refuses a catalog that is whole, and changes nothing', async () => {
    const before = await registeredKeys();
    const r = await rebuild();
    expect(r.code).toBe(2);
    expect(r.stderr).toContain(`puddle catalog: ${catalogPath} is whole`);
    expect(r.stderr).toContain('only for a catalog that is missing or damaged; nothing was changed');
    expect(await registeredKeys()).toEqual(before);
    expect(readdirSync(lake.dir).filter((n) => n.includes('.damaged-'))).toEqual([]);
    const bare = await runPuddle(['catalog'], env);
    expect(bare.code).toBe(2);
    expect(bare.stderr).toBe('puddle catalog: the subcommands are verify and rebuild: puddle catalog verify, puddle catalog rebuild\n');
  }, 120_000);

  it('is refused while a hub holds the home', async () => {
    const lock = lockHome(lake.dir, 'puddle start');
    try {
      for (const suffix of ['', '-wal', '-shm']) rmSync(catalogPath + suffix, { force: true });
      const r = await rebuild();
      expect(r.code).toBe(2);
      expect(r.stderr).toContain('puddle start');
      expect(existsSync(catalogPath)).toBe(false);
    } finally {
      lock.release();
    }
  }, 120_000);

  it('rebuilds a deleted catalog from raw: the same totals, no row counted twice, only raw and re-derived files registered', async () => {
    expect(existsSync(catalogPath)).toBe(false);
    const r = await rebuild();
    expect(r.code, r.stderr).toBe(0);
    const out = JSON.parse(r.stdout);
    expect(out).toMatchObject({ catalog: 'missing', movedAside: null, rawFiles: rawFilesOnDisk().length, rawRows: 7 + 7 });
    expect(await queryTotals()).toEqual(totals);
    expect(await reportTotals()).toEqual(boxes);
    // The quarantine as it was: the same rows, each record once, ch_closed still resolved.
    expect(await listQuarantine()).toEqual(quarantineListing);
    expect(await queryQuarantine()).toEqual(quarantineRows);
    expect(out.replayed).toContainEqual(expect.objectContaining({ contract: 'donation', invalid: 1 }));
    expect(out.replayed).toContainEqual(expect.objectContaining({ contract: 'quarantine', rows: 4 }));
    const keys = await registeredKeys();
    expect(keys.filter((k) => k.startsWith('lake/raw/'))).toEqual(rawFilesOnDisk());
    // The old landed (b-), compacted (c-) and current-state files stay on disk, unregistered: only replay's are live.
    const others = keys.filter((k) => !k.startsWith('lake/raw/'));
    expect(others.length).toBeGreaterThan(0);
    for (const k of others) expect(path.basename(k)).toMatch(/^r-/);
    // Each version is in exactly one registered file: rb-0's two versions, rb-1 (its second delivery is the same
    // version) and rb-2; the two payments.
    const catalog = new SqliteCatalog(catalogPath);
    try {
      const rows = async (contract: string) => (await catalog.listFiles({ contract })).reduce((n, f) => n + f.rows, 0);
      expect(await rows('donation')).toBe(4);
      expect(await rows('payment')).toBe(2);
    } finally {
      catalog.close();
    }
  }, 120_000);

  it('moves a damaged catalog aside, never deleting it, and rebuilds', async () => {
    for (const suffix of ['-wal', '-shm']) rmSync(catalogPath + suffix, { force: true });
    const garbage = Buffer.alloc(8192, 0x5a);
    writeFileSync(catalogPath, garbage);
    const r = await rebuild();
    expect(r.code, r.stderr).toBe(0);
    const aside = readdirSync(lake.dir).filter((n) => n.startsWith('catalog.db.damaged-'));
    expect(aside).toHaveLength(1);
    expect(readFileSync(path.join(lake.dir, aside[0]!))).toEqual(garbage);
    expect(JSON.parse(r.stdout)).toMatchObject({ catalog: 'damaged', movedAside: path.join(lake.dir, aside[0]!) });
    expect(r.stderr).toContain(`moved aside to ${path.join(lake.dir, aside[0]!)} (not deleted)`);
    expect(await queryTotals()).toEqual(totals);
  }, 120_000);

  it('refuses a lake with no raw file to rebuild from, and changes nothing', async () => {
    const bare = await createLake();
    try {
      await bare.subscribeAll();
      await bare.queue.publish([donation('bare-1', 100)]);
      await bare.consumer('transactions').drain();
      await bare.engine.close();
      bare.catalog.close();
      const bareCatalog = path.join(bare.dir, 'catalog.db');
      for (const suffix of ['', '-wal', '-shm']) rmSync(bareCatalog + suffix, { force: true });
      const r = await runPuddle(['catalog', 'rebuild'], { ...env, PUDDLE_HOME: bare.dir }, { timeoutMs: 120_000 });
      expect(r.code).toBe(2);
      expect(r.stderr).toContain(`${path.join(bare.dir, 'lake', 'raw')} holds no raw file to rebuild it from`);
      expect(existsSync(bareCatalog)).toBe(false);
    } finally {
      await bare.queue.close();
      rmSync(bare.dir, { recursive: true, force: true });
    }
  }, 120_000);
});
