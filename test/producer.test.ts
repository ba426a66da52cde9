import { mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DEMO_MAX_AHEAD_MS } from '../core/contracts/time-bounds.js';
import { parseEnvelopeWithoutRaw } from '../core/envelope.js';
import { producerFastPath } from '../core/http/producer-fast-path.js';
import { createKeyRing } from '../core/http/auth.js';
import { buildServer, fastPathRequests } from '../core/http/server.js';
import type { Queue } from '../core/ports.js';
import { SqliteQueue } from '../infra/local/sqlite-queue.js';

const KEY = 'test-key-0123456789';
const auth = { authorization: `Bearer ${KEY}` };
// A supplier's named keys (PUDDLE_API_KEYS `key:name`): the one in use and the one it is rotating to.
const SMS_KEY = 'sms-agency-key-0123456789';
const SMS_NEW_KEY = 'sms-agency-new-key-0123456789';

function donation(id: string, over: Record<string, unknown> = {}) {
  return {
    contract: 'donation',
    version: 1,
    payload: {
      donation_id: id,
      occurred_at: '2026-11-29T20:15:00+01:00',
      channel: 'sms',
      amount_minor: 500,
      currency: 'gbp',
      ...over,
    },
  };
}

interface Answer {
  statusCode: number;
  body: string;
  headers: Record<string, string | undefined>;
  json: () => unknown;
}

/**
 * Every test below runs twice: through `inject` (Fastify's route) and over a listening socket, where the
 * producer's fast path (core/http/producer-fast-path.ts) answers what it takes and Fastify the rest.
 */
const VIA = ['inject', 'socket'] as const;
type Via = (typeof VIA)[number];
const listening = new WeakMap<FastifyInstance, Promise<string>>();

async function request(via: Via, app: FastifyInstance, req: { method: 'GET' | 'HEAD' | 'POST' | 'PUT' | 'PATCH' | 'DELETE' | 'OPTIONS'; url: string; headers?: Record<string, string>; payload?: string | Buffer }): Promise<Answer> {
  if (via === 'inject') {
    const res = await app.inject(req);
    return { statusCode: res.statusCode, body: res.body, headers: res.headers as Record<string, string>, json: () => res.json() };
  }
  if (!listening.has(app)) listening.set(app, app.listen({ host: '127.0.0.1', port: 0 }));
  const url = await listening.get(app)!;
  const payload = Buffer.isBuffer(req.payload) ? new Uint8Array(req.payload) : req.payload;
  const res = await fetch(`${url}${req.url}`, { method: req.method, headers: req.headers, body: payload });
  const body = await res.text();
  return { statusCode: res.status, body, headers: Object.fromEntries(res.headers), json: () => JSON.parse(body) };
}

function poster(via: Via) {
  return (app: FastifyInstance, body: unknown, headers: Record<string, string> = auth) =>
    request(via, app, {
      method: 'POST',
      url: '/v1/events',
      headers: { 'content-type': 'application/json', ...headers },
      payload: typeof body === 'string' || Buffer.isBuffer(body) ? body : JSON.stringify(body),
    });
}

