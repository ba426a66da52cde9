// The completeness control an auditor asks for: every envelope the raw trail received either landed (as the
// version that stands, or one it superseded), came again (a re-send), went to quarantine, or is a provider's event
// kept in raw only. `landing_controls` counts them per day, source, stream and contract; `raw_fate` names each
// envelope's fate. Over the recon world landed through the real queue and consumers, with a re-send and a
// refused record, then with records lost from the lake and after a replay under a stricter contract.
import { describe, expect, it } from 'vitest';

import { quarantineEnvelope } from '../core/engine/envelopes.js';
import { makeEnvelope, type Envelope } from '../core/envelope.js';
import { reconWorld } from '../core/scenario/recon-world.js';
import { writeRowFiles } from '../puddles/land.js';
import { columnsFor, contractRow } from '../puddles/landing-rows.js';
import { landedIdsSql } from '../puddles/named-views.js';
import { portableSqlErrors } from '../puddles/portable-sql.js';
import { replay } from '../puddles/replay.js';
import { reportSql } from '../puddles/reports.js';
import { PUDDLES } from '../puddles/definitions.js';
import { landReconLake } from './recon/recon-lake.js';
import { donation, useLake } from './puddles/lake-fixture.js';

const world = reconWorld({ seed: 9, donations: 60 });
const FATES = ['current', 'superseded', 'repeated', 'quarantined', 'raw_only', 'unaccounted'] as const;

type Control = Record<(typeof FATES)[number] | 'received', number> & { day: string; source: string | null; stream: string | null; contract: string };

async function controls(engine: { query(sql: string): Promise<Record<string, unknown>[]> }): Promise<Control[]> {
  const rows = await engine.query(reportSql('landing'));
  return rows.map((r) => ({ ...r, day: String(r.day).slice(0, 10) }) as unknown as Control);
}

const total = (rows: Control[], col: keyof Control) => rows.reduce((n, r) => n + Number(r[col]), 0);

describe('landing_controls: received = landed + repeated + quarantined (+ raw only), and what went nowhere', { timeout: 180_000 }, () => {
  it('accounts for every envelope of the recon world, a re-send and a refused record, and names what a lost file took away', async () => {
    const resent = world.envelopes.find((e) => e.contract === 'payment')!;
    const refused = makeEnvelope({
      contract: 'donation',
      version: 1,
      source: 'producer',
      stream: 'call_centre',
      payload: { donation_id: 'd-refused', occurred_at: '2026-11-29T20:00:00Z', channel: 'call_centre', amount_minor: -5, currency: 'GBP' },
      received_at: '2026-11-29T20:00:01.000Z',
      delivery_id: 'req-refused',
    });
    const again: Envelope = { ...resent, received_at: '2026-12-01T09:00:00.000Z', delivery_id: 'req-again' };
    // A Stripe charge whose mapping failed, as the connector quarantines it.
    const unmapped = quarantineEnvelope(
      { contract: 'payment', version: 1, payload: { payment_id: 'ch_unmapped', occurred_at: '2026-11-29T20:10:00Z' } },
      [{ path: 'currency', message: 'is required' }],
      { source: 'stripe', stream: 'charges', delivery_id: 'sync-1', received_at: '2026-11-29T20:16:30.000Z', raw: null },
    );
    const lake = await landReconLake({ envelopes: [...world.envelopes, refused, again, unmapped], puddles: PUDDLES.map((p) => p.name), asOf: world.asOf });
    try {
      const rows = await controls(lake.engine);
      for (const r of rows) expect(r.received, JSON.stringify(r)).toBe(FATES.reduce((n, f) => n + Number(r[f]), 0));
      expect(total(rows, 'received')).toBe(world.envelopes.length + 3);
      expect(total(rows, 'unaccounted')).toBe(0);
      expect(total(rows, 'repeated')).toBe(1);
      expect(total(rows, 'quarantined')).toBe(2);
      expect(rows.find((r) => r.source === 'stripe' && r.stream === 'charges')).toMatchObject({ contract: 'quarantine', received: 1, quarantined: 1 });
      // The world corrects some records (a call-centre correction): the older versions are superseded, not lost.
      expect(total(rows, 'superseded')).toBeGreaterThan(0);
      const donations = await lake.engine.query(`SELECT count(*) AS n FROM donation`);
      expect(total(rows.filter((r) => r.contract === 'donation'), 'current')).toBe(Number(donations[0]!.n));
      expect(await lake.engine.query(`SELECT fate FROM raw_fate WHERE id = '${refused.id}'`)).toEqual([{ fate: 'quarantined' }]);
      expect(await lake.engine.query(`SELECT fate FROM raw_fate WHERE id = '${resent.id}' ORDER BY received_at`)).toEqual([{ fate: 'current' }, { fate: 'repeated' }]);

      // A lake file that falls out of the catalog (a bad restore, a lost registration) takes its rows out of the
      // views without a word: the control counts them, and raw_fate names each.
      const [lost] = await lake.catalog.listFiles({ contract: 'refund' });
      await lake.catalog.replaceFiles([lost!.key], []);
      const after = await controls(lake.engine);
      expect(total(after, 'unaccounted')).toBe(lost!.rows);
      expect(after.filter((r) => r.unaccounted > 0).map((r) => r.contract)).toEqual(['refund']);
      const named = await lake.engine.query(`SELECT count(*) AS n FROM raw_fate WHERE fate = 'unaccounted' AND contract = 'refund'`);
      expect(named).toEqual([{ n: lost!.rows }]);
    } finally {
      await lake.close();
    }
  });

  it('is portable SQL for Athena', () => {
    expect(portableSqlErrors(landedIdsSql())).toEqual([]);
  });
});

