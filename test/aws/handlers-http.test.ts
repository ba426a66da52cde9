import { readFileSync } from 'node:fs';

import { GetSecretValueCommand, SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { mockClient } from 'aws-sdk-client-mock';
import Stripe from 'stripe';
import type { APIGatewayProxyEventV2 } from 'aws-lambda';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';

import { makeProducerHandler } from '../../infra/aws/handlers/producer.js';
import { createAwsRuntime, type AwsRuntime } from '../../infra/aws/runtime.js';
import { loadSecrets } from '../../infra/aws/secrets.js';
import { SECRETS_MAX_AGE_MS } from '../../infra/aws/shape.js';
import { startTestShape, type TestShape } from '../support/aws-shape.js';
import { httpApiEvent } from '../support/lambda-events.js';

const API_KEY = 'producer-key-0123456789abcdef';
const WEBHOOK_SECRET = 'whsec_test_0123456789abcdef';

let shape: TestShape;
let rt: AwsRuntime;
// The exported handlers, made as Lambda loads them: their runtime comes from the environment on first use.
let producer: typeof import('../../infra/aws/handlers/producer.js').handler;
let webhooks: typeof import('../../infra/aws/handlers/webhooks.js').handler;

beforeAll(async () => {
  shape = await startTestShape();
  vi.stubEnv('PUDDLE_API_KEYS', API_KEY);
  vi.stubEnv('STRIPE_WEBHOOK_SECRET', WEBHOOK_SECRET);
  producer = (await import('../../infra/aws/handlers/producer.js')).handler;
  webhooks = (await import('../../infra/aws/handlers/webhooks.js')).handler;
  rt = await createAwsRuntime();
});

afterAll(async () => {
  await rt.close();
  await shape.stop();
});

async function drain(puddle: string) {
  const got = await rt.queue.claim(puddle, { max: 100, visibilityMs: 30_000 });
  await rt.queue.ack(puddle, got.map((m) => m.receipt));
  return got.map((m) => m.envelope);
}

const donation = (id: string, amount = 500) => ({
  contract: 'donation',
  version: 1,
  payload: { donation_id: id, occurred_at: '2026-11-27T20:15:03Z', channel: 'sms', amount_minor: amount, currency: 'GBP', campaign: 'appeal-night-2026', cta: 'tv-sms' },
});

describe('producer handler (HTTP API v2 through the fastify routes)', () => {
  it('takes a batch of events and publishes them to the topic: 202 with the envelope ids', async () => {
    const body = JSON.stringify({ events: [donation('don_h1'), donation('don_h2', 1250)] });
    const res = await producer(httpApiEvent({ method: 'POST', path: '/v1/events', headers: { authorization: `Bearer ${API_KEY}`, 'content-type': 'application/json' }, body }));
    expect(res.statusCode).toBe(202);
    expect(res.isBase64Encoded).toBe(false);
    const accepted = (JSON.parse(res.body!) as { accepted: { index: number; id: string }[] }).accepted;
    expect(accepted.map((a) => a.index)).toEqual([0, 1]);
    const landed = await drain('transactions');
    expect(landed.map((e) => e.id).sort()).toEqual(accepted.map((a) => a.id).sort());
    expect(landed.find((e) => e.key === 'don_h2')!.payload.amount_minor).toBe(1250);
    expect((await drain('raw')).length).toBe(2);
  });

  it('decodes a base64-encoded body, and strips a named stage from the path', async () => {
    const body = JSON.stringify({ events: [donation('don_b64')] });
    const res = await producer(
      httpApiEvent({ method: 'POST', path: '/v1/events', stage: 'prod', base64: true, headers: { authorization: `Bearer ${API_KEY}`, 'content-type': 'application/json' }, body }),
    );
    expect(res.statusCode).toBe(202);
    expect((await drain('transactions')).map((e) => e.key)).toEqual(['don_b64']);
  });

  it('answers as the embedded producer does: 401 without a key, 400 naming the bad field, 200 on /healthz', async () => {
    const body = JSON.stringify({ events: [donation('don_x')] });
    const noKey = await producer(httpApiEvent({ method: 'POST', path: '/v1/events', headers: { 'content-type': 'application/json' }, body }));
    expect(noKey.statusCode).toBe(401);
    const bad = { ...donation('don_bad'), payload: { ...donation('don_bad').payload, amount_minor: '5.00' } };
    const invalid = await producer(
      httpApiEvent({ method: 'POST', path: '/v1/events', headers: { authorization: `Bearer ${API_KEY}`, 'content-type': 'application/json' }, body: JSON.stringify({ events: [bad] }) }),
    );
    expect(invalid.statusCode).toBe(400);
    expect(invalid.body).toContain('payload.amount_minor');
    const health = await producer(httpApiEvent({ method: 'GET', path: '/healthz' }));
    expect(health.statusCode).toBe(200);
    // No connector has run against this state table: none failing (handlers-sync.test.ts names a failing one).
    expect(JSON.parse(health.body!)).toEqual({ ok: true, connectors: { failing: {} } });
    expect(await drain('transactions')).toEqual([]);
  });

  it('stops taking a key revoked in its secret within the maximum age, on a warm function', async () => {
    const REVOKED = 'revoked-key-0123456789abcdef';
    const client = new SecretsManagerClient({ region: 'us-east-1' });
    const mock = mockClient(client);
    mock
      .on(GetSecretValueCommand, { SecretId: 'puddle/hub-keys' })
      .resolvesOnce({ SecretString: JSON.stringify({ PUDDLE_API_KEYS: `${REVOKED},${API_KEY}` }) })
      .resolves({ SecretString: JSON.stringify({ PUDDLE_API_KEYS: API_KEY }) });
    let now = 1_000_000;
    const secrets = await loadSecrets({ secretId: 'puddle/hub-keys', env: {}, client, now: () => now });
    const warm = makeProducerHandler(async () => ({ ...rt, secrets }), { now: () => now });
    const post = async (key: string) =>
      (
        await warm(
          httpApiEvent({ method: 'POST', path: '/v1/events', headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json' }, body: JSON.stringify({ events: [donation('don_rev')] }) }),
        )
      ).statusCode;
    expect(await post(REVOKED)).toBe(202);
    now += SECRETS_MAX_AGE_MS - 1;
    expect(await post(REVOKED)).toBe(202);
    now += 1;
    expect(await post(REVOKED)).toBe(401);
    expect(await post(API_KEY)).toBe(202);
    expect(mock.commandCalls(GetSecretValueCommand)).toHaveLength(2);
    await drain('transactions');
    await drain('raw');
  });

  it('refuses an event that is not HTTP API payload 2.0', async () => {
    const v1 = { ...httpApiEvent({ method: 'GET', path: '/healthz' }), version: '1.0' } as unknown as APIGatewayProxyEventV2;
    await expect(producer(v1)).rejects.toThrow('not an HTTP API payload 2.0 event (version 1.0)');
  });
});

describe('webhooks handler: signatures checked on the bytes sent, base64 or not', () => {
  const event = JSON.parse(readFileSync(new URL('../fixtures/stripe/event.json', import.meta.url), 'utf8')) as Record<string, unknown>;
  const refund = JSON.parse(readFileSync(new URL('../fixtures/stripe/refund.json', import.meta.url), 'utf8')) as unknown;
  const payload = (id: string) => JSON.stringify({ ...event, id, type: 'charge.refund.updated', data: { object: refund } }, null, 2);
  const sign = (body: string) => Stripe.webhooks.generateTestHeaderString({ payload: body, secret: WEBHOOK_SECRET });

  it.each([false, true])('accepts a signed Stripe event (base64: %s) and publishes it', async (base64) => {
    const body = payload(`evt_lambda_${String(base64)}`);
    const res = await webhooks(
      httpApiEvent({ method: 'POST', path: '/webhooks/stripe', base64, headers: { 'content-type': 'application/json', 'stripe-signature': sign(body) }, body }),
    );
    expect(res.statusCode).toBe(200);
    const refunds = (await drain('transactions')).filter((e) => e.contract === 'refund');
    expect(refunds).toHaveLength(1);
    expect(refunds[0]).toMatchObject({ source: 'webhook:stripe', delivery_id: `evt_lambda_${String(base64)}` });
    await drain('raw');
  });

  it('refuses a body changed after signing (re-serialised JSON included), publishing nothing', async () => {
    const body = payload('evt_lambda_tampered');
    const signature = sign(body);
    const compact = JSON.stringify(JSON.parse(body)); // same JSON, other bytes
    for (const b of [compact, body.replace('"amount": 100', '"amount": 999')]) {
      const res = await webhooks(httpApiEvent({ method: 'POST', path: '/webhooks/stripe', base64: true, headers: { 'content-type': 'application/json', 'stripe-signature': signature }, body: b }));
      expect(res.statusCode).toBe(400);
    }
    expect(await drain('raw')).toEqual([]);
  });
});
