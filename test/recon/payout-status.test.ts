// A payout's status is one of a fixed list (core/contracts/money-status.ts, PAYOUT_STATUSES), taken in any case, and
// the reconciliation reads the same list (the view payout_statuses): a payout sent as 'Paid ' or 'In_Transit' is
// expected in the bank, as 'paid' and 'in_transit' are (spelt otherwise it once landed as sent and never became a
// PAYOUT_NO_BANK_LINE), a cancelled one carries no items, and a status outside the list is quarantined, naming the
// field. Landed through the real queue, consumers, Parquet and DuckDB.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { makeEnvelope } from '../../core/envelope.js';
import { PAYOUT_STATUSES } from '../../core/contracts/money-status.js';
import type { Lake } from '../puddles/lake-fixture.js';
import { landReconLake } from './recon-lake.js';

let lake: Lake;
const env = (contract: string, payload: Record<string, unknown>) =>
  makeEnvelope({ contract, version: 1, source: 'test', stream: contract, payload, received_at: '2026-11-30T00:00:00.000Z', delivery_id: 'payout-status' });
const payout = (id: string, status: string) =>
  env('payout', { payout_id: id, occurred_at: '2026-11-19T00:00:00Z', provider: 'stripe', status, amount_minor: 5000, currency: 'GBP', arrival_date: '2026-11-20' });
const item = (id: string, payoutId: string) =>
  env('payout_item', { payout_item_id: id, occurred_at: '2026-11-18T10:00:00Z', provider: 'stripe', payout_id: payoutId, type: 'charge', amount_minor: 3000, net_minor: 3000, currency: 'GBP' });

beforeAll(async () => {
  const envelopes = [
    payout('po_paid', 'Paid '),
    payout('po_transit', 'In_Transit'),
    payout('po_pending', 'pending'),
    // Items that do not make its amount: a cancelled payout carries none, so that is no break.
    payout('po_cancelled', 'Cancelled'), item('it_c', 'po_cancelled'),
    // The same items on a failed payout: it carried them, so they must add up.
    payout('po_failed', 'FAILED'), item('it_f', 'po_failed'),
    payout('po_odd', 'paid_out'),
  ];
  lake = await landReconLake({ envelopes, asOf: '2026-12-20' });
}, 120_000);

afterAll(async () => {
  await lake?.close();
});

describe('payout statuses', () => {
  it('land as the listed status they mean; an unlisted one is quarantined, naming the field', async () => {
    const rows = await lake.engine.query('SELECT payout_id, status FROM payout ORDER BY payout_id');
    expect(rows).toEqual([
      { payout_id: 'po_cancelled', status: 'canceled' },
      { payout_id: 'po_failed', status: 'failed' },
      { payout_id: 'po_paid', status: 'paid' },
      { payout_id: 'po_pending', status: 'pending' },
      { payout_id: 'po_transit', status: 'in_transit' },
    ]);
    const [q] = await lake.engine.query("SELECT contract, reasons FROM quarantine WHERE contract = 'payout'");
    expect(JSON.parse(String(q!.reasons)).map((r: { path: string }) => r.path)).toEqual(['payload.status']);
  });

  it('are read by the reconciliation from the same list: sent payouts are expected in the bank, a cancelled one carries no items', async () => {
    const rows = await lake.engine.query(
      "SELECT break_type, object_id FROM recon_breaks WHERE object_kind = 'payout' ORDER BY break_type, object_id",
    );
    expect(rows).toEqual([
      { break_type: 'PAYOUT_FAILED', object_id: 'po_failed' },
      { break_type: 'PAYOUT_ITEMS_MISMATCH', object_id: 'po_failed' },
      { break_type: 'PAYOUT_NO_BANK_LINE', object_id: 'po_paid' },
      { break_type: 'PAYOUT_NO_BANK_LINE', object_id: 'po_transit' },
    ]);
    const statuses = await lake.engine.query('SELECT status, to_bank, carries_items FROM payout_statuses ORDER BY status');
    const listed = PAYOUT_STATUSES.map((s) => ({ status: s.status, to_bank: s.to_bank, carries_items: s.carries_items }));
    expect(statuses).toEqual([...listed, { status: 'cancelled', to_bank: false, carries_items: false }].sort((a, b) => a.status.localeCompare(b.status)));
  });
});
