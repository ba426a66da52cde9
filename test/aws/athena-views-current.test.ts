import { AthenaClient, GetQueryExecutionCommand, StartQueryExecutionCommand } from '@aws-sdk/client-athena';
import { mockClient } from 'aws-sdk-client-mock';
import { afterAll, beforeAll, beforeEach, describe, expect, it, vi } from 'vitest';

import { latestVersion } from '../../core/contracts/index.js';
import { makeEnvelope } from '../../core/envelope.js';
import { AthenaQueryEngine, athenaViews } from '../../infra/aws/athena-query-engine.js';
import { ensureViewsCurrent, VIEWS_STATE_KEY, viewsHash, ViewsNotCurrentError } from '../../infra/aws/athena-views-current.js';
import { makeCompactionHandler } from '../../infra/aws/handlers/compaction.js';
import type { AwsRuntime } from '../../infra/aws/runtime.js';
import { GLUE_TABLES } from '../../infra/aws/shape.js';
import type { SqliteCatalog } from '../../infra/local/sqlite-catalog.js';
import { PUDDLES } from '../../puddles/definitions.js';
import { landEnvelopes } from '../../puddles/land.js';
import { startShapeWithEmbeddedCatalog } from '../support/aws-shape.js';

// Athena has no emulator: its client is mocked (as in athena-query-engine.test.ts). The state store is the stack's,
// DynamoDB on dynalite; the compaction run's lake is S3 on fauxqs with the embedded catalog standing in for Glue.
const athena = mockClient(AthenaClient);
let rt: AwsRuntime;
let catalog: SqliteCatalog;
let stop: () => Promise<void>;

beforeAll(async () => {
  ({ rt, catalog, stop } = await startShapeWithEmbeddedCatalog());
});
afterAll(async () => {
  athena.restore();
  await stop();
});
beforeEach(async () => {
  athena.reset();
  await rt.state.delete(VIEWS_STATE_KEY);
});

const engine = () => new AthenaQueryEngine({ client: new AthenaClient({ region: 'eu-west-2' }), database: 'puddle', sleep: async () => {} });

/** Every statement succeeds, as DDL. */
function athenaAnswers(): void {
  athena.on(StartQueryExecutionCommand).resolves({ QueryExecutionId: 'q-1' });
  athena.on(GetQueryExecutionCommand).resolves({ QueryExecution: { QueryExecutionId: 'q-1', StatementType: 'DDL', Status: { State: 'SUCCEEDED' } } });
}

/** Athena refuses the third view: the caller may not create it in Glue. */
function athenaRefusesThirdView(): void {
  athena.on(StartQueryExecutionCommand).resolves({ QueryExecutionId: 'q-1' });
  athena
    .on(GetQueryExecutionCommand)
    .resolvesOnce({ QueryExecution: { StatementType: 'DDL', Status: { State: 'SUCCEEDED' } } })
    .resolvesOnce({ QueryExecution: { StatementType: 'DDL', Status: { State: 'SUCCEEDED' } } })
    .resolves({
      QueryExecution: {
        StatementType: 'DDL',
        Status: { State: 'FAILED', StateChangeReason: 'Insufficient permissions to execute the query. User is not authorized to perform: glue:CreateTable' },
      },
    });
}

const statements = () => athena.commandCalls(StartQueryExecutionCommand).map((c) => c.args[0].input.QueryString ?? '');

/** The views of the release before payment's latest version: no table of that version in the stack. */
const latestPayment = latestVersion('payment')!.version;
const previousRelease = () => athenaViews('puddle', GLUE_TABLES.filter((t) => !(t.table.contract === 'payment' && t.table.version === latestPayment)));
const paymentSql = (sql: readonly string[]) => sql.find((s) => s.startsWith('CREATE OR REPLACE VIEW "payment" AS'))!;

