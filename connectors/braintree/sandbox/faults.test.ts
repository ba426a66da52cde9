import { afterEach, describe, expect, it } from 'vitest';
import { startBraintreeSandbox } from './start-braintree-sandbox.js';
import { sandboxGateway } from './test-gateway.js';
import type { BraintreeSandbox } from './types.js';

const scenario = { seed: 3, donations: 120 };
const now = () => new Date('2026-12-05T00:00:00Z');

describe('braintree sandbox: auth, rate limits and faults', () => {
  let sandbox: BraintreeSandbox | undefined;
  afterEach(async () => {
    await sandbox?.close();
    sandbox = undefined;
  });

  const anyId = (s: BraintreeSandbox) => s.data.transactions[0]!.id;
  const failure = (p: Promise<unknown>) => p.then(() => null, (e: unknown) => e as Error);

  it('answers wrong keys with 401 (authenticationError) and another merchant with 403 (authorizationError)', async () => {
    sandbox = await startBraintreeSandbox({ scenario, now });
    const id = anyId(sandbox);
    expect((await failure(sandboxGateway(sandbox, { privateKey: 'wrong' }).transaction.find(id)))?.name).toBe('authenticationError');
    expect((await failure(sandboxGateway(sandbox, { publicKey: 'other' }).transaction.find(id)))?.name).toBe('authenticationError');
    expect((await failure(sandboxGateway(sandbox, { merchantId: 'someone_else' }).transaction.find(id)))?.name).toBe('authorizationError');
    expect((await sandboxGateway(sandbox).transaction.find(id)).id).toBe(id);
    expect(sandbox.requests.countByStatus(401)).toBe(2);
    expect(sandbox.requests.countByStatus(403)).toBe(1);
  });

  it('refuses a request without X-ApiVersion with 426 and anything but application/xml answers', async () => {
    sandbox = await startBraintreeSandbox({ scenario, now });
    const auth = `Basic ${Buffer.from(`${sandbox.publicKey}:${sandbox.privateKey}`).toString('base64')}`;
    const res = await fetch(`${sandbox.url}/merchants/${sandbox.merchantId}/transactions/${anyId(sandbox)}`, { headers: { authorization: auth } });
    expect(res.status).toBe(426);
    const ok = await fetch(`${sandbox.url}/merchants/${sandbox.merchantId}/transactions/${anyId(sandbox)}`, { headers: { authorization: auth, 'x-apiversion': '6' } });
    expect(ok.status).toBe(200);
    expect(ok.headers.get('content-type')).toBe('application/xml; charset=utf-8');
    expect(await ok.text()).toMatch(/^<\?xml version="1.0" encoding="UTF-8"\?>\n<transaction><id>/);
  });

  it('answers 429 (tooManyRequestsError) over the rate limit', async () => {
    sandbox = await startBraintreeSandbox({ scenario, now, rateLimit: 2 });
    const gateway = sandboxGateway(sandbox);
    const id = anyId(sandbox);
    const results = await Promise.allSettled(Array.from({ length: 8 }, () => gateway.transaction.find(id)));
    const limited = results.filter((r): r is PromiseRejectedResult => r.status === 'rejected').map((r) => r.reason as Error);
    expect(limited.length).toBeGreaterThan(0);
    expect(limited.every((e) => e.name === 'tooManyRequestsError')).toBe(true);
    expect(sandbox.requests.countByStatus(429)).toBe(limited.length);
  });

  it('injects 429, 5xx, 422 and 401, then recovers', async () => {
    sandbox = await startBraintreeSandbox({ scenario, now });
    const gateway = sandboxGateway(sandbox);
    const id = anyId(sandbox);
    sandbox.injectFaults({ status429: 1, status5xx: 2, status5xxCode: 503 });
    // 5xx faults are served first, then 429s.
    expect((await failure(gateway.transaction.find(id)))?.name).toBe('serviceUnavailableError');
    expect((await failure(gateway.transaction.find(id)))?.name).toBe('serviceUnavailableError');
    expect((await failure(gateway.transaction.find(id)))?.name).toBe('tooManyRequestsError');
    sandbox.injectFaults({ status5xx: 1, status5xxCode: 500 });
    expect((await failure(gateway.transaction.find(id)))?.name).toBe('serverError');
    sandbox.injectFaults({ status422: 1 });
    const summary = (await gateway.settlementBatchSummary.generate({ settlementDate: '2026-11-28' })) as unknown as { success: boolean; message: string };
    expect(summary).toMatchObject({ success: false, message: 'Injected validation failure.' });
    sandbox.injectFaults({ status401: true });
    expect((await failure(gateway.transaction.find(id)))?.name).toBe('authenticationError');
    expect((await failure(gateway.transaction.find(id)))?.name).toBe('authenticationError');
    sandbox.clearFaults();
    expect((await gateway.transaction.find(id)).id).toBe(id);
    expect(sandbox.requests.entries.map((r) => r.status)).toEqual([503, 503, 429, 500, 422, 401, 401, 200]);
  });

  it('answers unknown routes with 404 and refuses mutations that make no sense', async () => {
    sandbox = await startBraintreeSandbox({ scenario, now });
    const gateway = sandboxGateway(sandbox);
    expect((await failure(gateway.customer.find('cust_1')))?.name).toBe('notFoundError');
    // Created at the clock's now, so still waiting for tonight's settlement batch.
    const [pending] = sandbox.addTransactions(1);
    expect(pending!.created_at).toBe('2026-12-05T00:00:00Z');
    expect(['submitted_for_settlement', 'processor_declined']).toContain(pending!.status);
    expect(() => sandbox!.refund(pending!.id)).toThrow(/only settled sales/);
    expect(() => sandbox!.openDispute(pending!.id)).toThrow(/not a settled sale/);
    expect(() => sandbox!.refund('nosuchid')).toThrow(/no such transaction/);
  });
});