describe.each(VIA)('POST /v1/events (%s)', (via) => {
  const post = poster(via);
  let dir: string;
  let queue: SqliteQueue;
  let app: FastifyInstance;

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'puddle-producer-'));
    queue = new SqliteQueue(join(dir, 'queue.db'));
    await queue.subscribe({ name: 'raw', contracts: '*' });
    app = buildServer({ queue, apiKeys: ['other-key', KEY, `${SMS_KEY}:sms-agency`, `${SMS_NEW_KEY}:sms-agency`], maxEvents: 1000 });
    await app.ready();
  });

  afterAll(async () => {
    await app.close();
    await queue.close();
    rmSync(dir, { recursive: true, force: true });
  });

  async function drain() {
    const got = await queue.claim('raw', { max: 10_000, visibilityMs: 60_000 });
    await queue.ack('raw', got.map((m) => m.receipt));
    return got.map((m) => m.envelope);
  }

  it("records which supplier's key sent the events: producer:<name> for a named key, whichever of its keys, producer for one unnamed", async () => {
    await drain();
    // One after the other, so that over a socket they share a keep-alive connection: a key changed on it is read again.
    for (const [key, id] of [[SMS_KEY, 'k-1'], [KEY, 'k-2'], [SMS_NEW_KEY, 'k-3']] as const) {
      expect((await post(app, { events: [donation(id)] }, { authorization: `Bearer ${key}` })).statusCode).toBe(202);
    }
    const envs = await drain();
    expect(envs.map((e) => [e.key, e.source])).toEqual([['k-1', 'producer:sms-agency'], ['k-2', 'producer'], ['k-3', 'producer:sms-agency']]);
  });

  it('answers /healthz without a key', async () => {
    const res = await app.inject({ method: 'GET', url: '/healthz' });
    expect(res.statusCode).toBe(200);
    expect(res.json()).toEqual({ ok: true });
  });

  it('accepts a valid batch, publishes normalised envelopes, then answers 202 with their ids', async () => {
    await drain();
    const raw = { ...donation('d-1'), id: 'producer-1' };
    const res = await post(app, { events: [raw, donation('d-2', { channel: 'online' })] });
    expect(res.statusCode).toBe(202);
    const body = res.json() as { accepted: { index: number; id: string }[] };
    expect(body.accepted.map((a) => a.index)).toEqual([0, 1]);

    const envs = await drain();
    expect(envs.map((e) => e.id)).toEqual(body.accepted.map((a) => a.id));
    const first = envs[0]!;
    expect(first.contract).toBe('donation');
    expect(first.version).toBe(1);
    expect(first.source).toBe('producer');
    expect(first.stream).toBe('sms');
    expect(first.key).toBe('d-1');
    expect(first.payload.currency).toBe('GBP');
    expect(first.occurred_at).toBe('2026-11-29T19:15:00.000Z');
    expect(first.raw).toEqual(raw);
    expect(envs[1]!.stream).toBe('online');
    expect(first.delivery_id).toBe(envs[1]!.delivery_id);
    expect(first.delivery_id).toMatch(/^[0-9a-f-]{36}$/);
    // One received_at for the request; each event's position in it orders them (a correction after its original).
    expect(envs[1]!.received_at).toBe(first.received_at);
    expect(envs.map((e) => e.received_seq)).toEqual([0, 1]);
  });

  it('gives the same event the same envelope id when sent twice', async () => {
    const a = (await post(app, { events: [donation('same')] })).json() as { accepted: { id: string }[] };
    const b = (await post(app, { events: [donation('same')] })).json() as { accepted: { id: string }[] };
    const c = (await post(app, { events: [donation('same', { amount_minor: 501 })] })).json() as { accepted: { id: string }[] };
    expect(a.accepted[0]!.id).toBe(b.accepted[0]!.id);
    expect(c.accepted[0]!.id).not.toBe(a.accepted[0]!.id);
    const envs = await drain();
    const delivered = envs.filter((e) => e.key === 'same');
    expect(delivered).toHaveLength(3);
    expect(delivered[0]!.delivery_id).not.toBe(delivered[1]!.delivery_id);
  });

  it('keeps the ids of earlier releases and queues text that parses to the envelope, raw last', async () => {
    await drain();
    // Awkward strings in the payload and in raw: quotes, backslashes, control characters, a lone surrogate (in the
    // event's id, kept in raw only: a payload's is refused since 2026-12-03, and this event's campaign held one).
    const odd = donation('d-"odd"\\\u0001', { campaign: 'xy \u2028 é 😀', cta: 'tab\there\n' });
    const raw = { ...odd, id: 'p-\udc00' };
    const res = await post(app, { events: [donation('pinned'), raw] });
    expect(res.statusCode).toBe(202);
    const ids = (res.json() as { accepted: { id: string }[] }).accepted.map((a) => a.id);
    // What this event's id has been since ids were defined (a re-sent event must still de-duplicate); the second
    // pinned again on 2026-12-03, when its campaign lost the lone surrogate it held (the hashing is unchanged).
    expect(ids).toEqual(['d1b362db3d962ef8231b2d4553293638', 'e207c0227f43f9d298a087f689e71b29']);
    const got = await queue.claim('raw', { max: 10, visibilityMs: 60_000, withBody: true });
    await queue.ack('raw', got.map((m) => m.receipt));
    expect(got.map((m) => m.envelope.id)).toEqual(ids);
    for (const m of got) {
      expect(JSON.parse(m.body!)).toEqual(JSON.parse(JSON.stringify(m.envelope)));
      expect(Object.keys(JSON.parse(m.body!) as object).at(-1)).toBe('raw');
      expect(parseEnvelopeWithoutRaw(m.body!)).toEqual({ ...m.envelope, raw: null });
    }
    expect(got[1]!.envelope.raw).toEqual(raw);
    expect(got[1]!.envelope.payload.campaign).toBe('xy \u2028 é 😀');
  });

  it("queues each event's raw as the producer sent it (spacing, key order, number spelling)", async () => {
    await drain();
    const sent = '{ "payload": {"currency":"GBP", "amount_minor": 500.0, "channel":"sms", "occurred_at":"2026-11-29T20:15:00Z", "donation_id":"as-sent"},\n  "version": 1, "contract": "donation" }';
    const res = await post(app, `{"events": [\n  ${sent}\n]}`);
    expect(res.statusCode).toBe(202);
    const got = await queue.claim('raw', { max: 10, visibilityMs: 60_000, withBody: true });
    await queue.ack('raw', got.map((m) => m.receipt));
    expect(got).toHaveLength(1);
    expect(got[0]!.body!.endsWith(`,"raw":${sent}}`)).toBe(true);
    expect(got[0]!.envelope.raw).toEqual(JSON.parse(sent));
    // The id is the payload's, however it was spelt.
    const again = await post(app, { events: [donation('as-sent', { occurred_at: '2026-11-29T20:15:00Z', currency: 'GBP' })] });
    expect((again.json() as { accepted: { id: string }[] }).accepted[0]!.id).toBe(got[0]!.envelope.id);
    await drain();
  });

  it('rejects the whole batch, listing every invalid event, and publishes nothing', async () => {
    await drain();
    const res = await post(app, {
      events: [
        donation('ok-1'),
        donation('bad-1', { amount_minor: 4.5 }),
        { contract: 'nope', version: 1, payload: {} },
        { contract: 'donation', version: 9, payload: {} },
        { ...donation('bad-4'), id: 42, extra: true },
        'not an event',
      ],
    });
    expect(res.statusCode).toBe(400);
    const body = res.json() as { error: { code: string }; rejected: { index: number; errors: { path: string }[] }[] };
    expect(body.error.code).toBe('invalid_events');
    expect(body.rejected.map((r) => r.index)).toEqual([1, 2, 3, 4, 5]);
    expect(body.rejected[0]!.errors).toEqual([{ path: 'payload.amount_minor', message: expect.any(String) }]);
    expect(body.rejected[1]!.errors.map((e) => e.path)).toEqual(['contract']);
    expect(body.rejected[2]!.errors.map((e) => e.path)).toEqual(['version']);
    expect(body.rejected[3]!.errors.map((e) => e.path).sort()).toEqual(['extra', 'id']);
    expect(body.rejected[4]!.errors.map((e) => e.path)).toEqual(['event']);
    expect(await queue.depth('raw')).toBe(0);
  });

  it('refuses a negative donation with a 400 naming the amount, and publishes nothing', async () => {
    await drain();
    const res = await post(app, { events: [donation('neg-1'), donation('neg-2', { amount_minor: -500 })] });
    expect(res.statusCode).toBe(400);
    const body = res.json() as { error: { code: string }; rejected: { index: number; errors: unknown[] }[] };
    expect(body.error.code).toBe('invalid_events');
    expect(body.rejected).toEqual([{ index: 1, errors: [{ path: 'payload.amount_minor', message: 'must not be negative' }] }]);
    expect(await queue.depth('raw')).toBe(0);
    // A bank line moves money both ways: its negative amount is taken.
    const line = { contract: 'bank_line', version: 1, payload: { bank_line_id: 'neg-b', occurred_at: '2026-11-29T10:00:00Z', account: 'a', amount_minor: -500, currency: 'GBP', reference: 'r' } };
    expect((await post(app, { events: [line] })).statusCode).toBe(202);
    await drain();
  });

  it('refuses a negative count (a pack of -30 forms, a statement of -2 entries) with a 400 naming the field, and publishes nothing', async () => {
    await drain();
    const giro = (id: string, pack_size: number) => ({
      contract: 'school_giro_request',
      version: 1,
      payload: { school_giro_request_id: id, occurred_at: '2026-11-20T09:00:00Z', school_name: 'St Example', address_line1: '1 Lane', town: 'Town', postcode: 'EX1 2MP', pack_size, requested_at: '2026-11-20T09:00:00Z' },
    });
    const statement = { contract: 'bank_statement', version: 2, payload: { bank_statement_id: 'neg-s', occurred_at: '2026-11-29T18:00:00Z', account: 'a', currency: 'GBP', source_format: 'api', entry_count: -2, balanced: true, file_sha256: 'x' } };
    const res = await post(app, { events: [giro('neg-g1', 30), giro('neg-g2', -30), statement] });
    expect(res.statusCode).toBe(400);
    const body = res.json() as { error: { code: string; message: string }; rejected: { index: number; errors: unknown[] }[] };
    expect(body.error.code).toBe('invalid_events');
    expect(body.rejected).toEqual([
      { index: 1, errors: [{ path: 'payload.pack_size', message: 'must not be negative' }] },
      { index: 2, errors: [{ path: 'payload.entry_count', message: 'must not be negative' }] },
    ]);
    expect(await queue.depth('raw')).toBe(0);
    // A pack of none is a request the feed leaves out, not a bad one: it is taken.
    expect((await post(app, { events: [giro('zero-g', 0)] })).statusCode).toBe(202);
    await drain();
  });

  it('refuses a card number or an email address in a free-text field with a 400 naming the field and why, never the value', async () => {
    await drain();
    const card = '4111 1111 1111 1111';
    const res = await post(app, {
      events: [
        donation('ft-1', { campaign: 'appeal-night-2026', cta: 'tv-qr' }),
        donation('ft-2', { campaign: card }),
        donation('ft-3', { cta: 'write to jo.bloggs@example.org' }),
        donation('ft-4', { campaign: 'ref 4111-1111-1111-1111 thanks' }),
        { contract: 'refund', version: 1, payload: { refund_id: 'ft-r', occurred_at: '2026-11-29T10:00:00Z', provider: 'p', payment_id: 'py', status: 'succeeded', amount_minor: 5, currency: 'GBP', reason: '5555555555554444' } },
      ],
    });
    expect(res.statusCode).toBe(400);
    expect(res.body).not.toContain('4111');
    expect(res.body).not.toContain('4444');
    expect(res.body).not.toContain('bloggs');
    const cardWhy = 'must not hold a payment card number (13 to 19 digits passing the Luhn check): free text lands in the lake, the totals, the TV and the feeds';
    expect((res.json() as { rejected: unknown[] }).rejected).toEqual([
      { index: 1, errors: [{ path: 'payload.campaign', message: cardWhy }] },
      { index: 2, errors: [{ path: 'payload.cta', message: 'must not hold an email address: free text lands in the lake, the totals, the TV and the feeds' }] },
      { index: 3, errors: [{ path: 'payload.campaign', message: cardWhy }] },
      { index: 4, errors: [{ path: 'payload.reason', message: cardWhy }] },
    ]);
    expect(await queue.depth('raw')).toBe(0);
    // Digits that fail the Luhn check, a short number, an @ that is no address, and a card-like id are all taken:
    // ids are the source's own, whatever their digits.
    const ok = await post(app, {
      events: [
        donation('4111111111111111', { campaign: '4111 1111 1111 1112', cta: 'sms-70085 @tv' }),
        donation('ft-6', { campaign: 'night-2026-11-29', payment_ref: '4111111111111111', supporter_id: 'sf:0035g00000AbCdE@1' }),
      ],
    });
    expect(ok.statusCode).toBe(202);
    expect(await drain()).toHaveLength(2);
    // But an id that stands for a person is never an email address: the lake keeps a supporter's email hashed.
    const byEmail = await post(app, { events: [donation('ft-7', { supporter_id: 'Jo.Bloggs@example.org' })] });
    expect(byEmail.statusCode).toBe(400);
    expect(byEmail.body).not.toContain('Bloggs');
    expect((byEmail.json() as { rejected: unknown[] }).rejected).toEqual([
      { index: 0, errors: [{ path: 'payload.supporter_id', message: "must not be an email address: an id that stands for a person lands in the lake and the feeds as sent; send the CRM's or the aggregator's id, or a hash of the address" }] },
    ]);
    expect(await drain()).toHaveLength(0);
    // Nor is the event's own id, which raw keeps as sent for good (until 2026-12-03 it was taken); an @ in an id
    // that is no address still is.
    const idByEmail = await post(app, { events: [{ ...donation('ft-8'), id: 'row-12 Jo.Bloggs@example.org' }, { ...donation('ft-9'), id: 'batch@7' }] });
    expect(idByEmail.statusCode).toBe(400);
    expect(idByEmail.body).not.toContain('Bloggs');
    expect((idByEmail.json() as { rejected: unknown[] }).rejected).toEqual([
      { index: 0, errors: [{ path: 'id', message: "must not be an email address: the event's id is kept with it in the raw trail for good; send your own id for the event" }] },
    ]);
    expect(await drain()).toHaveLength(0);
    expect((await post(app, { events: [{ ...donation('ft-9'), id: 'batch@7' }] })).statusCode).toBe(202);
    expect(await drain()).toHaveLength(1);
    // Nor a card number in an id written as text (until 2026-12-06 taken); an id of digits alone is the source's.
    const idByCard = await post(app, { events: [{ ...donation('ft-10'), id: 'note: card 4111 1111 1111 1111 exp 12/28' }] });
    expect(idByCard.statusCode).toBe(400);
    expect(idByCard.body).not.toContain('4111');
    expect((idByCard.json() as { rejected: unknown[] }).rejected).toEqual([
      { index: 0, errors: [{ path: 'id', message: "must not hold a payment card number: the event's id is kept with it in the raw trail for good; send your own id for the event" }] },
    ]);
    expect((await post(app, { events: [{ ...donation('ft-11'), id: '4111111111111111' }] })).statusCode).toBe(202);
    expect(await drain()).toHaveLength(1);
  });

  it('refuses a version whose updated_at is before its own occurred_at, which would never become current', async () => {
    await drain();
    const res = await post(app, { events: [donation('early-1', { occurred_at: '2026-11-29T20:30:00Z', updated_at: '2026-11-29T20:00:00Z' })] });
    expect(res.statusCode).toBe(400);
    expect((res.json() as { rejected: unknown[] }).rejected).toEqual([
      {
        index: 0,
        errors: [{ path: 'payload.updated_at', message: 'is before occurred_at: a version cannot change before it happened, and this one would never become current; send when it changed, with its zone (a local time sent as UTC is the usual cause)' }],
      },
    ]);
    // The same instant is a change when it happened (a correction sent at once), and taken.
    const same = await post(app, { events: [donation('early-2', { occurred_at: '2026-11-29T20:30:00Z', updated_at: '2026-11-29T21:30:00+01:00' })] });
    expect(same.statusCode, same.body).toBe(202);
    expect(await drain()).toHaveLength(1);
  });

  it('takes a cancellation without updated_at and says beside its id that it may never become current; says nothing with updated_at', async () => {
    await drain();
    const res = await post(app, {
      events: [donation('cx-1'), donation('cx-1', { status: 'Canceled' }), donation('cx-2', { status: 'cancelled', updated_at: '2026-11-29T20:40:00Z' })],
    });
    expect(res.statusCode, res.body).toBe(202);
    const accepted = (res.json() as { accepted: { index: number; id: string; warning?: string }[] }).accepted;
    expect(accepted.map((a) => [a.index, a.warning === undefined])).toEqual([[0, true], [1, false], [2, true]]);
    expect(accepted[1]!.warning).toBe(
      'a cancellation without updated_at is ordered by its occurred_at: if that is earlier than the version it cancels, it never becomes current and the gift stays in the totals; send updated_at (when it was cancelled)',
    );
    // Taken all the same: the warning changes nothing of what is queued.
    expect(await drain()).toHaveLength(3);
  });

  it('refuses an amount written as pounds (5.00) in a money field, naming it; takes a float of minor units (500.0)', async () => {
    await drain();
    const text = (id: string, amount: string, extra = '') =>
      `{"contract":"donation","version":1,"payload":{"donation_id":"${id}","occurred_at":"2026-11-29T10:00:00.000Z","channel":"online","amount_minor": ${amount},"currency":"GBP"${extra}}}`;
    const res = await post(app, `{"events":[${text('maj-1', '500')},${text('maj-2', '5.00')},${text('maj-3', '-0.00')}]}`);
    expect(res.statusCode).toBe(400);
    const why = 'must be in minor units (pence, cents): a whole number written with two decimals, like 5.00, is how pounds or euros are written, and would count a hundred times too little; send 500 for 5.00 (a float of minor units such as 500.0 is taken)';
    expect((res.json() as { rejected: unknown[] }).rejected).toEqual([
      { index: 1, errors: [{ path: 'payload.amount_minor', message: why }] },
      { index: 2, errors: [{ path: 'payload.amount_minor', message: why }] },
    ]);
    expect(await drain()).toHaveLength(0);
    // A float of minor units, an amount with two decimals that is not whole (refused as it always was), and text
    // that only looks like one inside a string.
    const ok = await post(app, `{"events":[${text('maj-4', '500.0')},${text('maj-5', '1250', ',"cta":"x_minor\\": 5.00"')}]}`);
    expect(ok.statusCode, ok.body).toBe(202);
    expect(await drain()).toHaveLength(2);
    const half = await post(app, `{"events":[${text('maj-6', '5.50')}]}`);
    expect((half.json() as { rejected: { errors: { message: string }[] }[] }).rejected[0]!.errors[0]!.message).toBe('must be an integer (money is in minor units)');
  });

  it("takes a donation's status in any case or spelling as the status it means, and refuses any other with a 400 naming the field and the values", async () => {
    await drain();
    const spellings = ['Cancelled', 'CANCELLED', 'cancelled ', 'Canceled', 'Failed', ' Abandoned'];
    const res = await post(app, { events: spellings.map((status, i) => donation(`st-${i}`, { status })) });
    expect(res.statusCode).toBe(202);
    expect((await drain()).map((e) => e.payload.status)).toEqual(['cancelled', 'cancelled', 'cancelled', 'cancelled', 'failed', 'abandoned']);

    const bad = await post(app, { events: [donation('st-ok', { status: 'pledged' }), donation('st-bad', { status: 'done' })] });
    expect(bad.statusCode).toBe(400);
    expect((bad.json() as { rejected: unknown[] }).rejected).toEqual([
      { index: 1, errors: [{ path: 'payload.status', message: 'must be one of pledged, pending, paid, started, abandoned, failed, cancelled (in any case; canceled means cancelled)' }] },
    ]);
    expect(await queue.depth('raw')).toBe(0);
  });

  it("takes a donation's channel in any case, and the call centre with a hyphen or a space, as the channel it means", async () => {
    await drain();
    const spellings = ['SMS', 'IVR', ' Online', 'Call-Centre', 'call centre', 'call_centre'];
    const res = await post(app, { events: spellings.map((channel, i) => donation(`ch-${i}`, { channel })) });
    expect(res.statusCode).toBe(202);
    expect((await drain()).filter((e) => e.contract === 'donation').map((e) => e.payload.channel)).toEqual(['sms', 'ivr', 'online', 'call_centre', 'call_centre', 'call_centre']);
    const bad = await post(app, { events: [donation('ch-bad', { channel: 'telethon' })] });
    expect(bad.statusCode).toBe(400);
    expect((bad.json() as { rejected: { errors: { path: string; message: string }[] }[] }).rejected[0]!.errors[0]).toMatchObject({ path: 'payload.channel' });
  });

  it('refuses an empty or blank key with a 400 naming it, in any contract, and publishes nothing: blank pledges would merge into one', async () => {
    await drain();
    const payment = (payment_id: string) => ({ contract: 'payment', version: 1, payload: { payment_id, occurred_at: '2026-11-29T20:15:00Z', provider: 'stripe', status: 'succeeded', amount_minor: 500, currency: 'GBP' } });
    const res = await post(app, { events: [donation('key-ok'), donation(''), donation('   '), donation('\t'), payment(' ')] });
    expect(res.statusCode).toBe(400);
    const message = 'must not be empty or only spaces: it names the record';
    expect((res.json() as { rejected: unknown[] }).rejected).toEqual([
      { index: 1, errors: [{ path: 'payload.donation_id', message }] },
      { index: 2, errors: [{ path: 'payload.donation_id', message }] },
      { index: 3, errors: [{ path: 'payload.donation_id', message }] },
      { index: 4, errors: [{ path: 'payload.payment_id', message }] },
    ]);
    expect(await queue.depth('raw')).toBe(0);
  });

  it("takes a payment's or a refund's status in any case as the status it means, and refuses an unlisted one with a 400 naming the field", async () => {
    await drain();
    const payment = (id: string, status: string) => ({
      contract: 'payment', version: 1,
      payload: { payment_id: id, occurred_at: '2026-11-27T20:15:03Z', provider: 'ivr', status, amount_minor: 500, currency: 'GBP', donation_id: 'don_1' },
    });
    const refund = (id: string, status: string) => ({
      contract: 'refund', version: 1,
      payload: { refund_id: id, occurred_at: '2026-11-28T10:00:00Z', provider: 'ivr', payment_id: 'pay-0', status, amount_minor: 500, currency: 'GBP' },
    });
    const res = await post(app, { events: [payment('pay-0', 'Paid'), payment('pay-1', 'settled '), refund('re-0', 'Succeeded')] });
    expect(res.statusCode).toBe(202);
    expect((await drain()).map((e) => e.payload.status)).toEqual(['paid', 'settled', 'succeeded']);

    const bad = await post(app, { events: [payment('pay-2', 'paid'), payment('pay-3', 'success')] });
    expect(bad.statusCode).toBe(400);
    const [rejected] = (bad.json() as { rejected: { index: number; errors: { path: string; message: string }[] }[] }).rejected;
    expect(rejected!.index).toBe(1);
    expect(rejected!.errors.map((e) => e.path)).toEqual(['payload.status']);
    expect(rejected!.errors[0]!.message).toMatch(/^must be one of succeeded, paid, .* \(in any case; canceled means cancelled\)$/);
    expect(await queue.depth('raw')).toBe(0);
  });

  it("takes a payout's status in any case as the status it means, and refuses an unlisted one with a 400 naming the field", async () => {
    await drain();
    const payout = (id: string, status: string) => ({
      contract: 'payout', version: 1,
      payload: { payout_id: id, occurred_at: '2026-11-27T00:00:00Z', provider: 'stripe', status, amount_minor: 500, currency: 'GBP' },
    });
    const res = await post(app, { events: [payout('po-0', 'In_Transit'), payout('po-1', 'Cancelled ')] });
    expect(res.statusCode).toBe(202);
    expect((await drain()).map((e) => e.payload.status)).toEqual(['in_transit', 'canceled']);

    const bad = await post(app, { events: [payout('po-2', 'paid'), payout('po-3', 'in-transit')] });
    expect(bad.statusCode).toBe(400);
    const [rejected] = (bad.json() as { rejected: { index: number; errors: { path: string; message: string }[] }[] }).rejected;
    expect(rejected!.index).toBe(1);
    expect(rejected!.errors).toEqual([{ path: 'payload.status', message: 'must be one of paid, in_transit, pending, failed, canceled (in any case; cancelled means canceled)' }]);
    expect(await queue.depth('raw')).toBe(0);
  });

  it('says an amount too large to hold exactly is too large (it is an integer), and publishes nothing', async () => {
    await drain();
    const text = JSON.stringify({ events: [donation('huge')] }).replace('"amount_minor":500', '"amount_minor":9007199254740993');
    const res = await post(app, text);
    expect(res.statusCode).toBe(400);
    const body = res.json() as { rejected: { index: number; errors: unknown[] }[] };
    expect(body.rejected).toEqual([
      { index: 0, errors: [{ path: 'payload.amount_minor', message: 'must be a whole number no larger than 9007199254740991: a larger one cannot be held exactly' }] },
    ]);
    expect(await queue.depth('raw')).toBe(0);
  });

  it('takes a donation of the ceiling, 10^12 minor units, and refuses one above it (400, naming the ceiling), publishing nothing of the batch', async () => {
    await drain();
    const over = await post(app, { events: [donation('at-ceiling', { amount_minor: 1_000_000_000_000 }), donation('over-ceiling', { amount_minor: 1_000_000_000_001 })] });
    expect(over.statusCode).toBe(400);
    expect((over.json() as { rejected: unknown[] }).rejected).toEqual([
      {
        index: 1,
        errors: [{ path: 'payload.amount_minor', message: 'must be at most 1000000000000: one donation is at most 10^12 minor units (10 billion in a currency with cents), so the live totals of any night add up exactly' }],
      },
    ]);
    expect(await queue.depth('raw')).toBe(0);
    expect((await post(app, { events: [donation('at-ceiling', { amount_minor: 1_000_000_000_000 })] })).statusCode).toBe(202);
    expect((await drain()).map((e) => e.payload.amount_minor)).toEqual([1_000_000_000_000]);
  });

  it("refuses the contracts only the hub writes (its audit of runs, quarantine and its resolutions, feed fetches), naming the ones it takes", async () => {
    await drain();
    const fetch = { feed_fetch_id: 'forged-1', occurred_at: '2026-11-29T20:15:00Z', feed: 'giro_requests', key_label: 'feed#1', after: '0', next: '500', rows: 500 };
    const run = { sync_run_id: 'forged-2', occurred_at: '2026-11-29T20:15:00Z', connector: 'stripe', stream: 'charges', records: 1, pages: 1, requests: 1, retries: 0, rate_limited: 0, outcome: 'succeeded' };
    // A forged resolution would hide a quarantined record from the open quarantine.
    const resolution = { quarantine_resolution_id: 'q-1', occurred_at: '2026-11-29T20:15:00Z', quarantine_id: 'stripe:payment:ch_1', contract: 'payment', source: 'stripe', resolution: 'remapped', landed: '[]' };
    const res = await post(app, {
      events: [donation('ok-2'), { contract: 'feed_fetch', version: 1, payload: fetch }, { contract: 'sync_run', version: 1, payload: run }, { contract: 'quarantine_resolution', version: 1, payload: resolution }],
    });
    expect(res.statusCode).toBe(400);
    const body = res.json() as { rejected: { index: number; errors: { path: string; message: string }[] }[] };
    expect(body.rejected.map((r) => r.index)).toEqual([1, 2, 3]);
    const [message] = body.rejected[0]!.errors.map((e) => `${e.path} ${e.message}`);
    expect(message).toMatch(/^contract is written by the hub itself, not by producers: one of .*\bdonation\b/);
    expect(message).not.toMatch(/feed_fetch|sync_run|quarantine/);
    expect(await queue.depth('raw')).toBe(0);
  });

  it('reports top-level shape errors at index -1, path events', async () => {
    for (const bad of [{}, { events: [] }, { events: 'x' }, [donation('a')], { events: [donation('a')], more: 1 }]) {
      const res = await post(app, bad);
      expect(res.statusCode).toBe(400);
      const body = res.json() as { error: { code: string }; rejected: { index: number; errors: { path: string }[] }[] };
      expect(body.error.code).toBe('invalid_request');
      expect(body.rejected[0]!.index).toBe(-1);
    }
    const body = (await post(app, {})).json() as { rejected: { errors: { path: string }[] }[] };
    expect(body.rejected[0]!.errors[0]!.path).toBe('events');
    expect(await queue.depth('raw')).toBe(0);
  });

  it('says an events or a payload sent as text holding JSON is text, not that it is missing', async () => {
    const events = [donation('tx-1')];
    const messageOf = async (body: unknown) => ((await post(app, body)).json() as { rejected: { errors: { path: string; message: string }[] }[] }).rejected[0]!.errors;
    expect(await messageOf({ events: JSON.stringify(events) })).toEqual([{ path: 'events', message: 'must be an array, not a single value or text holding JSON: an array of 1 to 1000 events' }]);
    expect(await messageOf({ events: donation('tx-1') })).toEqual([{ path: 'events', message: 'must be an array, not a single value or text holding JSON: an array of 1 to 1000 events' }]);
    expect(await messageOf({ events: [] })).toEqual([{ path: 'events', message: 'must not be empty: an array of 1 to 1000 events' }]);
    expect(await messageOf({})).toEqual([{ path: 'events', message: 'is required: an array of 1 to 1000 events' }]);
    const twice = { ...donation('tx-2'), payload: JSON.stringify(donation('tx-2').payload) };
    expect(await messageOf({ events: [twice] })).toEqual([{ path: 'payload', message: 'must be an object, not a string: send the payload as JSON itself, not as text holding JSON' }]);
    expect(await queue.depth('raw')).toBe(0);
  });

  it('answers every bad request with a JSON error and keeps serving after each', async () => {
    const big = 'x'.repeat(1024 * 1024 + 10);
    const cases: { name: string; status: number; code: string; send: () => Promise<Answer> }[] = [
      { name: 'no key', status: 401, code: 'unauthorized', send: () => post(app, { events: [donation('a')] }, {}) },
      { name: 'wrong key', status: 401, code: 'unauthorized', send: () => post(app, { events: [donation('a')] }, { authorization: 'Bearer nope' }) },
      { name: 'key prefix', status: 401, code: 'unauthorized', send: () => post(app, { events: [donation('a')] }, { authorization: `Bearer ${KEY.slice(0, -1)}` }) },
      { name: 'wrong scheme', status: 401, code: 'unauthorized', send: () => post(app, { events: [donation('a')] }, { authorization: `Basic ${KEY}` }) },
      { name: 'too large', status: 413, code: 'body_too_large', send: () => post(app, `{"events":"${big}"}`) },
      {
        name: 'too many events',
        status: 413,
        code: 'too_many_events',
        send: () => post(app, { events: Array.from({ length: 1001 }, (_, i) => donation(`m-${i}`)) }),
      },
      {
        name: 'text/plain',
        status: 415,
        code: 'unsupported_media_type',
        send: () => request(via, app, { method: 'POST', url: '/v1/events', headers: { ...auth, 'content-type': 'text/plain' }, payload: 'hello' }),
      },
      { name: 'malformed', status: 400, code: 'malformed_json', send: () => post(app, '{"events":[') },
      { name: 'empty body', status: 400, code: 'malformed_json', send: () => post(app, '') },
      // Valid JSON refused for a key: said so, not "not valid JSON" (until 2026-12-04), on the top level and deep in a payload.
      { name: 'proto poisoning', status: 400, code: 'forbidden_key', send: () => post(app, '{"events":[],"__proto__":{"x":1}}') },
      { name: 'proto in a payload', status: 400, code: 'forbidden_key', send: () => post(app, JSON.stringify({ events: [donation('proto-1')] }).replace('"payload":{', '"payload":{"__proto__":{"amount_minor":1},')) },
      { name: 'constructor.prototype', status: 400, code: 'forbidden_key', send: () => post(app, '{"events":[{"constructor":{"prototype":{"x":1}}}]}') },
      { name: 'malformed with a proto key', status: 400, code: 'malformed_json', send: () => post(app, '{"__proto__":{"x":1},"events":[') },
      { name: 'unknown route', status: 404, code: 'not_found', send: () => request(via, app, { method: 'GET', url: '/v2/nothing' }) },
    ];
    for (const c of cases) {
      const res = await c.send();
      expect(res.statusCode, c.name).toBe(c.status);
      if (c.code === 'body_too_large') expect((res.json() as { error: { message: string } }).error.message).toContain('at most 1048576 bytes (1 MiB) a request');
      expect(String(res.headers['content-type']), c.name).toMatch(/^application\/json/);
      expect((res.json() as { error: { code: string } }).error.code, c.name).toBe(c.code);
      const ok = await post(app, { events: [donation(`after-${c.name}`)] });
      expect(ok.statusCode, `after ${c.name}`).toBe(202);
    }
    const envs = await drain();
    expect(envs.map((e) => e.key).filter((k) => !k.startsWith('after-'))).toEqual([]);
    expect(envs).toHaveLength(cases.length);
  });

  it('answers a method a known path does not take with 405 and Allow, key or none, and publishes nothing', async () => {
    await drain();
    const before = fastPathRequests(app);
    const body = JSON.stringify({ events: [donation('wrong-method')] });
    for (const method of ['GET', 'HEAD', 'PUT', 'PATCH', 'DELETE', 'OPTIONS'] as const) {
      // With the producer's key and a body the fast path would take if it were a POST, and with no key at all: the
      // path is no secret (a POST without a key answers 401, an unknown path 404), so the method is checked first.
      for (const headers of [{ ...auth, 'content-type': 'application/json' }, {}]) {
        const hasBody = method !== 'GET' && method !== 'HEAD' && 'authorization' in headers;
        const res = await request(via, app, { method, url: '/v1/events', headers, ...(hasBody ? { payload: body } : {}) });
        const what = `${method} ${'authorization' in headers ? 'with' : 'without'} a key`;
        expect(res.statusCode, what).toBe(405);
        expect(res.headers.allow, what).toBe('POST');
        if (method === 'HEAD') continue;
        expect(res.json(), what).toEqual({ error: { code: 'method_not_allowed', message: `this path does not take ${method}; it takes POST (see Allow)` } });
      }
    }
    const health = await request(via, app, { method: 'POST', url: '/healthz' });
    expect([health.statusCode, health.headers.allow]).toEqual([405, 'GET, HEAD']);
    const unknown = await request(via, app, { method: 'DELETE', url: '/v1/eventz' });
    expect([unknown.statusCode, unknown.headers.allow, unknown.json()]).toEqual([404, undefined, { error: { code: 'not_found', message: 'no such route' } }]);
    // Answered before the body is read: a body that is no JSON, or a gzip that is none, is not looked at (until
    // 2026-12-06 it was gunzipped and parsed first, with no key: 1 KB of gzipped `[[[...]]]` held the event loop).
    const json = { 'content-type': 'application/json' };
    const nested = gzipSync(Buffer.from(`{"x":${'['.repeat(200_000)}${']'.repeat(200_000)}}`));
    for (const [url, payload, headers, status] of [
      ['/nope', '{"not json', json, 404],
      ['/nope', nested, { ...json, 'content-encoding': 'gzip' }, 404],
      ['/healthz', Buffer.from('not gzip'), { ...json, 'content-encoding': 'gzip' }, 405],
      ['/healthz', nested, { ...json, 'content-encoding': 'gzip' }, 405],
    ] as const) {
      const res = await request(via, app, { method: 'POST', url, headers, payload });
      expect([url, res.statusCode, (res.json() as { error: { code: string } }).error.code]).toEqual([url, status, status === 404 ? 'not_found' : 'method_not_allowed']);
      if (via === 'socket') expect(res.headers.connection).toBe('close');
    }
    expect(fastPathRequests(app) - before).toBe(0);
    expect(await queue.depth('raw')).toBe(0);
  });

  it("answers a path the router cannot read in the hub's JSON error, never quoting the URL or its key", async () => {
    const bad = await request(via, app, { method: 'GET', url: `/tv/%zz?key=${KEY}`, headers: auth });
    expect([bad.statusCode, String(bad.headers['content-type'])]).toEqual([400, 'application/json; charset=utf-8']);
    expect(bad.json()).toEqual({ error: { code: 'bad_url', message: 'the path is not a valid URL: each % must start a percent-encoded byte (%25 for a % itself)' } });
    expect(bad.body).not.toContain(KEY);
    const withParam = buildServer({ queue, apiKeys: [KEY], plugins: [async (a) => void a.get('/v1/feeds/:name', async () => ({}))] });
    try {
      const long = 'n'.repeat(101);
      const res = await request(via, withParam, { method: 'GET', url: `/v1/feeds/${long}?key=${KEY}` });
      expect(res.json()).toEqual({ error: { code: 'uri_too_long', message: 'a part of the path is longer than 100 characters' } });
      expect([res.statusCode, res.body.includes(long), res.body.includes(KEY)]).toEqual([414, false, false]);
    } finally {
      await withParam.close();
    }
  });

  it('takes plain producer requests on the fast path over a socket, and leaves the rest to Fastify', async () => {
    await drain();
    const before = fastPathRequests(app);
    expect((await post(app, { events: [donation('fp-1')] })).statusCode).toBe(202);
    expect((await post(app, '{"events":[')).statusCode).toBe(400);
    expect((await post(app, { events: [donation('fp-2')] }, { authorization: 'Bearer nope' })).statusCode).toBe(401);
    expect((await post(app, { events: [donation('fp-3')] }, { ...auth, 'content-type': 'application/json; charset="UTF-8"' })).statusCode).toBe(202);
    // Over a socket: the first two on the fast path; the unknown key and the unusual content type in Fastify.
    expect(fastPathRequests(app) - before).toBe(via === 'socket' ? 2 : 0);
    expect((await drain()).map((e) => e.key)).toEqual(['fp-1', 'fp-3']);
  });

  it('refuses a body declared in another charset (415, naming what it takes) rather than read it as UTF-8', async () => {
    await drain();
    // "Café" in Latin-1: read as UTF-8 it became "Caf\uFFFD", a campaign nobody sent.
    const latin1 = Buffer.from(JSON.stringify({ events: [donation('cs-1', { campaign: 'Café' })] }), 'latin1');
    for (const type of ['application/json; charset=iso-8859-1', 'application/json;charset=windows-1252', 'application/json; charset="latin1"', 'application/json; charset=utf-16']) {
      const res = await post(app, latin1, { ...auth, 'content-type': type });
      expect(res.statusCode, type).toBe(415);
      expect(res.json(), type).toEqual({ error: { code: 'unsupported_media_type', message: 'content type must be application/json, optionally with ; charset=utf-8 (no other charset is read)' } });
    }
    // A parameter other than charset is taken and ignored (RFC 8259 defines none; see declaresUtf8).
    const taken = ['application/json', 'application/json; charset=utf-8', 'Application/JSON; Charset=UTF-8', 'application/json; charset=utf8', 'application/json; foo=bar', 'application/json; foo=bar; charset=utf-8'];
    for (const type of taken) {
      const res = await post(app, { events: [donation(`cs-${type}`, { campaign: 'Café' })] }, { ...auth, 'content-type': type });
      expect(res.statusCode, type).toBe(202);
    }
    const envs = await drain();
    expect(envs).toHaveLength(taken.length);
    expect(envs.map((e) => e.payload.campaign)).toEqual(taken.map(() => 'Café'));
  });

  it('refuses a body that is not valid UTF-8 (400) rather than land U+FFFD in its place, on both paths', async () => {
    await drain();
    const before = fastPathRequests(app);
    const bad = Buffer.from(JSON.stringify({ events: [donation('u8-1', { campaign: 'Café' })] }), 'latin1');
    for (const type of ['application/json', 'application/json; charset="utf-8"']) {
      const res = await post(app, bad, { ...auth, 'content-type': type });
      expect(res.statusCode, type).toBe(400);
      expect(res.json(), type).toEqual({ error: { code: 'invalid_utf8', message: 'body is not valid UTF-8' } });
    }
    // The plain content type went by the fast path over a socket, the quoted charset through Fastify.
    expect(fastPathRequests(app) - before).toBe(via === 'socket' ? 1 : 0);
    expect(await queue.depth('raw')).toBe(0);
  });

  it('takes a gzipped batch (Content-Encoding: gzip) as the same events, and keeps each event as sent in raw', async () => {
    await drain();
    const text = JSON.stringify({ events: [donation('gz-1', { campaign: 'Café' }), donation('gz-2')] });
    for (const coding of ['gzip', 'GZIP', 'x-gzip']) {
      const res = await post(app, gzipSync(Buffer.from(text)), { ...auth, 'content-encoding': coding });
      expect(res.statusCode, coding).toBe(202);
      expect(res.json(), coding).toEqual(await post(app, text).then((r) => r.json()));
    }
    const envs = await drain();
    // Sent three times gzipped and three times plain: the same two envelopes each time.
    expect(new Set(envs.map((e) => e.id)).size).toBe(2);
    expect(envs[0]!.payload.campaign).toBe('Café');
    expect(envs[0]!.raw).toEqual(donation('gz-1', { campaign: 'Café' }));
    // The plain content type with an identity coding is still plain JSON.
    expect((await post(app, { events: [donation('gz-3')] }, { ...auth, 'content-encoding': 'identity' })).statusCode).toBe(202);
    expect((await drain()).map((e) => e.key)).toEqual(['gz-3']);
  });

  it('refuses a content coding it does not read (415 naming gzip, with Accept-Encoding), and a gzip header on a body that is not gzip (400), publishing nothing', async () => {
    await drain();
    const text = JSON.stringify({ events: [donation('ce-1')] });
    for (const coding of ['br', 'deflate', 'gzip, br', 'compress']) {
      const res = await post(app, text, { ...auth, 'content-encoding': coding });
      expect(res.statusCode, coding).toBe(415);
      expect(res.headers['accept-encoding'], coding).toBe('gzip');
      expect(res.json(), coding).toEqual({ error: { code: 'unsupported_content_encoding', message: 'content encoding must be gzip, or none at all (identity)' } });
    }
    // A client that set the header and sent the JSON as it was: not "not valid UTF-8", which sent it looking for a charset.
    const res = await post(app, text, { ...auth, 'content-encoding': 'gzip' });
    expect(res.statusCode).toBe(400);
    expect(res.json()).toEqual({ error: { code: 'malformed_gzip', message: 'body is not valid gzip (Content-Encoding: gzip says it is)' } });
    expect(await queue.depth('raw')).toBe(0);
  });

  it("holds a gzipped body to its route's own body limit, as its 413 says, not the app's", async () => {
    const small = buildServer({ queue, apiKeys: [KEY], plugins: [async (a) => void a.post('/small', { bodyLimit: 200 }, async () => ({ ok: true }))] });
    try {
      // 40 bytes gzipped, 1,000 once unpacked: within the app's 1 MiB, past the route's 200.
      const text = JSON.stringify({ note: 'x'.repeat(985) });
      const res = await small.inject({ method: 'POST', url: '/small', headers: { 'content-type': 'application/json', 'content-encoding': 'gzip' }, payload: gzipSync(Buffer.from(text)) });
      expect(res.statusCode).toBe(413);
      expect(res.json().error.message).toContain('this route reads at most 200 bytes');
    } finally {
      await small.close();
    }
  });

  it('takes the times real systems write (offsets, a comma, up to nanoseconds and beyond) as the instant they name, in UTC milliseconds', async () => {
    await drain();
    const times = ['2026-11-29T20:15:03+01:00', '2026-11-29T20:15:03+0100', '2026-11-29T19:15:03,250Z', '2026-11-29T19:15:03.250123Z', '2026-11-29T20:15:03.2501234+01:00', '2026-11-29T19:15:03.2501234567Z'];
    const res = await post(app, { events: times.map((t, i) => donation(`time-${i}`, { occurred_at: t })) });
    expect(res.statusCode, res.body).toBe(202);
    expect((await drain()).map((e) => e.payload.occurred_at)).toEqual(['2026-11-29T19:15:03.000Z', '2026-11-29T19:15:03.000Z', ...times.slice(2).map(() => '2026-11-29T19:15:03.250Z')]);
  });

  it('says what is wrong with a time it cannot take, and what to send (a zone, a T, a string), never the value', async () => {
    const sent = { 'no zone': '2026-11-29T20:15:03', space: '2026-11-29 20:15:03Z', seconds: 1764447303, 'named zone': '2026-11-29T20:15:03 BST', 'no day': '2026-02-30T10:00:00Z' };
    const res = await post(app, { events: Object.values(sent).map((t, i) => donation(`bad-time-${i}`, { occurred_at: t })) });
    expect(res.statusCode).toBe(400);
    const messages = (res.json() as { rejected: { errors: { path: string; message: string }[] }[] }).rejected.map((r) => { expect(r.errors.map((e) => e.path)).toEqual(['payload.occurred_at']); return r.errors[0]!.message; });
    expect(messages[0]).toMatch(/^has no zone: add Z if it is UTC, or the offset/);
    expect(messages[1]).toMatch(/^must have a capital T between the date and the time/);
    expect(messages[2]).toMatch(/not a number \(convert seconds or milliseconds since 1970/);
    expect(messages[3]).toMatch(/^has a zone that is not Z or an offset/);
    expect(messages[4]).toBe('is not a valid time');
    expect(res.body).not.toContain('2026-11-29T20:15:03');
    expect(await queue.depth('raw')).toBe(0);
  });

  it('refuses an occurred_at or updated_at more than a day after the hub received it (400 naming the field), and takes one within the day', async () => {
    // Until 2026-12-03 a donation "in 2099" was taken: it landed in a partition of its own, outside every total.
    await drain();
    const at = (hours: number) => new Date(Date.now() + hours * 3_600_000).toISOString();
    const res = await post(app, { events: [donation('ahead-0'), donation('ahead-1', { occurred_at: '2099-11-29T20:15:00Z' }), donation('ahead-2', { updated_at: at(25) })] });
    expect(res.statusCode).toBe(400);
    const body = res.json() as { rejected: { index: number; errors: { path: string; message: string }[] }[] };
    expect(body.rejected.map((r) => [r.index, r.errors.map((e) => e.path)])).toEqual([[1, ['payload.occurred_at']], [2, ['payload.updated_at']]]);
    expect(body.rejected[0]!.errors[0]!.message).toMatch(/^is more than a day after the hub received it \(\d{4}-.*Z\): send when it happened, with its zone/);
    expect(await queue.depth('raw')).toBe(0);
    const near = await post(app, { events: [donation('ahead-3', { occurred_at: at(23), updated_at: at(23) })] });
    expect(near.statusCode, near.body).toBe(202);
    expect((await drain()).map((e) => e.key)).toEqual(['ahead-3']);
  });

  it('refuses an occurred_at or updated_at before 1900 (a year typed short), 400 naming the field, and takes 1900 on', async () => {
    // Until 2026-12-05 a donation in year 0026 was taken: it landed in a partition of that year, in every all-time total.
    await drain();
    const res = await post(app, {
      events: [donation('short-1', { occurred_at: '0026-11-29T20:15:00Z' }), donation('short-2', { updated_at: '1899-12-31T23:59:59Z' }), donation('short-3', { occurred_at: '0001-01-01T00:00:00Z' })],
    });
    expect(res.statusCode).toBe(400);
    const body = res.json() as { rejected: { index: number; errors: { path: string; message: string }[] }[] };
    expect(body.rejected.map((r) => [r.index, r.errors.map((e) => e.path)])).toEqual([[0, ['payload.occurred_at']], [1, ['payload.updated_at']], [2, ['payload.occurred_at']]]);
    expect(body.rejected[0]!.errors[0]!.message).toMatch(/^is before 1900-01-01: send when it happened, with its four-digit year/);
    expect(res.body).not.toContain('0026-11-29');
    expect(await queue.depth('raw')).toBe(0);
    const old = await post(app, { events: [donation('short-4', { occurred_at: '1900-01-01T00:00:00Z', updated_at: '1957-06-01T12:00:00Z' })] });
    expect(old.statusCode, old.body).toBe(202);
    expect((await drain()).map((e) => e.key)).toEqual(['short-4']);
  });

  it("widens the bound for the server given the demo's maxAheadMs alone: another server in the same process keeps the day", async () => {
    // Until 2026-12-04 the bound was one switch for the whole process (allowTimesAhead): the demo's widening was every server's.
    await drain();
    const demo = buildServer({ queue, apiKeys: [KEY], maxAheadMs: DEMO_MAX_AHEAD_MS });
    await demo.ready();
    try {
      const later = new Date(Date.now() + 30 * 86_400_000).toISOString();
      const taken = await post(demo, { events: [donation('demo-ahead-1', { occurred_at: later })] });
      expect(taken.statusCode, taken.body).toBe(202);
      expect((await drain()).map((e) => e.key)).toEqual(['demo-ahead-1']);
      expect((await post(app, { events: [donation('demo-ahead-2', { occurred_at: later })] })).statusCode).toBe(400);
      expect((await post(demo, { events: [donation('demo-ahead-3', { occurred_at: '2099-11-29T20:15:00Z' })] })).statusCode).toBe(400);
    } finally {
      await demo.close();
    }
  });

  it('refuses text holding half a UTF-16 pair (400 naming the field), which the lake would land as U+FFFD; takes emoji whole', async () => {
    await drain();
    const half = JSON.stringify({ events: [donation('half-1', { campaign: 'APPEAL' })] }).replace('APPEAL', 'APPEAL \\ud83c');
    const res = await post(app, half);
    expect(res.statusCode).toBe(400);
    expect((res.json() as { rejected: { errors: { path: string; message: string }[] }[] }).rejected[0]!.errors).toEqual([{ path: 'payload.campaign', message: expect.stringMatching(/^holds half of a UTF-16 surrogate pair/) }]);
    expect(await queue.depth('raw')).toBe(0);
    const whole = await post(app, { events: [donation('half-2', { campaign: 'APPEAL 🎄' })] });
    expect(whole.statusCode).toBe(202);
    expect((await drain())[0]!.payload.campaign).toBe('APPEAL 🎄');
  });

  it('refuses a control character in free text and a NUL anywhere (400 naming the field and the code point, never the text); takes tabs and line breaks', async () => {
    await drain();
    const res = await post(app, {
      events: [
        donation('ctl-1', { campaign: 'xmas\u0000appeal' }),
        donation('ctl-2', { cta: 'tv\u001b[2J' }),
        donation('ctl-\u0000-3'),
        donation('ctl-4', { campaign: 'xmas\u007f' }),
        donation('ctl-\u0001-5', { campaign: 'line one\nline\ttwo\r\n' }),
      ],
    });
    expect(res.statusCode).toBe(400);
    const body = res.json() as { rejected: { index: number; errors: { path: string; message: string }[] }[] };
    expect(body.rejected.map((r) => [r.index, r.errors.map((e) => e.path)])).toEqual([
      [0, ['payload.campaign']],
      [1, ['payload.cta']],
      [2, ['payload.donation_id']],
      [3, ['payload.campaign']],
    ]);
    expect(body.rejected.map((r) => r.errors[0]!.message.slice(0, 37))).toEqual(['holds a control character (U+0000), w', 'holds a control character (U+001B), w', 'holds a control character (U+0000), w', 'holds a control character (U+007F), w']);
    expect(res.body).not.toContain('xmas');
    expect(await queue.depth('raw')).toBe(0);
    // An id's other control characters are the source's own; free text keeps tabs and line breaks.
    const ok = await post(app, { events: [donation('ctl-\u0001-5', { campaign: 'line one\nline\ttwo\r\n' })] });
    expect(ok.statusCode, ok.body).toBe(202);
    const [landed] = await drain();
    expect([landed!.key, landed!.payload.campaign]).toEqual(['ctl-\u0001-5', 'line one\nline\ttwo\r\n']);
  });

  it("lands a free-text name composed (NFC) however it was typed, so one campaign is one in the totals and SQL; an id stays as sent, raw as sent", async () => {
    await drain();
    const composed = 'Zo\u00eb appeal';
    const decomposed = 'Zoe\u0308 appeal';
    const res = await post(app, { events: [donation('nfc-1', { campaign: composed }), donation('Zoe\u0308-2', { campaign: decomposed, cta: 'Caf\u0065\u0301' })] });
    expect(res.statusCode).toBe(202);
    const [a, b] = await drain();
    expect(a!.payload.campaign).toBe(composed);
    expect(b!.payload.campaign).toBe(composed);
    expect(b!.payload.cta).toBe('Caf\u00e9');
    expect(b!.key).toBe('Zoe\u0308-2');
    expect(JSON.stringify(b!.raw)).toContain(decomposed);
  });

  it('drops the spaces at either end of free text, so a padded campaign is the same campaign, and refuses spaces alone', async () => {
    // Until 2026-12-06 `appeal ` landed as a second campaign beside `appeal`, and a TV filtered on one missed the other.
    await drain();
    const res = await post(app, { events: [donation('trim-1', { campaign: ' appeal-night ', cta: 'tv-qr  ' }), donation('trim-2', { campaign: 'appeal-night' })] });
    expect(res.statusCode).toBe(202);
    const [a, b] = await drain();
    expect(a!.payload).toMatchObject({ campaign: 'appeal-night', cta: 'tv-qr' });
    expect(b!.payload.campaign).toBe('appeal-night');
    // The same event sent padded and not is one event: its id is of what lands.
    expect((await post(app, { events: [donation('trim-2', { campaign: 'appeal-night  ' })] })).json()).toMatchObject({ accepted: [{ id: b!.id }] });
    await drain();
    const blank = await post(app, { events: [donation('trim-3', { campaign: '   ' })] });
    expect(blank.statusCode).toBe(400);
    expect((blank.json() as { rejected: { errors: unknown[] }[] }).rejected[0]!.errors).toEqual([{ path: 'payload.campaign', message: 'holds only spaces: send the text, or leave the field out' }]);
  });

  it('accepts exactly 1000 events', async () => {
    await drain();
    const res = await post(app, { events: Array.from({ length: 1000 }, (_, i) => donation(`k-${i}`)) });
    expect(res.statusCode).toBe(202);
    expect((await drain()).length).toBe(1000);
  });

  it('serves a real client over a listening socket', async () => {
    const srv = buildServer({ queue, apiKeys: [KEY] });
    const url = await srv.listen({ host: '127.0.0.1', port: 0 });
    try {
      const res = await fetch(`${url}/v1/events`, {
        method: 'POST',
        headers: { ...auth, 'content-type': 'application/json; charset=utf-8' },
        body: JSON.stringify({ events: [donation('socket-1')] }),
      });
      expect(res.status).toBe(202);
      const body = (await res.json()) as { accepted: { id: string }[] };
      const envs = await drain();
      expect(envs.map((e) => e.id)).toEqual([body.accepted[0]!.id]);

      const bad = await fetch(`${url}/v1/events`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{}' });
      expect(bad.status).toBe(401);
      expect(bad.headers.get('www-authenticate')).toBe('Bearer');
    } finally {
      await srv.close();
    }
  });

  it('answers every pipelined request on one connection, in order, each event once', async () => {
    // Five requests written at once, before any answer (HTTP/1.1 pipelining). A report of 2026-12-03 said only the
    // first was answered; each is, in the order sent.
    await drain();
    const srv = buildServer({ queue, apiKeys: [KEY] });
    const port = Number(new URL(await srv.listen({ host: '127.0.0.1', port: 0 })).port);
    const socket = connect(port, '127.0.0.1');
    try {
      const req = (id: string) => {
        const body = JSON.stringify({ events: [donation(id)] });
        return `POST /v1/events HTTP/1.1\r\nhost: x\r\nauthorization: Bearer ${KEY}\r\ncontent-type: application/json\r\ncontent-length: ${body.length}\r\n\r\n${body}`;
      };
      const ids = ['pipe-1', 'pipe-2', 'pipe-3', 'pipe-4', 'pipe-5'];
      let got = '';
      const bodies = () => got.split(/HTTP\/1.1 /).slice(1).map((a) => a.slice(a.indexOf('\r\n\r\n') + 4));
      const answered = new Promise<void>((resolve) =>
        socket.on('data', (d: Buffer) => {
          got += d.toString();
          const b = bodies();
          if (b.length === ids.length && b.every((x) => x.endsWith('}'))) resolve();
        }),
      );
      socket.write(ids.map(req).join(''));
      await answered;
      expect(got.match(/HTTP\/1.1 \d+/g)).toEqual(ids.map(() => 'HTTP/1.1 202'));
      const accepted = bodies().map((b) => (JSON.parse(b) as { accepted: { id: string }[] }).accepted[0]!.id);
      const envs = await drain();
      expect(envs.map((e) => e.id)).toEqual(accepted);
      expect(envs.map((e) => e.key)).toEqual(ids);
    } finally {
      socket.destroy();
      await srv.close();
    }
  });

  it('checks the key of every request on a connection whose earlier requests had a good one', async () => {
    // The fast path remembers the Authorization header that was a producer key on a connection (producer-fast-path.ts):
    // another header on the same connection, a wrong key, none, or a key of another scope, is checked afresh.
    await drain();
    const srv = buildServer({ queue, apiKeys: [KEY], keys: createKeyRing({ producer: [KEY], read: ['read-key-0123456789'] }) });
    const port = Number(new URL(await srv.listen({ host: '127.0.0.1', port: 0 })).port);
    const socket = connect(port, '127.0.0.1');
    try {
      const req = (id: string, authorization: string | null) => {
        const body = JSON.stringify({ events: [donation(id)] });
        const a = authorization === null ? '' : `authorization: ${authorization}\r\n`;
        return `POST /v1/events HTTP/1.1\r\nhost: x\r\n${a}content-type: application/json\r\ncontent-length: ${body.length}\r\n\r\n${body}`;
      };
      const sent: [string, string | null][] = [
        ['same-1', `Bearer ${KEY}`],
        ['same-2', `Bearer ${KEY}`],
        ['same-3', `Bearer ${KEY}x`],
        ['same-4', null],
        ['same-5', 'Bearer read-key-0123456789'],
        ['same-6', `bearer ${KEY}`],
        ['same-7', `Bearer ${KEY}`],
      ];
      let got = '';
      const answered = new Promise<void>((resolve) =>
        socket.on('data', (d: Buffer) => {
          got += d.toString();
          if ((got.match(/HTTP\/1.1 \d+/g) ?? []).length === sent.length && got.endsWith('}')) resolve();
        }),
      );
      socket.write(sent.map(([id, a]) => req(id, a)).join(''));
      await answered;
      expect(got.match(/HTTP\/1.1 \d+/g)).toEqual(['202', '202', '401', '401', '403', '202', '202'].map((c) => `HTTP/1.1 ${c}`));
      expect((await drain()).map((e) => e.key)).toEqual(['same-1', 'same-2', 'same-6', 'same-7']);
    } finally {
      socket.destroy();
      await srv.close();
    }
  });
});