describe('replay under a stricter contract', () => {
  const lake = useLake();

  it('puts a record that landed under an older rule and fails today in quarantine, instead of dropping it', async () => {
    // A donation landed before blank keys were refused (until 2026-12-02): raw holds its envelope, the donation
    // history its row, written as landing wrote it then.
    const old = donation('   ', 900, { received_at: '2026-11-20T10:00:00.000Z', delivery: 'old' });
    const fine = donation('d-fine', 500);
    await lake.queue.publish([old, fine]);
    await lake.consumer('raw').drain();
    await lake.consumer('transactions').drain();
    const twin = contractRow({ ...old, payload: { ...(old.payload as object), donation_id: 'x' } }, 'transactions');
    if (!twin.ok) throw new Error('twin should be valid');
    const cells = [...twin.row.row];
    cells[columnsFor(twin.row.table).findIndex((c) => c.name === 'donation_id')] = '   ';
    await lake.catalog.addFiles(await writeRowFiles(lake.store, [{ ...twin.row, row: cells }], 'b'));
    // Landing today put the old envelope in quarantine; take that row away, as it was never there then.
    for (const f of await lake.catalog.listFiles({ contract: 'quarantine' })) await lake.catalog.replaceFiles([f.key], []);
    expect(await lake.engine.query(`SELECT fate FROM raw_fate WHERE id = '${old.id}'`)).toEqual([{ fate: 'current' }]);

    const result = await replay({ store: lake.store, catalog: lake.catalog, contract: 'donation' });
    expect(result).toMatchObject({ rows: 1, invalid: 1, quarantined: 1 });
    expect(await lake.engine.query(`SELECT donation_id FROM donation`)).toEqual([{ donation_id: 'd-fine' }]);
    expect(await lake.engine.query(`SELECT fate FROM raw_fate WHERE id = '${old.id}'`)).toEqual([{ fate: 'quarantined' }]);
    const [q] = await lake.engine.query(`SELECT quarantine_id, contract, reasons FROM quarantine_open`);
    expect(q).toMatchObject({ quarantine_id: old.id, contract: 'donation' });
    expect(String(q!.reasons)).toMatch(/donation_id/);

    // Replayed again: the record is in quarantine already, so nothing is added twice.
    const again = await replay({ store: lake.store, catalog: lake.catalog, contract: 'donation' });
    expect(again).toMatchObject({ invalid: 1, quarantined: 0 });
    expect(await lake.engine.query(`SELECT count(*) AS n FROM quarantine_history`)).toEqual([{ n: 1 }]);
  });
});
