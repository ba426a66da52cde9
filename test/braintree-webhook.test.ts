import { createHash, createHmac } from 'node:crypto';
import { readFileSync } from 'node:fs';
import braintree from 'braintree';
import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { braintreeWebhookRoutes, notificationId } from '../connectors/braintree/webhook.js';
import type { Envelope } from '../core/envelope.js';
import { RetriableError } from '../core/errors.js';
import { buildServer } from '../core/http/server.js';
import type { Queue } from '../core/ports.js';
import { SqliteQueue } from '../infra/local/sqlite-queue.js';

// Real public samples (test/fixtures/braintree, see test/fixtures/SOURCES.md), signed with these keys.
const FIXTURES = new URL('./fixtures/braintree/', import.meta.url);
const KEYS = { merchantId: 'test_merchant_id', publicKey: 'test_public_key', privateKey: 'test_private_key' };
const SIGNED = (JSON.parse(readFileSync(new URL('webhooks/signed_samples.json', FIXTURES), 'utf8')) as {
  samples: Record<string, Sample>;
}).samples;
const FIXTURE_TX = /<transaction>[\s\S]*<\/transaction>/.exec(readFileSync(new URL('search_page_credit_card_transactions.xml', FIXTURES), 'utf8'))![0];
const FIXTURE_TIME = '2026-11-29T02:21:13.000Z';

interface Sample {
  bt_signature: string;
  bt_payload: string;
}

const gateway = new braintree.BraintreeGateway({ environment: braintree.Environment.Sandbox, ...KEYS });

/** Braintree's documented signature, computed here without the SDK: publicKey|hex(HMAC-SHA1(SHA1(privateKey), payload)). */
function sign(xml: string, privateKey = KEYS.privateKey, publicKey = KEYS.publicKey): Sample {
  const payload = `${Buffer.from(xml).toString('base64')}\n`;
  const key = createHash('sha1').update(privateKey).digest();
  return { bt_signature: `${publicKey}|${createHmac('sha1', key).update(payload).digest('hex')}`, bt_payload: payload };
}

function notificationXml(kind: string, subject: string, timestamp = '2026-11-30T09:00:00Z'): string {
  return `<notification><timestamp type="datetime">${timestamp}</timestamp><kind>${kind}</kind><subject>${subject}</subject></notification>`;
}

/** The fixture transaction, settled and disbursed on 2013-11-23: a complete subject, as real notifications carry. */
function disbursedTx(amount = '196.00'): string {
  return FIXTURE_TX.replace('<status>authorized</status>', '<status>settled</status>')
    .replace('<amount>196.00</amount>', `<amount>${amount}</amount>`)
    .replace(
      /<disbursement-details>[\s\S]*<\/disbursement-details>/,
      `<disbursement-details><disbursement-date type="date">2013-11-23</disbursement-date><settlement-amount>196.00</settlement-amount>
       <settlement-currency-iso-code>USD</settlement-currency-iso-code><funds-held type="boolean">false</funds-held>
       <success type="boolean">true</success></disbursement-details>`,
    );
}

function post(app: FastifyInstance, fields: Partial<Sample> | string, contentType = 'application/x-www-form-urlencoded') {
  const payload = typeof fields === 'string' ? fields : new URLSearchParams(fields as Record<string, string>).toString();
  return app.inject({ method: 'POST', url: '/webhooks/braintree', headers: { 'content-type': contentType }, payload });
}

