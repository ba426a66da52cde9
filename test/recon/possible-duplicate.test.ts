// Possible duplicate donations (recon_possible_duplicate, `puddle report duplicates`): a double click or a pledge keyed
// twice makes two donations with a charge each, which DUPLICATE_PAYMENT (two charges on one donation) cannot see. On
// a small hand-made lake (the real queue, consumers, Parquet and DuckDB): the same person, amount and currency within
// the window, both holding money, is listed once, beside its nearest earlier gift; a refunded repeat, an unpaid one,
// another amount or currency, a regular gift's instalments and a gift outside the window are not.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { makeEnvelope } from '../../core/envelope.js';
import { reportSql, setReconParams } from '../../puddles/reports.js';
import { createLake, type Lake } from '../puddles/lake-fixture.js';

let lake: Lake;
const env = (contract: string, payload: Record<string, unknown>, version = 1) =>
  makeEnvelope({ contract, version, source: 'test', stream: contract, payload, received_at: '2026-11-20T00:00:00.000Z', delivery_id: 'possible-duplicates' });
/** A donation at 12:mm:ss on 2026-11-18, with a charge that succeeded a second later (unless `paid` is false). */
function gift(id: string, at: string, o: { supporter?: string; customer?: string; amount?: number; currency?: string; click?: string; paid?: boolean; plan?: string } = {}) {
  const occurred = `2026-11-18T12:${at}Z`;
  const out = [
    env(
      'donation',
      {
        donation_id: id, occurred_at: occurred, channel: 'online', amount_minor: o.amount ?? 2500, currency: o.currency ?? 'GBP',
        ...(o.supporter ? { supporter_id: o.supporter } : {}), ...(o.click ? { click_id: o.click } : {}), ...(o.plan ? { recurring_donation_id: o.plan } : {}),
      },
      o.plan ? 3 : 1,
    ),
  ];
  if (o.paid !== false) {
    out.push(env('payment', {
      payment_id: `ch_${id}`, occurred_at: occurred.replace(/(\d\d)Z$/, (s) => `${String(Number(s.slice(0, 2)) + 1).padStart(2, '0')}Z`), provider: 'stripe',
      status: 'succeeded', amount_minor: o.amount ?? 2500, currency: o.currency ?? 'GBP', donation_id: id, ...(o.customer ? { supporter_id: o.customer } : {}),
    }));
  }
  return out;
}

beforeAll(async () => {
  lake = await createLake();
  await lake.subscribeAll();
  await lake.queue.publish([
    // A double click: one click, two donations 40 s apart, both charged.
    ...gift('d_click1', '00:00', { supporter: 'sup_1', click: 'clk_1' }), ...gift('d_click2', '00:40', { supporter: 'sup_1', click: 'clk_1' }),
    // Keyed twice at the call centre, the person known only through the charges' Stripe customer.
    ...gift('d_cust1', '01:00', { customer: 'cus_9' }), ...gift('d_cust2', '06:00', { customer: 'cus_9' }),
    // Three in a row: two rows, each beside the gift just before it.
    ...gift('d_row1', '02:00', { supporter: 'sup_3' }), ...gift('d_row2', '02:30', { supporter: 'sup_3' }), ...gift('d_row3', '03:00', { supporter: 'sup_3' }),
    // Twenty minutes apart: outside the 15-minute window.
    ...gift('d_late1', '10:00', { supporter: 'sup_4' }), ...gift('d_late2', '30:00', { supporter: 'sup_4' }),
    // The repeat refunded in full: put right, so no longer listed.
    ...gift('d_back1', '04:00', { supporter: 'sup_5' }), ...gift('d_back2', '04:20', { supporter: 'sup_5' }),
    env('refund', { refund_id: 're_back2', occurred_at: '2026-11-19T10:00:00Z', provider: 'stripe', payment_id: 'ch_d_back2', status: 'succeeded', amount_minor: 2500, currency: 'GBP' }),
    // The repeat never paid; another amount; another currency; two instalments of one plan; no person at all.
    ...gift('d_unpaid1', '05:00', { supporter: 'sup_6' }), ...gift('d_unpaid2', '05:10', { supporter: 'sup_6', paid: false }),
    ...gift('d_amount1', '07:00', { supporter: 'sup_7' }), ...gift('d_amount2', '07:10', { supporter: 'sup_7', amount: 5000 }),
    ...gift('d_eur1', '08:00', { supporter: 'sup_8' }), ...gift('d_eur2', '08:10', { supporter: 'sup_8', currency: 'EUR' }),
    ...gift('d_plan1', '09:00', { supporter: 'sup_9', plan: 'DD-1' }), ...gift('d_plan2', '09:10', { supporter: 'sup_9', plan: 'DD-1' }),
    ...gift('d_anon1', '11:00'), ...gift('d_anon2', '11:10'),
  ]);
  await lake.consumer('transactions').drain();
  await setReconParams(lake.engine, { as_of: '2026-11-20' });
}, 60_000);

afterAll(async () => {
  await lake?.close();
});

const listed = () =>
  lake.engine.query(`SELECT donation_id, earlier_donation_id, supporter_id, amount_minor, currency, CAST(seconds_apart AS INTEGER) AS seconds_apart, same_click, stage FROM (${reportSql('duplicates')})`);

describe('possible duplicate donations', () => {
  it('lists a repeat of one person, amount and currency within 15 minutes, both holding money, beside the gift just before it', async () => {
    expect(await listed()).toEqual([
      { donation_id: 'd_click2', earlier_donation_id: 'd_click1', supporter_id: 'sup_1', amount_minor: 2500, currency: 'GBP', seconds_apart: 40, same_click: true, stage: 'paid' },
      { donation_id: 'd_row2', earlier_donation_id: 'd_row1', supporter_id: 'sup_3', amount_minor: 2500, currency: 'GBP', seconds_apart: 30, same_click: false, stage: 'paid' },
      { donation_id: 'd_row3', earlier_donation_id: 'd_row2', supporter_id: 'sup_3', amount_minor: 2500, currency: 'GBP', seconds_apart: 30, same_click: false, stage: 'paid' },
      { donation_id: 'd_cust2', earlier_donation_id: 'd_cust1', supporter_id: 'cus_9', amount_minor: 2500, currency: 'GBP', seconds_apart: 300, same_click: false, stage: 'paid' },
    ]);
  });

  it('takes a wider window from recon_params (PUDDLE_RECON_DUPLICATE_WINDOW_MINUTES)', async () => {
    await setReconParams(lake.engine, { as_of: '2026-11-20', duplicate_window_minutes: 30 });
    try {
      expect((await listed()).map((r) => r.donation_id)).toEqual(['d_click2', 'd_row2', 'd_row3', 'd_cust2', 'd_late2']);
    } finally {
      await setReconParams(lake.engine, { as_of: '2026-11-20' });
    }
  });
});
