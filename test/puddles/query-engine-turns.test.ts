// The embedded query engine's turns: one statement at a time (nobody sees half-rebuilt views), but a query someone
// waits for (the dashboard's, the live totals' rebuild) goes ahead of queued background work (the drift checks).
// Order is asserted, never time: every query is asked while the first still holds the engine.
import { describe, expect, it } from 'vitest';

import type { QueryEngine } from '../../core/ports.js';
import { MAX_AHEAD } from '../../infra/local/duckdb-query-engine.js';
import { TotalsKeeper } from '../../puddles/totals-keeper.js';
import { donation, useLake } from './lake-fixture.js';

const lake = useLake();

/** Runs `sql` on `engine`, noting `name` in `order` when its answer comes. */
const asked = (order: string[], name: string, run: Promise<unknown>) => run.then(() => void order.push(name));

describe('DuckDbQueryEngine turns', () => {
  it('serves an interactive query asked while a background one runs before the background ones queued before it', async () => {
    const bg = lake.engine.withPriority('background');
    const order: string[] = [];
    // A statement that reads views (so its turn also builds them), then two more background ones queued behind it.
    const all = [
      asked(order, 'background 1 (running)', bg.query('SELECT count(*) AS n FROM donation, range(200000)')),
      asked(order, 'background 2', bg.query('SELECT 2 AS n')),
      asked(order, 'background 3', bg.query('SELECT 3 AS n')),
      asked(order, 'dashboard', lake.engine.query('SELECT count(*) AS n FROM donation')),
    ];
    await Promise.all(all);
    expect(order).toEqual(['background 1 (running)', 'dashboard', 'background 2', 'background 3']);
  });

  it('keeps first come, first served within each kind', async () => {
    const bg = lake.engine.withPriority('background');
    const order: string[] = [];
    await Promise.all([
      asked(order, 'b1', bg.query('SELECT 1')),
      asked(order, 'b2', bg.query('SELECT 2')),
      asked(order, 'i1', lake.engine.query('SELECT 3')),
      asked(order, 'b3', bg.query('SELECT 4')),
      asked(order, 'i2', lake.engine.queryWithColumns('SELECT 5')),
    ]);
    expect(order).toEqual(['b1', 'i1', 'i2', 'b2', 'b3']);
  });

  it(`lets background work go after ${MAX_AHEAD} interactive turns in a row, so a busy dashboard cannot starve it`, async () => {
    const bg = lake.engine.withPriority('background');
    const order: string[] = [];
    const runs = [asked(order, 'b-running', bg.query('SELECT 1')), asked(order, 'b-waiting', bg.query('SELECT 2'))];
    for (let i = 1; i <= MAX_AHEAD + 2; i++) runs.push(asked(order, `i${i}`, lake.engine.query(`SELECT ${i}`)));
    await Promise.all(runs);
    const interactive = Array.from({ length: MAX_AHEAD + 2 }, (_, i) => `i${i + 1}`);
    expect(order).toEqual(['b-running', ...interactive.slice(0, MAX_AHEAD), 'b-waiting', ...interactive.slice(MAX_AHEAD)]);
  });

  it("takes idle work (the dashboard's next answer, while its last is served) only when nothing else waits", async () => {
    const bg = lake.engine.withPriority('background');
    const idle = lake.engine.withPriority('idle');
    const order: string[] = [];
    await Promise.all([
      asked(order, 'b1', bg.query('SELECT 1')),
      asked(order, 'idle', idle.query('SELECT 2')),
      asked(order, 'b2', bg.query('SELECT 3')),
      asked(order, 'i', lake.engine.query('SELECT 4')),
    ]);
    expect(order).toEqual(['b1', 'i', 'b2', 'idle']);
  });

  it('still answers every turn after one fails, and reports the failure to its own caller only', async () => {
    const bg = lake.engine.withPriority('background');
    const order: string[] = [];
    const failing = bg.query('SELECT * FROM no_such_table');
    const rest = [asked(order, 'b', bg.query('SELECT 1')), asked(order, 'i', lake.engine.query('SELECT 2'))];
    await expect(failing).rejects.toThrow(/no_such_table/);
    await Promise.all(rest);
    expect(order).toEqual(['i', 'b']);
  });

  it("runs the live totals' drift check in the background: the dashboard's query asked after it is answered first", async () => {
    await lake.queue.publish([donation('d1', 1000), donation('d2', 2500)]);
    await lake.consumer('transactions').drain();
    // The real engine, noting when the keeper asks its SQL (whichever side it asks on).
    let checkAsked = () => {};
    const armed = () => new Promise<void>((r) => (checkAsked = r));
    const noting = (q: QueryEngine): QueryEngine => ({
      query: (sql) => {
        const run = q.query(sql);
        checkAsked();
        return run;
      },
      queryWithColumns: (sql) => q.queryWithColumns(sql),
      close: async () => undefined,
    });
    const keeper = new TotalsKeeper({ ...noting(lake.engine), withPriority: (p) => noting(lake.engine.withPriority(p)) });
    await keeper.rebuild();
    const checkQueued = armed();
    const order: string[] = [];
    // Something already holds the engine (a rebuild page, say) when the check and the dashboard ask. Until it
    // ends, only microtasks run here (its answer needs I/O), so the check's SQL is queued before the dashboard's.
    const holding = asked(order, 'holding', lake.engine.withPriority('background').query('SELECT count(*) FROM donation'));
    const check = asked(order, 'drift check', keeper.checkDrift());
    await checkQueued;
    const dashboard = asked(order, 'dashboard', lake.engine.query('SELECT count(*) AS n FROM recon_journey'));
    await Promise.all([holding, check, dashboard]);
    expect(order).toEqual(['holding', 'dashboard', 'drift check']);
    expect(keeper.drift().last).toMatchObject({ ok: true, boxes: 1 });
    await keeper.stop();
  });

  it("rebuilds the live totals at interactive turns (the TV waits for them): a page goes before the dashboard's asked after it", async () => {
    await lake.queue.publish([donation('d1', 1000), donation('d2', 2500)]);
    await lake.consumer('transactions').drain();
    const order: string[] = [];
    let firstAsked = () => {};
    const queued = new Promise<void>((r) => (firstAsked = r));
    // The real engine, noting each of the rebuild's statements when it is answered (whichever side it asks on).
    const noting = (q: QueryEngine): QueryEngine => ({
      query: (sql) => {
        const run = q.query(sql);
        void asked(order, 'rebuild statement', run).catch(() => undefined);
        firstAsked();
        return run;
      },
      queryWithColumns: (sql) => q.queryWithColumns(sql),
      close: async () => undefined,
    });
    const keeper = new TotalsKeeper({ ...noting(lake.engine), withPriority: (p) => noting(lake.engine.withPriority(p)) });
    // Something holds the engine when the rebuild asks its first statement, then the dashboard asks.
    const holding = asked(order, 'holding', lake.engine.withPriority('background').query('SELECT count(*) FROM donation, range(200000)'));
    const rebuilt = keeper.rebuild();
    await queued;
    const dashboard = asked(order, 'dashboard', lake.engine.query('SELECT count(*) AS n FROM recon_journey'));
    await Promise.all([holding, rebuilt, dashboard]);
    expect(order.slice(0, 3)).toEqual(['holding', 'rebuild statement', 'dashboard']);
    await keeper.stop();
  });
});
