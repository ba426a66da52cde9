import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadBookmark } from '../core/engine/bookmark.js';
import { budgetOf, syncConnector } from '../core/engine/sync.js';
import { freshdeskConnector } from '../connectors/freshdesk/connector.js';
import { emailSha256 } from '../core/pii.js';
import { freshdeskHarness, FD_NOW } from './support/freshdesk-harness.js';

type H = Awaited<ReturnType<typeof freshdeskHarness>>;
const MINUTE = 60_000;
const DAY = 86_400_000;
const byStream = <T extends { stream: string }>(results: T[], name: string) => results.find((r) => r.stream === name)!;

describe('Freshdesk connector against the sandbox with the real HTTP client', () => {
  let h: H;
  const ids = {} as Record<'jo' | 'refund' | 'field' | 'custom', number>;
  beforeAll(async () => {
    h = await freshdeskHarness({ scenario: { seed: 12, donations: 400, start: new Date(FD_NOW.getTime() - 5 * DAY), durationMinutes: 3 * 24 * 60 } });
    const d = h.sandbox.helpdesk;
    const jo = d.addContact({ name: 'Jo Giver', email: 'Jo.Giver@Example.org', phone: '+44 7700 900123', other_emails: ['jo.other@example.org'], unique_external_id: '0038d00000JoGiver' }, FD_NOW.getTime() - 3 * DAY);
    ids.jo = jo.id;
    ids.refund = d.addTicket({ requester_id: jo.id, subject: 'Refund please, Jo Giver, 1 High Street', description: 'I was charged twice: ch_3Ab8JYkPo2VBUHrC1 and my card', type: 'Refund request', priority: 3, source: 3, custom_fields: { cf_donation_id: 'don_jo_1' } }, FD_NOW.getTime() - 2 * DAY).id;
    ids.field = d.addTicket({ requester_id: jo.id, subject: 'Cancel my monthly gift', description: 'please cancel', type: 'Cancel regular gift', custom_fields: { cf_payment_reference: 'py_fieldRef000001' } }, FD_NOW.getTime() - 2 * DAY).id;
    ids.custom = d.addTicket({ requester_id: jo.id, subject: 'Receipt', description: 'where is my receipt', type: 'Receipt request' }, FD_NOW.getTime() - DAY).id;
    d.updateTicket(ids.custom, { status: 6, responded: true }, FD_NOW.getTime() - DAY + 3_600_000);
  });
  afterAll(() => h.close());

  it('backfills tickets as ticket v2 and contacts as supporters: hashes, links, custom statuses, nothing personal in raw', async () => {
    const results = await h.sync();
    expect(results.map((r) => [r.stream, r.outcome])).toEqual(results.map((r) => [r.stream, 'succeeded']));
    await h.land();
    const live = [...h.sandbox.helpdesk.tickets.values()];
    expect(live.length).toBeGreaterThan(20);
    expect(await h.q('SELECT count(*) AS n FROM ticket')).toEqual([{ n: live.length }]);
    const [refund] = await h.q(`SELECT * FROM ticket WHERE ticket_id = '${ids.refund}'`);
    expect(refund).toMatchObject({
      status: 'open', priority: 'high', type: 'Refund request', donation_id: 'don_jo_1', payment_ref: 'ch_3Ab8JYkPo2VBUHrC1', link_source: 'pattern',
      supporter_id: `freshdesk:${ids.jo}`, requester_email_sha256: emailSha256('jo.giver@example.org'), deleted: false, spam: false, source: 'phone', subject: null,
    });
    expect(await h.q(`SELECT payment_ref, link_source FROM ticket WHERE ticket_id = '${ids.field}'`)).toEqual([{ payment_ref: 'py_fieldRef000001', link_source: 'field' }]);
    const [custom] = await h.q(`SELECT status, CAST(first_responded_at AS VARCHAR) AS fr FROM ticket WHERE ticket_id = '${ids.custom}'`);
    expect(custom!.status).toBe('waiting on finance');
    expect(custom!.fr).toMatch(/^2026-11-28/);
    expect(await h.q(`SELECT source, email_sha256, crm_id FROM supporter WHERE supporter_id = 'freshdesk:${ids.jo}'`)).toEqual([
      { source: 'freshdesk', email_sha256: emailSha256('jo.giver@example.org'), crm_id: '0038d00000JoGiver' },
    ]);
    const [raw] = await h.q("SELECT count(*) AS n, count(*) FILTER (WHERE CAST(envelope AS VARCHAR) LIKE '%example.org%' OR CAST(envelope AS VARCHAR) LIKE '%Jo Giver%' OR CAST(envelope AS VARCHAR) LIKE '%7700%' OR CAST(envelope AS VARCHAR) LIKE '%High Street%' OR CAST(envelope AS VARCHAR) LIKE '%Sam Supporter%') AS personal FROM raw WHERE source = 'freshdesk'");
    expect(raw!.n).toBeGreaterThan(live.length);
    expect(raw!.personal).toBe(0);
    const bm = await loadBookmark(h.engineRuntime.state, 'freshdesk', 'tickets');
    expect(bm.cursor).toBe(new Date(FD_NOW.getTime() - MINUTE).toISOString());
  });

  it('picks up deletes, spam and unspam from their own passes, and a donation id filled in a day late', async () => {
    const d = h.sandbox.helpdesk;
    h.clock.advance(DAY);
    d.updateTicket(ids.field, { custom_fields: { cf_donation_id: 'don_jo_2' } });
    d.deleteTicket(ids.custom);
    d.markSpam(ids.refund, true);
    h.clock.advance(5 * MINUTE);
    expect((await h.sync()).every((r) => r.outcome === 'succeeded')).toBe(true);
    await h.land();
    expect(await h.q(`SELECT ticket_id, donation_id, deleted, spam FROM ticket WHERE ticket_id IN ('${ids.field}', '${ids.custom}', '${ids.refund}') ORDER BY CAST(ticket_id AS INTEGER)`)).toEqual([
      { ticket_id: String(ids.refund), donation_id: 'don_jo_1', deleted: false, spam: true },
      { ticket_id: String(ids.field), donation_id: 'don_jo_2', deleted: false, spam: false },
      { ticket_id: String(ids.custom), donation_id: null, deleted: true, spam: false },
    ]);
    h.clock.advance(MINUTE);
    d.markSpam(ids.refund, false);
    h.clock.advance(5 * MINUTE);
    await h.sync({ streams: ['tickets', 'spam_tickets'] });
    await h.land();
    expect(await h.q(`SELECT spam FROM ticket WHERE ticket_id = '${ids.refund}'`)).toEqual([{ spam: false }]);
    expect(await h.q(`SELECT count(*) AS n FROM ticket_history WHERE ticket_id = '${ids.refund}'`)).toEqual([{ n: 3 }]);
  });

  it('does not lose a ticket when another one is updated while the list is being paged', async () => {
    const d = h.sandbox.helpdesk;
    h.clock.advance(10 * MINUTE);
    const requester = ids.jo;
    const batch = Array.from({ length: 250 }, (_, i) => d.addTicket({ requester_id: requester, subject: `bulk ${i}`, description: 'x' }, h.clock.now().getTime() - 5 * MINUTE + i * 1000).id);
    let moved = false;
    h.sandbox.onPage = (path, page) => {
      // The first ticket of the first page changes: offset paging would now skip one ticket of page 2.
      if (path === '/api/v2/tickets' && page === 1 && !moved) {
        moved = true;
        d.updateTicket(batch[0]!, { status: 3 }, h.clock.now().getTime() - 2 * MINUTE);
      }
    };
    h.clock.advance(5 * MINUTE);
    const [r] = await h.sync({ streams: ['tickets'] });
    h.sandbox.onPage = null;
    expect(r!.outcome).toBe('succeeded');
    expect(moved).toBe(true);
    await h.land();
    expect(await h.q(`SELECT count(*) AS n FROM ticket WHERE ticket_id IN (${batch.map((i) => `'${i}'`).join(',')})`)).toEqual([{ n: 250 }]);
    expect(await h.q(`SELECT status FROM ticket WHERE ticket_id = '${batch[0]}'`)).toEqual([{ status: 'pending' }]);
  });

  it('retries 5xx (JSON and HTML) and an injected 429 with Retry-After, and lands once', async () => {
    h.clock.advance(10 * MINUTE);
    const t = h.sandbox.helpdesk.addTicket({ requester_id: ids.jo, subject: 'after faults', description: 'x' }, h.clock.now().getTime() - 3 * MINUTE);
    Object.assign(h.sandbox.faults, { status5xx: 1, html5xx: 1, status429: 1, retryAfterSeconds: 1 });
    const [r] = await h.sync({ streams: ['tickets'] });
    expect(r).toMatchObject({ outcome: 'succeeded', rateLimited: 1 });
    expect(r!.retries).toBe(3);
    await h.land();
    expect(await h.q(`SELECT count(*) AS n FROM ticket_history WHERE ticket_id = '${t.id}'`)).toEqual([{ n: 1 }]);
  });

  it('stops on a wrong key with the bookmark untouched, and says which key to check', async () => {
    const before = await loadBookmark(h.engineRuntime.state, 'freshdesk', 'tickets');
    h.clock.advance(10 * MINUTE);
    const results = await h.sync({}, { apiKey: 'wrong' });
    expect(results).toHaveLength(1);
    expect(results[0]).toMatchObject({ outcome: 'failed', authFailed: true });
    expect(results[0]!.error).toMatch(/401.*FRESHDESK_API_KEY/);
    expect(results[0]!.error).not.toContain('wrong');
    expect(await loadBookmark(h.engineRuntime.state, 'freshdesk', 'tickets')).toEqual(before);
  });
});

