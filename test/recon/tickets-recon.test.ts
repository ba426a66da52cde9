// Supporter care tickets in the reconciliation (issue #13): open tickets on a donation or payment show on its
// breaks and its journey, and `puddle report tickets` lists refund and cancellation tickets whose money trail
// shows nothing done after the grace period. Landed through the real queue, consumers, Parquet and DuckDB.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { makeEnvelope, type Envelope } from '../../core/envelope.js';
import { reportSql, setReconParams } from '../../puddles/reports.js';
import { donation, type Lake } from '../puddles/lake-fixture.js';
import { landReconLake } from './recon-lake.js';

let lake: Lake;
const env = (contract: string, version: number, payload: Record<string, unknown>): Envelope =>
  makeEnvelope({ contract, version, source: 'test', stream: contract, payload, received_at: '2026-12-19T00:00:00.000Z', delivery_id: 'tickets-recon' });
const payment = (id: string, donationId: string, amount: number, status = 'succeeded') =>
  env('payment', 1, { payment_id: id, occurred_at: '2026-12-01T10:00:00Z', provider: 'stripe', status, amount_minor: amount, currency: 'GBP', donation_id: donationId });
const ticket = (id: string, day: string, fields: Record<string, unknown>) =>
  env('ticket', 2, { ticket_id: id, occurred_at: `${day}T09:00:00Z`, updated_at: `${day}T09:00:00Z`, status: 'open', deleted: false, spam: false, ...fields });

beforeAll(async () => {
  const envelopes = [
    donation('d1', 1000, { occurred_at: '2026-12-01T09:59:00Z' }),
    donation('d2', 2000, { occurred_at: '2026-12-01T09:59:00Z' }),
    donation('d4', 500, { occurred_at: '2026-12-01T09:59:00Z' }),
    donation('d5', 700, { occurred_at: '2026-12-01T09:59:00Z', status: 'cancelled' }),
    donation('d6', 900, { occurred_at: '2026-12-01T09:59:00Z' }),
    payment('ch_1', 'd1', 1000),
    payment('ch_2', 'd2', 2000),
    env('refund', 1, { refund_id: 're_2', occurred_at: '2026-12-05T10:00:00Z', provider: 'stripe', payment_id: 'ch_2', status: 'succeeded', amount_minor: 2000, currency: 'GBP' }),
    ticket('t1', '2026-12-02', { type: 'Question', donation_id: 'd4' }),
    ticket('t2', '2026-12-02', { type: 'Refund request', payment_ref: 'ch_2', link_source: 'pattern' }),
    ticket('t3', '2026-12-03', { type: 'Refund request', donation_id: 'd1' }),
    ticket('t4', '2026-12-03', { type: 'Cancel regular gift', donation_id: 'd5' }),
    ticket('t5', '2026-12-18', { type: 'Refund request', donation_id: 'd1' }),
    ticket('t6', '2026-12-03', { type: 'Refund request', donation_id: 'd1', deleted: true }),
    ticket('t7', '2026-12-04', { type: 'Refund request', payment_ref: 'ch_1', link_source: 'field', status: 'closed' }),
    ticket('t8', '2026-12-04', { type: 'Cancel regular gift', donation_id: 'd1', status: 'resolved' }),
    // A refund asked for a donation never paid, and one for a donation the lake does not have (a mistyped id).
    ticket('t9', '2026-12-04', { type: 'Refund request', donation_id: 'd6' }),
    ticket('t10', '2026-12-04', { type: 'Refund request', donation_id: 'd_mistyped' }),
    // Cancelling a regular gift is closing it in the CRM: done for sup-closed, not for sup-active.
    env('recurring_donation', 1, { recurring_donation_id: 'rd-1', occurred_at: '2026-09-01T10:00:00Z', updated_at: '2026-12-03T12:00:00Z', supporter_id: 'sup-closed', status: 'Closed' }),
    env('recurring_donation', 1, { recurring_donation_id: 'rd-2', occurred_at: '2026-09-01T10:00:00Z', supporter_id: 'sup-active', status: 'Active' }),
    ticket('t11', '2026-12-04', { type: 'Cancel regular gift', supporter_id: 'sup-closed' }),
    ticket('t12', '2026-12-04', { type: 'Cancel regular gift', supporter_id: 'sup-active' }),
  ];
  lake = await landReconLake({ envelopes, puddles: ['transactions', 'support', 'supporters'], asOf: '2026-12-20' });
}, 120_000);

