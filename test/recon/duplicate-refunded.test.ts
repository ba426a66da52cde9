// DUPLICATE_PAYMENT closes the way finance closes it, by refunding the double charge: on a small hand-made lake
// (the real queue, consumers, Parquet and DuckDB), a duplicate refunded in full is no break, whichever charge was
// refunded, and one refunded in part stays open for what the refund left.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { makeEnvelope } from '../../core/envelope.js';
import { setReconParams } from '../../puddles/reports.js';
import { createLake, type Lake } from '../puddles/lake-fixture.js';

let lake: Lake;
const env = (contract: string, payload: Record<string, unknown>) =>
  makeEnvelope({ contract, version: 1, source: 'test', stream: contract, payload, received_at: '2026-11-20T00:00:00.000Z', delivery_id: 'duplicates' });
const donation = (id: string) => env('donation', { donation_id: id, occurred_at: '2026-11-18T12:00:00Z', channel: 'online', amount_minor: 2000, currency: 'GBP' });
const pay = (id: string, donationId: string, second: number) =>
  env('payment', { payment_id: id, occurred_at: `2026-11-18T12:00:${String(second).padStart(2, '0')}Z`, provider: 'stripe', status: 'succeeded', amount_minor: 2000, currency: 'GBP', donation_id: donationId });
const refund = (id: string, paymentId: string, amount: number, status = 'succeeded') =>
  env('refund', { refund_id: id, occurred_at: '2026-11-19T10:00:00Z', provider: 'stripe', payment_id: paymentId, status, amount_minor: amount, currency: 'GBP' });

beforeAll(async () => {
  lake = await createLake();
  await lake.subscribeAll();
  await lake.queue.publish([
    donation('d_open'), pay('ch_open1', 'd_open', 5), pay('ch_open2', 'd_open', 9),
    // The tester's: the second charge refunded in full.
    donation('d_back'), pay('ch_back1', 'd_back', 5), pay('ch_back2', 'd_back', 9), refund('re_back', 'ch_back2', 2000),
    // The first charge refunded instead: just as right.
    donation('d_first'), pay('ch_first1', 'd_first', 5), pay('ch_first2', 'd_first', 9), refund('re_first', 'ch_first1', 2000),
    // Refunded in two parts, one still pending; and in part only.
    donation('d_parts'), pay('ch_parts1', 'd_parts', 5), pay('ch_parts2', 'd_parts', 9), refund('re_parts1', 'ch_parts2', 1200), refund('re_parts2', 'ch_parts2', 800, 'pending'),
  ]);
  await lake.consumer('transactions').drain();
  await setReconParams(lake.engine, { as_of: '2026-11-20' });
}, 60_000);

afterAll(async () => {
  await lake?.close();
});

describe('a duplicate payment refunded', () => {
  it('is closed when refunded in full, and open for what is left when refunded in part', async () => {
    const rows = await lake.engine.query(`SELECT object_id, amount_minor, related_ids, reason FROM recon_breaks WHERE break_type = 'DUPLICATE_PAYMENT' ORDER BY object_id`);
    expect(rows).toEqual([
      { object_id: 'ch_open2', amount_minor: 2000, related_ids: 'ch_open1', reason: 'payment number 2 that succeeded for one donation' },
      { object_id: 'ch_parts2', amount_minor: 800, related_ids: 'ch_parts1', reason: 'payment number 2 that succeeded for one donation; 1200 of its 2000 refunded' },
    ]);
  });

  it('closes the partly refunded one once the rest of the refund succeeds', async () => {
    await lake.queue.publish([makeEnvelope({ contract: 'refund', version: 1, source: 'test', stream: 'refund', payload: { refund_id: 're_parts2', occurred_at: '2026-11-19T10:00:00Z', updated_at: '2026-11-19T11:00:00Z', provider: 'stripe', payment_id: 'ch_parts2', status: 'succeeded', amount_minor: 800, currency: 'GBP' }, received_at: '2026-11-20T00:00:00.000Z', delivery_id: 'duplicates-2' })]);
    await lake.consumer('transactions').drain();
    const rows = await lake.engine.query(`SELECT object_id FROM recon_breaks WHERE break_type = 'DUPLICATE_PAYMENT'`);
    expect(rows).toEqual([{ object_id: 'ch_open2' }]);
  });
});
