import type braintree from 'braintree';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startBraintreeSandbox } from './start-braintree-sandbox.js';
import { sandboxGateway, searchTransactions, type LooseSearch } from './test-gateway.js';
import type { BraintreeSandbox } from './types.js';

const NOW = new Date('2026-12-10T00:00:00Z');

describe('braintree sandbox: transaction search with the real SDK', () => {
  let sandbox: BraintreeSandbox;
  let gateway: braintree.BraintreeGateway;

  beforeAll(async () => {
    sandbox = await startBraintreeSandbox({ scenario: { seed: 11, donations: 400 }, now: () => NOW, pageSize: 10 });
    gateway = sandboxGateway(sandbox);
  });
  afterAll(() => sandbox.close());

  it('finds every transaction in a created_at window, across several pages of ids', async () => {
    const from = new Date('2026-11-27T19:30:00Z');
    const to = new Date('2026-11-27T21:30:00Z');
    const expected = sandbox.data.transactions.filter((t) => Date.parse(t.created_at) >= from.getTime() && Date.parse(t.created_at) <= to.getTime());
    expect(expected.length).toBeGreaterThan(25);
    sandbox.requests.reset();
    const found = await searchTransactions(gateway, (s) => s.createdAt().between(from, to));
    expect(found.map((t) => t.id).sort()).toEqual(expected.map((t) => t.id).sort());
    const paths = sandbox.requests.entries.map((r) => r.path);
    expect(paths.filter((p) => p.endsWith('/transactions/advanced_search_ids'))).toHaveLength(1);
    expect(paths.filter((p) => p.endsWith('/transactions/advanced_search'))).toHaveLength(Math.ceil(expected.length / 10));
    expect(paths.every((p) => p.startsWith(`/merchants/${sandbox.merchantId}/`))).toBe(true);
  });

  it('answers an empty window with no ids and no page requests', async () => {
    sandbox.requests.reset();
    const found = await searchTransactions(gateway, (s) => s.createdAt().between(new Date('2026-01-01T00:00:00Z'), new Date('2026-01-02T00:00:00Z')));
    expect(found).toEqual([]);
    expect(sandbox.requests.total).toBe(1);
  });

  it('treats both range ends as inclusive, to the second', async () => {
    const tx = sandbox.data.transactions[7]!;
    const at = new Date(tx.created_at);
    const found = await searchTransactions(gateway, (s) => s.createdAt().between(at, at));
    expect(found.map((t) => t.id)).toContain(tx.id);
    expect(found.every((t) => t.createdAt === tx.created_at)).toBe(true);
  });

  it('combines multiple-value criteria (status, type) with ranges', async () => {
    const found = await searchTransactions(gateway, (s) => {
      s.createdAt().min(new Date('2026-11-01T00:00:00Z'));
      s.status().in(['processor_declined']);
      s.type().is('sale');
    });
    const expected = sandbox.data.transactions.filter((t) => t.status === 'processor_declined');
    expect(expected.length).toBeGreaterThan(0);
    expect(found.map((t) => t.id).sort()).toEqual(expected.map((t) => t.id).sort());
    expect(found.every((t) => t.processorResponseCode === '2000')).toBe(true);
  });

  it('finds one transaction with the shape of the recorded fixture', async () => {
    const expected = sandbox.data.transactions.find((t) => t.status === 'settled' && t.type === 'sale')!;
    const tx = await gateway.transaction.find(expected.id);
    expect(tx).toMatchObject({
      id: expected.id,
      type: 'sale',
      status: 'settled',
      amount: expected.amount,
      currencyIsoCode: 'GBP',
      merchantAccountId: 'puddle_gbp',
      orderId: expected.order_id,
      createdAt: expected.created_at,
      settlementBatchId: expected.settlement_batch_id,
      refundIds: [],
      serviceFeeAmount: null,
    });
    expect(tx.customFields).toMatchObject({ donationId: expected.order_id });
    expect(tx.customer.email).toBeNull();
    expect(tx.statusHistory!.map((e) => e.status)).toEqual(['authorized', 'submitted_for_settlement', 'settled']);
    expect(tx.amount).toMatch(/^\d+\.\d\d$/);
  });

  it('answers an unknown transaction with 404 (SDK notFoundError)', async () => {
    const err = (await gateway.transaction.find('nosuchid').catch((e: unknown) => e)) as Error;
    expect(err.name).toBe('notFoundError');
  });

  it('refuses unreadable criteria with a 422 api-error-response', async () => {
    const err = (await searchTransactions(gateway, (s) => s.settledAt().is('not a date')).catch((e: unknown) => e)) as {
      success: boolean;
      message: string;
      errors: { deepErrors(): { attribute: string; code: string }[] };
    };
    expect(err.success).toBe(false);
    expect(err.message).toContain('settled_at');
    expect(err.errors.deepErrors()).toEqual([expect.objectContaining({ attribute: 'settled_at', code: 'sandbox_search_invalid' })]);
    expect(sandbox.requests.entries.at(-1)!.status).toBe(422);
  });
});