const dummy: Queue = {
  subscribe: async () => {},
  publish: async () => {
    throw new Error('SQLITE_BUSY: database is locked at /secret/path');
  },
  claim: async () => [],
  ack: async () => {},
  extend: async () => {},
  retry: async () => {},
  deadLetters: async () => [],
  depth: async () => 0,
  close: async () => {},
};

describe.each(VIA)('producer edge configurations (%s)', (via) => {
  const post = poster(via);

  it('refuses every request when no API key is configured, and says why', async () => {
    const app = buildServer({ queue: dummy, apiKeys: [] });
    const res = await post(app, { events: [donation('a')] }, { authorization: 'Bearer ' });
    expect(res.statusCode).toBe(401);
    expect((res.json() as { error: { message: string } }).error.message).toContain('no API keys configured (PUDDLE_API_KEYS)');
    await app.close();
  });

  it('answers 503 with Retry-After and claims nothing when publish fails, then recovers', async () => {
    let fail = true;
    const published: unknown[] = [];
    const flaky: Queue = {
      ...dummy,
      publish: async (envs) => {
        if (fail) throw new Error('SQLITE_BUSY: database is locked at /secret/path');
        published.push(...envs);
      },
    };
    const app = buildServer({ queue: flaky, apiKeys: [KEY] });
    const res = await post(app, { events: [donation('a')] });
    expect(res.statusCode).toBe(503);
    expect(res.headers['retry-after']).toBe('1');
    const body = res.json() as Record<string, unknown>;
    expect(body.accepted).toBeUndefined();
    expect((body.error as { code: string }).code).toBe('queue_unavailable');
    expect(res.body).not.toContain('/secret/path');
    fail = false;
    expect((await post(app, { events: [donation('a')] })).statusCode).toBe(202);
    expect(published).toHaveLength(1);
    await app.close();
  });

  it('honours smaller limits', async () => {
    const app = buildServer({ queue: dummy, apiKeys: [KEY], maxEvents: 2, maxBodyBytes: 2000 });
    expect((await post(app, { events: [donation('a'), donation('b'), donation('c')] })).statusCode).toBe(413);
    const res = await post(app, { events: [donation('a', { campaign: 'x'.repeat(2000) })] });
    expect(res.statusCode).toBe(413);
    // It says the limit and what to do, not only "too large".
    expect(res.json()).toEqual({ error: { code: 'body_too_large', message: 'request body is too large: this route reads at most 2000 bytes a request; a producer sends its events in smaller batches' } });
    await app.close();
  });

  it('holds a gzipped body to the body limit once gunzipped (413), so a small body cannot unpack to gigabytes', async () => {
    const app = buildServer({ queue: dummy, apiKeys: [KEY], maxBodyBytes: 2000 });
    const big = gzipSync(Buffer.from(JSON.stringify({ events: [donation('a', { campaign: 'x'.repeat(5000) })] })));
    expect(big.length).toBeLessThan(2000);
    const res = await post(app, big, { ...auth, 'content-encoding': 'gzip' });
    expect(res.statusCode).toBe(413);
    expect(res.json()).toEqual({
      error: { code: 'body_too_large', message: 'request body is too large once gunzipped: the body limit holds for the JSON, compressed or not: this route reads at most 2000 bytes a request; a producer sends its events in smaller batches' },
    });
    const small = gzipSync(Buffer.from(JSON.stringify({ events: [donation('a')] })));
    // Within the limit it is read and goes on to the queue (this one refuses every publish: 503, not 413 or 400).
    expect((await post(app, small, { ...auth, 'content-encoding': 'gzip' })).statusCode).toBe(503);
    await app.close();
  });

  it('keeps the raw body bytes on the request for signature checks', async () => {
    const app = buildServer({ queue: dummy, apiKeys: [KEY] });
    app.post('/echo-raw', async (req) => ({ raw: req.rawBody?.toString('utf8') ?? null }));
    const payload = '{ "a" : 1 }';
    const res = await app.inject({ method: 'POST', url: '/echo-raw', headers: { 'content-type': 'application/json' }, payload });
    expect(res.json()).toEqual({ raw: payload });
    await app.close();
  });
});

