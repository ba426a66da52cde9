// An AMBIGUOUS_MATCH on a line with one candidate payout: the payout has two candidate lines (the same credit
// reported twice, as a CSV export imported beside the camt left it). Until 2026-12-05 the reason read "1 candidate
// payouts by rule bank_reference: not guessed" and named no other line (user test); now it names the other line,
// and related_ids lists it beside the payout.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { writeCamt, type CamtEntryInput } from '../../connectors/bank/camt-writer.js';
import { makeEnvelope } from '../../core/envelope.js';
import type { Lake } from '../puddles/lake-fixture.js';
import { landReconLake } from './recon-lake.js';

let lake: Lake;
const A = 'GB29NWBK60161331926819';
const id = (ref: string) => `${A}/${ref}`;
const credit = (ref: string, day: string, remittance: string): CamtEntryInput =>
  ({ amount_minor: 10_321, booking_date: day, entry_reference: ref, remittance, description: 'STRIPE PAYMENTS UK LTD' });

beforeAll(async () => {
  const envelopes = [
    makeEnvelope({
      contract: 'payout', version: 1, source: 'test', stream: 'payout', received_at: '2026-12-30T00:00:00.000Z', delivery_id: 'ambiguous',
      payload: { payout_id: 'po_dup', occurred_at: '2026-12-01T00:00:00Z', provider: 'stripe', status: 'paid', amount_minor: 10_321, currency: 'GBP', arrival_date: '2026-12-02', bank_reference: 'STRIPE PO_DUP' },
    }),
  ];
  const file = writeCamt({
    message_id: 'ambiguous', created_at: '2026-12-31T23:59:59Z', version: 8,
    statements: [{ id: 'ambiguous', account: A, currency: 'GBP', created_at: '2026-12-31T23:59:59Z', opening_balance_minor: 100_000, entries: [credit('D1', '2026-12-02', 'STRIPE PO_DUP'), credit('D2', '2026-12-03', 'STRIPE PO_DUP')] }],
  });
  lake = await landReconLake({ envelopes, bankFiles: [file], asOf: '2027-01-20' });
}, 120_000);

afterAll(async () => {
  await lake?.close();
});

describe('AMBIGUOUS_MATCH on a line with one candidate payout', () => {
  it('names the payout and its other candidate line', async () => {
    expect(await lake.engine.query(`SELECT object_id, reason, payout_id, related_ids FROM recon_breaks WHERE break_type = 'AMBIGUOUS_MATCH' ORDER BY object_id`)).toEqual([
      { object_id: id('D1'), reason: `payout po_dup has 2 candidate lines by rule bank_reference (this one and ${id('D2')}): not guessed`, payout_id: 'po_dup', related_ids: `po_dup, ${id('D2')}` },
      { object_id: id('D2'), reason: `payout po_dup has 2 candidate lines by rule bank_reference (this one and ${id('D1')}): not guessed`, payout_id: 'po_dup', related_ids: `po_dup, ${id('D1')}` },
    ]);
  });
});