describe('braintree sandbox: too many results and currencies', () => {
  it('answers a search matching more than maxSearchResults with a "too many results" 422, or truncates if asked', async () => {
    const sandbox = await startBraintreeSandbox({ transactions: 300, maxSearchResults: 100, now: () => NOW });
    try {
      const gateway = sandboxGateway(sandbox);
      const all = (s: LooseSearch) => s.createdAt().min(new Date('2026-01-01T00:00:00Z'));
      const err = (await searchTransactions(gateway, all).catch((e: unknown) => e)) as { success: boolean; message: string };
      expect(err.success).toBe(false);
      expect(err.message).toContain(`too many results (${sandbox.data.transactions.length}; the limit is 100)`);
      // Split the window in two and each half fits.
      const mid = sandbox.data.transactions[90]!.created_at;
      const firstHalf = await searchTransactions(gateway, (s) => s.createdAt().between('2026-01-01T00:00:00Z', new Date(Date.parse(mid) - 1000)));
      expect(firstHalf.length).toBeGreaterThan(80);
      expect(firstHalf.length).toBeLessThanOrEqual(90);
    } finally {
      await sandbox.close();
    }
    const truncating = await startBraintreeSandbox({ transactions: 300, maxSearchResults: 100, onTooManyResults: 'truncate', now: () => NOW });
    try {
      const found = await searchTransactions(sandboxGateway(truncating), (s) => s.createdAt().min(new Date('2026-01-01T00:00:00Z')));
      expect(found).toHaveLength(100);
    } finally {
      await truncating.close();
    }
  });

  it('writes amounts with the currency exponent (JPY, KWD)', async () => {
    for (const [currency, pattern] of [
      ['JPY', /^\d+$/],
      ['KWD', /^\d+\.\d{3}$/],
    ] as const) {
      const sandbox = await startBraintreeSandbox({ scenario: { seed: 2, donations: 80, currency }, now: () => NOW });
      try {
        const tx = sandbox.data.transactions[0]!;
        const found = await sandboxGateway(sandbox).transaction.find(tx.id);
        expect(found.currencyIsoCode).toBe(currency);
        expect(found.merchantAccountId).toBe(`puddle_${currency.toLowerCase()}`);
        expect(found.amount).toMatch(pattern);
        expect(found.amount.replace('.', '')).toBe(String(tx.amount_minor).padStart(currency === 'KWD' ? 4 : 1, '0'));
      } finally {
        await sandbox.close();
      }
    }
  });

  it('builds the same gateway from the same seed', async () => {
    const a = await startBraintreeSandbox({ scenario: { seed: 9, donations: 200 }, transactions: 50, now: () => NOW });
    const b = await startBraintreeSandbox({ scenario: { seed: 9, donations: 200 }, transactions: 50, now: () => NOW });
    try {
      expect(b.data.transactions).toEqual(a.data.transactions);
      expect(b.data.disbursements).toEqual(a.data.disbursements);
      expect(a.data.transactions.filter((t) => t.custom_fields.campaign === 'appeal-night-2026-s9').length).toBeGreaterThan(20);
    } finally {
      await a.close();
      await b.close();
    }
  });
});