describe('POST /webhooks/braintree', () => {
  let queue: SqliteQueue;
  let app: FastifyInstance;
  // The hub's clock: now, as the SDK's sample notifications are stamped with the machine's time (a record more
  // than a day after its receipt is quarantined, core/contracts/time-bounds.ts).
  const NOW = new Date().toISOString();

  beforeAll(async () => {
    queue = new SqliteQueue(':memory:');
    await queue.subscribe({ name: 't', contracts: '*' });
    app = buildServer({
      queue,
      apiKeys: ['producer-key-0123456789'],
      plugins: [braintreeWebhookRoutes({ queue, gateway, clock: { now: () => new Date(NOW) } })],
    });
    await app.ready();
  });

  afterAll(async () => {
    await app.close();
    await queue.close();
  });

  beforeEach(async () => {
    await drain();
  });

  async function drain(): Promise<Envelope[]> {
    const got = await queue.claim('t', { max: 100, visibilityMs: 1000 });
    await queue.ack('t', got.map((m) => m.receipt));
    return got.map((m) => m.envelope);
  }

  const summary = (envs: Envelope[]) => envs.map((e) => [e.contract, e.key]).sort();

  it('maps a complete disbursed transaction: payment, payout_item and the raw notification', async () => {
    const sample = sign(notificationXml('transaction_disbursed', disbursedTx()));
    const res = await post(app, sample);
    expect(res.statusCode).toBe(200);
    expect(res.json()).toEqual({ received: true });

    const envs = await drain();
    const id = notificationId(sample.bt_payload);
    expect(summary(envs)).toEqual([
      ['payment', '4wdkfr'],
      ['payout_item', 'foo:2013-11-23:4wdkfr'],
      ['provider_event', id],
    ]);
    const payment = envs.find((e) => e.contract === 'payment')!;
    expect(payment).toMatchObject({
      source: 'webhook:braintree',
      stream: 'transaction_disbursed',
      delivery_id: id,
      received_at: NOW,
      occurred_at: '2013-11-23T00:00:00.000Z', // the version time: disbursement moved it past updated-at
      payload: { payment_id: '4wdkfr', provider: 'braintree', status: 'settled', amount_minor: 19600, currency: 'USD', payout_id: 'foo:2013-11-23' },
    });
    // raw keeps the subject's shape without the person or card: the fixture's first name, BIN and expiry are gone; the
    // card's type and last four stay, as the payment holds them (payment v4).
    const raw = JSON.stringify(envs.map((e) => e.raw));
    expect(raw).toContain('"transaction"');
    for (const s of ['Erik', '411111', '"2014"']) expect(raw).not.toContain(s);
    expect(payment.payload).toMatchObject({ card_brand: 'visa', card_last4: '1111' });
    expect(raw).toContain('"last4":"1111"');
    const event = envs.find((e) => e.contract === 'provider_event')!;
    expect(event.payload).toEqual({ provider_event_id: id, occurred_at: '2026-11-30T09:00:00.000Z', type: 'transaction_disbursed' });
  });

  it('accepts every fixture signed sample: mapped, quarantined where the stub lacks fields, or raw only', async () => {
    const q = (contract: string, key: string) => ['quarantine', `webhook:braintree:${contract}:${key}`];
    const expected: Record<string, (id: string) => string[][]> = {
      disbursement: () => [['payout', 'merchant_account_token:2014-02-10']],
      dispute_opened: () => [['dispute', 'sample_id_dispute_opened']],
      dispute_won: () => [['dispute', 'sample_id_dispute_won']],
      dispute_lost: () => [['dispute', 'sample_id_dispute_lost']],
      // The SDK's transaction samples are stubs (no created-at, some no currency): kept, with the reasons.
      transaction_settled: () => [q('payment', 'sample_id_transaction_settled')],
      transaction_settlement_declined: () => [q('payment', 'sample_id_transaction_settlement_declined')],
      // Its payout_item has no id either (no merchant account): quarantined under the notification's id.
      transaction_disbursed: (id) => [q('payment', 'sample_id_transaction_disbursed'), q('payout_item', id)],
      subscription_charged_successfully: () => [q('payment', 'sample_id_subscription_charged_successfully')],
      subscription_charged_unsuccessfully: () => [q('payment', 'sample_id_subscription_charged_unsuccessfully')],
      refund_failed: () => [q('refund', 'sample_id_refund_failed')],
      subscription_canceled: () => [],
      subscription_went_past_due: () => [],
      check: () => [],
    };
    expect(Object.keys(expected).sort()).toEqual(Object.keys(SIGNED).sort());
    for (const [kind, sample] of Object.entries(SIGNED)) {
      const res = await post(app, sample);
      expect(res.statusCode, kind).toBe(200);
      const envs = await drain();
      const id = notificationId(sample.bt_payload);
      expect(summary(envs.filter((e) => e.contract !== 'provider_event')), kind).toEqual(expected[kind]!(id).sort());
      const events = envs.filter((e) => e.contract === 'provider_event');
      expect(events.map((e) => e.payload), kind).toEqual([{ provider_event_id: id, occurred_at: FIXTURE_TIME, type: kind }]);
      for (const e of envs) expect(e).toMatchObject({ source: 'webhook:braintree', stream: kind, delivery_id: id, received_at: NOW });
    }
  });

  it('keeps the reasons, not the values, when a stub is quarantined; the payout_item of a stub too', async () => {
    const sample = SIGNED.transaction_disbursed!;
    expect((await post(app, sample)).statusCode).toBe(200);
    const quarantined = (await drain()).filter((e) => e.contract === 'quarantine');
    expect(quarantined.map((e) => e.payload.contract).sort()).toEqual(['payment', 'payout_item']);
    const payment = quarantined.find((e) => e.payload.contract === 'payment')!;
    expect(JSON.parse(payment.payload.reasons as string)).toEqual([
      { path: 'payload.occurred_at', message: 'is required' },
      { path: 'payload.status', message: 'is required' },
      { path: 'payload.amount_minor', message: 'is required' },
      { path: 'payload.currency', message: 'is required' },
    ]);
  });

  it('maps a notification from the SDK sample generator for every mapped kind', async () => {
    const cases: [string, string[][]][] = [
      ['disbursement', [['payout', 'merchant_account_token:2014-02-10']]],
      ...['opened', 'won', 'lost', 'accepted', 'auto_accepted', 'disputed', 'expired', 'under_review'].map(
        (s): [string, string[][]] => [`dispute_${s}`, [['dispute', `gen_dispute_${s}`]]],
      ),
      ['transaction_settled', [['quarantine', 'webhook:braintree:payment:gen_transaction_settled']]],
      ['transaction_settlement_declined', [['quarantine', 'webhook:braintree:payment:gen_transaction_settlement_declined']]],
      ['subscription_charged_successfully', [['quarantine', 'webhook:braintree:payment:gen_subscription_charged_successfully']]],
      ['subscription_charged_unsuccessfully', [['quarantine', 'webhook:braintree:payment:gen_subscription_charged_unsuccessfully']]],
      ['refund_failed', [['quarantine', 'webhook:braintree:refund:gen_refund_failed']]],
      // The SDK has no template for it (its sample is a subscription): nothing to map, raw keeps it.
      ['disbursement_exception', []],
    ];
    for (const [kind, expected] of cases) {
      const sample = await gateway.webhookTesting.sampleNotification(kind as braintree.WebhookNotificationKind, `gen_${kind}`);
      expect((await post(app, sample)).statusCode, kind).toBe(200);
      const envs = await drain();
      const notRaw = envs.filter((e) => e.contract !== 'provider_event');
      expect(summary(notRaw), kind).toEqual(expected);
      const dispute = notRaw.find((e) => e.contract === 'dispute');
      if (dispute) expect(dispute.payload).toMatchObject({ status: kind === 'dispute_opened' ? 'open' : kind.slice('dispute_'.length), amount_minor: 25000, currency: 'USD', payment_id: `gen_${kind}` });
      expect(envs.filter((e) => e.contract === 'provider_event').map((e) => e.key)).toEqual([notificationId(sample.bt_payload)]);
    }
    // transaction_disbursed's stub also gives a payout_item; both are quarantined.
    const sample = await gateway.webhookTesting.sampleNotification('transaction_disbursed', 'gen_td');
    expect((await post(app, sample)).statusCode).toBe(200);
    expect(summary(await drain())).toEqual([
      ['provider_event', notificationId(sample.bt_payload)],
      ['quarantine', 'webhook:braintree:payment:gen_td'],
      ['quarantine', `webhook:braintree:payout_item:${notificationId(sample.bt_payload)}`],
    ]);
  });

  it('sends unmapped kinds to raw only, without the personal data their subjects carry', async () => {
    for (const kind of ['check', 'subscription_canceled', 'transaction_reviewed', 'local_payment_completed'] as const) {
      // The typings list fewer kinds than the SDK has (no transaction_reviewed).
      const sample = await gateway.webhookTesting.sampleNotification(kind as braintree.WebhookNotificationKind, `raw_${kind}`);
      expect((await post(app, sample)).statusCode, kind).toBe(200);
      const envs = await drain();
      expect(envs.map((e) => e.contract), kind).toEqual(['provider_event']);
      expect(envs[0]!.payload).toMatchObject({ provider_event_id: notificationId(sample.bt_payload), type: kind });
      const raw = JSON.stringify(envs[0]!.raw);
      expect(raw).toContain(`"kind":"${kind}"`);
      for (const s of ['hey@girl.com', 'a-payer-name', 'a-bic']) expect(raw).not.toContain(s);
    }
  });

  it('refuses a tampered signature or payload, wrong keys and missing fields, queueing nothing and echoing nothing', async () => {
    const good = sign(notificationXml('transaction_disbursed', disbursedTx()));
    const tamperedSig = { ...good, bt_signature: good.bt_signature.replace(/.$/, (c) => (c === '0' ? '1' : '0')) };
    const tamperedPayload = { ...good, bt_payload: sign(notificationXml('transaction_disbursed', disbursedTx('1960.00'))).bt_payload };
    expect(tamperedPayload.bt_payload).not.toBe(good.bt_payload);
    const cases: [Partial<Sample>, string][] = [
      [tamperedSig, 'signature does not match the payload and keys'],
      [tamperedPayload, 'signature does not match the payload and keys'],
      [sign(notificationXml('check', '<check type="boolean">true</check>'), 'someone_elses_private_key'), 'signature does not match the payload and keys'],
      [sign(notificationXml('check', '<check type="boolean">true</check>'), KEYS.privateKey, 'other_public_key'), 'signature does not match the payload and keys'],
      [{ ...good, bt_payload: `${good.bt_payload}<script>` }, 'signature does not match the payload and keys'],
      [{ bt_payload: good.bt_payload }, 'bt_signature and bt_payload are required'],
      [{ bt_signature: good.bt_signature }, 'bt_signature and bt_payload are required'],
    ];
    for (const [fields, message] of cases) {
      const res = await post(app, fields);
      expect(res.statusCode).toBe(400);
      expect(res.json()).toEqual({ error: { code: 'bad_signature', message } });
      expect(res.body).not.toContain(good.bt_payload.slice(0, 20));
    }
    // A raw `+` decodes as a space under form rules: refused as not signed, never guessed back.
    const check = SIGNED.check!;
    expect(check.bt_payload).toContain('+');
    const rawPlus = await post(app, `bt_signature=${encodeURIComponent(check.bt_signature)}&bt_payload=${check.bt_payload.trimEnd()}`);
    expect(rawPlus.statusCode).toBe(400);
    // JSON is not what Braintree posts.
    const json = await post(app, JSON.stringify(good), 'application/json');
    expect(json.statusCode).toBe(415);
    // Nor is its body parsed to say so: garbage JSON is refused by its type, not answered malformed_json.
    const garbage = await post(app, '{"bt_signature": nope', 'application/json');
    expect(garbage.statusCode).toBe(415);
    expect(garbage.json()).toEqual({ error: { code: 'unsupported_media_type', message: 'content type must be application/x-www-form-urlencoded' } });
    // A Content-Type that is no media type at all is refused before the route runs (by Fastify): the answer still
    // names the form type, not JSON's (until 2026-12-05 it said `content type must be application/json`).
    for (const type of ['text', 'badsig']) {
      const odd = await post(app, good, type);
      expect(odd.statusCode).toBe(415);
      expect(odd.json()).toEqual({ error: { code: 'unsupported_media_type', message: 'content type must be application/x-www-form-urlencoded' } });
    }
    expect(await drain()).toEqual([]);

    // The server keeps serving after each refusal (and takes a charset parameter on the form type).
    expect((await post(app, good, 'application/x-www-form-urlencoded; charset=utf-8')).statusCode).toBe(200);
    expect((await drain()).map((e) => e.contract).sort()).toEqual(['payment', 'payout_item', 'provider_event']);
    expect((await app.inject({ method: 'GET', url: '/healthz' })).statusCode).toBe(200);
  });

  it('answers 400 invalid_notification to a correctly signed payload that is not a notification', async () => {
    const res = await post(app, sign('<notification><kind>check</kind></notification>'));
    expect(res.statusCode).toBe(400);
    expect(res.json()).toEqual({ error: { code: 'invalid_notification', message: 'signed payload is not a Braintree notification' } });
    expect(await drain()).toEqual([]);
  });

  it('gives a redelivered notification the same envelope ids, so it lands once', async () => {
    for (const sample of [sign(notificationXml('transaction_disbursed', disbursedTx())), SIGNED.disbursement!, SIGNED.check!]) {
      expect((await post(app, sample)).statusCode).toBe(200);
      const first = await drain();
      // Braintree's own retry may drop the trailing newline; the SDK accepts both and so does the id.
      expect((await post(app, { ...sample, bt_payload: sample.bt_payload.trimEnd() })).statusCode).toBe(200);
      const second = await drain();
      expect(first.length).toBeGreaterThan(0);
      expect(second.map((e) => e.id).sort()).toEqual(first.map((e) => e.id).sort());
      expect(new Set(second.map((e) => e.delivery_id))).toEqual(new Set([notificationId(sample.bt_payload)]));
    }
  });

  it('quarantines a signed transaction whose amount is not exact money, and still keeps the raw notification', async () => {
    const sample = sign(notificationXml('transaction_settled', disbursedTx('196.005')));
    expect((await post(app, sample)).statusCode).toBe(200);
    const envs = await drain();
    expect(summary(envs)).toEqual([
      ['provider_event', notificationId(sample.bt_payload)],
      ['quarantine', `webhook:braintree:payment:${notificationId(sample.bt_payload)}`],
    ]);
    const q = envs.find((e) => e.contract === 'quarantine')!;
    expect(JSON.parse(q.payload.reasons as string)).toEqual([{ path: 'subject', message: 'amount "196.005" has more decimals than USD allows (2)' }]);
  });

  it('leaves the producer behind its API key and form posts elsewhere unparsed', async () => {
    expect((await app.inject({ method: 'POST', url: '/v1/events', headers: { 'content-type': 'application/json' }, payload: '{"events":[]}' })).statusCode).toBe(401);
    const form = await app.inject({ method: 'POST', url: '/v1/events', headers: { 'content-type': 'application/x-www-form-urlencoded', authorization: 'Bearer producer-key-0123456789' }, payload: 'a=b' });
    expect(form.statusCode).toBe(415);
  });
});

describe('POST /webhooks/braintree when the queue refuses', () => {
  it('answers 503 with Retry-After, so Braintree retries', async () => {
    const queue = { publish: async () => Promise.reject(new RetriableError('queue down', 4_500)) } as unknown as Queue;
    const app = buildServer({ queue, apiKeys: [], plugins: [braintreeWebhookRoutes({ queue, gateway })] });
    const res = await post(app, SIGNED.disbursement!);
    expect(res.statusCode).toBe(503);
    expect(res.headers['retry-after']).toBe('5');
    expect(res.json()).toEqual({ error: { code: 'queue_unavailable', message: 'the queue did not accept the notification; Braintree will retry' } });
    await app.close();
  });
});