describe('the producer fast path while the server closes', () => {
  it('answers what it took, and leaves requests that arrive after close() to Fastify (503, Connection: close)', async () => {
    let release!: () => void;
    const gate = new Promise<void>((r) => (release = r));
    let published = 0;
    const slow: Queue = {
      ...dummy,
      publish: async () => {
        await gate;
        published++;
      },
    };
    const app = buildServer({ queue: slow, apiKeys: [KEY] });
    const port = Number(new URL(await app.listen({ host: '127.0.0.1', port: 0 })).port);
    const body = JSON.stringify({ events: [donation('closing-1')] });
    const req = `POST /v1/events HTTP/1.1\r\nhost: x\r\nauthorization: Bearer ${KEY}\r\ncontent-type: application/json\r\ncontent-length: ${body.length}\r\n\r\n${body}`;
    // Raw sockets, so that each request's timing is ours; an answer is complete once its JSON body has come.
    const open = () => {
      const socket = connect(port, '127.0.0.1');
      let got = '';
      const answered = new Promise<string>((resolve) =>
        socket.on('data', (d: Buffer) => {
          got += d.toString();
          if (got.endsWith('}')) resolve(got);
        }),
      );
      return { socket, answered };
    };
    // A: a request the fast path took, waiting on the queue when close() starts.
    const a = open();
    a.socket.write(req);
    await expect.poll(() => fastPathRequests(app)).toBe(1);
    // B: a request whose headers are still arriving when close() starts.
    const b = open();
    b.socket.write(req.slice(0, 20));
    await new Promise((r) => setTimeout(r, 50));
    const closed = app.close();
    b.socket.write(req.slice(20));
    const bAnswer = await b.answered;
    release();
    const aAnswer = await a.answered;
    a.socket.destroy();
    b.socket.destroy();
    await closed;
    expect(aAnswer).toMatch(/^HTTP\/1.1 202 /);
    expect(bAnswer).toMatch(/^HTTP\/1.1 503 /);
    expect(bAnswer.toLowerCase()).toContain('connection: close');
    expect(published).toBe(1);
    expect(fastPathRequests(app)).toBe(1);
  });
});

