// The hub's query engine (snapshotPerQuery): a query naming a report view works out each contract it reads once,
// into a table taken for that query alone, dropped after it. The next query reads the lake as it is then.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { DuckDbQueryEngine } from '../../infra/local/duckdb-query-engine.js';
import { foldAll } from '../../puddles/current-state.js';
import { createLake, donation, type Lake } from './lake-fixture.js';

let lake: Lake;
let hub: DuckDbQueryEngine;

beforeAll(async () => {
  lake = await createLake();
  await lake.subscribeAll();
  await lake.queue.publish([donation('d1', 100), donation('d2', 250)]);
  await lake.consumer('transactions').drain();
  hub = new DuckDbQueryEngine({ catalog: lake.catalog, store: lake.store, snapshotPerQuery: true });
}, 60_000);

afterAll(async () => {
  await hub?.close();
  await lake?.close();
});

// The snapshot of donation, read by name: a table only while a query that took it runs. (Not through
// duckdb_tables(): SQL that asks what exists gets every view, and no snapshots.)
const SNAPSHOT = '(SELECT count(*) FROM _query_donation)';

describe('snapshots for one query', { timeout: 60_000 }, () => {
  it('reads a report view from snapshots taken for the query, and keeps none after it', async () => {
    const [during] = await hub.query(`SELECT (SELECT count(*) FROM recon_journey WHERE stage = 'pledged') AS n, ${SNAPSHOT} AS snapshot`);
    expect({ n: Number(during!.n), snapshot: Number(during!.snapshot) }).toEqual({ n: 2, snapshot: 2 });
    await expect(hub.query(`SELECT ${SNAPSHOT} AS snapshot`)).rejects.toThrow(/_query_donation does not exist/);
  });

  it('takes none for a query of the contracts alone, and reads them as they are after a snapshot', async () => {
    await expect(hub.query(`SELECT (SELECT count(*) FROM donation) AS n, ${SNAPSHOT} AS snapshot`)).rejects.toThrow(/_query_donation does not exist/);
    const [r] = await hub.query('SELECT count(*) AS n FROM donation');
    expect(Number(r!.n)).toBe(2);
  });

  it('answers from the lake as it is at each query: what landed since counts', async () => {
    await lake.queue.publish([donation('d3', 75)]);
    await lake.consumer('transactions').drain();
    const [journey] = await hub.query(`SELECT count(*) AS n FROM recon_journey WHERE stage = 'pledged'`);
    expect(Number(journey!.n)).toBe(3);
    const [plain] = await hub.query('SELECT count(*) AS n, sum(amount_minor) AS amount FROM donation');
    expect({ n: Number(plain!.n), amount: Number(plain!.amount) }).toEqual({ n: 3, amount: 425 });
  });

  it('answers as the plain views do', async () => {
    const sql = 'SELECT stage, currency, count(*) AS n FROM recon_journey GROUP BY ALL ORDER BY ALL';
    expect(await hub.query(sql)).toEqual(await lake.engine.query(sql));
  });
});

// A reconciliation view that two or more of the views a query reads read (recon_payment_link: the journey reads it
// through recon_standing_payment, recon_donation_charges, recon_breaks and itself) is worked out once, into a
// table for that query alone, whichever engine. Read inside two views, DuckDB worked it out for each.
describe('shared reconciliation views', { timeout: 60_000 }, () => {
  const LINK = '(SELECT count(*) FROM _query_recon_payment_link)';

  it('copies recon_payment_link once for the journey, on the hub and in a plain engine, and keeps it for no later query', async () => {
    for (const engine of [hub, lake.engine]) {
      const [during] = await engine.query(`SELECT (SELECT count(*) FROM recon_journey) AS n, ${LINK} AS link`);
      expect(Number(during!.link)).toBe(0);
      await expect(engine.query(`SELECT ${LINK} AS link`)).rejects.toThrow(/_query_recon_payment_link does not exist/);
    }
  });

  it('copies none for a view nothing else it reads reads', async () => {
    await expect(hub.query(`SELECT (SELECT count(*) FROM recon_payment_link) AS n, ${LINK} AS link`)).rejects.toThrow(
      /_query_recon_payment_link does not exist/,
    );
  });
});

// After a fold with nothing landed since, a contract's current view reads its state file alone: read again it
// costs a scan of the columns a query uses, less than copying every column, so the hub takes no snapshot of it.
// Once a row lands beside the state, the view de-duplicates the two, and the snapshot is taken again.
describe('snapshots of a folded current state', { timeout: 60_000 }, () => {
  it('are taken only while rows landed since the fold', async () => {
    const own = await createLake();
    const engine = new DuckDbQueryEngine({ catalog: own.catalog, store: own.store, snapshotPerQuery: true });
    try {
      await own.subscribeAll();
      await own.queue.publish([donation('d1', 100), donation('d2', 250)]);
      await own.consumer('transactions').drain();
      expect((await foldAll({ store: own.store, catalog: own.catalog })).map((f) => f.contract)).toContain('donation');
      const journey = `SELECT count(*) AS n FROM recon_journey WHERE stage = 'pledged'`;
      await expect(engine.query(`SELECT (${journey}) AS n, ${SNAPSHOT} AS snapshot`)).rejects.toThrow(/_query_donation does not exist/);
      expect(Number((await engine.query(journey))[0]!.n)).toBe(2);
      await own.queue.publish([donation('d3', 75)]);
      await own.consumer('transactions').drain();
      const [after] = await engine.query(`SELECT (${journey}) AS n, ${SNAPSHOT} AS snapshot`);
      expect({ n: Number(after!.n), snapshot: Number(after!.snapshot) }).toEqual({ n: 3, snapshot: 3 });
    } finally {
      await engine.close();
      await own.close();
    }
  });
});
