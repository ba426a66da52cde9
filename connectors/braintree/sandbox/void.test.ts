import type braintree from 'braintree';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startBraintreeSandbox } from './start-braintree-sandbox.js';
import { collect, movableClock, sandboxGateway } from './test-gateway.js';
import { SandboxStateError } from './transactions.js';
import type { BraintreeSandbox, SandboxTransaction } from './types.js';

const VOID_AT = new Date('2026-11-27T23:45:00Z');
type RangeSearch = Record<string, () => { between(a: Date, b: Date): void }>;
const searchBy = (gateway: braintree.BraintreeGateway, field: string, from: Date, to: Date) =>
  collect<braintree.Transaction>(gateway.transaction.search(((s: RangeSearch) => s[field]!().between(from, to)) as unknown as braintree.TransactionSearchFn));

describe('braintree sandbox: voiding a sale still in the settlement batch', () => {
  const clock = movableClock(new Date('2026-11-27T23:30:00Z'));
  let sandbox: BraintreeSandbox;
  let gateway: braintree.BraintreeGateway;
  let voided: SandboxTransaction;
  let voidedBySdk: SandboxTransaction;
  const pending = () => sandbox.data.transactions.filter((t) => t.type === 'sale' && t.status === 'submitted_for_settlement');

  beforeAll(async () => {
    sandbox = await startBraintreeSandbox({ scenario: { seed: 21, donations: 300 }, now: clock.now });
    gateway = sandboxGateway(sandbox);
  });
  afterAll(() => sandbox.close());

  it('voids a submitted_for_settlement sale at the clock\'s now, with a voided status event', () => {
    clock.set(VOID_AT);
    const sale = pending()[0]!;
    const history = sale.status_history.length;
    voided = sandbox.voidTransaction(sale.id);
    expect(voided).toMatchObject({ id: sale.id, status: 'voided', updated_at: '2026-11-27T23:45:00Z', settlement_batch_id: null });
    expect(voided.status_history).toHaveLength(history + 1);
    expect(voided.status_history.at(-1)).toMatchObject({ status: 'voided', timestamp: '2026-11-27T23:45:00Z', amount: sale.amount });
    expect(() => sandbox.voidTransaction(sale.id)).toThrow(/only authorized or submitted_for_settlement sales can be voided/);
  });

  it('voids through the SDK\'s transaction.void (PUT .../transactions/:id/void)', async () => {
    const sale = pending()[0]!;
    const result = await gateway.transaction.void(sale.id);
    expect(result.success).toBe(true);
    expect(result.transaction).toMatchObject({ id: sale.id, status: 'voided', updatedAt: '2026-11-27T23:45:00Z' });
    voidedBySdk = sandbox.data.transaction(sale.id)!;
    expect(voidedBySdk.status).toBe('voided');
    await expect(gateway.transaction.void('no_such_tx')).rejects.toMatchObject({ type: 'notFoundError' });
  });

  it('finds voided sales by voided_at; the other status-change times are valid criteria matching nothing', async () => {
    const from = new Date('2026-11-27T23:00:00Z');
    const to = new Date('2026-11-28T00:00:00Z');
    const found = await searchBy(gateway, 'voidedAt', from, to);
    expect(found.map((t) => t.id).sort()).toEqual([voided.id, voidedBySdk.id].sort());
    for (const field of ['authorizationExpiredAt', 'failedAt', 'achReturnResponsesCreatedAt']) {
      expect(await searchBy(gateway, field, from, to)).toEqual([]);
    }
  });

  it('never settles or disburses a voided sale', () => {
    // Both were due in the batch of 2026-11-28 02:00 UTC.
    for (const tx of [voided, voidedBySdk]) expect(tx.created_at < '2026-11-28').toBe(true);
    const settled = sandbox.settle(new Date('2026-11-28T03:00:00Z'));
    expect(settled.length).toBeGreaterThan(0);
    expect(settled.map((t) => t.id)).not.toContain(voided.id);
    const made = sandbox.disburse(new Date('2026-12-05T00:00:00Z'));
    expect(made.length).toBeGreaterThan(0);
    for (const tx of [voided, voidedBySdk]) {
      expect(made.flatMap((d) => d.transaction_ids)).not.toContain(tx.id);
      expect(sandbox.data.transaction(tx.id)).toMatchObject({ status: 'voided', settlement_batch_id: null, disbursement_details: null, updated_at: '2026-11-27T23:45:00Z' });
    }
    expect(sandbox.data.settlementBatches.flatMap((b) => b.transaction_ids)).not.toContain(voided.id);
  });

  it('refuses to void a settled sale: SandboxStateError, and the gateway\'s 91504 through the SDK', async () => {
    const settled = sandbox.data.transactions.find((t) => t.type === 'sale' && t.status === 'settled')!;
    expect(() => sandbox.voidTransaction(settled.id)).toThrow(SandboxStateError);
    expect(() => sandbox.voidTransaction(settled.id)).toThrow(`transaction ${settled.id} is a settled sale; only authorized or submitted_for_settlement sales can be voided`);
    const result = (await gateway.transaction.void(settled.id)) as unknown as {
      success: boolean;
      message: string;
      errors: { deepErrors(): { code: string; attribute: string }[] };
    };
    expect(result.success).toBe(false);
    expect(result.message).toMatch(/can only be voided if status is authorized, submitted_for_settlement/);
    expect(result.errors.deepErrors()).toEqual([expect.objectContaining({ code: '91504', attribute: 'base' })]);
    expect(sandbox.data.transaction(settled.id)!.status).toBe('settled');
    expect(() => sandbox.voidTransaction('no_such_tx')).toThrow(/no such transaction/);
  });
});