describe('the producer fast path when the batch work fails', () => {
  it('answers 500 without the fault, whether the work throws or rejects, and keeps serving', async () => {
    let mode: 'throw' | 'reject' | 'ok' = 'throw';
    const fast = producerFastPath({
      accept: (_body, _text, id) => {
        if (mode === 'throw') throw new Error('bug at /secret/path');
        if (mode === 'reject') return Promise.reject(new Error('bug at /secret/path'));
        return Promise.resolve({ status: 202, body: JSON.stringify({ id }) });
      },
      producerSource: () => 'producer',
      maxBodyBytes: 10_000,
      parseJson: (_req, text, done) => done(null, JSON.parse(text)),
      closing: () => false,
    });
    const server = createServer((req, res) => {
      if (!fast(req, res)) res.writeHead(404).end();
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
    const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/v1/events`;
    const send = () => fetch(url, { method: 'POST', headers: { ...auth, 'content-type': 'application/json' }, body: JSON.stringify({ events: [donation('x')] }) });
    try {
      for (const m of ['throw', 'reject'] as const) {
        mode = m;
        const res = await send();
        expect(res.status, m).toBe(500);
        const text = await res.text();
        expect(JSON.parse(text)).toEqual({ error: { code: 'internal', message: 'internal error' } });
        expect(text).not.toContain('secret');
      }
      mode = 'ok';
      expect((await send()).status).toBe(202);
      expect(fast.taken).toBe(3);
    } finally {
      await new Promise((r) => server.close(r));
    }
    // Without the guard the first request is never answered: fail in seconds, not at the suite's timeout.
  }, 10_000);
});
