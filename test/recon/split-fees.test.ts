// A split payment's fee and net in the journey are the whole donation's: the sum over its parts (6000 + 4000 for
// 10000), null when any part's is unknown (until 2026-12-02 they were the followed part's alone). A split whose
// second part was refunded in part reads `refunded`, as one charge refunded in part does: the journey's stages
// have no "partly refunded", and `refunded` is what tells finance money went back (how much is the refund's).
// On a small lake landed through the real queue, consumers, Parquet and DuckDB.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { makeEnvelope } from '../../core/envelope.js';
import type { Lake } from '../puddles/lake-fixture.js';
import { landReconLake } from './recon-lake.js';

let lake: Lake;
const env = (contract: string, payload: Record<string, unknown>) =>
  makeEnvelope({ contract, version: 1, source: 'test', stream: contract, payload, received_at: '2026-11-20T00:00:00.000Z', delivery_id: 'split-fees' });
const donation = (id: string) =>
  env('donation', { donation_id: id, occurred_at: '2026-11-18T12:00:00Z', channel: 'online', amount_minor: 10000, currency: 'GBP' });
const pay = (id: string, donationId: string, second: number, amount: number, fee?: number) =>
  env('payment', {
    payment_id: id, occurred_at: `2026-11-18T12:00:${String(second).padStart(2, '0')}Z`, provider: 'stripe', status: 'succeeded',
    amount_minor: amount, currency: 'GBP', donation_id: donationId, ...(fee === undefined ? {} : { fee_minor: fee, net_minor: amount - fee }),
  });
const refund = (id: string, paymentId: string, amount: number) =>
  env('refund', { refund_id: id, occurred_at: '2026-11-19T10:00:00Z', provider: 'stripe', payment_id: paymentId, status: 'succeeded', amount_minor: amount, currency: 'GBP' });

beforeAll(async () => {
  lake = await landReconLake({
    envelopes: [
      // 6000 + 4000, both fees known.
      donation('d_split'), pay('ch_s1', 'd_split', 5, 6000, 110), pay('ch_s2', 'd_split', 9, 4000, 80),
      // The same, the second part refunded in part.
      donation('d_part_refund'), pay('ch_r1', 'd_part_refund', 5, 6000, 110), pay('ch_r2', 'd_part_refund', 9, 4000, 80),
      refund('re_r2', 'ch_r2', 1000),
      // The second part's fee is unknown: so is the donation's.
      donation('d_fee_unknown'), pay('ch_u1', 'd_fee_unknown', 5, 6000, 110), pay('ch_u2', 'd_fee_unknown', 9, 4000),
      // One charge: its own fee.
      donation('d_one'), pay('ch_o1', 'd_one', 5, 10000, 170),
    ],
    asOf: '2026-11-20',
  });
}, 120_000);

afterAll(async () => {
  await lake?.close();
});

describe('a split payment in the journey', () => {
  it('has the fee and net of all its parts, null when a part\'s is unknown', async () => {
    const rows = await lake.engine.query('SELECT donation_id, payment_id, fee_minor, net_minor FROM recon_journey ORDER BY donation_id');
    expect(rows).toEqual([
      { donation_id: 'd_fee_unknown', payment_id: 'ch_u1', fee_minor: null, net_minor: null },
      { donation_id: 'd_one', payment_id: 'ch_o1', fee_minor: 170, net_minor: 9830 },
      { donation_id: 'd_part_refund', payment_id: 'ch_r2', fee_minor: 190, net_minor: 9810 },
      { donation_id: 'd_split', payment_id: 'ch_s1', fee_minor: 190, net_minor: 9810 },
    ]);
  });

  it('reads refunded when a later part was refunded in part, and stays one paid donation without breaks', async () => {
    const rows = await lake.engine.query(
      `SELECT donation_id, payment_id, payment_ids, stage, open_breaks FROM recon_journey WHERE donation_id IN ('d_split', 'd_part_refund') ORDER BY donation_id`,
    );
    expect(rows).toEqual([
      { donation_id: 'd_part_refund', payment_id: 'ch_r2', payment_ids: 'ch_r1, ch_r2', stage: 'refunded', open_breaks: '' },
      { donation_id: 'd_split', payment_id: 'ch_s1', payment_ids: 'ch_s1, ch_s2', stage: 'paid', open_breaks: '' },
    ]);
  });
});
