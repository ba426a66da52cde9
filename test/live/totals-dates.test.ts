import Fastify from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createKeyRing } from '../../core/http/auth.js';
import { totalsRoutes } from '../../puddles/http/totals-routes.js';
import { LiveTotals } from '../../puddles/live-totals.js';

const READ_KEY = 'read-key-dates';

// Date.parse rolls an impossible date into the next month ('2026-11-31' is 1 December): a range that
// silently shifted would count a day nobody asked for, so these must be refused, naming the parameter.
describe('GET /v1/totals: from and to are real calendar dates', () => {
  const app = Fastify();
  const ask = (q: string) => app.inject({ url: `/v1/totals${q}`, headers: { authorization: `Bearer ${READ_KEY}` } });

  beforeAll(async () => {
    const totals = new LiveTotals();
    const row = (id: string, occurred: string) => ({
      donation_id: id, _id: `env-${id}`, occurred_at: occurred, _received_at: '2026-12-02T00:00:00.000Z', _changed_at: null,
      status: null, amount_minor: 500, channel: 'online', campaign: 'c', cta: null, currency: 'GBP',
    });
    totals.applyRows([row('nov', '2026-11-30T12:00:00.000Z'), row('dec', '2026-12-01T12:00:00.000Z')]);
    await app.register(totalsRoutes, { keys: createKeyRing({ read: [READ_KEY] }), totals });
  });
  afterAll(() => app.close());

  it('refuses an impossible date or timestamp with a 400 naming the parameter', async () => {
    for (const [q, name] of [
      ['?to=2026-11-31', 'to'],
      ['?from=2026-02-30', 'from'],
      ['?from=2027-02-29', 'from'],
      ['?to=2026-11-31T10:00:00Z', 'to'],
      ['?from=2026-02-30T10:00:00', 'from'],
    ]) {
      const res = await ask(q!);
      expect(res.statusCode, q).toBe(400);
      expect(res.json().error.message, q).toMatch(new RegExp(`^${name} must be`));
    }
  });

  it('says a zone\'s + typed into the address arrived as a space, and takes it written as %2B', async () => {
    for (const k of ['from', 'to']) {
      const res = await ask(`?${k}=2026-12-01T01:00+01:00`);
      expect(res.statusCode, k).toBe(400);
      expect(res.json().error.message, k).toBe(`${k} has a space before its zone: a + in an address reads as a space, so write it as %2B (${k}=2026-11-27T19:00%2B01:00)`);
    }
    expect((await ask('?from=2026-12-01T01:00%2B01:00')).json().total.count).toBe(1);
  });

  it('takes any campaign a donation may carry (up to 4096 characters), and refuses a longer one', async () => {
    expect((await ask(`?campaign=${'c'.repeat(4096)}`)).statusCode).toBe(200);
    const res = await ask(`?campaign=${'c'.repeat(4097)}`);
    expect(res.statusCode).toBe(400);
    expect(res.json().error.message).toBe('campaign must be 1 to 4096 characters');
  });

  it('still takes real dates and timestamps: a date as to is the whole day, and no more', async () => {
    expect((await ask('?to=2026-11-30')).json().total.count).toBe(1);
    expect((await ask('?to=2026-12-01')).json().total.count).toBe(2);
    expect((await ask('?from=2028-02-29')).statusCode).toBe(200);
    expect((await ask('?from=2026-12-01T00:00:00')).json().total.count).toBe(1);
    expect((await ask('?to=2026-12-01T01:00:00%2B01:00')).json().total.count).toBe(1);
    expect((await ask('?from=2026-12-01T00:00:00z')).json().total.count).toBe(1);
  });
});