describe('ensureViewsCurrent', () => {
  it('creates every view on its first run and stores their hash', async () => {
    athenaAnswers();
    const views = engine().views();
    const res = await ensureViewsCurrent({ engine: engine(), state: rt.state, now: () => new Date('2026-12-07T10:00:00Z') });
    expect(res.created).toEqual(views.map((v) => v.name));
    expect(statements()).toEqual(views.map((v) => expect.stringContaining(`CREATE OR REPLACE VIEW "${v.name}" AS`)));
    expect(await rt.state.get(VIEWS_STATE_KEY)).toEqual({ hash: viewsHash(views), views: views.length, created_at: '2026-12-07T10:00:00.000Z', recon_params: {} });
  });

  it('calls nothing on Athena when the views are those stored', async () => {
    athenaAnswers();
    await ensureViewsCurrent({ engine: engine(), state: rt.state });
    athena.reset();
    const res = await ensureViewsCurrent({ engine: engine(), state: rt.state });
    expect(res.created).toEqual([]);
    expect(athena.calls()).toHaveLength(0);
  });

  it('creates every view again after a deploy that brings a new contract version, and stores the new hash', async () => {
    athenaAnswers();
    const e = engine();
    vi.spyOn(e, 'views').mockReturnValueOnce(previousRelease());
    await ensureViewsCurrent({ engine: e, state: rt.state });
    expect(paymentSql(statements())).not.toContain(`payment_v${latestPayment}_current`);

    athena.resetHistory();
    const res = await ensureViewsCurrent({ engine: engine(), state: rt.state });
    expect(res.created).toHaveLength(engine().views().length);
    expect(paymentSql(statements())).toContain(`"payment_v${latestPayment}_current"`);
    expect(await rt.state.get(VIEWS_STATE_KEY)).toMatchObject({ hash: viewsHash(engine().views()) });
  });

  it('leaves the stored hash as it was when a view cannot be created, and says what to grant', async () => {
    const before = { hash: viewsHash(previousRelease()), views: previousRelease().length, created_at: '2026-12-01T00:00:00.000Z' };
    await rt.state.set(VIEWS_STATE_KEY, before);
    athenaRefusesThirdView();
    const failed = ensureViewsCurrent({ engine: engine(), state: rt.state });
    await expect(failed).rejects.toThrow(ViewsNotCurrentError);
    await expect(failed).rejects.toThrow(/glue:CreateTable.*glue:GetTable, CreateTable, UpdateTable, DeleteTable/s);
    expect(statements()).toHaveLength(3);
    expect(await rt.state.get(VIEWS_STATE_KEY)).toEqual(before);
  });

  it("keeps the reconciliation's parameters the views were made with when a run has none of its own (the compaction function)", async () => {
    athenaAnswers();
    // create-athena-views.ts run with PUDDLE_RECON_GRACE_GIFT_NOT_PAID_DAYS=9 in its environment.
    await ensureViewsCurrent({ engine: engine(), state: rt.state, force: true, reconParams: { grace_gift_not_paid_days: 9 } });
    const made = statements().find((s) => s.startsWith('CREATE OR REPLACE VIEW "recon_params" AS'))!;
    expect(made).toContain('CAST(9 AS INTEGER) AS grace_gift_not_paid_days');
    // The compaction function's run: no PUDDLE_RECON_* of its own, the same code: nothing to create, 9 days kept.
    athena.resetHistory();
    expect((await ensureViewsCurrent({ engine: engine(), state: rt.state })).created).toEqual([]);
    expect(athena.calls()).toHaveLength(0);
    // A deploy that changed the views: all made again, recon_params with the 9 days still.
    await rt.state.set(VIEWS_STATE_KEY, { ...(await rt.state.get<object>(VIEWS_STATE_KEY)), hash: 'an older release' });
    await ensureViewsCurrent({ engine: engine(), state: rt.state });
    expect(statements().find((s) => s.startsWith('CREATE OR REPLACE VIEW "recon_params" AS'))).toBe(made);
  });

  it('force creates every view even when the stored hash matches (create-athena-views.ts)', async () => {
    athenaAnswers();
    await ensureViewsCurrent({ engine: engine(), state: rt.state });
    athena.resetHistory();
    const res = await ensureViewsCurrent({ engine: engine(), state: rt.state, force: true });
    expect(res.created).toHaveLength(engine().views().length);
  });
});

describe('the compaction run brings the views current before it folds', () => {
  const transactions = PUDDLES.find((p) => p.name === 'transactions')!;
  const donation = (i: number) =>
    makeEnvelope({
      contract: 'donation',
      version: 1,
      source: 'producer',
      delivery_id: `req-views-${i}`,
      payload: { donation_id: `don_views${i}`, occurred_at: '2026-12-06T09:00:00Z', channel: 'ivr', amount_minor: 100, currency: 'GBP', campaign: 'views' },
    });
  // The deployed wiring (glue-athena-factory.ts), with this file's Athena and the catalog standing in for Glue.
  const withAthenaViews = (): AwsRuntime => ({ ...rt, viewsCurrent: () => ensureViewsCurrent({ engine: engine(), state: rt.state }) });
  const donationState = async () => (await catalog.listFiles({ contract: 'donation' })).filter((f) => f.current);

  it('fails before any fold when the views cannot be created, then folds once they can', async () => {
    await landEnvelopes({ puddle: transactions, store: rt.store, catalog, envelopes: [donation(1), donation(2)] });
    const before = { hash: viewsHash(previousRelease()), views: previousRelease().length, created_at: '2026-12-01T00:00:00.000Z' };
    await rt.state.set(VIEWS_STATE_KEY, before);
    athenaRefusesThirdView();
    const compaction = makeCompactionHandler(async () => withAthenaViews(), () => ({ minFiles: 20, garbageAfterMs: 0 }));

    await expect(compaction()).rejects.toThrow(/Athena views could not be created/);
    expect(await donationState()).toEqual([]);
    expect((await catalog.listFiles({ contract: 'donation' })).some((f) => f.folded)).toBe(false);
    expect(await rt.state.get(VIEWS_STATE_KEY)).toEqual(before);

    athena.reset();
    athenaAnswers();
    const res = await compaction();
    expect(res.foldedContracts).toBeGreaterThan(0);
    expect((await donationState()).map((f) => f.version)).toEqual([latestVersion('donation')!.version]);
    expect(await rt.state.get(VIEWS_STATE_KEY)).toMatchObject({ hash: viewsHash(engine().views()) });
  });
});
