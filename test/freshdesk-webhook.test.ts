import { readFileSync } from 'node:fs';
import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { freshdeskConnector } from '../connectors/freshdesk/connector.js';
import { freshdeskWebhookRoutes } from '../connectors/freshdesk/webhook.js';
import { Refetcher } from '../core/engine/refetch.js';
import type { ConnectorInstance } from '../core/engine/sync.js';
import { buildServer } from '../core/http/server.js';
import { freshdeskHarness } from './support/freshdesk-harness.js';

// An automation rule's webhook is a prompt: the route checks its credentials, keeps the body (redacted) in
// raw, and the ticket it names is read again by id through the engine, landing as the version a sync gives.
const fixture = (name: string) => readFileSync(new URL(`./fixtures/freshdesk/${name}`, import.meta.url), 'utf8');
const basic = (user: string, pass: string) => `Basic ${Buffer.from(`${user}:${pass}`).toString('base64')}`;

describe('Freshdesk webhooks', () => {
  let h: Awaited<ReturnType<typeof freshdeskHarness>>;
  let app: FastifyInstance;
  let url: string;
  let refetcher: Refetcher;
  const instances: Record<string, ConnectorInstance<never>> = {};
  const auth = { user: 'puddle', secret: 'fd-secret-1', header: 'x-puddle-token' };

  beforeAll(async () => {
    h = await freshdeskHarness();
    refetcher = new Refetcher({ runtime: h.engineRuntime, instances, retry: { maxAttempts: 3, baseMs: 20, maxMs: 100 }, coalesceMs: 100 });
    instances.freshdesk = freshdeskConnector(h.config()) as ConnectorInstance<never>;
    app = buildServer({ queue: h.rt.queue, apiKeys: [], plugins: [freshdeskWebhookRoutes({ queue: h.rt.queue, auth, refetch: refetcher, clock: h.clock })] });
    url = `${await app.listen({ port: 0, host: '127.0.0.1' })}/webhooks/freshdesk`;
  });
  afterAll(async () => {
    await refetcher.stop();
    await app.close();
    await h.close();
  });

  const post = (body: string, headers: Record<string, string>) => fetch(url, { method: 'POST', headers: { 'content-type': 'application/json', ...headers }, body });
  const reads = (id: number) => h.sandbox.requests.entries.filter((r) => r.path.startsWith(`/api/v2/tickets/${id}?`));

  it('takes the default body from a rule with Basic auth, keeps it redacted, and lands the ticket re-read by id', async () => {
    const d = h.sandbox.helpdesk;
    const jo = d.addContact({ name: 'Jo Giver', email: 'jo@example.org' });
    const t = d.addTicket({ requester_id: jo.id, subject: 'Cancel my gift, Jo Giver', description: 'cancel', type: 'Cancel regular gift', custom_fields: { cf_donation_id: 'don_w1' } });
    d.updateTicket(t.id, { status: 6 });
    // The body Freshdesk posts (fixture), naming this ticket: its id is a string there.
    const body = fixture('webhook_automation_status_changed.json').replace('"ticket_id":"11"', `"ticket_id":"${t.id}"`);
    const res = await post(body, { authorization: basic(auth.user, auth.secret) });
    expect(res.status).toBe(200);
    await refetcher.idle();
    expect(reads(t.id).map((r) => r.status)).toEqual([200]);
    await h.land();
    expect(await h.q(`SELECT donation_id, type, status FROM ticket WHERE ticket_id = '${t.id}'`)).toEqual([{ donation_id: 'don_w1', type: 'Cancel regular gift', status: 'status_6' }]);
    const [raw] = await h.q(`SELECT CAST(envelope AS VARCHAR) AS e FROM raw WHERE source = 'webhook:freshdesk' AND stream = 'automation_rule'`);
    expect(raw!.e).toContain('{status:{from:4,to:6}}');
    for (const personal of ['requester-bob@example.com', 'Requester Bob', 'Test ticket subject', 'Test ticket description']) expect(raw!.e).not.toContain(personal);
    const audits = await h.q(`SELECT json_extract_string(envelope, '$.payload.type') AS type FROM raw WHERE source = 'webhook:freshdesk' AND stream = 'reread'`);
    expect(audits).toEqual([{ type: 'reread.succeeded' }]);
    // Freshdesk retries the same body: it lands once more in nothing.
    expect((await post(body, { authorization: basic(auth.user, auth.secret) })).status).toBe(200);
    await refetcher.idle();
    await h.land();
    expect(await h.q(`SELECT count(*) AS n FROM raw WHERE source = 'webhook:freshdesk' AND stream = 'automation_rule'`)).toEqual([{ n: 1 }]);
  });

  it('keeps a retry, sent minutes later, as the same record in raw (one id), and two updates of a ticket as two', async () => {
    // Freshdesk retries 5, 30 and 60 minutes on, with the same body. Until 2026-12-03 the time received was in
    // the envelope's payload, so each retry was a new id in raw (the ticket itself landed once).
    const d = h.sandbox.helpdesk;
    const t = d.addTicket({ requester_id: d.addContact({ name: 'Ro', email: 'ro@example.org' }).id, subject: 'Gift', description: 'gift' });
    const changed = (from: number, to: number) =>
      fixture('webhook_automation_status_changed.json').replace('"ticket_id":"11"', `"ticket_id":"${t.id}"`).replace('{status:{from:4,to:6}}', `{status:{from:${from},to:${to}}}`);
    const send = async (body: string) => {
      expect((await post(body, { authorization: basic(auth.user, auth.secret) })).status).toBe(200);
      await refetcher.idle();
    };
    await send(changed(2, 3));
    h.clock.advance(5 * 60_000);
    await send(changed(2, 3));
    h.clock.advance(30 * 60_000);
    await send(changed(3, 4));
    await refetcher.idle();
    await h.land();
    const rows = await h.q(`SELECT id, json_extract_string(envelope, '$.raw.freshdesk_webhook.triggered_event') AS event, count(*) AS arrivals, count(DISTINCT received_at) AS times
      FROM raw WHERE source = 'webhook:freshdesk' AND stream = 'automation_rule' AND json_extract_string(envelope, '$.raw.freshdesk_webhook.ticket_id') = '${t.id}'
      GROUP BY id, event ORDER BY event`);
    // Raw keeps each arrival (as a redelivered Stripe event): the retry is a second arrival of the first's id.
    expect(rows.map((r) => [r.event, r.times])).toEqual([['{status:{from:2,to:3}}', 2], ['{status:{from:3,to:4}}', 1]]);
    // Each delivery's re-read is audited under the webhook's id: the retry's audit is the same record too.
    const audits = await h.q(`SELECT count(DISTINCT id) AS ids FROM raw
      WHERE source = 'webhook:freshdesk' AND stream = 'reread' AND json_extract_string(envelope, '$.payload.object_id') = '${t.id}'`);
    expect(audits).toEqual([{ ids: 2 }]);
  });

  it('takes the custom JSON template with the header token, from the sandbox automation rule', async () => {
    const sandbox2 = await import('../connectors/freshdesk/sandbox/index.js');
    const rules = new sandbox2.AutomationRules(h.sandbox.helpdesk, [{ url, body: 'template', headers: { 'x-puddle-token': auth.secret }, events: ['updated'] }]);
    try {
      const d = h.sandbox.helpdesk;
      const jo = d.addContact({ name: 'Al', email: 'al@example.org' });
      const t = d.addTicket({ requester_id: jo.id, subject: 'Refund', description: 'refund ch_3Ab8JYkPo2VBUHrC9', type: 'Refund request' });
      h.clock.advance(60_000);
      d.updateTicket(t.id, { status: 4 });
      await rules.idle();
      expect(rules.deliveries.map((x) => [x.ticketId, x.status])).toEqual([[t.id, 200]]);
      await refetcher.idle();
      await h.land();
      expect(await h.q(`SELECT status, payment_ref, CAST(resolved_at AS VARCHAR) IS NOT NULL AS resolved FROM ticket WHERE ticket_id = '${t.id}'`)).toEqual([{ status: 'resolved', payment_ref: 'ch_3Ab8JYkPo2VBUHrC9', resolved: true }]);
    } finally {
      rules.close();
    }
  });

  it('keeps in raw only the fields that name the ticket and the change: what a rule adds under its own keys is redacted', async () => {
    // A rule's body is whatever placeholders the charity put in it. Until 2026-12-03 raw kept every value whose key
    // did not look personal: a supporter's comment under "ticket_notes", an address under "contact_details", a
    // phone under "callback" stayed in the raw trail, which is never rewritten.
    const d = h.sandbox.helpdesk;
    const t = d.addTicket({ requester_id: d.addContact({ name: 'Zed', email: 'zed@example.org' }).id, subject: 'Gift', description: 'gift' });
    const inner = {
      triggered_event: '{status:{from:2,to:3}}', ticket_id: String(t.id), ticket_status: 'Pending', ticket_priority: 'Low',
      ticket_subject: 'Zelda Quxworthy wants a refund', ticket_notes: 'In memory of Granny Quxworthy',
      ticket_latest_public_comment: 'please call me on 07700 900123', contact_details: { street: '12 Qux Lane', town: 'Exampleton' },
      callback: '07700 900124', ticket_tags: ['bereavement', 'Quxworthy family'],
    };
    const template = { ticket_id: t.id, event: 'updated', status: 'Pending', updated_at: '2026-11-30T09:05:50Z', note: 'Zelda at 12 Qux Lane' };
    for (const body of [{ freshdesk_webhook: inner }, template]) {
      expect((await post(JSON.stringify(body), { authorization: basic(auth.user, auth.secret) })).status).toBe(200);
    }
    await refetcher.idle();
    await h.land();
    const rows = await h.q(`SELECT CAST(envelope AS VARCHAR) AS e FROM raw WHERE source = 'webhook:freshdesk' AND stream = 'automation_rule'
      AND coalesce(json_extract_string(envelope, '$.raw.freshdesk_webhook.ticket_id'), json_extract_string(envelope, '$.raw.ticket_id')) = '${t.id}'`);
    expect(rows).toHaveLength(2);
    const all = rows.map((r) => String(r.e)).join('\n');
    for (const personal of ['Quxworthy', '07700', 'Qux Lane', 'Exampleton']) expect(all).not.toContain(personal);
    const kept = rows.map((r) => JSON.parse(String(r.e)).raw).sort((a, b) => (a.freshdesk_webhook ? -1 : b.freshdesk_webhook ? 1 : 0));
    expect(kept[0]).toEqual({
      freshdesk_webhook: {
        triggered_event: '{status:{from:2,to:3}}', ticket_id: String(t.id), ticket_status: 'Pending', ticket_priority: 'Low',
        ticket_subject: '[redacted]', ticket_notes: '[redacted]', ticket_latest_public_comment: '[redacted]', contact_details: '[redacted]',
        callback: '[redacted]', ticket_tags: '[redacted]',
      },
    });
    expect(kept[1]).toEqual({ ...template, note: '[redacted]' });
  });

  it('takes a body nested past the redaction depth: 200, and nothing below it reaches raw', async () => {
    // Until 2026-12-02 a personal field 40 levels down went to raw as sent, and a body 100,000 levels deep could
    // not be serialised: a 503 (queue_unavailable) that Freshdesk retries for ever.
    const deep = (n: number, inner: string) => `${'{"x":'.repeat(n)}${inner}${'}'.repeat(n)}`;
    const a = `{"ticket_id":424242,"event":"deep_a","nest":${deep(40, '{"email":"deep-one@example.org"}')}}`;
    const b = `{"ticket_id":424243,"event":"deep_b","nest":${'['.repeat(100_000)}${']'.repeat(100_000)}}`;
    for (const body of [a, b]) expect((await post(body, { authorization: basic(auth.user, auth.secret) })).status).toBe(200);
    await refetcher.idle();
    await h.land();
    const rows = await h.q(`SELECT CAST(envelope AS VARCHAR) AS e FROM raw WHERE source = 'webhook:freshdesk' AND stream = 'automation_rule' AND json_extract_string(envelope, '$.payload.type') IN ('deep_a', 'deep_b')`);
    expect(rows).toHaveLength(2);
    // Not a field that names the ticket or the change: its value is left out whole, however deep it goes.
    for (const r of rows) expect(JSON.parse(String(r.e)).raw.nest).toBe('[redacted]');
    expect(rows.map((r) => String(r.e)).join('')).not.toContain('deep-one@example.org');
  });

  it('refuses wrong or missing credentials with 401 and keeps nothing; a body without a ticket id is a 400', async () => {
    const before = await h.rt.queue.depth('raw');
    const body = fixture('webhook_automation_ticket_created.json');
    expect((await post(body, { authorization: basic(auth.user, 'wrong') })).status).toBe(401);
    expect((await post(body, { authorization: basic('someone', auth.secret) })).status).toBe(401);
    expect((await post(body, { 'x-puddle-token': 'wrong' })).status).toBe(401);
    expect((await post('{not json', {})).status).toBe(401);
    expect((await post(body, {})).status).toBe(401);
    expect(await h.rt.queue.depth('raw')).toBe(before);
    const bad = await post('{"freshdesk_webhook":{"ticket_id":"{{ticket.id}}"}}', { 'x-puddle-token': auth.secret });
    expect(bad.status).toBe(400);
    expect(await bad.text()).toMatch(/ticket id/);
  });

  it("counts wrong credentials as guesses: 429 for the guesser's address, logged by address; the good credential used before still goes", async () => {
    // Until 2026-12-06 its password could be tried without limit, and nothing was logged (a security review).
    const guarded = buildServer({ queue: h.rt.queue, apiKeys: [], authFailures: { maxFailures: 3 }, plugins: [freshdeskWebhookRoutes({ queue: h.rt.queue, auth, clock: h.clock })] });
    const u = `${await guarded.listen({ port: 0, host: '127.0.0.1' })}/webhooks/freshdesk`;
    const send = (headers: Record<string, string>) => fetch(u, { method: 'POST', headers: { 'content-type': 'application/json', ...headers }, body: fixture('webhook_automation_ticket_created.json') });
    try {
      expect((await send({ authorization: basic(auth.user, auth.secret) })).status).toBe(200);
      // No credential at all is not a guess.
      for (let i = 0; i < 5; i++) expect((await send({})).status).toBe(401);
      const codes: number[] = [];
      for (let i = 0; i < 5; i++) codes.push((await send({ authorization: basic(auth.user, `guess-${i}`) })).status);
      expect(codes).toEqual([401, 401, 401, 429, 429]);
      const refused = await send({ 'x-puddle-token': 'guess-9' });
      expect(refused.status).toBe(429);
      expect(Number(refused.headers.get('retry-after'))).toBeGreaterThan(0);
      // The credential that worked from this address before keeps working.
      expect((await send({ authorization: basic(auth.user, auth.secret) })).status).toBe(200);
    } finally {
      await guarded.close();
    }
  });

  it('answers 503 when no webhook credentials are configured', async () => {
    const other = buildServer({ queue: h.rt.queue, apiKeys: [], plugins: [freshdeskWebhookRoutes({ queue: h.rt.queue, auth: { user: '', secret: '', header: '' } })] });
    const u = await other.listen({ port: 0, host: '127.0.0.1' });
    try {
      const res = await fetch(`${u}/webhooks/freshdesk`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: fixture('webhook_automation_ticket_created.json') });
      expect(res.status).toBe(503);
    } finally {
      await other.close();
    }
  });
});
