import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { movableClock } from '../../sandbox-kit/movable-clock.js';
import { startFreshdeskSandbox, type FreshdeskSandbox } from './index.js';

const NOW = new Date('2026-11-29T12:00:00Z');
const DAY = 86_400_000;

describe('Freshdesk sandbox wire protocol', () => {
  let sb: FreshdeskSandbox;
  const clock = movableClock(NOW);
  const get = (path: string, key = sb.apiKey) => fetch(`${sb.url}${path}`, { headers: { authorization: `Basic ${Buffer.from(`${key}:X`).toString('base64')}` } });
  beforeAll(async () => {
    sb = await startFreshdeskSandbox({ now: clock.now, tickets: 250, range: { from: new Date(NOW.getTime() - 60 * DAY), to: NOW }, limits: { perMinute: 1000, ticketsList: 1000, contactsList: 1000 } });
  });
  afterAll(() => sb.close());

  it('pages tickets by updated_since with Link next headers and rate headers on every answer', async () => {
    const since = new Date(NOW.getTime() - 60 * DAY).toISOString().replace('.000Z', 'Z');
    const res = await get(`/api/v2/tickets?updated_since=${since}&order_by=updated_at&order_type=asc&per_page=100&include=requester,stats`);
    expect(res.status).toBe(200);
    const rows = (await res.json()) as { id: number; updated_at: string; requester: { email: string }; stats: object }[];
    expect(rows).toHaveLength(100);
    expect(rows[0]!.requester.email).toBe('volume@example.org');
    expect(rows[0]!.stats).toBeTruthy();
    expect(rows.map((r) => r.updated_at)).toEqual([...rows.map((r) => r.updated_at)].sort());
    expect(res.headers.get('link')).toMatch(/page=2>; rel="next"$/);
    expect(res.headers.get('x-ratelimit-used-currentrequest')).toBe('3');
    expect(Number(res.headers.get('x-ratelimit-remaining'))).toBeLessThanOrEqual(997);
    const last = await get(`/api/v2/tickets?updated_since=${since}&order_by=updated_at&order_type=asc&per_page=100&page=3`);
    expect(((await last.json()) as unknown[]).length).toBe(50);
    expect(last.headers.get('link')).toBeNull();
  });

  it('lists only the last 30 days without updated_since, and refuses page 301 and bad parameters', async () => {
    const recent = (await (await get('/api/v2/tickets?per_page=100&page=1')).json()) as { created_at: string }[];
    expect(recent.length).toBeGreaterThan(0);
    expect(recent.every((t) => Date.parse(t.created_at) >= NOW.getTime() - 30 * DAY)).toBe(true);
    const over = await get('/api/v2/tickets?updated_since=2026-01-01T00:00:00Z&page=301');
    expect(over.status).toBe(400);
    expect(JSON.stringify(await over.json())).toMatch(/beyond the 300th page/);
    expect((await get('/api/v2/tickets?per_page=101')).status).toBe(400);
    expect((await get('/api/v2/tickets?include=everything')).status).toBe(400);
    expect((await get('/api/v2/tickets?updated_since=yesterday')).status).toBe(400);
  });

  it('answers 401 for a wrong key and serves deleted and spam tickets only from their filters', async () => {
    expect((await get('/api/v2/tickets', 'wrong')).status).toBe(401);
    sb.helpdesk.deleteTicket(1);
    sb.helpdesk.markSpam(2, true);
    const q = 'updated_since=2026-01-01T00:00:00Z&per_page=100';
    const ids = async (extra: string) => ((await (await get(`/api/v2/tickets?${q}${extra}`)).json()) as { id: number }[]).map((t) => t.id);
    expect(await ids('&filter=deleted')).toEqual([1]);
    expect(await ids('&filter=spam')).toEqual([2]);
    expect(await ids('')).not.toContain(1);
    const one = (await (await get('/api/v2/tickets/1?include=stats')).json()) as { deleted: boolean };
    expect(one.deleted).toBe(true);
    expect((await get('/api/v2/tickets/99999')).status).toBe(404);
    const fields = (await (await get('/api/v2/ticket_fields')).json()) as { name: string; choices: Record<string, string[]> }[];
    expect(fields.find((f) => f.name === 'status')!.choices['6']![0]).toBe('Waiting on Finance');
  });
});

describe('Freshdesk sandbox rate limits', () => {
  it('answers 429 with Retry-After once the ticket-list bucket is empty, while other endpoints still answer', async () => {
    const sb = await startFreshdeskSandbox({ tickets: 5, limits: { perMinute: 200, ticketsList: 3, contactsList: 20 } });
    try {
      const auth = { authorization: `Basic ${Buffer.from(`${sb.apiKey}:X`).toString('base64')}` };
      const statuses: number[] = [];
      let retryAfter: string | null = null;
      for (let i = 0; i < 4; i++) {
        const r = await fetch(`${sb.url}/api/v2/tickets?updated_since=2026-01-01T00:00:00Z`, { headers: auth });
        statuses.push(r.status);
        if (r.status === 429) retryAfter = r.headers.get('retry-after');
      }
      expect(statuses).toEqual([200, 200, 200, 429]);
      expect(Number(retryAfter)).toBeGreaterThanOrEqual(1);
      expect((await fetch(`${sb.url}/api/v2/contacts`, { headers: auth })).status).toBe(200);
      sb.spendCredits(500);
      const shared = await fetch(`${sb.url}/api/v2/ticket_fields`, { headers: auth });
      expect(shared.status).toBe(429);
      expect(shared.headers.get('x-ratelimit-remaining')).toBe('0');
    } finally {
      await sb.close();
    }
  });
});
