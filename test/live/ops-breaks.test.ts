// The dashboard's "open breaks by type" (GET /v1/ops/breaks) on a small landed lake whose breaks have opposite
// signs: the amount shown is what is at stake, so a payment 25.00 over and one 25.00 under are 50.00, not 0.
import Fastify from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { createKeyRing } from '../../core/http/auth.js';
import { makeEnvelope } from '../../core/envelope.js';
import { opsRoutes } from '../../puddles/http/ops-routes.js';
import { setReconParams } from '../../puddles/reports.js';
import type { TotalsKeeper } from '../../puddles/totals-keeper.js';
import type { WebhookFreshness } from '../../puddles/webhook-freshness.js';
import { createLake, type Lake } from '../puddles/lake-fixture.js';

const READ_KEY = 'read-key-ops-breaks-0001';
const DAY = '2026-12-01T10:00:00.000Z';
const env = (contract: string, version: number, payload: Record<string, unknown>) =>
  makeEnvelope({ contract, version, source: 'test', stream: contract, payload, received_at: DAY, delivery_id: 'ops-breaks-test' });
/** A donation and its one successful payment, of another amount: an AMOUNT_MISMATCH of payment - donation. */
const mismatch = (id: string, donated: number, paid: number, currency = 'GBP') => [
  env('donation', 1, { donation_id: id, occurred_at: DAY, channel: 'online', amount_minor: donated, currency }),
  env('payment', 2, { payment_id: `ch_${id}`, donation_id: id, occurred_at: DAY, provider: 'stripe', status: 'succeeded', amount_minor: paid, currency }),
];

let lake: Lake;
beforeAll(async () => {
  lake = await createLake();
  await lake.subscribeAll();
  await lake.queue.publish([...mismatch('over', 1000, 3500), ...mismatch('under', 3500, 1000), ...mismatch('eur', 500, 200, 'EUR')]);
  await lake.consumer('transactions').drain();
  await setReconParams(lake.engine, { as_of: '2026-12-02' });
}, 60_000);

afterAll(async () => {
  await lake?.close();
});

describe('GET /v1/ops/breaks', () => {
  it('adds the absolute amounts of a type\'s breaks per currency, so breaks of opposite signs do not cancel out', async () => {
    // The lake really holds breaks of both signs (else the test proves nothing).
    expect(await lake.engine.query(`SELECT object_id, amount_minor FROM recon_breaks WHERE break_type = 'AMOUNT_MISMATCH' ORDER BY object_id`)).toEqual([
      { object_id: 'eur', amount_minor: -300 },
      { object_id: 'over', amount_minor: 2500 },
      { object_id: 'under', amount_minor: -2500 },
    ]);
    const app = Fastify();
    const unused = {} as never;
    await app.register(opsRoutes, { keys: createKeyRing({ read: [READ_KEY] }), query: lake.engine, keeper: unused as TotalsKeeper, webhooks: unused as WebhookFreshness, queueDepths: async () => ({}), state: unused, connectors: {} });
    try {
      const res = await app.inject({ url: '/v1/ops/breaks', headers: { authorization: `Bearer ${READ_KEY}` } });
      expect(res.statusCode).toBe(200);
      // Donation and payment ids with amounts, read with the dashboard's cookie: never kept by a cache (as the totals).
      expect(res.headers['cache-control']).toBe('no-store');
      // A refusal too: the proxy in front must not keep a 401 or 403 and serve it to the next key either.
      expect((await app.inject({ url: '/v1/ops/breaks' })).headers['cache-control']).toBe('no-store');
      const body = res.json<{ by_type: { break_type: string }[]; newest: { object_id: string; amount_minor: number }[] }>();
      expect(body.by_type.filter((r) => r.break_type === 'AMOUNT_MISMATCH')).toEqual([
        { break_type: 'AMOUNT_MISMATCH', currency: 'EUR', count: 1, amount_minor: 300 },
        { break_type: 'AMOUNT_MISMATCH', currency: 'GBP', count: 2, amount_minor: 5000 },
      ]);
      // Each break keeps its own sign in the newest list: the direction says which way it is off.
      expect(body.newest.find((b) => b.object_id === 'under')?.amount_minor).toBe(-2500);
    } finally {
      await app.close();
    }
  });

  it('refuses a parameter on the fixed-figure routes (status, journey, breaks) instead of answering the whole as if it were one record', async () => {
    const app = Fastify();
    const unused = {} as never;
    await app.register(opsRoutes, { keys: createKeyRing({ read: [READ_KEY] }), query: lake.engine, keeper: unused as TotalsKeeper, webhooks: unused as WebhookFreshness, queueDepths: async () => ({}), state: unused, connectors: {} });
    try {
      const auth = { authorization: `Bearer ${READ_KEY}` };
      // A care lead's reading (user test, 2026-12-06): the journey of one donation. It answered the whole funnel with 200.
      const journey = await app.inject({ url: '/v1/ops/journey?donation_id=over', headers: auth });
      expect(journey.statusCode).toBe(400);
      const said = journey.json<{ error: { code: string; message: string } }>().error;
      expect(said.code).toBe('invalid_query');
      expect(said.message).toContain('donation_id is not a parameter: /v1/ops/journey takes none');
      expect(said.message).toContain('recon_journey');
      for (const url of ['/v1/ops/breaks?object_id=over', '/v1/ops/status?x=1']) {
        const res = await app.inject({ url, headers: auth });
        expect(res.statusCode, url).toBe(400);
        expect(res.json<{ error: { message: string } }>().error.message).toMatch(/ is not a parameter: \/v1\/ops\/\w+ takes none/);
      }
      // A refusal comes after the key check: without a key it is still a 401, saying nothing of the route.
      expect((await app.inject({ url: '/v1/ops/journey?donation_id=over' })).statusCode).toBe(401);
      // Without parameters the breaks answer as before; /v1/ops/ctas keeps its own (campaign, from, to).
      expect((await app.inject({ url: '/v1/ops/breaks', headers: auth })).statusCode).toBe(200);
    } finally {
      await app.close();
    }
  });
});
