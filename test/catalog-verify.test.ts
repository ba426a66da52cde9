// `puddle catalog verify`: what tells an auditor that no lake file was edited after it landed. Every listed file is
// there at the size the catalog registered; each raw envelope's payload still hashes to its id, and each raw file's
// rows still hash to its name. Over the recon world landed through the real queue and consumers into a home, then
// with a raw envelope's amount edited (its id kept), a raw row taken out, and a landed donation file rewritten.
import path from 'node:path';

import { DuckDBInstance } from '@duckdb/node-api';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { reconWorld } from '../core/scenario/recon-world.js';
import { PUDDLES } from '../puddles/definitions.js';
import type { Lake } from './puddles/lake-fixture.js';
import { landReconLake } from './recon/recon-lake.js';
import { runPuddle } from './support/run-cli.js';

const world = reconWorld({ seed: 9, donations: 40 });
let lake: Lake;
const verify = () => runPuddle(['catalog', 'verify'], { PUDDLE_HOME: lake.dir });

/** Rewrite a Parquet file in place with DuckDB, through `select` over it (`{f}`). */
async function rewrite(key: string, select: string): Promise<void> {
  const file = path.join(lake.dir, key);
  const db = await DuckDBInstance.create(':memory:');
  const c = await db.connect();
  try {
    await c.run(`CREATE TABLE t AS ${select.replaceAll('{f}', `read_parquet('${file}', hive_partitioning = false)`)}`);
    await c.run(`COPY t TO '${file}' (FORMAT parquet)`);
  } finally {
    c.closeSync();
    db.closeSync();
  }
}

beforeAll(async () => {
  lake = await landReconLake({ envelopes: world.envelopes, puddles: PUDDLES.map((p) => p.name), asOf: world.asOf });
}, 180_000);
afterAll(() => lake?.close());

describe('puddle catalog verify', { timeout: 120_000 }, () => {
  it('passes a lake as it landed, and names each file edited since, with exit 1', async () => {
    const clean = await verify();
    expect(clean.stderr).not.toContain('puddle catalog:');
    expect(clean.code).toBe(0);
    const summary = JSON.parse(clean.stdout) as { rawFiles: number; rawRows: number; problems: unknown[] };
    expect(summary.rawRows).toBe(world.envelopes.length);
    expect(summary.problems).toEqual([]);

    const raw = (await lake.catalog.listFiles({ puddle: 'raw' })).sort((a, b) => b.rows - a.rows);
    expect(raw.length).toBeGreaterThan(0);
    // An amount edited inside a raw envelope, its id left as it was: the payload no longer hashes to it.
    const [edited] = await lake.engine.query(
      `SELECT id FROM raw WHERE contract = 'payment' AND envelope LIKE '%"amount_minor":%' ORDER BY id LIMIT 1`,
    );
    const id = String(edited!.id);
    const payments = raw[0]!.key;
    await rewrite(
      payments,
      `SELECT * REPLACE (CASE WHEN id = '${id}' THEN regexp_replace(envelope, '"amount_minor":([0-9]+)', '"amount_minor":1\\1') ELSE envelope END AS envelope) FROM {f}`,
    );
    const afterEdit = await verify();
    expect(afterEdit.code).toBe(1);
    expect(afterEdit.stderr).toContain(`puddle catalog: lake file ${payments} holds 1 envelope whose payload no longer hashes to its id (first: ${id}): edited after landing`);

    // A row taken out of a raw file: its rows no longer hash to its name, and their count is not the catalog's.
    await rewrite(payments, `SELECT * FROM {f} WHERE id <> '${id}'`);
    const afterDelete = await verify();
    expect(afterDelete.code).toBe(1);
    expect(afterDelete.stderr).toContain(`${payments} holds ${raw[0]!.rows - 1} rows where the catalog registered ${raw[0]!.rows}`);
    expect(afterDelete.stderr).toContain(`${payments} its rows no longer hash to its name`);

    // A landed donation file rewritten with a row more: its size is not the one registered when it landed.
    const [donations] = await lake.catalog.listFiles({ contract: 'donation' });
    await rewrite(donations!.key, `SELECT * FROM {f} UNION ALL (SELECT * FROM {f} LIMIT 1)`);
    const afterDonation = await verify();
    expect(afterDonation.stderr).toMatch(new RegExp(`lake file ${donations!.key} is \\d+ bytes where the catalog registered ${donations!.bytes} when it landed: changed since`));
    // Nothing else is named: each line is about one of the two files.
    for (const line of afterDonation.stderr.trim().split('\n')) expect([payments, donations!.key].some((k) => line.includes(k))).toBe(true);
  });
});
