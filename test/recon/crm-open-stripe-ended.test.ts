// The query docs/reconciliation.md gives under "Plans the CRM holds open that Stripe has ended", as a finance lead
// copies it: the CRM's open plans whose commitment is a Stripe subscription that has ended. Landed through the
// real queue, consumers, Parquet and DuckDB.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { makeEnvelope, type Envelope } from '../../core/envelope.js';
import type { Lake } from '../puddles/lake-fixture.js';
import { docSql } from '../support/doc-sql.js';
import { landReconLake } from './recon-lake.js';

let lake: Lake;
let n = 0;
const plan = (source: string, id: string, status: string, at: string, extra: Record<string, unknown> = {}): Envelope =>
  makeEnvelope({
    contract: 'recurring_donation', version: 1, source, stream: 'recurring_donation', received_at: '2026-12-07T00:00:00.000Z', delivery_id: `rd-${n++}`,
    payload: { recurring_donation_id: id, occurred_at: '2026-09-01T10:00:00Z', updated_at: at, amount_minor: 1500, currency: 'GBP', status, ...extra },
  });
const crm = (id: string, status: string, commitment: string, extra: Record<string, unknown> = {}) =>
  plan('salesforce', id, status, '2026-09-01T10:00:00Z', { commitment_id: commitment, supporter_id: `003${id}`, installment_period: 'Monthly', ...extra });

beforeAll(async () => {
  lake = await landReconLake({
    envelopes: [
      // Open in the CRM, canceled at Stripe on 3 December (active before): listed.
      crm('a09-open', 'Active', 'sub_ended'),
      plan('stripe', 'sub_ended', 'active', '2026-09-01T10:00:00Z'),
      plan('stripe', 'sub_ended', 'canceled', '2026-12-03T08:00:00Z'),
      // Its first payment never went through: listed too.
      crm('a09-never', 'Active', 'sub_expired'),
      plan('stripe', 'sub_expired', 'incomplete_expired', '2026-09-02T10:00:00Z'),
      // Closed in the CRM already, or deleted there: not listed.
      crm('a09-closed', 'Closed', 'sub_both'),
      plan('stripe', 'sub_both', 'canceled', '2026-12-01T08:00:00Z'),
      crm('a09-gone', 'Active', 'sub_gone', { deleted: true }),
      plan('stripe', 'sub_gone', 'canceled', '2026-12-01T08:00:00Z'),
      // Still taking money at Stripe (late with it, but not ended): not listed.
      crm('a09-late', 'Active', 'sub_late'),
      plan('stripe', 'sub_late', 'past_due', '2026-12-02T08:00:00Z'),
      // A commitment that is no Stripe subscription (another source's plan of the same id): not listed.
      crm('a09-dd', 'Active', 'DD-0042'),
      plan('bureau', 'DD-0042', 'canceled', '2026-12-01T08:00:00Z'),
    ],
    puddles: ['supporters'],
    asOf: '2026-12-07',
  });
});
afterAll(() => lake.close());

describe('plans the CRM holds open that Stripe has ended', () => {
  it('lists each with the day Stripe ended it', async () => {
    const sql = docSql('reconciliation.md', '### Plans the CRM holds open that Stripe has ended');
    const rows = await lake.engine.query(sql);
    expect(rows.map((r) => ({ ...r, ended_on: String(r.ended_on).slice(0, 10) }))).toEqual([
      { crm_plan: 'a09-never', crm_status: 'Active', subscription_id: 'sub_expired', stripe_status: 'incomplete_expired', ended_on: '2026-09-02', amount_minor: 1500, currency: 'GBP', supporter_id: '003a09-never' },
      { crm_plan: 'a09-open', crm_status: 'Active', subscription_id: 'sub_ended', stripe_status: 'canceled', ended_on: '2026-12-03', amount_minor: 1500, currency: 'GBP', supporter_id: '003a09-open' },
    ]);
  });
});