// Around 300 pages each: slow on a shared machine, so they get longer than the default minute.
describe('Freshdesk volume faults', { timeout: 240_000 }, () => {
  it('reads 31,000 tickets of one range past the 300-page cap, each once', async () => {
    const h = await freshdeskHarness({ tickets: 31_000, range: { from: new Date(FD_NOW.getTime() - 20 * DAY), to: new Date(FD_NOW.getTime() - DAY) } });
    try {
      const [r] = await h.sync({ streams: ['tickets'] });
      expect(r!.outcome).toBe('succeeded');
      expect(r!.pages).toBeGreaterThan(300);
      expect(h.sandbox.requests.countByStatus(400)).toBe(0);
      await h.land();
      expect(await h.q('SELECT count(*) AS n, count(DISTINCT ticket_id) AS d FROM ticket_history')).toEqual([{ n: 31_000, d: 31_000 }]);
    } finally {
      await h.close();
    }
  });

  it('fails loudly when more than 300 pages share one second, instead of spinning', async () => {
    const at = new Date(FD_NOW.getTime() - DAY);
    const h = await freshdeskHarness({ tickets: 30_050, range: { from: at, to: new Date(at.getTime() + 1) } });
    try {
      const [r] = await h.sync({ streams: ['tickets'] });
      expect(r!.outcome).toBe('failed');
      expect(r!.error).toMatch(/more than 300 pages of tickets share updated_at/);
      expect(h.sandbox.requests.countByStatus(400)).toBe(0);
    } finally {
      await h.close();
    }
  });
});

