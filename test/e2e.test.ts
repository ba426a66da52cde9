import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DuckDBInstance } from '@duckdb/node-api';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../core/config.js';
import { appealNight, toRequests } from '../core/scenario/appeal-night.js';
import { startHub, type Hub } from '../infra/local/hub.js';
import { postEvents } from './support/hub-process.js';

const KEY = 'e2e-key';

async function waitLanded(hub: Hub) {
  for (let i = 0; i < 300 && (await hub.stats()).waiting > 0; i++) await new Promise((r) => setTimeout(r, 100));
  expect((await hub.stats()).waiting).toBe(0);
}

describe('end to end: HTTP -> queue -> Parquet -> SQL', () => {
  const home = mkdtempSync(join(tmpdir(), 'puddle-e2e-'));
  let hub: Hub;
  const s = appealNight({ seed: 3, donations: 600, duplicateRate: 0.05, invalidRate: 0.03 });

  beforeAll(async () => {
    // No raw linger: this test reads raw as soon as the other puddles have landed.
    hub = await startHub({ config: { ...loadConfig({}), home, port: 0, apiKeys: [KEY], rawLingerMs: 0 } });
  });
  afterAll(async () => {
    await hub.stop();
    rmSync(home, { recursive: true, force: true });
  });

  it('lands an appeal night and SQL totals match what was sent', async () => {
    const statuses: number[] = [];
    for (const req of toRequests(s, 40)) {
      const res = await postEvents(hub.url, KEY, req.events);
      await res.arrayBuffer();
      statuses.push(res.status);
      expect(res.status).toBe(req.invalid ? 400 : 202);
    }
    expect(statuses.filter((x) => x === 400).length).toBe(s.invalidIndexes.size);
    await waitLanded(hub);

    const rows = await hub.runtime.query.query(
      `SELECT channel, count(*) AS n, sum(amount_minor) AS amount FROM donation WHERE campaign = '${s.campaign}' GROUP BY channel`,
    );
    const got = Object.fromEntries(rows.map((r) => [r.channel, { count: r.n, amount_minor: r.amount }]));
    expect(got).toEqual(s.expected.byChannel);

    const [clicks] = await hub.runtime.query.query(`SELECT count(*) AS n FROM click WHERE campaign = '${s.campaign}'`);
    expect(clicks!.n).toBe(s.clicks.length);

    // Corrections: both versions in history, the latest in the current view.
    const [hist] = await hub.runtime.query.query(
      `SELECT count(*) - count(DISTINCT donation_id) AS extra FROM donation_history WHERE campaign = '${s.campaign}'`,
    );
    expect(hist!.extra).toBe(s.corrections);
  });

  it('writes real Parquet under lake/<puddle>/<contract>/v1/dt=YYYY-MM-DD/ that DuckDB reads directly', async () => {
    const dir = join(home, 'lake', 'transactions', 'donation', 'v1');
    const partitions = readdirSync(dir);
    expect(partitions.length).toBeGreaterThan(0);
    expect(partitions.every((p) => /^dt=\d{4}-\d{2}-\d{2}$/.test(p))).toBe(true);
    const db = await DuckDBInstance.create();
    const con = await db.connect();
    const reader = await con.runAndReadAll(
      `SELECT count(DISTINCT donation_id) AS n FROM read_parquet('${dir}/*/*.parquet', hive_partitioning = true) WHERE campaign = '${s.campaign}'`,
    );
    expect(Number(reader.getRowObjectsJson()[0]!.n)).toBe(s.donations.length);
    con.closeSync();
  });

  it('sends the same scenario again and nothing counts twice', async () => {
    for (const req of toRequests(s, 100)) {
      const res = await postEvents(hub.url, KEY, req.events);
      await res.arrayBuffer();
    }
    await waitLanded(hub);
    const [row] = await hub.runtime.query.query(
      `SELECT count(*) AS n, sum(amount_minor) AS amount FROM donation WHERE campaign = '${s.campaign}'`,
    );
    expect(row).toEqual({ n: s.expected.total.count, amount: s.expected.total.amount_minor });
    // raw keeps every delivery as received: the second sending is there beside the first.
    const [raw] = await hub.runtime.query.query(
      `SELECT (SELECT count(*) FROM raw WHERE contract = 'donation') AS deliveries, (SELECT count(*) FROM donation_history) AS versions`,
    );
    expect(raw!.deliveries as number).toBeGreaterThanOrEqual(2 * (raw!.versions as number));
  });
});
