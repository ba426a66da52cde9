import braintree from 'braintree';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestReceiver, type TestReceiver } from '../../sandbox-kit/test-receiver.js';
import { startBraintreeSandbox } from './start-braintree-sandbox.js';
import { movableClock, sandboxGateway } from './test-gateway.js';
import type { BraintreeSandbox } from './types.js';
import { signNotification } from './webhook-sender.js';

/** The form fields as the webhook route will get them. */
interface Received {
  bt_signature: string;
  bt_payload: string;
  contentType: string;
}

interface Note {
  kind: string;
  timestamp: string;
  transaction?: braintree.Transaction;
  disbursement?: Record<string, unknown>;
  dispute?: Record<string, unknown> & { transactionDetails: Record<string, unknown> };
}

describe('braintree sandbox: webhooks', () => {
  const clock = movableClock(new Date('2026-11-27T23:30:00Z'));
  let receiver: TestReceiver<Received>;
  let sandbox: BraintreeSandbox;
  let gateway: braintree.BraintreeGateway;
  // The typings' notification union has no common subject fields; read what the SDK actually sets.
  const parsed = async () =>
    (await Promise.all(receiver.received.map((r) => gateway.webhookNotification.parse(r.bt_signature, r.bt_payload)))) as unknown as Note[];

  beforeAll(async () => {
    receiver = await startTestReceiver<Received>({
      path: '/webhooks/braintree',
      read: (body, headers) => {
        const form = new URLSearchParams(body);
        return { bt_signature: form.get('bt_signature') ?? '', bt_payload: form.get('bt_payload') ?? '', contentType: String(headers['content-type']) };
      },
    });
    sandbox = await startBraintreeSandbox({ scenario: { seed: 8, donations: 120 }, now: clock.now, webhook: { url: receiver.url } });
    gateway = sandboxGateway(sandbox);
  });
  afterAll(async () => {
    await sandbox.close();
    await receiver.close();
  });

  it('signs exactly as the SDK\'s webhook testing gateway does', () => {
    // 3.40.0 returns the sample synchronously; the typings say Promise.
    const sample = gateway.webhookTesting.sampleNotification('check', 'x') as unknown as { bt_signature: string; bt_payload: string };
    const xml = Buffer.from(sample.bt_payload, 'base64').toString('utf8');
    expect(signNotification(xml, sandbox.publicKey, sandbox.privateKey)).toEqual(sample);
  });

  it('does not deliver the seeded history', async () => {
    await sandbox.webhooksIdle();
    expect(sandbox.data.transactions.length).toBeGreaterThan(10);
    expect(receiver.received).toEqual([]);
  });

  it('delivers transaction_settled when the batch runs, parsed by webhookNotification.parse', async () => {
    const settled = sandbox.settle(new Date('2026-11-28T03:00:00Z'));
    expect(settled.length).toBeGreaterThan(10);
    await sandbox.webhooksIdle();
    const notes = await parsed();
    expect(notes.map((n) => n.kind)).toEqual(settled.map(() => 'transaction_settled'));
    expect(notes.map((n) => n.transaction!.id)).toEqual(settled.map((t) => t.id));
    expect(notes[0]!.transaction).toMatchObject({ status: 'settled', settlementBatchId: '2026-11-28_puddle_gbp', amount: settled[0]!.amount });
    expect(notes[0]!.timestamp).toBe('2026-11-28T02:00:00Z');
    expect(receiver.received[0]!.contentType).toBe('application/x-www-form-urlencoded');
    await expect(sandboxGateway(sandbox, { privateKey: 'not_the_key' }).webhookNotification.parse(receiver.received[0]!.bt_signature, receiver.received[0]!.bt_payload)).rejects.toMatchObject({
      name: 'invalidSignatureError',
    });
  });

  it('delivers transaction_disbursed for each transaction and one disbursement', async () => {
    receiver.received.length = 0;
    const [disbursement] = sandbox.disburse(new Date('2026-11-30T00:00:00Z'));
    await sandbox.webhooksIdle();
    const notes = await parsed();
    const disbursed = notes.filter((n) => n.kind === 'transaction_disbursed');
    expect(disbursed.map((n) => n.transaction!.id).sort()).toEqual([...disbursement!.transaction_ids].sort());
    expect(disbursed[0]!.transaction!.disbursementDetails).toMatchObject({ disbursementDate: '2026-11-30', success: true });
    const summary = notes.filter((n) => n.kind === 'disbursement');
    expect(summary).toHaveLength(1);
    expect(summary[0]!.disbursement).toMatchObject({
      id: disbursement!.id,
      amount: disbursement!.amount,
      disbursementDate: '2026-11-30',
      transactionIds: disbursement!.transaction_ids,
      success: true,
      merchantAccount: { id: 'puddle_gbp', currencyIsoCode: 'GBP' },
    });
  });

  it('delivers dispute_opened, retrying a failed delivery', async () => {
    receiver.received.length = 0;
    receiver.failNext.n = 1;
    clock.set(new Date('2026-12-01T10:00:00Z'));
    const sale = sandbox.data.transactions.find((t) => t.status === 'settled' && t.type === 'sale')!;
    const dispute = sandbox.openDispute(sale.id);
    await sandbox.webhooksIdle();
    const notes = await parsed();
    expect(notes.map((n) => n.kind)).toEqual(['dispute_opened']);
    expect(notes[0]!.dispute).toMatchObject({ id: dispute.id, status: 'open', kind: 'chargeback', amountDisputed: sale.amount, receivedDate: '2026-12-01' });
    expect(notes[0]!.dispute!.transactionDetails).toMatchObject({ id: sale.id, amount: sale.amount });
    const delivery = sandbox.webhookDeliveries.at(-1)!;
    expect(delivery).toMatchObject({ kind: 'dispute_opened', subjectId: dispute.id, attempts: 2, ok: true });
  });
});