describe('Freshdesk budget against the sandbox limits', () => {
  it('paces a backfill under the per-minute and ticket-list limits: no 429 while it has the account alone', async () => {
    // A "minute" of 1.5 s for both sides: 20 ticket-list calls and 200 credits per 1.5 s.
    const limits = { perMinute: 200, ticketsList: 20, contactsList: 20 };
    const h = await freshdeskHarness({ tickets: 2_500, limits, minuteMs: 1500 });
    try {
      const results = await h.sync({ streams: ['ticket_fields', 'tickets'] });
      expect(results.every((r) => r.outcome === 'succeeded')).toBe(true);
      expect(byStream(results, 'tickets').pages).toBeGreaterThan(20);
      expect(h.sandbox.requests.countByStatus(429)).toBe(0);
      expect(h.sandbox.credits.tickets_list).toBe(3 * byStream(results, 'tickets').requests);
    } finally {
      await h.close();
    }
  });

  it('hands the budget what X-Ratelimit-Remaining says is left', async () => {
    const limits = { perMinute: 1000, ticketsList: 1000, contactsList: 1000 };
    const h = await freshdeskHarness({ tickets: 50, limits, minuteMs: 600_000 });
    try {
      const inst = freshdeskConnector(h.config());
      h.sandbox.spendCredits(900);
      const [r] = await syncConnector(inst, h.engineRuntime, { streams: ['ticket_fields'] });
      expect(r!.outcome).toBe('succeeded');
      // 1000 a (ten-minute) window, 900 spent by someone else, 1 by this call: what is left is low, and the budget knows it.
      const allowance = budgetOf(inst).allowance!;
      expect(allowance.total).toBe(1000);
      expect(allowance.remaining).toBeGreaterThanOrEqual(99);
      expect(allowance.remaining).toBeLessThan(200); // the bucket refills a little while the call is made
    } finally {
      await h.close();
    }
  });

  it('pauses for Retry-After when another integration spends the account, and finishes', async () => {
    const limits = { perMinute: 60, ticketsList: 1000, contactsList: 1000 };
    const h = await freshdeskHarness({ tickets: 600, limits, minuteMs: 1000 });
    try {
      h.sandbox.spendCredits(60);
      const [r] = await h.sync({ streams: ['tickets'] });
      expect(r!.outcome).toBe('succeeded');
      expect(r!.rateLimited).toBeGreaterThanOrEqual(1);
      await h.land();
      expect(await h.q('SELECT count(*) AS n FROM ticket')).toEqual([{ n: 600 }]);
    } finally {
      await h.close();
    }
  });
});
