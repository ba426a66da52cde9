// Webhook receivers on a queue that cannot commit (a full disk): every delivery is refused with 503, and the log
// says so once per provider, then a count every 10 s, then once when it works again, never a line a delivery
// (hundreds a second on an appeal night), and never the delivery's data. SQLite's own error, raised by a trigger
// from another connection (as in disk-full.test.ts), stands for the disk.
import { createHash, createHmac } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import braintree from 'braintree';
import Database from 'better-sqlite3';
import type { FastifyInstance } from 'fastify';
import Stripe from 'stripe';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { braintreeWebhookRoutes } from '../connectors/braintree/webhook.js';
import { freshdeskWebhookRoutes } from '../connectors/freshdesk/webhook.js';
import { stripeWebhookRoutes } from '../connectors/stripe/webhook.js';
import { buildServer } from '../core/http/server.js';
import { SqliteQueue } from '../infra/local/sqlite-queue.js';

const STRIPE_SECRET = 'whsec_publish_failures_0123456789';
const BT_KEYS = { merchantId: 'test_merchant_id', publicKey: 'test_public_key', privateKey: 'test_private_key' };
const FD_AUTH = { user: 'puddle', secret: 'fd-secret-publish-failures', header: '' };
/** Data each delivery carries that must never reach the log. */
const PAYLOAD_DATA = ['Marker Donor', 'marker.donor@example.org', 'don_marker_42', 'Requester Bob', 'requester-bob@example.com', 'Test ticket subject'];

/** Braintree's documented signature: publicKey|hex(HMAC-SHA1(SHA1(privateKey), payload)). */
function braintreeForm(xml: string): string {
  const payload = `${Buffer.from(xml).toString('base64')}\n`;
  const key = createHash('sha1').update(BT_KEYS.privateKey).digest();
  return new URLSearchParams({ bt_signature: `${BT_KEYS.publicKey}|${createHmac('sha1', key).update(payload).digest('hex')}`, bt_payload: payload }).toString();
}

describe('webhook receivers while the queue cannot commit', () => {
  const dir = mkdtempSync(join(tmpdir(), 'puddle-webhook-failures-'));
  let queue: SqliteQueue;
  let app: FastifyInstance;
  let nowMs = Date.parse('2026-11-29T20:00:00Z');
  const clock = { now: () => new Date(nowMs) };
  const lines: Record<string, unknown>[] = [];
  const texts: string[] = [];

  beforeAll(async () => {
    vi.spyOn(process.stderr, 'write').mockImplementation((chunk) => {
      for (const text of String(chunk).split('\n')) {
        if (!text.startsWith('{')) continue;
        texts.push(text);
        lines.push(JSON.parse(text) as Record<string, unknown>);
      }
      return true;
    });
    queue = new SqliteQueue(join(dir, 'queue.db'));
    await queue.subscribe({ name: 'raw', contracts: '*' });
    const gateway = new braintree.BraintreeGateway({ environment: braintree.Environment.Sandbox, ...BT_KEYS });
    app = buildServer({
      queue,
      apiKeys: [],
      plugins: [stripeWebhookRoutes({ queue, secret: STRIPE_SECRET, clock }), braintreeWebhookRoutes({ queue, gateway, clock }), freshdeskWebhookRoutes({ queue, auth: FD_AUTH, clock })],
    });
    await app.ready();
  });
  afterAll(async () => {
    await app.close();
    await queue.close();
    vi.restoreAllMocks();
    rmSync(dir, { recursive: true, force: true });
  });

  const stripeEvent = JSON.stringify({
    id: 'evt_publish_failures_1', object: 'event', type: 'charge.succeeded', created: Math.floor(nowMs / 1000), livemode: false,
    data: { object: { id: 'ch_publishfailures01', object: 'charge', amount: 4242, currency: 'gbp', created: Math.floor(nowMs / 1000), status: 'succeeded', metadata: { donation_id: 'don_marker_42' }, billing_details: { name: 'Marker Donor', email: 'marker.donor@example.org' } } },
  });
  const braintreeBody = braintreeForm(
    '<notification><timestamp type="datetime">2026-11-29T20:00:00Z</timestamp><kind>transaction_settled</kind><subject><transaction><id>mk42abcd</id><amount>4242.00</amount>' +
      '<order-id>don_marker_42</order-id><customer><first-name>Marker Donor</first-name><email>marker.donor@example.org</email></customer></transaction></subject></notification>',
  );
  const freshdeskBody = readFileSync(new URL('./fixtures/freshdesk/webhook_automation_status_changed.json', import.meta.url), 'utf8');

  const deliver = {
    stripe: () =>
      app.inject({ method: 'POST', url: '/webhooks/stripe', payload: stripeEvent, headers: { 'content-type': 'application/json', 'stripe-signature': Stripe.webhooks.generateTestHeaderString({ payload: stripeEvent, secret: STRIPE_SECRET, timestamp: Math.floor(nowMs / 1000) }) } }),
    braintree: () => app.inject({ method: 'POST', url: '/webhooks/braintree', payload: braintreeBody, headers: { 'content-type': 'application/x-www-form-urlencoded' } }),
    freshdesk: () =>
      app.inject({ method: 'POST', url: '/webhooks/freshdesk', payload: freshdeskBody, headers: { 'content-type': 'application/json', authorization: `Basic ${Buffer.from(`${FD_AUTH.user}:${FD_AUTH.secret}`).toString('base64')}` } }),
  };
  const said = (msg: string) => lines.filter((l) => l.msg === msg);

  it('logs the first failure of each receiver, then a count every 10 s, then that it works again, and no payload data', async () => {
    const db = new Database(join(dir, 'queue.db'));
    db.exec(`CREATE TRIGGER disk_full BEFORE INSERT ON queue_deliveries BEGIN SELECT RAISE(ABORT, 'database or disk is full'); END`);
    try {
      // Forty deliveries of each, over 4 s of the receivers' clock: one line each.
      for (let i = 0; i < 40; i++) {
        for (const post of Object.values(deliver)) {
          const res = await post();
          expect(res.statusCode, res.body).toBe(503);
          expect(res.json()).toMatchObject({ error: { code: 'queue_unavailable' } });
        }
        nowMs += 100;
      }
      for (const name of Object.keys(deliver)) {
        expect(said(`${name} webhook publish failed`), name).toHaveLength(1);
        expect(said(`${name} webhook publish failed`)[0]).toMatchObject({ level: 'warn', webhook: name, error: 'QueueCommitError: queue publish failed' });
      }
      // Ten seconds after the first line, the next failure says how many there were.
      nowMs += 6_000;
      for (const post of Object.values(deliver)) expect((await post()).statusCode).toBe(503);
      for (const name of Object.keys(deliver)) {
        expect(said(`${name} webhook publish failed (still failing)`), name).toEqual([expect.objectContaining({ webhook: name, failures: 41, not_logged: 39, since: '2026-11-29T20:00:00.000Z' })]);
      }
    } finally {
      db.exec('DROP TRIGGER disk_full');
      db.close();
    }
    nowMs += 1_000;
    for (const post of Object.values(deliver)) expect((await post()).statusCode).toBe(200);
    for (const name of Object.keys(deliver)) expect(said(`${name} webhooks are accepted again`), name).toEqual([expect.objectContaining({ level: 'warn', webhook: name, failures: 41 })]);
    // 123 refusals: two lines a receiver, and one when it came back.
    expect(lines.filter((l) => String(l.msg).includes('webhook')).length).toBe(9);
    for (const data of PAYLOAD_DATA) for (const text of texts) expect(text).not.toContain(data);
  });
});