afterAll(async () => {
  await lake?.close();
});

describe('tickets in the reconciliation', () => {
  it('links tickets to their donation and payment, by field or through the payment they name', async () => {
    const rows = await lake.engine.query('SELECT ticket_id, open, donation_id, payment_id FROM recon_tickets ORDER BY ticket_id');
    expect(rows).toEqual([
      { ticket_id: 't1', open: true, donation_id: 'd4', payment_id: null },
      { ticket_id: 't10', open: true, donation_id: 'd_mistyped', payment_id: null },
      // A request to cancel a regular gift names its supporter, not a payment.
      { ticket_id: 't11', open: true, donation_id: null, payment_id: null },
      { ticket_id: 't12', open: true, donation_id: null, payment_id: null },
      { ticket_id: 't2', open: true, donation_id: 'd2', payment_id: 'ch_2' },
      { ticket_id: 't3', open: true, donation_id: 'd1', payment_id: 'ch_1' },
      { ticket_id: 't4', open: true, donation_id: 'd5', payment_id: null },
      { ticket_id: 't5', open: true, donation_id: 'd1', payment_id: 'ch_1' },
      { ticket_id: 't7', open: false, donation_id: 'd1', payment_id: 'ch_1' },
      { ticket_id: 't8', open: false, donation_id: 'd1', payment_id: 'ch_1' },
      { ticket_id: 't9', open: true, donation_id: 'd6', payment_id: null },
    ]);
  });

  it('marks a break with an open ticket, and counts open tickets on the journey', async () => {
    const breaks = await lake.engine.query("SELECT break_type, object_id, open_tickets, open_ticket_id FROM recon_breaks WHERE object_id IN ('d4', 'ch_1', 'd1') ORDER BY object_id");
    expect(breaks).toContainEqual({ break_type: 'DONATION_NOT_PAID', object_id: 'd4', open_tickets: 1, open_ticket_id: 't1' });
    for (const b of breaks.filter((x) => x.object_id !== 'd4')) expect(b.open_tickets).toBe(2); // t3 and t5 on d1 / ch_1
    const journey = await lake.engine.query("SELECT donation_id, open_tickets FROM recon_journey WHERE donation_id IN ('d1', 'd2', 'd4', 'd5') ORDER BY donation_id");
    expect(journey).toEqual([
      { donation_id: 'd1', open_tickets: 2 },
      { donation_id: 'd2', open_tickets: 1 },
      { donation_id: 'd4', open_tickets: 1 },
      { donation_id: 'd5', open_tickets: 1 },
    ]);
  });

  it('reports refund and cancellation tickets with no refund or cancellation behind them after the grace period', async () => {
    const rows = await lake.engine.query(reportSql('tickets'));
    expect(rows.filter((r) => r.payment_id !== null).map((r) => [r.ticket_id, r.wanted, r.payment_id, r.amount_minor, r.status])).toEqual([
      ['t3', 'refund', 'ch_1', 1000, 'open'],
      ['t7', 'refund', 'ch_1', 1000, 'closed'],
      ['t8', 'regular gift closed', 'ch_1', 1000, 'resolved'],
    ]);
    // Until 2026-12-06 both read "the donation has no successful payment to refund", and care told a donor whose
    // ticket named a mistyped id that their payment had failed (a user test).
    const reasons = Object.fromEntries(rows.map((r) => [r.ticket_id, r.reason]));
    expect(reasons.t3).toBe('no refund of this payment 17 days after the ticket');
    expect(reasons.t9).toBe('the donation has no successful payment to refund');
    expect(reasons.t10).toBe('the ticket names a donation the lake does not have (a mistyped id, or one its producer never sent)');
    // A regular gift: its closing in the CRM is what is looked for, not a voided payment (until 2026-12-06: a user test).
    expect(reasons.t8).toBe('the ticket names no supporter whose regular gift could be closed');
    expect(reasons.t12).toBe('no regular gift of this supporter closed 16 days after the ticket');
    expect(reasons).not.toHaveProperty('t11');
    // A longer grace period leaves out what is younger than it.
    await setReconParams(lake.engine, { as_of: '2026-12-20', grace_ticket_money_days: 16 });
    expect((await lake.engine.query(reportSql('tickets'))).map((r) => r.ticket_id)).toEqual(['t3']);
    await setReconParams(lake.engine, { as_of: '2026-12-20' });
  });
});
